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
#include "util/coding.h"
#include "util/crc32c.h"

namespace stash {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;
using Compression = TableOptions::Compression;

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

// n entries with keys Key(0), Key(2), ...: odd numbers fall between keys. Values repeat a
// pattern so that zstd can compress them.
Entries MakeEntries(int n, size_t value_size = 20) {
  Entries entries;
  for (int i = 0; i < n; i++) {
    std::string value = "v" + std::to_string(i) + ":";
    while (value.size() < value_size) value += "abcdefgh";
    value.resize(value_size);
    entries.emplace_back(Key(2 * i), value);
  }
  return entries;
}

void ExpectCorruptionNaming(const Status& s, const std::string& file) {
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.message().rfind(file + ": ", 0), 0u) << s.ToString();
  EXPECT_NE(s.message().find(" at offset "), std::string::npos) << s.ToString();
}

class TableTest : public testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/stash-table-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/000012.sst";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes entries (and extra properties) as a table at path_.
  void Build(const TableOptions& options, const Entries& entries,
             const std::map<std::string, std::string>& properties = {}) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env_->NewWritableFile(path_, &file).ok());
    TableBuilder builder(options, file.get());
    for (const auto& [k, v] : entries) builder.Add(k, v);
    for (const auto& [name, value] : properties) builder.SetProperty(name, value);
    EXPECT_EQ(builder.NumEntries(), entries.size());
    ASSERT_TRUE(builder.Finish().ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(file->Close().ok());
    uint64_t size = 0;
    ASSERT_TRUE(env_->GetFileSize(path_, &size).ok());
    EXPECT_EQ(builder.FileSize(), size);
  }

  Status Open(const TableOptions& options, std::shared_ptr<Table>* table) {
    std::unique_ptr<RandomAccessFile> file;
    STASH_RETURN_IF_ERROR(env_->NewRandomAccessFile(path_, &file));
    uint64_t size = 0;
    STASH_RETURN_IF_ERROR(env_->GetFileSize(path_, &size));
    return Table::Open(options, path_, std::move(file), size, table);
  }

  // Builds entries in 256-byte blocks and opens the table reading through cache.
  std::shared_ptr<Table> BuildCached(Cache* cache, const Entries& entries) {
    TableOptions options;
    options.block_size = 256;
    options.block_cache = cache;
    Build(options, entries);
    return OpenOrDie(options);
  }

  // Whether a point lookup of key reaches an entry (the key itself or a later one).
  static bool Finds(const Table& table, const std::string& key) {
    bool found = false;
    Status s = table.InternalGet(key, key, [&](auto, auto) { found = true; });
    return s.ok() && found;
  }

  std::shared_ptr<Table> OpenOrDie(const TableOptions& options) {
    std::shared_ptr<Table> table;
    Status s = Open(options, &table);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return table;
  }

  // Every entry of the table, in order; stops at the first error, which goes to *status.
  static Entries Scan(const Table& table, Status* status, bool fill_cache = true) {
    Entries out;
    auto it = table.NewIterator(fill_cache);
    for (it->SeekToFirst(); it->Valid(); it->Next()) out.emplace_back(it->key(), it->value());
    *status = it->status();
    return out;
  }

  std::string ReadFile() {
    std::string data;
    EXPECT_TRUE(ReadFileToString(env_, path_, &data).ok());
    return data;
  }
  // Replaces the table file. Unlinking first (rather than truncating) keeps ext4 from flushing
  // the rewritten file to disk on close, which would make the damage loops slow.
  void WriteFile(std::string_view data) {
    Status removed = env_->RemoveFile(path_);
    ASSERT_TRUE(removed.ok() || removed.IsNotFound()) << removed.ToString();
    ASSERT_TRUE(WriteStringToFile(env_, data, path_, /*sync=*/false).ok());
  }

  Env* env_ = Env::Default();
  std::string dir_;
  std::string path_;
  std::unique_ptr<const FilterPolicy> bloom_{NewBloomFilterPolicy(10)};
};

struct Layout {
  Compression compression;
  size_t block_size;
};

void PrintTo(const Layout& layout, std::ostream* os) {
  *os << (layout.compression == Compression::kZstd ? "zstd" : "none") << ", block size "
      << layout.block_size;
}

