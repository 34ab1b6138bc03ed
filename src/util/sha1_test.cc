#include "util/sha1.h"

#include <gtest/gtest.h>

#include <string>

namespace stash {
namespace {

TEST(Sha1, MatchesKnownVectors) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  // 56 bytes: the length no longer fits in the first padded block.
  EXPECT_EQ(Sha1Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(Sha1Hex(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  // Redis's name of the script "return 'hi'" (SCRIPT LOAD).
  EXPECT_EQ(Sha1Hex("return 'hi'"), "2f31ba2bb6d6a0f42cc159d2e2dad55440778de3");
}

}  // namespace
}  // namespace stash
