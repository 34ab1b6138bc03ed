#include "lsm/block.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "lsm/block_builder.h"
#include "lsm/dbformat.h"
#include "util/coding.h"

namespace stash {
namespace {

constexpr std::string_view kFile = "/data/000042.sst";

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "user:%08d", i);
  return buf;
}
std::string Value(int i) { return "value-" + std::to_string(i * 7) + std::string(i % 5, 'x'); }

// Keys 0, 2, 4, ... so that odd numbers fall between keys.
std::string BuildBlock(int n, int restart_interval) {
  BlockBuilder builder(restart_interval);
  for (int i = 0; i < n; i++) builder.Add(Key(2 * i), Value(2 * i));
  return std::string(builder.Finish());
}

std::unique_ptr<Block> ParseOrDie(const std::string& bytes, uint64_t offset = 4096) {
  BlockContents contents;
  contents.data = bytes;
  std::unique_ptr<Block> block;
  Status s = Block::Parse(std::move(contents), kFile, offset, &block);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return block;
}

class BlockRoundTrip : public testing::TestWithParam<int> {};

TEST_P(BlockRoundTrip, IteratesEveryEntryInOrder) {
  const std::string bytes = BuildBlock(500, GetParam());
  auto block = ParseOrDie(bytes);
  auto it = block->NewIterator(BytewiseComparator(), kFile);
  int i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
    ASSERT_EQ(it->key(), Key(2 * i));
    ASSERT_EQ(it->value(), Value(2 * i));
  }
  EXPECT_EQ(i, 500);
  EXPECT_TRUE(it->status().ok());
}

TEST_P(BlockRoundTrip, SeekFindsEveryKeyAndTheNextKeyBetweenKeys) {
  const std::string bytes = BuildBlock(300, GetParam());
  auto block = ParseOrDie(bytes);
  auto it = block->NewIterator(BytewiseComparator(), kFile);
  for (int i = 0; i < 599; i++) {
    it->Seek(Key(i));
    ASSERT_TRUE(it->Valid()) << i;
    const int expected = (i + 1) / 2 * 2;
    ASSERT_EQ(it->key(), Key(expected));
    ASSERT_EQ(it->value(), Value(expected));
  }
  it->Seek("");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(0));
  it->Seek(Key(599));
  EXPECT_FALSE(it->Valid());
  it->Seek("zzz");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

INSTANTIATE_TEST_SUITE_P(RestartIntervals, BlockRoundTrip, testing::Values(1, 2, 16, 1000));

TEST(Block, SharesPrefixesBetweenRestartPoints) {
  BlockBuilder compressed(16);
  BlockBuilder whole(1);
  for (int i = 0; i < 100; i++) {
    compressed.Add(Key(i), "v");
    whole.Add(Key(i), "v");
  }
  EXPECT_LT(compressed.Finish().size() * 2, whole.Finish().size());
}

TEST(Block, EmptyBlockHasNoEntries) {
  BlockBuilder builder(16);
  EXPECT_TRUE(builder.empty());
  const std::string bytes(builder.Finish());
  EXPECT_EQ(bytes.size(), 8u);
  auto block = ParseOrDie(bytes);
  auto it = block->NewIterator(BytewiseComparator(), kFile);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->Seek("a");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST(Block, ResetStartsANewBlock) {
  BlockBuilder builder(4);
  builder.Add("b", "1");
  builder.Finish();
  builder.Reset();
  builder.Add("a", "2");
  const std::string bytes(builder.Finish());
  EXPECT_EQ(builder.CurrentSizeEstimate(), bytes.size());
  auto it = ParseOrDie(bytes)->NewIterator(BytewiseComparator(), kFile);
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  EXPECT_EQ(it->value(), "2");
  it->Next();
  EXPECT_FALSE(it->Valid());
}

TEST(Block, SizeEstimateMatchesFinishedSize) {
  BlockBuilder builder(16);
  for (int i = 0; i < 100; i++) builder.Add(Key(i), Value(i));
  const size_t estimate = builder.CurrentSizeEstimate();
  EXPECT_EQ(builder.Finish().size(), estimate);
}

void ExpectParseCorruption(const std::string& bytes) {
  BlockContents contents;
  contents.data = bytes;
  std::unique_ptr<Block> block;
  Status s = Block::Parse(std::move(contents), kFile, 8192, &block);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("/data/000042.sst: "), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("at offset 8192"), std::string::npos) << s.ToString();
}

TEST(Block, MalformedRestartArrayIsCorruption) {
  ExpectParseCorruption("");
  ExpectParseCorruption("abc");
  std::string zero_restarts;
  PutFixed32(&zero_restarts, 0);
  ExpectParseCorruption(zero_restarts);

  std::string too_many = BuildBlock(10, 4);
  EncodeFixed32(too_many.data() + too_many.size() - 4, 1000);
  ExpectParseCorruption(too_many);

  std::string outside = BuildBlock(10, 4);  // 3 restarts; make the last point past the entries
  EncodeFixed32(outside.data() + outside.size() - 8, static_cast<uint32_t>(outside.size()));
  ExpectParseCorruption(outside);

  std::string unordered = BuildBlock(10, 4);
  EncodeFixed32(unordered.data() + unordered.size() - 8, 0);
  ExpectParseCorruption(unordered);
}

