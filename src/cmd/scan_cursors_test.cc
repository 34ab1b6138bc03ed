#include "cmd/scan_cursors.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stash {
namespace {

TEST(ScanCursorTable, CursorsAreNonZeroBelow2To53AndFindTheirPosition) {
  ScanCursorTable table;
  uint64_t a = table.Save({0, "k1", ""});
  uint64_t b = table.Save({3, std::string("k\0", 2), ""});
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  EXPECT_LT(a, 1ull << 53);
  EXPECT_LT(b, 1ull << 53);
  auto pa = table.Find(a);
  ASSERT_TRUE(pa.has_value());
  EXPECT_EQ(pa->db, 0);
  EXPECT_EQ(pa->after, "k1");
  auto pb = table.Find(b);
  ASSERT_TRUE(pb.has_value());
  EXPECT_EQ(pb->db, 3);
  EXPECT_EQ(pb->after, std::string("k\0", 2));
  // Reusable: a client may retry a call.
  EXPECT_TRUE(table.Find(a).has_value());
  EXPECT_FALSE(table.Find(0).has_value());
  EXPECT_FALSE(table.Find(a + 1000000).has_value());
}

TEST(ScanCursorTable, EvictsTheOldestBeyondCapacity) {
  ScanCursorTable table(3);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 5; i++) ids.push_back(table.Save({0, "k" + std::to_string(i), ""}));
  EXPECT_FALSE(table.Find(ids[0]).has_value());
  EXPECT_FALSE(table.Find(ids[1]).has_value());
  for (int i = 2; i < 5; i++) {
    auto p = table.Find(ids[i]);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->after, "k" + std::to_string(i));
  }
}

}  // namespace
}  // namespace stash
