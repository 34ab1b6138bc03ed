// Shared pieces of the SSTable tests (table_test.cc, table_corruption_test.cc): entries, a
// fixture that builds and opens one table file in a temporary directory, and the layouts the
// parameterised tests run over.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "lsm/cache.h"
#include "lsm/filter_policy.h"
#include "lsm/table.h"
#include "lsm/table_builder.h"
#include "util/env.h"

namespace stash::table_test {

using Entries = std::vector<std::pair<std::string, std::string>>;
using Compression = TableOptions::Compression;

inline std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

// n entries with keys Key(0), Key(2), ...: odd numbers fall between keys. Values repeat a
// pattern so that zstd can compress them.
inline Entries MakeEntries(int n, size_t value_size = 20) {
  Entries entries;
  for (int i = 0; i < n; i++) {
    std::string value = "v" + std::to_string(i) + ":";
    while (value.size() < value_size) value += "abcdefgh";
    value.resize(value_size);
    entries.emplace_back(Key(2 * i), value);
  }
  return entries;
}

inline void ExpectCorruptionNaming(const Status& s, const std::string& file) {
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

inline void PrintTo(const Layout& layout, std::ostream* os) {
  *os << (layout.compression == Compression::kZstd ? "zstd" : "none") << ", block size "
      << layout.block_size;
}

// A table test run once per Layout (compression and block size), with a bloom filter.
class TableLayoutTest : public TableTest, public testing::WithParamInterface<Layout> {
 protected:
  TableOptions Options() const {
    TableOptions options;
    options.compression = GetParam().compression;
    options.block_size = GetParam().block_size;
    options.filter_policy = bloom_.get();
    return options;
  }
};

}  // namespace stash::table_test