TEST(Block, EntryOverrunningTheBlockStopsIterationWithCorruption) {
  std::string bytes = BuildBlock(3, 16);
  ASSERT_LT(bytes.size(), 100u);
  // The first entry's value length (third header byte) now claims more than the block holds.
  bytes[2] = 127;
  auto it = ParseOrDie(bytes, 4096)->NewIterator(BytewiseComparator(), kFile);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());
  EXPECT_EQ(it->status().message(), "/data/000042.sst: bad entry in block at offset 4096");
  it->Seek(Key(4));
  EXPECT_FALSE(it->Valid());
}

// A block whose bytes were damaged (as with checksums off) may yield garbage but never reads
// outside the block (run under ASan) and never loops forever.
TEST(Block, DamagedBlocksNeverReadOutOfBounds) {
  const std::string original = BuildBlock(40, 4);
  std::mt19937 rng(301);
  for (int round = 0; round < 3000; round++) {
    std::string bytes = original;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; f++) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    // An exact-size heap copy so that ASan sees any overrun.
    auto heap = std::make_unique<char[]>(bytes.size());
    std::memcpy(heap.get(), bytes.data(), bytes.size());
    BlockContents contents;
    contents.data = std::string_view(heap.get(), bytes.size());
    contents.heap = std::move(heap);
    std::unique_ptr<Block> block;
    if (!Block::Parse(std::move(contents), kFile, 0, &block).ok()) continue;
    auto it = block->NewIterator(BytewiseComparator(), kFile);
    int steps = 0;
    for (it->SeekToFirst(); it->Valid() && steps < 1000; it->Next()) steps++;
    ASSERT_LT(steps, 1000);
    it->Seek(Key(37));
    if (it->Valid()) it->Next();
  }
}

// Internal keys as a data block holds them: user keys of many lengths (some longer than
// Block::kMaxFastKey), several versions of some, sorted by InternalKeyComparator.
std::vector<std::string> InternalKeys(std::mt19937* rng, int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; i++) {
    std::string user = Key(static_cast<int>((*rng)() % 5000));
    if ((*rng)() % 6 == 0) user += std::string((*rng)() % 40, 'k');
    if ((*rng)() % 50 == 0) user += std::string(600, 'L');
    const int versions = (*rng)() % 3 == 0 ? 3 : 1;
    for (int v = 0; v < versions; v++) {
      std::string key;
      AppendInternalKey(&key, ParsedInternalKey(user, (*rng)() % 100, kTypeValue));
      keys.push_back(key);
    }
  }
  InternalKeyComparator icmp(BytewiseComparator());
  std::sort(keys.begin(), keys.end(),
            [&](const std::string& a, const std::string& b) { return icmp.Compare(a, b) < 0; });
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::string BuildInternalBlock(const std::vector<std::string>& keys, int restart_interval) {
  BlockBuilder builder(restart_interval);
  for (size_t i = 0; i < keys.size(); i++) builder.Add(keys[i], Value(static_cast<int>(i)));
  return std::string(builder.Finish());
}

// Block::Seek's path for internal keys gives the iterator's answer: the same entry, or none.
TEST(Block, PointSeekOfInternalKeysAgreesWithTheIterator) {
  std::mt19937 rng(77);
  const std::vector<std::string> keys = InternalKeys(&rng, 400);
  InternalKeyComparator icmp(BytewiseComparator());
  std::vector<std::string> targets = keys;
  for (const std::string& k : keys) {
    const std::string user(ExtractUserKey(k));
    for (const std::string& u : {user, user + '\0', user.substr(0, user.size() - 1)}) {
      for (SequenceNumber seq : {SequenceNumber{0}, SequenceNumber{50}, kMaxSequenceNumber}) {
        std::string target;
        AppendInternalKey(&target, ParsedInternalKey(u, seq, kValueTypeForSeek));
        targets.push_back(target);
      }
    }
  }
  for (int interval : {1, 2, 8, 16}) {
    const std::string bytes = BuildInternalBlock(keys, interval);
    auto block = ParseOrDie(bytes);
    auto it = block->NewIterator(&icmp, kFile);
    for (const std::string& target : targets) {
      bool found = false;
      std::string key;
      std::string_view value;
      ASSERT_TRUE(block->Seek(&icmp, kFile, target, &found, &key, &value).ok());
      it->Seek(target);
      ASSERT_EQ(found, it->Valid()) << interval;
      if (found) {
        ASSERT_EQ(key, it->key()) << interval;
        ASSERT_EQ(value, it->value()) << interval;
      }
    }
  }
}

// The same path on damaged blocks: garbage at worst, never a read outside the block (ASan).
TEST(Block, PointSeekOfInternalKeysInDamagedBlocksNeverReadsOutOfBounds) {
  std::mt19937 rng(78);
  const std::vector<std::string> keys = InternalKeys(&rng, 60);
  const std::string original = BuildInternalBlock(keys, 4);
  InternalKeyComparator icmp(BytewiseComparator());
  for (int round = 0; round < 3000; round++) {
    std::string bytes = original;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; f++) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    auto heap = std::make_unique<char[]>(bytes.size());
    std::memcpy(heap.get(), bytes.data(), bytes.size());
    BlockContents contents;
    contents.data = std::string_view(heap.get(), bytes.size());
    contents.heap = std::move(heap);
    std::unique_ptr<Block> block;
    if (!Block::Parse(std::move(contents), kFile, 0, &block).ok()) continue;
    bool found = false;
    std::string key;
    std::string_view value;
    block->Seek(&icmp, kFile, keys[rng() % keys.size()], &found, &key, &value).IgnoreError();
  }
}

}  // namespace
}  // namespace stash