class TableRoundTrip : public TableTest, public testing::WithParamInterface<Layout> {
 protected:
  TableOptions Options() const {
    TableOptions options;
    options.compression = GetParam().compression;
    options.block_size = GetParam().block_size;
    options.filter_policy = bloom_.get();
    return options;
  }
};

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

class TableCorruption : public TableTest, public testing::WithParamInterface<Layout> {
 protected:
  TableOptions Options() const {
    TableOptions options;
    options.compression = GetParam().compression;
    options.block_size = GetParam().block_size;
    options.filter_policy = bloom_.get();
    return options;
  }
};

// Every byte of a table lies under a checksum or is the magic number, so flipping any one makes
// Open or a full scan fail with Corruption naming the file and an offset; no read ever returns a
// wrong entry.
TEST_P(TableCorruption, EveryFlippedByteIsDetectedAndNeverYieldsWrongData) {
  const Entries entries = MakeEntries(60, 40);
  Build(Options(), entries);
  const std::string original = ReadFile();
  ASSERT_GT(original.size(), 1000u);
  int failed_at_open = 0;
  for (size_t i = 0; i < original.size(); i++) {
    SCOPED_TRACE(testing::Message() << "byte " << i << " of " << original.size());
    std::string damaged = original;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
    WriteFile(damaged);
    std::shared_ptr<Table> table;
    Status s = Open(Options(), &table);
    if (!s.ok()) {
      ExpectCorruptionNaming(s, path_);
      failed_at_open++;
      if (HasFailure()) return;
      continue;
    }
    for (size_t j = 0; j < entries.size(); j += 7) {
      const auto& [k, v] = entries[j];
      std::string got_key = "(not called)", got_value;
      Status g = table->InternalGet(k, k, [&](std::string_view fk, std::string_view fv) {
        got_key = fk;
        got_value = fv;
      });
      if (g.ok()) {
        ASSERT_EQ(got_key, k);
        ASSERT_EQ(got_value, v);
      } else {
        ExpectCorruptionNaming(g, path_);
      }
    }
    Status scan_status;
    const Entries got = Scan(*table, &scan_status);
    ASSERT_LE(got.size(), entries.size());
    for (size_t j = 0; j < got.size(); j++) ASSERT_EQ(got[j], entries[j]);
    ASSERT_FALSE(scan_status.ok()) << "the damage went unnoticed";
    ExpectCorruptionNaming(scan_status, path_);
    if (HasFailure()) return;
  }
  EXPECT_GT(failed_at_open, 0);
}

TEST_P(TableCorruption, EveryTruncationFailsToOpen) {
  Build(Options(), MakeEntries(60, 40));
  const std::string original = ReadFile();
  for (size_t len = 0; len < original.size(); len++) {
    SCOPED_TRACE(testing::Message() << "truncated to " << len << " bytes");
    WriteFile(std::string_view(original).substr(0, len));
    std::shared_ptr<Table> table;
    ExpectCorruptionNaming(Open(Options(), &table), path_);
    EXPECT_EQ(table, nullptr);
    if (HasFailure()) return;
  }
}

