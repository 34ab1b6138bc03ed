#include "lsm/table.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "lsm/cache.h"
#include "lsm/format.h"
#include "lsm/table_builder.h"
#include "lsm/table_testutil.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace stash {
namespace {

using namespace table_test;  // NOLINT: the shared fixture and helpers
using TableRoundTrip = TableLayoutTest;

TEST_P(TableRoundTrip, IteratesEveryEntryInOrder) {
  const Entries entries = MakeEntries(2000);
  Build(Options(), entries);
  auto table = OpenOrDie(Options());
  Status s;
  EXPECT_EQ(Scan(*table, &s), entries);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_P(TableRoundTrip, SeekFindsEveryKeyAndLandsBetweenKeys) {
  const Entries entries = MakeEntries(1000);
  Build(Options(), entries);
  auto table = OpenOrDie(Options());
  auto it = table->NewIterator();
  for (int i = 0; i < 1999; i++) {
    it->Seek(Key(i));
    ASSERT_TRUE(it->Valid()) << i;
    const auto& [k, v] = entries[static_cast<size_t>((i + 1) / 2)];
    ASSERT_EQ(it->key(), k);
    ASSERT_EQ(it->value(), v);
    if (i < 1990) {  // and iteration continues from there
      it->Next();
      ASSERT_TRUE(it->Valid());
      ASSERT_EQ(it->key(), entries[static_cast<size_t>((i + 1) / 2 + 1)].first);
    }
  }
  it->Seek("");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), entries.front().first);
  it->Seek(Key(1999));
  EXPECT_FALSE(it->Valid());
  it->Seek("zzz");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST_P(TableRoundTrip, InternalGetFindsEveryKeyAndFiltersAbsentKeys) {
  const Entries entries = MakeEntries(1000);
  Build(Options(), entries);
  auto table = OpenOrDie(Options());
  for (const auto& [k, v] : entries) {
    int calls = 0;
    ASSERT_TRUE(table
                    ->InternalGet(k, k,
                                  [&](std::string_view found_key, std::string_view found_value) {
                                    calls++;
                                    EXPECT_EQ(found_key, k);
                                    EXPECT_EQ(found_value, v);
                                  })
                    .ok());
    ASSERT_EQ(calls, 1) << k;
  }
  // Absent keys inside the key range: the filter rejects almost all of them.
  int reached = 0;
  for (int i = 1; i < 2000; i += 2) {
    const std::string k = Key(i);
    ASSERT_TRUE(
        table->InternalGet(k, k, [&](std::string_view, std::string_view) { reached++; }).ok());
  }
  EXPECT_LT(reached, 30);  // 1000 probes at ~1% false positives
}

INSTANTIATE_TEST_SUITE_P(Layouts, TableRoundTrip,
                         testing::Values(Layout{Compression::kNone, 64},
                                         Layout{Compression::kZstd, 64},
                                         Layout{Compression::kNone, 4096},
                                         Layout{Compression::kZstd, 4096}));

TEST_F(TableTest, InternalGetWithoutFilterReportsTheNextEntry) {
  TableOptions options;
  options.block_size = 64;
  const Entries entries = MakeEntries(300);
  Build(options, entries);
  auto table = OpenOrDie(options);
  for (int i = 1; i < 599; i += 2) {
    std::string got;
    ASSERT_TRUE(
        table->InternalGet(Key(i), Key(i), [&](std::string_view k, std::string_view) { got = k; })
            .ok());
    ASSERT_EQ(got, Key(i + 1));
  }
  bool called = false;
  ASSERT_TRUE(table->InternalGet("zzz", "zzz", [&](auto, auto) { called = true; }).ok());
  EXPECT_FALSE(called);
}

// A key between a block's last key and its (shortened) index separator has its first entry >= it
// in the next block.
TEST_F(TableTest, LookupsBetweenABlockAndItsSeparatorReachTheNextBlock) {
  TableOptions options;
  options.block_size = 1;                        // one entry per block
  Build(options, {{"abc", "1"}, {"abz", "2"}});  // separator of the first block: "abd"
  auto table = OpenOrDie(options);
  std::string got;
  ASSERT_TRUE(table
                  ->InternalGet("abcz", "abcz",
                                [&](std::string_view k, std::string_view v) {
                                  got = std::string(k) + "=" + std::string(v);
                                })
                  .ok());
  EXPECT_EQ(got, "abz=2");
  auto it = table->NewIterator();
  it->Seek("abd");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "abz");
}

