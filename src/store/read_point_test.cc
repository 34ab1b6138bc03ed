// One read point for data and slot map (store.h): a group's data and its database switches are
// seen together or not at all, also by readers that run while the writer is between writing
// the group and publishing its map; and the orphan-slot compaction filter keeps what a pinned
// read point still reads.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "store/store_testutil.h"

namespace stash::store {
namespace {

using std::chrono::milliseconds;

class ReadPointTest : public StoreTest {
 protected:
  ReadPointTest() { Open(); }
  ~ReadPointTest() override {
    if (store_) store_->SetAfterWriteHookForTest(nullptr);
  }

  // Commits fn as one group on another thread, pausing it after the write until Release().
  template <typename Fn>
  void CommitPaused(Fn fn) {
    store_->SetAfterWriteHookForTest([this] {
      written_.set_value();
      release_.get_future().wait();
    });
    committer_ = std::async(std::launch::async, [this, fn] { Command(fn); });
    written_.get_future().wait();
  }
  void Release() {
    release_.set_value();
    committer_.get();
    store_->SetAfterWriteHookForTest(nullptr);
  }

  std::promise<void> written_;
  std::promise<void> release_;
  std::future<void> committer_;
};

TEST_F(ReadPointTest, RegressionSwapDbAndWriteInOneGroupAreSeenTogether) {
  Set(1, "y", "old-db1");
  // After SWAPDB 0 1; SET x 1 (one group), db 1 has no x: no serial order shows x=1 in db 1.
  CommitPaused([](Txn& t) {
    t.SwapDb(0, 1);
    EXPECT_TRUE(t.Put(0, "x", Str("1")).ok());
  });
  auto get = std::async(std::launch::async, [this] { return Get(1, "x"); });
  auto size = std::async(std::launch::async, [this] { return Size(1).first; });
  auto pinned = std::async(std::launch::async, [this] {
    const Snapshot* snap;
    uint32_t slot = store_->PinSlot(1, &snap);
    Record r;
    Status s = store_->GetAt(slot, snap, "x", 1000, &r);
    store_->engine()->ReleaseSnapshot(snap);
    return s.ok() ? r.payload : "NONE";
  });
  auto scanned = std::async(std::launch::async, [this] {
    uint32_t slot;
    auto it = store_->NewIterator(1, &slot);
    int n = 0;
    for (it->Seek(MetaPrefix(slot)); it->Valid() && it->key().rfind(MetaPrefix(slot), 0) == 0;
         it->Next()) {
      n++;
    }
    return n;
  });
  // Readers either wait for the publication or read the state before the group.
  std::this_thread::sleep_for(milliseconds(100));
  if (get.wait_for(milliseconds(0)) == std::future_status::ready) {
    EXPECT_EQ(get.get(), "NONE");
  }
  Release();
  if (get.valid()) {
    EXPECT_EQ(get.get(), "NONE");
  }
  EXPECT_EQ(size.get(), 0u);  // db 1 is the old db 0: empty
  EXPECT_EQ(pinned.get(), "NONE");
  EXPECT_EQ(scanned.get(), 0);
  EXPECT_EQ(Get(0, "x"), "1");
  EXPECT_EQ(Get(0, "y"), "old-db1");
}

TEST_F(ReadPointTest, GroupsThatKeepTheMapDoNotHoldReadersBack) {
  Set(0, "a", "1");
  CommitPaused([](Txn& t) { EXPECT_TRUE(t.Put(0, "a", Str("2")).ok()); });
  // The data is written (visible) and no map change is in flight: readers go on.
  auto get = std::async(std::launch::async, [this] { return Get(0, "a"); });
  ASSERT_EQ(get.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(get.get(), "2");
  Release();
}

TEST_F(ReadPointTest, RegressionOrphanFilterKeepsWhatAPinnedReadPointReads) {
  for (int i = 0; i < 200; i++) Set(0, "k" + std::to_string(i), std::string(50, 'v'));
  const Snapshot* snap;
  uint32_t slot = store_->PinSlot(0, &snap);
  Command([](Txn& t) { t.FlushDb(0); });
  ASSERT_TRUE(store_->engine()->CompactRange(nullptr, nullptr).ok());
  Record r;
  Status s = store_->GetAt(slot, snap, "k7", 1000, &r);
  EXPECT_TRUE(s.ok()) << s.ToString();  // an MGET that pinned db 0 before the FLUSHDB
  store_->engine()->ReleaseSnapshot(snap);
  ASSERT_TRUE(store_->engine()->CompactRange(nullptr, nullptr).ok());
  EXPECT_TRUE(Raw('M', slot).empty());  // with no reader left, the records go
}

}  // namespace
}  // namespace stash::store
