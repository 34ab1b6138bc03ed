#include "server/open_files.h"

#include <gtest/gtest.h>

namespace stash {
namespace {

TEST(FitFdBudget, LeavesABudgetThatFitsUnchanged) {
  FdBudget b{100, 200};
  EXPECT_TRUE(FitFdBudget(FdsNeeded(b), &b));
  EXPECT_EQ(b.maxclients, 100);
  EXPECT_EQ(b.table_cache, 200);
}

TEST(FitFdBudget, LowersOnlyMaxclientsWhileTheTableCacheFitsWithRoomToSpare) {
  FdBudget b{10000, 100};
  ASSERT_TRUE(FitFdBudget(kReservedFds + 1000, &b));
  EXPECT_EQ(b.table_cache, 100);
  EXPECT_EQ(b.maxclients, 900);
}

TEST(FitFdBudget, SplitsTheRoomWhenTheTableCacheAloneWouldTakeMostOfIt) {
  FdBudget b{10000, 1000};
  ASSERT_TRUE(FitFdBudget(kReservedFds + 1000, &b));
  EXPECT_EQ(b.table_cache, 500);
  EXPECT_EQ(b.maxclients, 500);
}

TEST(FitFdBudget, KeepsTheTableCacheWhenFewClientsAreWanted) {
  FdBudget b{10, 1000};
  ASSERT_TRUE(FitFdBudget(kReservedFds + 1000, &b));
  EXPECT_EQ(b.table_cache, 990);
  EXPECT_EQ(b.maxclients, 10);
}

TEST(FitFdBudget, KeepsTheSmallestTableCacheAndAtLeastOneClient) {
  FdBudget b{10000, 1000};
  ASSERT_TRUE(FitFdBudget(kReservedFds + kMinTableCache + 1, &b));
  EXPECT_EQ(b.table_cache, kMinTableCache);
  EXPECT_EQ(b.maxclients, 1);
  FdBudget none{10000, 1000};
  EXPECT_FALSE(FitFdBudget(kReservedFds + kMinTableCache, &none));
  EXPECT_EQ(none.maxclients, 10000);
}

}  // namespace
}  // namespace stash
