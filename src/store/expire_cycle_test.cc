// ExpireCycle (expire_cycle.h) against stale expiry-index entries, and the per-slot low-water
// marks (store.h) that keep its work and DBSIZE's bounded by what is due.
#include "store/expire_cycle.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "store/store_testutil.h"

namespace stash::store {
namespace {

class ExpireCycleTest : public StoreTest {
 protected:
  ExpireCycleTest() { Open(); }
  // Writes an expiry-index entry alone, as a bug or damage could leave one behind.
  void PlantIndexEntry(int db, int64_t when, const std::string& key) {
    ASSERT_TRUE(
        store_->engine()->Put(WriteOptions(), ExpireKey(store_->Slot(db), when, key), "").ok());
  }
};

TEST_F(ExpireCycleTest, RegressionExpireCycleNeverDeletesALiveKey) {
  Set(0, "live", "v");         // no TTL
  Set(0, "moved", "v", 5000);  // a TTL other than its planted entry's
  PlantIndexEntry(0, 500, "live");
  PlantIndexEntry(0, 600, "ghost");  // no record at all
  PlantIndexEntry(0, 700, "moved");
  ExpireCycleResult r = ExpireCycle(*store_, 1000);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.reclaimed, 0u);
  EXPECT_EQ(r.stale, 3u);
  EXPECT_EQ(Get(0, "live"), "v");
  EXPECT_EQ(Get(0, "moved"), "v");
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{2}, uint64_t{1}));
  std::vector<std::string> index = Raw('X', store_->Slot(0));
  ASSERT_EQ(index.size(), 1u);  // only moved's real entry (at 5000) is left
  EXPECT_EQ(index[0], ExpireKey(0, 5000, "moved").substr(5));
  r = ExpireCycle(*store_, 1000);
  EXPECT_EQ(r.stale, 0u);  // removed once, not "reclaimed" again every cycle
  EXPECT_EQ(r.reclaimed, 0u);
  r = ExpireCycle(*store_, 6000);
  EXPECT_EQ(r.reclaimed, 1u);
  EXPECT_EQ(Get(0, "moved", 6000), "NONE");
  EXPECT_EQ(Size(0, 6000), std::make_pair(uint64_t{1}, uint64_t{0}));
}

TEST_F(ExpireCycleTest, MarkAdvancesPastReclaimedEntries) {
  const uint32_t slot = store_->Slot(0);
  Command([&](Txn& t) {
    for (int i = 0; i < 100; i++)
      EXPECT_TRUE(t.Put(0, "k" + std::to_string(i), Str("v", 100 + i)).ok());
  });
  EXPECT_EQ(store_->WriterExpiryMark(slot), "");
  ExpireCycleResult r = ExpireCycle(*store_, 150, 1000);
  EXPECT_EQ(r.reclaimed, 51u);                                     // times 100..150
  EXPECT_EQ(store_->WriterExpiryMark(slot), ExpiryPosition(151));  // all up to now is gone
  EXPECT_EQ(Size(0, 150).first, 49u);
  r = ExpireCycle(*store_, 1000, 10);  // the budget stops it at the entry due at 161
  EXPECT_EQ(r.reclaimed, 10u);
  EXPECT_TRUE(r.more);
  EXPECT_EQ(store_->WriterExpiryMark(slot), ExpiryPosition(161, "k61"));
  EXPECT_EQ(Size(0, 1000).first, 0u);  // due but not reclaimed: not counted
  EXPECT_EQ(Size(0, 170).first, 29u);  // 171..199 still live at 170
}

TEST_F(ExpireCycleTest, AnEntryWrittenBelowTheMarkLowersIt) {
  const uint32_t slot = store_->Slot(0);
  Set(0, "a", "v", 500);
  ExpireCycle(*store_, 1000);
  EXPECT_EQ(store_->WriterExpiryMark(slot), ExpiryPosition(1001));
  // A wall clock that stepped back (or an absolute time in the past) writes below the mark.
  Set(0, "b", "v", 800);
  EXPECT_EQ(store_->WriterExpiryMark(slot), ExpiryPosition(800, "b"));
  EXPECT_EQ(Size(0, 1000).first, 0u);  // DBSIZE sees it as due
  ExpireCycleResult r = ExpireCycle(*store_, 1000);
  EXPECT_EQ(r.reclaimed, 1u);
  EXPECT_EQ(Raw('M', slot).size(), 0u);
  EXPECT_EQ(Raw('X', slot).size(), 0u);
}

TEST_F(ExpireCycleTest, AClockThatStepsBackNeverLowersTheMarkByItself) {
  const uint32_t slot = store_->Slot(0);
  Set(0, "a", "v", 500);
  ExpireCycle(*store_, 1000);
  ExpireCycle(*store_, 700);  // now went back: nothing below 1001 can exist
  EXPECT_EQ(store_->WriterExpiryMark(slot), ExpiryPosition(1001));
}

TEST_F(ExpireCycleTest, RegressionKeysExpiringInOneMillisecondAreNotSteppedOverAgain) {
  // A pipeline of SET ... PXAT writes many keys due at the very same time: the mark must say
  // which of them are gone, not only the time.
  const uint32_t slot = store_->Slot(0);
  std::vector<std::string> keys;
  Command([&](Txn& t) {
    for (int i = 0; i < 100; i++) {
      keys.push_back("k" + std::to_string(i));
      EXPECT_TRUE(t.Put(0, keys.back(), Str("v", 100)).ok());
    }
  });
  std::sort(keys.begin(), keys.end());
  ExpireCycleResult r = ExpireCycle(*store_, 1000, 10);
  EXPECT_EQ(r.reclaimed, 10u);
  EXPECT_EQ(store_->WriterExpiryMark(slot), ExpiryPosition(100, keys[10]));
  r = ExpireCycle(*store_, 1000, 10);
  EXPECT_EQ(r.reclaimed, 10u);
  EXPECT_EQ(store_->WriterExpiryMark(slot), ExpiryPosition(100, keys[20]));
  EXPECT_EQ(Size(0, 1000).first, 0u);
  EXPECT_EQ(Size(0, 99).first, 80u);
}

}  // namespace
}  // namespace stash::store
