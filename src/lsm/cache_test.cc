#include "lsm/cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace stash {
namespace {

// Values are ints allocated on the heap; deleted keys are recorded.
class CacheTest : public testing::Test {
 protected:
  static void Deleter(std::string_view key, void* value) {
    current_->deleted_.emplace_back(key);
    delete static_cast<int*>(value);
  }

  void SetUp() override { current_ = this; }
  void TearDown() override {
    cache_.reset();
    current_ = nullptr;
  }

  void Insert(std::string_view key, int value, size_t charge = 1) {
    cache_->Release(cache_->Insert(key, new int(value), charge, &Deleter));
  }
  // -1 on a miss.
  int Lookup(std::string_view key) {
    Cache::Handle* h = cache_->Lookup(key);
    if (h == nullptr) return -1;
    const int v = *static_cast<int*>(cache_->Value(h));
    cache_->Release(h);
    return v;
  }
  bool Deleted(std::string_view key) const {
    for (const auto& k : deleted_) {
      if (k == key) return true;
    }
    return false;
  }

  static CacheTest* current_;
  std::unique_ptr<Cache> cache_;
  std::vector<std::string> deleted_;
};

CacheTest* CacheTest::current_ = nullptr;

TEST_F(CacheTest, EvictsLeastRecentlyUsedFirst) {
  cache_ = NewLRUCache(3, /*num_shard_bits=*/0);
  Insert("a", 1);
  Insert("b", 2);
  Insert("c", 3);
  Insert("d", 4);  // evicts a
  EXPECT_EQ(Lookup("a"), -1);
  EXPECT_EQ(deleted_, std::vector<std::string>{"a"});
  Insert("e", 5);  // evicts b
  EXPECT_EQ(Lookup("b"), -1);
  EXPECT_EQ(Lookup("c"), 3);
  EXPECT_EQ(Lookup("d"), 4);
  EXPECT_EQ(Lookup("e"), 5);
}

TEST_F(CacheTest, LookupMakesAnEntryRecentlyUsed) {
  cache_ = NewLRUCache(3, 0);
  Insert("a", 1);
  Insert("b", 2);
  Insert("c", 3);
  EXPECT_EQ(Lookup("a"), 1);
  Insert("d", 4);  // b is now the oldest
  EXPECT_EQ(Lookup("b"), -1);
  EXPECT_EQ(Lookup("a"), 1);
}

TEST_F(CacheTest, EvictsByChargeNotByCount) {
  cache_ = NewLRUCache(100, 0);
  Insert("small1", 1, 10);
  Insert("small2", 2, 10);
  Insert("big", 3, 85);  // 105 > 100: the oldest goes
  EXPECT_EQ(Lookup("small1"), -1);
  EXPECT_EQ(Lookup("small2"), 2);
  EXPECT_EQ(Lookup("big"), 3);
  EXPECT_EQ(cache_->TotalCharge(), 95u);
}

TEST_F(CacheTest, TotalChargeStaysWithinCapacityAcrossShards) {
  cache_ = NewLRUCache(16 * 1024);  // 16 shards of 1 KiB
  for (int i = 0; i < 5000; i++) {
    Insert("key" + std::to_string(i), i, 100);
    ASSERT_LE(cache_->TotalCharge(), 16u * 1024);
  }
  EXPECT_GE(cache_->TotalCharge(), 8u * 1024);  // and the shards are actually used
  // The most recent entries are still there.
  EXPECT_EQ(Lookup("key4999"), 4999);
}

TEST_F(CacheTest, SmallerCapacityEvictsAtOnceAndLargerKeepsMore) {
  cache_ = NewLRUCache(100, 0);
  for (int i = 0; i < 10; i++) Insert("k" + std::to_string(i), i, 10);
  EXPECT_EQ(cache_->TotalCharge(), 100u);
  cache_->SetCapacity(30);  // the seven oldest go now, not at the next insert
  EXPECT_EQ(cache_->Capacity(), 30u);
  EXPECT_EQ(cache_->TotalCharge(), 30u);
  EXPECT_TRUE(Deleted("k6"));
  EXPECT_EQ(Lookup("k7"), 7);
  cache_->SetCapacity(60);
  for (int i = 10; i < 20; i++) Insert("k" + std::to_string(i), i, 10);
  EXPECT_EQ(cache_->TotalCharge(), 60u);
}

TEST_F(CacheTest, PinnedEntrySurvivesEviction) {
  cache_ = NewLRUCache(2, 0);
  Cache::Handle* pinned = cache_->Insert("pinned", new int(42), 1, &Deleter);
  for (int i = 0; i < 10; i++) Insert("k" + std::to_string(i), i);
  // Pinned entries are not evictable: it is still cached and its value is intact.
  EXPECT_EQ(*static_cast<int*>(cache_->Value(pinned)), 42);
  EXPECT_EQ(Lookup("pinned"), 42);
  EXPECT_FALSE(Deleted("pinned"));
  cache_->Release(pinned);
  Insert("x", 1);
  Insert("y", 2);
  EXPECT_TRUE(Deleted("pinned"));
  EXPECT_EQ(Lookup("pinned"), -1);
}

TEST_F(CacheTest, EntryPinnedWhileOverCapacityIsFreedOnlyAfterRelease) {
  cache_ = NewLRUCache(10, 0);
  Cache::Handle* h = cache_->Insert("huge", new int(7), 50, &Deleter);  // alone exceeds capacity
  EXPECT_EQ(*static_cast<int*>(cache_->Value(h)), 7);
  EXPECT_FALSE(Deleted("huge"));
  cache_->Release(h);  // unpinned and over capacity: evicted now
  EXPECT_TRUE(Deleted("huge"));
  EXPECT_EQ(cache_->TotalCharge(), 0u);
}

TEST_F(CacheTest, EraseDropsTheEntryButPinnedHandlesStayValid) {
  cache_ = NewLRUCache(100, 0);
  Insert("a", 1);
  Cache::Handle* h = cache_->Insert("b", new int(2), 1, &Deleter);
  cache_->Erase("a");
  EXPECT_TRUE(Deleted("a"));
  EXPECT_EQ(Lookup("a"), -1);
  cache_->Erase("b");
  EXPECT_EQ(Lookup("b"), -1);
  EXPECT_FALSE(Deleted("b"));
  EXPECT_EQ(*static_cast<int*>(cache_->Value(h)), 2);
  EXPECT_EQ(cache_->TotalCharge(), 0u);
  cache_->Release(h);
  EXPECT_TRUE(Deleted("b"));
  cache_->Erase("missing");  // no-op
}

TEST_F(CacheTest, InsertReplacesTheEntryWithTheSameKey) {
  cache_ = NewLRUCache(100, 0);
  Cache::Handle* old_handle = cache_->Insert("k", new int(1), 5, &Deleter);
  Insert("k", 2, 7);
  EXPECT_EQ(Lookup("k"), 2);
  EXPECT_EQ(cache_->TotalCharge(), 7u);
  EXPECT_EQ(*static_cast<int*>(cache_->Value(old_handle)), 1);
  EXPECT_FALSE(Deleted("k"));
  cache_->Release(old_handle);
  EXPECT_EQ(deleted_, std::vector<std::string>{"k"});
  EXPECT_EQ(Lookup("k"), 2);
}

TEST_F(CacheTest, CountsHitsAndMisses) {
  cache_ = NewLRUCache(1000);
  EXPECT_EQ(cache_->Hits(), 0u);
  EXPECT_EQ(cache_->Misses(), 0u);
  Lookup("a");
  Insert("a", 1);
  Lookup("a");
  Lookup("a");
  Lookup("b");
  EXPECT_EQ(cache_->Hits(), 2u);
  EXPECT_EQ(cache_->Misses(), 2u);
}

TEST_F(CacheTest, NewIdReturnsDistinctIds) {
  cache_ = NewLRUCache(1000);
  const uint64_t a = cache_->NewId();
  const uint64_t b = cache_->NewId();
  EXPECT_NE(a, b);
  EXPECT_NE(a, 0u);
}

TEST_F(CacheTest, DestructionDeletesEveryCachedEntry) {
  cache_ = NewLRUCache(1000);
  for (int i = 0; i < 50; i++) Insert("k" + std::to_string(i), i);
  cache_.reset();
  EXPECT_EQ(deleted_.size(), 50u);
}

TEST(Cache, ConcurrentUseKeepsEntriesConsistent) {
  auto cache = NewLRUCache(64 * 100);
  std::atomic<int> live{0};
  auto deleter = [](std::string_view, void* value) { delete static_cast<std::string*>(value); };
  std::vector<std::thread> threads;
  std::atomic<bool> failed{false};
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; i++) {
        const std::string key = "k" + std::to_string((i * 7 + t) % 300);
        if (Cache::Handle* h = cache->Lookup(key)) {
          if (*static_cast<std::string*>(cache->Value(h)) != key) failed = true;
          cache->Release(h);
        } else {
          live++;
          cache->Release(cache->Insert(key, new std::string(key), 100, deleter));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(failed);
  EXPECT_LE(cache->TotalCharge(), 64u * 100);
  EXPECT_EQ(cache->Hits() + cache->Misses(), 4u * 20000);
  EXPECT_EQ(cache->Misses(), static_cast<uint64_t>(live.load()));
}

}  // namespace
}  // namespace stash
