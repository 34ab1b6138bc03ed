#include <gtest/gtest.h>

#include <filesystem>

#include "util/coding.h"
#include "util/crc32c.h"
#include "util/env.h"
#include "util/status.h"

namespace stash {

TEST(Coding, VarintRoundTripsAtEveryWidth) {
  std::string buf;
  std::vector<uint64_t> values;
  for (int shift = 0; shift < 64; shift++) {
    values.push_back(1ull << shift);
    values.push_back((1ull << shift) - 1);
  }
  for (uint64_t v : values) PutVarint64(&buf, v);
  std::string_view in(buf);
  for (uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(Coding, TruncatedVarintIsRejected) {
  std::string buf;
  PutVarint32(&buf, 1u << 30);
  std::string_view in(buf.data(), buf.size() - 1);
  uint32_t v;
  EXPECT_FALSE(GetVarint32(&in, &v));
}

TEST(Crc32c, MatchesKnownVectors) {
  // RFC 3720 B.4 test vectors.
  char zeros[32] = {};
  EXPECT_EQ(crc32c::Value(zeros, 32), 0x8a9136aau);
  char ones[32];
  std::memset(ones, 0xff, 32);
  EXPECT_EQ(crc32c::Value(ones, 32), 0x62a8ab43u);
  EXPECT_EQ(crc32c::Value("123456789", 9), 0xe3069283u);
  EXPECT_EQ(crc32c::Extend(crc32c::Value("1234", 4), "56789", 5), 0xe3069283u);
  uint32_t c = crc32c::Value("hello", 5);
  EXPECT_EQ(crc32c::Unmask(crc32c::Mask(c)), c);
}

TEST(Status, ToStringNamesKindAndMessage) {
  EXPECT_EQ(Status::OK().ToString(), "OK");
  EXPECT_EQ(Status::Corruption("bad block").ToString(), "Corruption: bad block");
  StatusOr<int> v = 3;
  EXPECT_TRUE(v.ok());
  StatusOr<int> e = Status::NotFound("x");
  EXPECT_TRUE(e.status().IsNotFound());
}

TEST(PosixEnv, WriteReadRenameLock) {
  auto dir = std::filesystem::temp_directory_path() / ("stash_env_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  Env* env = Env::Default();
  ASSERT_TRUE(env->CreateDirIfMissing(dir.string()).ok());
  std::string a = JoinPath(dir.string(), "a"), b = JoinPath(dir.string(), "b");
  ASSERT_TRUE(WriteStringToFile(env, "payload", a, true).ok());
  ASSERT_TRUE(env->RenameFile(a, b).ok());
  ASSERT_TRUE(env->SyncDir(dir.string()).ok());
  std::string got;
  ASSERT_TRUE(ReadFileToString(env, b, &got).ok());
  EXPECT_EQ(got, "payload");
  std::unique_ptr<FileLock> l1, l2;
  ASSERT_TRUE(env->LockFile(JoinPath(dir.string(), "LOCK"), &l1).ok());
  // flock is per open file description, so a second open in the same process conflicts too.
  EXPECT_TRUE(env->LockFile(JoinPath(dir.string(), "LOCK"), &l2).IsBusy());
  l1.reset();
  EXPECT_TRUE(env->LockFile(JoinPath(dir.string(), "LOCK"), &l2).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace stash
