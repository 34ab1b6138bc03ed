#include "config/notify_flags.h"

#include <gtest/gtest.h>

namespace stash {
namespace {

std::string Normalised(std::string_view letters) {
  uint32_t flags;
  EXPECT_TRUE(ParseNotifyFlags(letters, &flags)) << letters;
  return FormatNotifyFlags(flags);
}

TEST(NotifyFlags, ReadBackAsRedisWritesThem) {
  EXPECT_EQ(Normalised(""), "");
  EXPECT_EQ(Normalised("KEA"), "AKE");
  EXPECT_EQ(Normalised("Kn"), "nK");
  EXPECT_EQ(Normalised("KEnm"), "nKEm");
  EXPECT_EQ(Normalised("Kx$"), "$xK");
  EXPECT_EQ(Normalised("Elshx"), "lshxE");
  EXPECT_EQ(Normalised("g$lshzxetd"), "A");
  EXPECT_EQ(Normalised("AKEn"), "AKE");  // as Redis: n is not shown beside A
}

TEST(NotifyFlags, ClassesAndChannelsAreSeparateBits) {
  uint32_t flags;
  ASSERT_TRUE(ParseNotifyFlags("Eh", &flags));
  EXPECT_EQ(flags, kNotifyKeyevent | kNotifyHash);
  ASSERT_TRUE(ParseNotifyFlags("A", &flags));
  EXPECT_EQ(flags & kNotifyNew, 0u);
  EXPECT_EQ(flags & kNotifyKeyMiss, 0u);
}

TEST(NotifyFlags, UnknownLettersAreRefused) {
  uint32_t flags = 7;
  for (std::string_view bad : {"Q", "kea", "K E", "KE,", "1"}) {
    EXPECT_FALSE(ParseNotifyFlags(bad, &flags)) << bad;
  }
  EXPECT_EQ(flags, 7u);
}

}  // namespace
}  // namespace stash
