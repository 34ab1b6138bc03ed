// SSTable damage: flipped bytes, truncations, bad checksums, magic, handles and compression.
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
using TableCorruption = TableLayoutTest;

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
