#include "lsm/skiplist.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "util/coding.h"

namespace stash {
namespace {

struct U64Cmp {
  int operator()(uint64_t a, uint64_t b) const { return a < b ? -1 : (a > b ? 1 : 0); }
};
using U64List = SkipList<uint64_t, U64Cmp>;

TEST(SkipList, EmptyListHasNoEntries) {
  Arena arena;
  U64List list(U64Cmp(), &arena);
  EXPECT_FALSE(list.Contains(10));
  U64List::Iterator iter(&list);
  EXPECT_FALSE(iter.Valid());
  iter.SeekToFirst();
  EXPECT_FALSE(iter.Valid());
  iter.Seek(100);
  EXPECT_FALSE(iter.Valid());
  iter.SeekToLast();
  EXPECT_FALSE(iter.Valid());
}

TEST(SkipList, IteratesInsertedKeysInOrderBothWays) {
  Arena arena;
  U64List list(U64Cmp(), &arena);
  std::set<uint64_t> model;
  std::mt19937_64 rnd(1);
  for (int i = 0; i < 5000; i++) {
    uint64_t key = rnd() % 20000;
    if (model.insert(key).second) list.Insert(key);
  }
  for (uint64_t k = 0; k < 20000; k++) ASSERT_EQ(list.Contains(k), model.count(k) == 1) << k;

  U64List::Iterator iter(&list);
  iter.SeekToFirst();
  for (uint64_t k : model) {
    ASSERT_TRUE(iter.Valid());
    ASSERT_EQ(iter.key(), k);
    iter.Next();
  }
  EXPECT_FALSE(iter.Valid());

  iter.SeekToLast();
  for (auto it = model.rbegin(); it != model.rend(); ++it) {
    ASSERT_TRUE(iter.Valid());
    ASSERT_EQ(iter.key(), *it);
    iter.Prev();
  }
  EXPECT_FALSE(iter.Valid());
}

TEST(SkipList, SeekLandsOnFirstKeyNotLess) {
  Arena arena;
  U64List list(U64Cmp(), &arena);
  for (uint64_t k = 10; k <= 1000; k += 10) list.Insert(k);
  U64List::Iterator iter(&list);
  for (uint64_t target = 0; target <= 1005; target++) {
    iter.Seek(target);
    if (target > 1000) {
      EXPECT_FALSE(iter.Valid());
    } else {
      ASSERT_TRUE(iter.Valid());
      EXPECT_EQ(iter.key(), std::max<uint64_t>(10, (target + 9) / 10 * 10)) << target;
    }
  }
}

// Keys that point at their payload: fixed64 value | fixed64 Mix(value).
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
struct PayloadCmp {
  int operator()(const char* a, const char* b) const {
    return U64Cmp()(DecodeFixed64(a), DecodeFixed64(b));
  }
};
using PayloadList = SkipList<const char*, PayloadCmp>;

void InsertPayload(PayloadList* list, uint64_t v) {
  list->InsertWithPayload(16, [v](char* p) -> const char* {
    EncodeFixed64(p, v);
    EncodeFixed64(p + 8, Mix(v));
    return p;
  });
}

TEST(SkipList, PayloadIsStoredWithTheNode) {
  Arena arena;
  PayloadList list(PayloadCmp(), &arena);
  for (uint64_t v : {5, 1, 9, 3, 7}) InsertPayload(&list, v);
  PayloadList::Iterator iter(&list);
  iter.SeekToFirst();
  for (uint64_t v : {1, 3, 5, 7, 9}) {
    ASSERT_TRUE(iter.Valid());
    EXPECT_EQ(DecodeFixed64(iter.key()), v);
    EXPECT_EQ(DecodeFixed64(iter.key() + 8), Mix(v));
    iter.Next();
  }
  EXPECT_FALSE(iter.Valid());
}

// One writer inserts (slot, generation) keys, generations 1, 2, 3 ... per slot, and publishes each
// slot's latest generation after inserting it. Readers snapshot the published generations, then
// scan and seek, checking that the list is strictly ordered, every payload is intact, each slot's
// generations are contiguous from 1, and everything published before the read is there.
TEST(SkipList, ConcurrentReadersSeeOrderedCompleteStateWhileWriterInserts) {
  constexpr int kSlots = 32;
  constexpr int kInserts = 20000;
  constexpr int kReaders = 2;
  Arena arena;
  PayloadList list(PayloadCmp(), &arena);
  std::atomic<uint32_t> published[kSlots];
  for (auto& p : published) p.store(0);
  std::atomic<bool> done{false};
  std::atomic<int> scans{0};
  std::atomic<bool> failed{false};

  auto reader = [&](int id) -> std::string {
    std::mt19937 rnd(id);
    while (!done.load(std::memory_order_acquire)) {
      uint32_t before[kSlots];
      for (int s = 0; s < kSlots; s++) before[s] = published[s].load(std::memory_order_acquire);

      uint32_t next_gen[kSlots];
      for (auto& g : next_gen) g = 1;
      PayloadList::Iterator iter(&list);
      uint64_t prev = 0;
      for (iter.SeekToFirst(); iter.Valid(); iter.Next()) {
        const uint64_t v = DecodeFixed64(iter.key());
        if (DecodeFixed64(iter.key() + 8) != Mix(v)) return "torn payload " + std::to_string(v);
        if (v <= prev) return "out of order " + std::to_string(v);
        prev = v;
        const uint64_t slot = v >> 32;
        const uint32_t gen = static_cast<uint32_t>(v);
        if (slot >= kSlots || gen != next_gen[slot]) return "gap before " + std::to_string(v);
        next_gen[slot]++;
      }
      for (int s = 0; s < kSlots; s++) {
        if (next_gen[s] - 1 < before[s]) return "scan missed a published key";
      }
      for (int probe = 0; probe < 50; probe++) {
        int s = static_cast<int>(rnd() % kSlots);
        if (before[s] == 0) continue;
        uint64_t v = (static_cast<uint64_t>(s) << 32) | (1 + rnd() % before[s]);
        char target[8];
        EncodeFixed64(target, v);
        iter.Seek(target);
        if (!iter.Valid() || DecodeFixed64(iter.key()) != v) return "seek missed a published key";
        if (!list.Contains(target)) return "Contains missed a published key";
      }
      scans.fetch_add(1);
    }
    return "";
  };

  std::vector<std::string> errors(kReaders);  // each written by its reader, read after join
  std::vector<std::thread> threads;
  for (int r = 0; r < kReaders; r++) {
    threads.emplace_back([&, r] {
      errors[r] = reader(r + 1);
      if (!errors[r].empty()) failed.store(true);
    });
  }

  std::mt19937 rnd(42);
  uint32_t gens[kSlots] = {};
  for (int i = 0; i < kInserts; i++) {
    if (i % (kInserts / 10) == 0) {
      // Make sure readers really run against a growing list, however the threads get scheduled.
      int seen = scans.load();
      while (scans.load() == seen && !failed.load()) std::this_thread::yield();
    }
    int s = static_cast<int>(rnd() % kSlots);
    uint32_t g = ++gens[s];
    InsertPayload(&list, (static_cast<uint64_t>(s) << 32) | g);
    published[s].store(g, std::memory_order_release);
  }
  // Let every reader finish at least one scan of the final list.
  int target = scans.load() + kReaders;
  while (scans.load() < target && !failed.load()) std::this_thread::yield();
  done.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_GT(scans.load(), 0);
}

}  // namespace
}  // namespace stash
