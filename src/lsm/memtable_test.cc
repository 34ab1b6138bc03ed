#include "lsm/memtable.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace stash {
namespace {

// Owns one reference to a fresh memtable.
class MemTableTest : public testing::Test {
 protected:
  MemTableTest() : cmp_(BytewiseComparator()), mem_(new MemTable(cmp_)) { mem_->Ref(); }
  ~MemTableTest() override { mem_->Unref(); }

  // "value", "NOT_FOUND" (a deletion) or "ABSENT" (no write visible at seq).
  std::string Get(std::string_view key, SequenceNumber seq) {
    LookupKey lookup(key, seq);
    std::string value;
    Status s;
    if (!mem_->Get(lookup, &value, &s)) return "ABSENT";
    if (s.IsNotFound()) return "NOT_FOUND";
    EXPECT_TRUE(s.ok());
    return value;
  }

  InternalKeyComparator cmp_;
  MemTable* mem_;
};

std::string IKey(std::string_view user_key, SequenceNumber seq, ValueType type) {
  std::string out;
  AppendInternalKey(&out, ParsedInternalKey(user_key, seq, type));
  return out;
}

TEST_F(MemTableTest, GetReturnsNewestWriteVisibleAtSequence) {
  mem_->Add(10, kTypeValue, "k", "v10");
  mem_->Add(20, kTypeValue, "k", "v20");
  mem_->Add(30, kTypeDeletion, "k", "");
  mem_->Add(40, kTypeValue, "k", "v40");
  mem_->Add(15, kTypeValue, "j", "j15");
  mem_->Add(16, kTypeValue, "l", "l16");
  EXPECT_EQ(Get("k", 9), "ABSENT");
  EXPECT_EQ(Get("k", 10), "v10");
  EXPECT_EQ(Get("k", 19), "v10");
  EXPECT_EQ(Get("k", 20), "v20");
  EXPECT_EQ(Get("k", 30), "NOT_FOUND");
  EXPECT_EQ(Get("k", 39), "NOT_FOUND");
  EXPECT_EQ(Get("k", kMaxSequenceNumber), "v40");
  EXPECT_EQ(Get("j", 100), "j15");
  EXPECT_EQ(Get("l", 15), "ABSENT");  // the next entry is l@16, invisible at 15
  EXPECT_EQ(Get("kk", 100), "ABSENT");
  EXPECT_EQ(Get("", 100), "ABSENT");
  EXPECT_EQ(Get("m", 100), "ABSENT");
}

// The hash index answers point lookups; with 128 buckets (the default arena block) thousands of
// keys share chains, and the newest-write shortcut must still fall back for older snapshots.
TEST_F(MemTableTest, HashIndexFindsEveryKeyThroughSharedBuckets) {
  constexpr int kKeys = 3000;
  for (int i = 0; i < kKeys; i++) mem_->Add(i + 1, kTypeValue, "key" + std::to_string(i), "a");
  for (int i = 0; i < kKeys; i += 2) {  // every other key gets a newer write
    if (i % 4 == 0) {
      mem_->Add(kKeys + i + 1, kTypeValue, "key" + std::to_string(i), "b");
    } else {
      mem_->Add(kKeys + i + 1, kTypeDeletion, "key" + std::to_string(i), "");
    }
  }
  for (int i = 0; i < kKeys; i++) {
    const std::string k = "key" + std::to_string(i);
    const std::string newest = i % 2 == 1 ? "a" : (i % 4 == 0 ? "b" : "NOT_FOUND");
    ASSERT_EQ(Get(k, kMaxSequenceNumber), newest) << k;
    ASSERT_EQ(Get(k, kKeys), "a") << k;   // before every newer write: the skiplist path
    ASSERT_EQ(Get(k, i), "ABSENT") << k;  // before the key's first write
    ASSERT_EQ(Get(k + "x", kMaxSequenceNumber), "ABSENT") << k;
  }
}

// A DB adds in sequence order; a memtable given an older write after a newer one must not let
// the index (newest first by arrival) answer with the older.
TEST_F(MemTableTest, OutOfOrderAddsStillReadTheNewestVisibleWrite) {
  mem_->Add(20, kTypeValue, "k", "new");
  mem_->Add(10, kTypeValue, "k", "old");
  EXPECT_EQ(Get("k", kMaxSequenceNumber), "new");
  EXPECT_EQ(Get("k", 15), "old");
  EXPECT_EQ(Get("absent", kMaxSequenceNumber), "ABSENT");
}

TEST_F(MemTableTest, EmptyKeysValuesAndLongKeysRoundTrip) {
  std::string long_key(5000, 'K');
  std::string long_value(100000, 'V');
  mem_->Add(1, kTypeValue, "", "empty-key");
  mem_->Add(2, kTypeValue, "e", "");
  mem_->Add(3, kTypeValue, long_key, long_value);
  EXPECT_EQ(Get("", 5), "empty-key");
  EXPECT_EQ(Get("e", 5), "");
  EXPECT_EQ(Get(long_key, 5), long_value);
  EXPECT_EQ(Get(long_key.substr(1), 5), "ABSENT");
}

TEST_F(MemTableTest, IteratorYieldsInternalKeysInOrder) {
  mem_->Add(5, kTypeValue, "b", "b5");
  mem_->Add(1, kTypeValue, "a", "a1");
  mem_->Add(7, kTypeDeletion, "b", "");
  mem_->Add(3, kTypeValue, "c", "c3");
  auto iter = mem_->NewIterator();
  EXPECT_FALSE(iter->Valid());
  std::vector<std::pair<std::string, std::string>> expected = {
      {IKey("a", 1, kTypeValue), "a1"},
      {IKey("b", 7, kTypeDeletion), ""},
      {IKey("b", 5, kTypeValue), "b5"},
      {IKey("c", 3, kTypeValue), "c3"},
  };
  iter->SeekToFirst();
  for (const auto& [key, value] : expected) {
    ASSERT_TRUE(iter->Valid());
    EXPECT_EQ(iter->key(), key);
    EXPECT_EQ(iter->value(), value);
    iter->Next();
  }
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());

