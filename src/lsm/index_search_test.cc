#include "lsm/index_search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "lsm/block_builder.h"
#include "lsm/dbformat.h"

namespace stash {
namespace {

using namespace std::string_literals;

std::string IKey(const std::string& user_key, SequenceNumber seq) {
  std::string key;
  AppendInternalKey(&key, ParsedInternalKey(user_key, seq, kTypeValue));
  return key;
}

// An index block over keys (sorted here in internal-key order); entry i's value is "v<i>".
struct IndexBlock {
  explicit IndexBlock(std::vector<std::string> keys, int restart_interval = 1)
      : keys_(std::move(keys)) {
    InternalKeyComparator icmp(BytewiseComparator());
    std::sort(keys_.begin(), keys_.end(),
              [&](const std::string& a, const std::string& b) { return icmp.Compare(a, b) < 0; });
    keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
    BlockBuilder builder(restart_interval);
    for (size_t i = 0; i < keys_.size(); i++) builder.Add(keys_[i], "v" + std::to_string(i));
    bytes_ = std::string(builder.Finish());
    BlockContents contents;
    contents.data = bytes_;
    EXPECT_TRUE(Block::Parse(std::move(contents), "index", 0, &block_).ok());
  }

  std::vector<std::string> keys_;
  std::string bytes_;
  std::unique_ptr<Block> block_;
};

// Every target gets the answer the block's own search gives.
void ExpectSameAsBlockSeek(const IndexBlock& index, const IndexSearch& search,
                           const std::vector<std::string>& targets, int* decided) {
  InternalKeyComparator icmp(BytewiseComparator());
  for (const std::string& target : targets) {
    bool found = false;
    std::string key;
    std::string_view want;
    ASSERT_TRUE(index.block_->Seek(&icmp, "index", target, &found, &key, &want).ok());
    std::string_view got;
    const IndexSearch::Result result = search.Seek(target, &got);
    if (result == IndexSearch::Result::kUnknown) continue;
    ++*decided;
    ASSERT_EQ(result == IndexSearch::Result::kFound, found) << target;
    if (found) {
      ASSERT_EQ(got, want) << target;
    }
  }
}

// Targets around every key: itself, newer and older versions, and user keys just around it.
std::vector<std::string> TargetsAround(const std::vector<std::string>& keys) {
  std::vector<std::string> targets;
  for (const std::string& k : keys) {
    const std::string user(ExtractUserKey(k));
    for (SequenceNumber seq : {SequenceNumber{0}, SequenceNumber{7}, SequenceNumber{1} << 40}) {
      targets.push_back(IKey(user, seq));
      targets.push_back(IKey(user + '\0', seq));
      targets.push_back(IKey(user + "zz", seq));
      if (!user.empty()) targets.push_back(IKey(user.substr(0, user.size() - 1), seq));
    }
    targets.push_back(k);
  }
  targets.push_back(IKey("", 0));
  targets.push_back(IKey("\xff\xff\xff", 0));
  return targets;
}

TEST(IndexSearchTest, AgreesWithTheBlocksSearchOnKeysOfAnyLengthAndPrefix) {
  std::mt19937 rng(301);
  std::vector<std::string> keys;
  // A long shared prefix, then digits, some keys shorter than the 8 bytes after it, some with
  // zero bytes, and several versions of one user key.
  for (int i = 0; i < 3000; i++) {
    std::string user = "\x01\x00user:"s;
    user += std::to_string(rng() % 100000);
    if (rng() % 5 == 0) user.push_back('\0');
    if (rng() % 7 == 0) user += std::string(rng() % 20, 'x');
    const int versions = rng() % 4 == 0 ? 3 : 1;
    for (int v = 0; v < versions; v++) keys.push_back(IKey(user, rng() % 1000));
  }
  IndexBlock index(keys);
  auto search = IndexSearch::Build(*index.block_);
  ASSERT_NE(search, nullptr);
  std::vector<std::string> targets = TargetsAround(index.keys_);
  for (int i = 0; i < 3000; i++) {
    targets.push_back(IKey("\x01\x00user:"s + std::to_string(rng() % 200000), rng() % 1000));
  }
  int decided = 0;
  ExpectSameAsBlockSeek(index, *search, targets, &decided);
  EXPECT_GT(decided, static_cast<int>(targets.size()) * 9 / 10);  // not all left to the block
}

TEST(IndexSearchTest, KeysThatShareMoreThanEightBytesAfterThePrefixAreOrderedWhole) {
  std::vector<std::string> keys;
  for (int i = 0; i < 500; i++) {
    keys.push_back(IKey("a" + std::to_string(i % 3) + "-same-long-middle-" + std::to_string(i),
                        static_cast<SequenceNumber>(i)));
  }
  IndexBlock index(keys);
  auto search = IndexSearch::Build(*index.block_);
  ASSERT_NE(search, nullptr);
  int decided = 0;
  ExpectSameAsBlockSeek(index, *search, TargetsAround(index.keys_), &decided);
  EXPECT_GT(decided, 1000);
}

// A table of two record kinds whose keys tie in the 8 bytes after what all share (hash elements
// "E..<key>..\x01element:N" and positions "E..\x00<u64>", then metadata "M..."): the index is
// split into segments, each searched by its own prefix, and answers as the block does.
TEST(IndexSearchTest, RecordKindsThatTieAreSearchedInSegments) {
  std::vector<std::string> keys;
  for (int i = 0; i < 2000; i++) {
    keys.push_back(
        IKey("E\0\0\0\0\0\0\0\6myhash\0\0\0\1\1element:"s + std::to_string(100000 + i * 7), 1));
    std::string position = "E\0\0\0\0\0\0\0\6myhash\0\0\0\1\0"s;
    for (int b = 7; b >= 0; b--)
      position.push_back(static_cast<char>((uint64_t(i) >> (8 * b)) & 0xff));
    keys.push_back(IKey(position, 1));
    keys.push_back(IKey("M\0\0\0\0key:0000"s + std::to_string(100000 + i * 3), 1));
  }
  IndexBlock index(keys);
  auto search = IndexSearch::Build(*index.block_);
  ASSERT_NE(search, nullptr);
  EXPECT_GE(search->num_segments(), 3u);
  EXPECT_LE(search->num_segments(), IndexSearch::kMaxSegments);
  int decided = 0;
  ExpectSameAsBlockSeek(index, *search, TargetsAround(index.keys_), &decided);
  EXPECT_EQ(decided, static_cast<int>(TargetsAround(index.keys_).size()));
}

// Many kinds that each tie (more than kMaxSegments): the segments stay within the limit and
// the answers stay right.
TEST(IndexSearchTest, SegmentsStayWithinTheirLimit) {
  std::vector<std::string> keys;
  for (int kind = 0; kind < 200; kind++) {
    for (int i = 0; i < 20; i++) {
      keys.push_back(IKey(
          std::string(1, static_cast<char>(kind + 1)) + "-same-bytes-" + std::to_string(1000 + i),
          1));
    }
  }
  IndexBlock index(keys);
  auto search = IndexSearch::Build(*index.block_);
  ASSERT_NE(search, nullptr);
  EXPECT_LE(search->num_segments(), IndexSearch::kMaxSegments);
  int decided = 0;
  ExpectSameAsBlockSeek(index, *search, TargetsAround(index.keys_), &decided);
  EXPECT_GT(decided, 0);
}

TEST(IndexSearchTest, OneAndTwoEntries) {
  for (const std::vector<std::string>& keys :
       {std::vector<std::string>{IKey("m", 5)},
        std::vector<std::string>{IKey("m", 5), IKey("q", 1)},
        std::vector<std::string>{IKey("m", 9), IKey("m", 2)}}) {
    IndexBlock index(keys);
    auto search = IndexSearch::Build(*index.block_);
    ASSERT_NE(search, nullptr);
    int decided = 0;
    ExpectSameAsBlockSeek(index, *search, TargetsAround(index.keys_), &decided);
    EXPECT_GT(decided, 0);
  }
}

TEST(IndexSearchTest, TargetsOutsideTheSharedPrefixAreBeforeOrAfterEveryKey) {
  IndexBlock index({IKey("prefix-1", 1), IKey("prefix-2", 1), IKey("prefix-3", 1)});
  auto search = IndexSearch::Build(*index.block_);
  ASSERT_NE(search, nullptr);
  std::string_view value;
  EXPECT_EQ(search->Seek(IKey("a", 1), &value), IndexSearch::Result::kFound);
  EXPECT_EQ(value, "v0");
  EXPECT_EQ(search->Seek(IKey("prefix", 1), &value), IndexSearch::Result::kFound);
  EXPECT_EQ(value, "v0");
  EXPECT_EQ(search->Seek(IKey("z", 1), &value), IndexSearch::Result::kPastEnd);
  EXPECT_EQ(search->Seek("short", &value), IndexSearch::Result::kUnknown);
  EXPECT_EQ(search->Seek(IKey("prefix-2", 1), &value), IndexSearch::Result::kFound);
  EXPECT_EQ(value, "v1");
  EXPECT_EQ(search->Seek(IKey("prefix-9", 1), &value), IndexSearch::Result::kPastEnd);
}

TEST(IndexSearchTest, NotBuiltForOtherLayoutsOrDamagedBlocks) {
  std::vector<std::string> keys;
  for (int i = 0; i < 100; i++) keys.push_back(IKey("k" + std::to_string(1000 + i), 1));
  EXPECT_EQ(IndexSearch::Build(*IndexBlock(keys, /*restart_interval=*/2).block_), nullptr);
  EXPECT_EQ(IndexSearch::Build(*IndexBlock({}).block_), nullptr);
  EXPECT_EQ(IndexSearch::Build(*IndexBlock({"ab"}).block_), nullptr);  // shorter than a tag

  // Keys out of order (a damaged block read without checksums).
  BlockBuilder builder(1);
  builder.Add(IKey("k2", 1), "v0");
  builder.Add(IKey("k1", 1), "v1");
  builder.Add(IKey("k3", 1), "v2");
  const std::string bytes(builder.Finish());
  BlockContents contents;
  contents.data = bytes;
  std::unique_ptr<Block> block;
  ASSERT_TRUE(Block::Parse(std::move(contents), "index", 0, &block).ok());
  EXPECT_EQ(IndexSearch::Build(*block), nullptr);
}

}  // namespace
}  // namespace stash