TEST_F(TableTest, PropertiesRoundTrip) {
  TableOptions options;
  options.filter_policy = bloom_.get();
  const Entries entries = MakeEntries(100, 30);
  Build(options, entries,
        {{"db.smallest_seq", "17"}, {"db.tombstones", "3"}, {"stash.num_entries", "bogus"}});
  auto table = OpenOrDie(options);
  const auto& p = table->Properties();
  namespace tp = table_property;
  EXPECT_EQ(p.at("db.smallest_seq"), "17");
  EXPECT_EQ(p.at("db.tombstones"), "3");
  EXPECT_EQ(p.at(std::string(tp::kNumEntries)), "100");
  EXPECT_EQ(p.at(std::string(tp::kRawKeySize)), std::to_string(100 * 9));
  EXPECT_EQ(p.at(std::string(tp::kRawValueSize)), std::to_string(100 * 30));
  EXPECT_EQ(p.at(std::string(tp::kSmallestKey)), entries.front().first);
  EXPECT_EQ(p.at(std::string(tp::kLargestKey)), entries.back().first);
  EXPECT_EQ(p.at(std::string(tp::kComparator)), BytewiseComparator()->Name());
  const uint64_t data_size = std::stoull(p.at(std::string(tp::kDataSize)));
  const uint64_t index_size = std::stoull(p.at(std::string(tp::kIndexSize)));
  const uint64_t filter_size = std::stoull(p.at(std::string(tp::kFilterSize)));
  EXPECT_GT(data_size, 0u);
  EXPECT_GT(index_size, kBlockTrailerSize);
  EXPECT_EQ(filter_size, 100 * 10 / 8 + 1 + kBlockTrailerSize);
  EXPECT_LT(data_size + index_size + filter_size + Footer::kEncodedLength, table->file_size());
}

TEST_F(TableTest, EmptyTableHasNoEntries) {
  TableOptions options;
  options.filter_policy = bloom_.get();
  Build(options, {});
  auto table = OpenOrDie(options);
  Status s;
  EXPECT_TRUE(Scan(*table, &s).empty());
  EXPECT_TRUE(s.ok());
  auto it = table->NewIterator();
  it->Seek("a");
  EXPECT_FALSE(it->Valid());
  bool called = false;
  EXPECT_TRUE(table->InternalGet("a", "a", [&](auto, auto) { called = true; }).ok());
  EXPECT_FALSE(called);
  EXPECT_EQ(table->Properties().at(std::string(table_property::kNumEntries)), "0");
  EXPECT_EQ(table->Properties().count(std::string(table_property::kSmallestKey)), 0u);
}

TEST_F(TableTest, ZstdShrinksCompressibleBlocks) {
  TableOptions options;
  options.compression = Compression::kNone;
  const Entries entries = MakeEntries(2000, 200);
  Build(options, entries);
  const uint64_t plain = OpenOrDie(options)->file_size();
  options.compression = Compression::kZstd;
  Build(options, entries);
  auto table = OpenOrDie(options);
  EXPECT_LT(table->file_size() * 4, plain);
  Status s;
  EXPECT_EQ(Scan(*table, &s), entries);
  EXPECT_TRUE(s.ok());
}

TEST_F(TableTest, IncompressibleBlocksAreStoredUncompressed) {
  std::mt19937_64 rng(7);
  Entries entries;
  for (int i = 0; i < 500; i++) {
    std::string value(100, '\0');
    for (char& c : value) c = static_cast<char>(rng());
    entries.emplace_back(Key(i), value);
  }
  TableOptions options;
  options.compression = Compression::kNone;
  Build(options, entries);
  const std::string plain_size =
      OpenOrDie(options)->Properties().at(std::string(table_property::kDataSize));
  options.compression = Compression::kZstd;
  Build(options, entries);
  auto table = OpenOrDie(options);
  EXPECT_EQ(table->Properties().at(std::string(table_property::kDataSize)), plain_size);
  Status s;
  EXPECT_EQ(Scan(*table, &s), entries);
}

TEST_F(TableTest, ValuesLargerThanABlockRoundTrip) {
  TableOptions options;
  Entries entries;
  for (int i = 0; i < 20; i++) entries.emplace_back(Key(i), std::string(100000 + i, 'a' + i % 26));
  Build(options, entries);
  auto table = OpenOrDie(options);
  Status s;
  EXPECT_EQ(Scan(*table, &s), entries);
  EXPECT_TRUE(s.ok());
  EXPECT_LT(table->file_size(), 100000u);  // each long run compresses well
}

TEST_F(TableTest, BlockCacheServesRepeatedReads) {
  auto cache = NewLRUCache(1 << 20);
  const Entries entries = MakeEntries(500);
  auto table = BuildCached(cache.get(), entries);
  Status s;
  ASSERT_EQ(Scan(*table, &s), entries);
  const uint64_t blocks = cache->Misses();
  EXPECT_GT(blocks, 10u);
  EXPECT_EQ(cache->Hits(), 0u);
  ASSERT_EQ(Scan(*table, &s), entries);
  EXPECT_EQ(cache->Misses(), blocks);
  EXPECT_EQ(cache->Hits(), blocks);
  EXPECT_TRUE(Finds(*table, Key(10)));
  EXPECT_EQ(cache->Hits(), blocks + 1);
  EXPECT_GT(cache->TotalCharge(), 0u);
}

