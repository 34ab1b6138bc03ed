#include "util/crc64.h"

#include <gtest/gtest.h>

namespace stash {
namespace {

TEST(Crc64, MatchesRedisVectors) {
  EXPECT_EQ(Crc64(0, "123456789"), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64(0, ""), 0u);
  // Incremental = one piece.
  EXPECT_EQ(Crc64(Crc64(0, "1234"), "56789"), Crc64(0, "123456789"));
}

}  // namespace
}  // namespace stash