// With checksums off, damaged data blocks may yield garbage but never crash or read out of
// bounds (this test is meant for the sanitizer build).
TEST_P(TableCorruption, DamagedDataBlocksNeverCrashWithChecksumsOff) {
  TableOptions options = Options();
  options.verify_checksums = false;
  const Entries entries = MakeEntries(60, 40);
  Build(options, entries);
  const std::string original = ReadFile();
  const uint64_t data_size =
      std::stoull(OpenOrDie(options)->Properties().at(std::string(table_property::kDataSize)));
  std::mt19937 rng(42);
  for (int round = 0; round < 400; round++) {
    std::string damaged = original;
    for (int f = 1 + static_cast<int>(rng() % 3); f > 0; f--) {
      damaged[rng() % data_size] = static_cast<char>(rng());
    }
    WriteFile(damaged);
    auto table = OpenOrDie(options);  // the metadata is intact
    ASSERT_NE(table, nullptr);
    Status s;
    Scan(*table, &s);
    EXPECT_TRUE(s.ok() || s.IsCorruption()) << s.ToString();
    for (size_t j = 0; j < entries.size(); j += 5) {
      s = table->InternalGet(entries[j].first, entries[j].first, [](auto, auto) {});
      EXPECT_TRUE(s.ok() || s.IsCorruption()) << s.ToString();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, TableCorruption,
                         testing::Values(Layout{Compression::kNone, 64},
                                         Layout{Compression::kZstd, 256}));

TEST_F(TableTest, ChecksumMismatchNamesFileAndBlockOffset) {
  TableOptions options;
  options.compression = Compression::kNone;
  options.block_size = 64;
  Build(options, MakeEntries(50));
  std::string data = ReadFile();
  data[1] = static_cast<char>(data[1] ^ 1);  // inside the first data block, at offset 0
  WriteFile(data);
  auto table = OpenOrDie(options);
  Status s;
  EXPECT_TRUE(Scan(*table, &s).empty());
  EXPECT_EQ(s.ToString(), "Corruption: " + path_ + ": block checksum mismatch at offset 0");
}

TEST_F(TableTest, BadMagicNamesTheFooterOffset) {
  Build(TableOptions(), MakeEntries(10));
  std::string data = ReadFile();
  data.back() = static_cast<char>(data.back() ^ 1);
  WriteFile(data);
  std::shared_ptr<Table> table;
  Status s = Open(TableOptions(), &table);
  ExpectCorruptionNaming(s, path_);
  EXPECT_NE(s.message().find("magic"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("at offset " + std::to_string(data.size() - Footer::kEncodedLength)),
            std::string::npos)
      << s.ToString();
}

TEST_F(TableTest, ShortFileIsNotATable) {
  WriteFile("tiny");
  std::shared_ptr<Table> table;
  Status s = Open(TableOptions(), &table);
  ExpectCorruptionNaming(s, path_);
}

// Writes `contents` followed by a valid trailer of the given compression type at path_.
void WriteBlockFile(Env* env, const std::string& path, std::string_view contents, uint8_t type) {
  std::string file(contents);
  file.push_back(static_cast<char>(type));
  PutFixed32(&file, crc32c::Mask(crc32c::Value(file.data(), file.size())));
  ASSERT_TRUE(WriteStringToFile(env, file, path, false).ok());
}

Status ReadOnlyBlock(Env* env, const std::string& path, const BlockHandle& handle,
                     BlockContents* contents) {
  std::unique_ptr<RandomAccessFile> file;
  STASH_RETURN_IF_ERROR(env->NewRandomAccessFile(path, &file));
  uint64_t size = 0;
  STASH_RETURN_IF_ERROR(env->GetFileSize(path, &size));
  return ReadBlock(*file, path, size, handle, true, contents);
}

TEST_F(TableTest, ReadBlockRejectsHandlesPastTheEndOfTheFile) {
  WriteBlockFile(env_, path_, "hello", 0);
  BlockContents contents;
  ASSERT_TRUE(ReadOnlyBlock(env_, path_, {0, 5}, &contents).ok());
  EXPECT_EQ(contents.data, "hello");
  for (BlockHandle bad : {BlockHandle{0, 6}, BlockHandle{1, 5}, BlockHandle{11, 0},
                          BlockHandle{0, UINT64_MAX}, BlockHandle{UINT64_MAX, 2}}) {
    Status s = ReadOnlyBlock(env_, path_, bad, &contents);
    ExpectCorruptionNaming(s, path_);
    EXPECT_NE(s.message().find("at offset " + std::to_string(bad.offset)), std::string::npos);
  }
}

TEST_F(TableTest, UndecompressableBlockIsCorruption) {
  BlockContents contents;
  WriteBlockFile(env_, path_, "definitely not a zstd frame", 1);
  Status s = ReadOnlyBlock(env_, path_, {0, 27}, &contents);
  ExpectCorruptionNaming(s, path_);

  // A real frame cut short (with a checksum that matches the cut bytes).
  std::string raw(5000, 'q');
  std::string frame(ZSTD_COMPRESSBOUND(5000), '\0');
  frame.resize(ZSTD_compress(frame.data(), frame.size(), raw.data(), raw.size(), 3));
  frame.resize(frame.size() - 3);
  WriteBlockFile(env_, path_, frame, 1);
  s = ReadOnlyBlock(env_, path_, {0, frame.size()}, &contents);
  ExpectCorruptionNaming(s, path_);
}

TEST_F(TableTest, UnknownCompressionTypeIsCorruption) {
  BlockContents contents;
  WriteBlockFile(env_, path_, "abc", 9);
  Status s = ReadOnlyBlock(env_, path_, {0, 3}, &contents);
  ExpectCorruptionNaming(s, path_);
  EXPECT_NE(s.message().find("compression type 9"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace stash
