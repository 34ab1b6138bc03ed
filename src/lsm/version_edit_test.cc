#include "lsm/version_edit.h"

#include <gtest/gtest.h>

#include "lsm/dbformat.h"

namespace stash {
namespace {

std::string IKey(std::string_view user_key, SequenceNumber seq, ValueType type = kTypeValue) {
  return std::string(InternalKey(user_key, seq, type).Encode());
}

void ExpectSameEncoding(const VersionEdit& edit) {
  std::string encoded, reencoded;
  edit.EncodeTo(&encoded);
  VersionEdit parsed;
  Status s = parsed.DecodeFrom(encoded);
  ASSERT_TRUE(s.ok()) << s.ToString();
  parsed.EncodeTo(&reencoded);
  EXPECT_EQ(encoded, reencoded);
}

TEST(VersionEdit, EncodeDecodeRoundTrip) {
  VersionEdit edit;
  const uint64_t big = 1ull << 50;
  for (int i = 0; i < 4; i++) {
    ExpectSameEncoding(edit);
    edit.AddFile(3, big + 300 + i, big + 400 + i, IKey("foo", big + 500 + i),
                 IKey("zoo", big + 600 + i, kTypeDeletion));
    edit.RemoveFile(4, big + 700 + i);
    edit.compact_pointers.emplace_back(i, IKey("x", big + 900 + i));
  }
  edit.comparator_name = "foo";
  edit.log_number = big + 100;
  edit.next_file_number = big + 200;
  edit.last_sequence = big + 1000;
  ExpectSameEncoding(edit);

  std::string encoded;
  edit.EncodeTo(&encoded);
  VersionEdit parsed;
  ASSERT_TRUE(parsed.DecodeFrom(encoded).ok());
  EXPECT_EQ(*parsed.comparator_name, "foo");
  EXPECT_EQ(*parsed.log_number, big + 100);
  EXPECT_EQ(*parsed.next_file_number, big + 200);
  EXPECT_EQ(*parsed.last_sequence, big + 1000);
  ASSERT_EQ(parsed.new_files.size(), 4u);
  EXPECT_EQ(parsed.new_files[2].first, 3);
  EXPECT_EQ(parsed.new_files[2].second.number, big + 302);
  EXPECT_EQ(parsed.new_files[2].second.file_size, big + 402);
  EXPECT_EQ(parsed.new_files[2].second.smallest, IKey("foo", big + 502));
  EXPECT_EQ(parsed.deleted_files.size(), 4u);
  EXPECT_EQ(parsed.compact_pointers.size(), 4u);
}

TEST(VersionEdit, EmptyEditDecodesToNothing) {
  VersionEdit parsed;
  ASSERT_TRUE(parsed.DecodeFrom("").ok());
  EXPECT_FALSE(parsed.log_number.has_value());
  EXPECT_TRUE(parsed.new_files.empty());
}

TEST(VersionEdit, RejectsTruncatedAndUnknownFields) {
  VersionEdit edit;
  edit.AddFile(1, 7, 100, IKey("a", 1), IKey("b", 2));
  edit.last_sequence = 9;
  std::string encoded;
  edit.EncodeTo(&encoded);
  VersionEdit parsed;
  for (size_t n = 1; n < encoded.size(); n++) {
    // Every proper prefix either ends exactly between fields or is rejected.
    Status s = parsed.DecodeFrom(std::string_view(encoded).substr(0, n));
    if (s.ok()) continue;
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  }
  EXPECT_TRUE(
      parsed.DecodeFrom(std::string_view(encoded).substr(0, encoded.size() - 1)).IsCorruption());
  std::string unknown = encoded;
  unknown.push_back(static_cast<char>(99));
  Status s = parsed.DecodeFrom(unknown);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("unknown tag"), std::string::npos) << s.ToString();
  // A level beyond what any DB can have.
  std::string bad_level;
  bad_level.push_back(6);   // deleted file
  bad_level.push_back(60);  // level 60
  bad_level.push_back(1);
  EXPECT_TRUE(parsed.DecodeFrom(bad_level).IsCorruption());
}

}  // namespace
}  // namespace stash
