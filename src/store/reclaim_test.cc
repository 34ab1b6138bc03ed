// The disk space of a flushed database comes back without new writes (FLUSHDB, FLUSHALL and
// SWAPDB orphan slots; Store::Commit asks the engine to reclaim their ranges).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/store_testutil.h"

namespace stash::store {
namespace {

class StoreReclaimTest : public StoreTest {
 protected:
  StoreReclaimTest() { Open(); }
  // Waits up to 30 s for the tables to shrink below limit bytes; returns the last size.
  uint64_t WaitForTablesBelow(uint64_t limit) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    uint64_t bytes = test::TotalTableBytes(store_->engine());
    while (bytes >= limit && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      bytes = test::TotalTableBytes(store_->engine());
    }
    return bytes;
  }
};

TEST_F(StoreReclaimTest, RegressionFlushAllGivesTheDiskSpaceBackWithoutNewWrites) {
  for (int batch = 0; batch < 20; batch++) {
    Command([&](Txn& t) {
      for (int i = 0; i < 100; i++) {
        EXPECT_TRUE(t.Put(i % 2, "key" + std::to_string(batch * 100 + i),
                          Str(std::string(100, 'v'), 1 << 30))
                        .ok());
      }
    });
  }
  ASSERT_TRUE(store_->engine()->Flush().ok());
  const uint64_t before = test::TotalTableBytes(store_->engine());
  ASSERT_GT(before, 100000u);
  Command([&](Txn& t) {
    for (int db = 0; db < store_->databases(); db++) t.FlushDb(db);
  });
  // No writes from here on: only the reclaim the FLUSHALL scheduled can shrink the tables.
  uint64_t after = WaitForTablesBelow(before / 10);
  EXPECT_LT(after, before / 10) << before << " -> " << after;
  EXPECT_GT(store_->engine()->GetStats().reclaimed_bytes, 0u);
  EXPECT_EQ(Size(0).first, 0u);
}

TEST_F(StoreReclaimTest, SwapDbOrphansNothingAndReclaimsNothing) {
  for (int i = 0; i < 300; i++) Set(0, "k" + std::to_string(i), std::string(100, 'v'));
  ASSERT_TRUE(store_->engine()->Flush().ok());
  Command([](Txn& t) { t.SwapDb(0, 1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(store_->engine()->GetStats().reclaimed_files, 0u);
  EXPECT_EQ(Get(1, "k7"), std::string(100, 'v'));
  EXPECT_EQ(Size(1).first, 300u);
}

}  // namespace
}  // namespace stash::store