  iter->Seek(IKey("b", 6, kValueTypeForSeek));  // skips b@7, newer than 6
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), IKey("b", 5, kTypeValue));
  iter->Seek(IKey("b", kMaxSequenceNumber, kValueTypeForSeek));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), IKey("b", 7, kTypeDeletion));
  iter->Seek(IKey("bb", kMaxSequenceNumber, kValueTypeForSeek));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->value(), "c3");
  iter->Seek(IKey(std::string(300, 'z'), 0, kTypeDeletion));  // a long seek key
  EXPECT_FALSE(iter->Valid());
}

TEST_F(MemTableTest, CountsEntriesDeletionsAndSequenceRange) {
  EXPECT_EQ(mem_->NumEntries(), 0u);
  EXPECT_EQ(mem_->SmallestSequence(), 0u);
  EXPECT_EQ(mem_->LargestSequence(), 0u);
  mem_->Add(50, kTypeValue, "a", "1");
  mem_->Add(40, kTypeDeletion, "b", "");
  mem_->Add(60, kTypeValue, "c", "3");
  mem_->Add(55, kTypeDeletion, "d", "");
  EXPECT_EQ(mem_->NumEntries(), 4u);
  EXPECT_EQ(mem_->NumDeletions(), 2u);
  EXPECT_EQ(mem_->SmallestSequence(), 40u);
  EXPECT_EQ(mem_->LargestSequence(), 60u);
}

TEST_F(MemTableTest, MemoryUsageGrowsWithWrites) {
  size_t initial = mem_->ApproximateMemoryUsage();
  std::string value(100, 'v');
  for (int i = 0; i < 1000; i++) mem_->Add(i + 1, kTypeValue, "key" + std::to_string(i), value);
  size_t used = mem_->ApproximateMemoryUsage() - initial;
  EXPECT_GE(used, 1000u * (100 + 10));
  EXPECT_LE(used, 1000u * (100 + 10) * 2);
}

TEST_F(MemTableTest, IteratorKeepsMemTableAlive) {
  mem_->Add(1, kTypeValue, "k", "v");
  auto iter = mem_->NewIterator();
  mem_->Unref();  // the fixture's reference
  mem_ = new MemTable(cmp_);
  mem_->Ref();
  iter->SeekToFirst();  // ASan would flag a use after free here
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->value(), "v");
}