TEST_F(TableTest, ScansWithoutFillCacheUseButDoNotFillTheCache) {
  auto cache = NewLRUCache(1 << 20);
  const Entries entries = MakeEntries(500);
  auto table = BuildCached(cache.get(), entries);
  Status s;
  ASSERT_EQ(Scan(*table, &s, /*fill_cache=*/false), entries);
  ASSERT_TRUE(s.ok());
  const uint64_t blocks = cache->Misses();
  EXPECT_GT(blocks, 10u);
  EXPECT_EQ(cache->TotalCharge(), 0u);  // nothing was kept
  ASSERT_TRUE(Finds(*table, Key(10)));  // a point read fills the cache with its block
  const size_t one_block = cache->TotalCharge();
  EXPECT_GT(one_block, 0u);
  ASSERT_EQ(Scan(*table, &s, /*fill_cache=*/false), entries);
  EXPECT_EQ(cache->Hits(), 1u);  // the scan used the cached block
  EXPECT_EQ(cache->TotalCharge(), one_block);
}

// With a cache too small to keep anything, a block must still stay alive while an iterator is
// positioned on it (ASan would catch a use after free).
TEST_F(TableTest, IteratorPinsItsBlockInATinyCache) {
  auto cache = NewLRUCache(1, 0);
  TableOptions options;
  options.block_size = 128;
  options.block_cache = cache.get();
  const Entries entries = MakeEntries(300);
  Build(options, entries);
  auto table = OpenOrDie(options);
  auto a = table->NewIterator();
  auto b = table->NewIterator();
  a->SeekToFirst();
  for (const auto& [k, v] : entries) {
    ASSERT_TRUE(a->Valid());
    b->Seek(k);  // churns the cache
    ASSERT_EQ(a->key(), k);
    ASSERT_EQ(a->value(), v);
    a->Next();
  }
  EXPECT_FALSE(a->Valid());
}

TEST_F(TableTest, IteratorKeepsTheTableAlive) {
  TableOptions options;
  options.block_size = 64;
  const Entries entries = MakeEntries(200);
  Build(options, entries);
  auto table = OpenOrDie(options);
  auto it = table->NewIterator();
  table.reset();
  Entries got;
  for (it->SeekToFirst(); it->Valid(); it->Next()) got.emplace_back(it->key(), it->value());
  EXPECT_EQ(got, entries);
}

TEST_F(TableTest, ApproximateOffsetsGrowWithTheKey) {
  TableOptions options;
  options.compression = Compression::kNone;
  options.block_size = 512;
  Build(options, MakeEntries(1000, 100));
  auto table = OpenOrDie(options);
  EXPECT_EQ(table->ApproximateOffsetOf(""), 0u);
  uint64_t previous = 0;
  for (int i = 0; i < 2000; i += 50) {
    const uint64_t offset = table->ApproximateOffsetOf(Key(i));
    EXPECT_GE(offset, previous);
    previous = offset;
  }
  const uint64_t mid = table->ApproximateOffsetOf(Key(1000));
  EXPECT_GT(mid, 40000u);
  EXPECT_LT(mid, 70000u);
  const uint64_t end = table->ApproximateOffsetOf("zzz");
  EXPECT_GE(end, std::stoull(table->Properties().at(std::string(table_property::kDataSize))));
  EXPECT_LE(end, table->file_size());
}

// Orders keys backwards.
class ReverseComparator final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override { return b.compare(a); }
  const char* Name() const override { return "test.Reverse"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

TEST_F(TableTest, HonoursTheComparatorAndRejectsAnother) {
  ReverseComparator reverse;
  TableOptions options;
  options.comparator = &reverse;
  options.block_size = 64;
  Entries entries = MakeEntries(200);
  std::reverse(entries.begin(), entries.end());
  Build(options, entries);
  auto table = OpenOrDie(options);
  Status s;
  EXPECT_EQ(Scan(*table, &s), entries);
  auto it = table->NewIterator();
  it->Seek(Key(101));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(100));

  std::shared_ptr<Table> wrong;
  s = Open(TableOptions(), &wrong);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(wrong, nullptr);
}

// A file that fails every append after the first few kilobytes.
class FailingFile final : public WritableFile {
 public:
  Status Append(std::string_view data) override {
    written_ += data.size();
    if (written_ > 4096) return Status::NoSpace("disk full");
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status SyncFlushed() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }

 private:
  size_t written_ = 0;
};

TEST_F(TableTest, WriteErrorsAreReportedByFinish) {
  FailingFile file;
  TableOptions options;
  options.compression = Compression::kNone;
  TableBuilder builder(options, &file);
  for (const auto& [k, v] : MakeEntries(2000)) builder.Add(k, v);
  EXPECT_TRUE(builder.status().IsNoSpace());
  EXPECT_TRUE(builder.Finish().IsNoSpace());
}

TEST_F(TableTest, AbandonedBuilderWritesNoFooter) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_->NewWritableFile(path_, &file).ok());
  {
    TableBuilder builder(TableOptions(), file.get());
    builder.Add("a", "1");
    builder.Abandon();
  }
  ASSERT_TRUE(file->Close().ok());
  std::shared_ptr<Table> table;
  ExpectCorruptionNaming(Open(TableOptions(), &table), path_);
}

}  // namespace
}  // namespace stash