// A user comparator other than the bytewise one takes the generic (virtual) path.
class ReverseComparator final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override { return b.compare(a); }
  const char* Name() const override { return "test.Reverse"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

TEST(MemTable, OrdersByTheUserComparator) {
  ReverseComparator reverse;
  MemTable* mem = new MemTable(InternalKeyComparator(&reverse));
  mem->Ref();
  mem->Add(1, kTypeValue, "a", "1");
  mem->Add(2, kTypeValue, "c", "3");
  mem->Add(3, kTypeValue, "b", "2");
  std::string order;
  auto iter = mem->NewIterator();
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) order += iter->value();
  EXPECT_EQ(order, "321");
  std::string value;
  Status s;
  EXPECT_TRUE(mem->Get(LookupKey("b", 10), &value, &s));
  EXPECT_EQ(value, "2");
  iter.reset();
  mem->Unref();
}

TEST(MemTable, ArenaBlocksAreAnEighthAndHugePagesFromTwoMiB) {
  EXPECT_EQ(MemTable::ArenaBlockSize(4096), Arena::kDefaultBlockSize);  // tiny test memtables
  EXPECT_EQ(MemTable::ArenaBlockSize(1 << 20), size_t{128} << 10);
  EXPECT_EQ(MemTable::ArenaBlockSize(size_t{64} << 20), size_t{8} << 20);  // the default
  EXPECT_EQ(MemTable::ArenaBlockSize(size_t{20} << 20), size_t{2} << 20);  // rounded to pages
  EXPECT_EQ(MemTable::ArenaBlockSize(size_t{4} << 30), size_t{32} << 20);  // capped
}

// One writer adds key i with value "v<i>" and publishes i; readers check that every published key
// reads back whole, by Get and through an iterator.
TEST_F(MemTableTest, ConcurrentReadersSeeCompletedWrites) {
  constexpr int kWrites = 20000;
  constexpr int kReaders = 2;
  std::atomic<int> published{0};  // keys [0, published) are in the memtable
  std::atomic<bool> done{false};
  std::atomic<int> rounds{0};
  std::atomic<bool> failed{false};
  auto key_of = [](int i) { return "key" + std::to_string(i * 7919 % kWrites); };

  auto reader = [&](int id) -> std::string {
    std::mt19937 rnd(id);
    while (!done.load(std::memory_order_acquire)) {
      int n = published.load(std::memory_order_acquire);
      for (int probe = 0; probe < 100 && n > 0; probe++) {
        int i = static_cast<int>(rnd() % n);
        LookupKey lookup(key_of(i), kMaxSequenceNumber);
        std::string value;
        Status s;
        if (!mem_->Get(lookup, &value, &s) || !s.ok() || value != "v" + std::to_string(i)) {
          return "Get missed " + key_of(i);
        }
      }
      int seen = 0;
      std::string prev;
      auto iter = mem_->NewIterator();
      for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
        std::string key(iter->key());
        if (!prev.empty() && cmp_.Compare(prev, key) >= 0) return "iterator out of order";
        ParsedInternalKey parsed;
        if (!ParseInternalKey(key, &parsed)) return "bad internal key";
        if (iter->value() != "v" + std::to_string(parsed.sequence - 1)) return "torn value";
        prev = std::move(key);
        seen++;
      }
      if (seen < n) return "iterator missed published keys";
      rounds.fetch_add(1);
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
  for (int i = 0; i < kWrites; i++) {
    if (i % (kWrites / 10) == 0) {
      // Make sure readers really run against a growing memtable, however threads get scheduled.
      int seen = rounds.load();
      while (rounds.load() == seen && !failed.load()) std::this_thread::yield();
    }
    mem_->Add(i + 1, kTypeValue, key_of(i), "v" + std::to_string(i));
    published.store(i + 1, std::memory_order_release);
  }
  int target = rounds.load() + kReaders;
  while (rounds.load() < target && !failed.load()) std::this_thread::yield();
  done.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(mem_->NumEntries(), static_cast<uint64_t>(kWrites));
}

}  // namespace
}  // namespace stash
