// Tests of the keyspace layout (layout.h) and of Txn/Store/ExpireCycle on a real engine with
// tiny sizes, so that flushes and compactions (and the orphan-slot compaction filter) run.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lsm/db_testutil.h"
#include "lsm/write_batch.h"
#include "store/expire_cycle.h"
#include "store/layout.h"
#include "store/store.h"
#include "store/store_testutil.h"
#include "store/txn.h"
#include "util/coding.h"

namespace stash::store {
namespace {

// --- layout ---

TEST(Layout, MetaKeysOrderBySlotThenUserKey) {
  EXPECT_EQ(MetaKey(1, "ab"), std::string("M\x00\x00\x00\x01"
                                          "ab",
                                          7));
  EXPECT_LT(MetaKey(1, "zzz"), MetaKey(2, ""));
  EXPECT_LT(MetaKey(255, "a"), MetaKey(256, "a"));  // big-endian: byte order = numeric order
  EXPECT_LT(MetaKey(0x00ffffff, "a"), MetaKey(0x01000000, "a"));
  EXPECT_LT(MetaKey(3, "a"), MetaKey(3, std::string("a\0", 2)));
  EXPECT_EQ(MetaKey(7, "").substr(0, 5), MetaPrefix(7));
  EXPECT_EQ(MetaKey(7, "k").rfind(MetaPrefix(7), 0), 0u);
}

TEST(Layout, ExpireKeysOrderByTimeWithinASlot) {
  EXPECT_LT(ExpireKey(4, 1000, "zzz"), ExpireKey(4, 2000, "a"));
  EXPECT_LT(ExpireKey(4, 0xffffffffll, "b"), ExpireKey(4, 0x100000000ll, "a"));
  EXPECT_LT(ExpireKey(4, 1700000000000ll, "a"), ExpireKey(4, 1700000000001ll, ""));
  EXPECT_LT(ExpireKey(4, 1ll << 62, "a"), ExpireKey(5, 1, "a"));
  EXPECT_EQ(ExpireKey(4, 1, "k").substr(0, 5), ExpirePrefix(4));
  EXPECT_EQ(ExpireKey(4, 1, "k").size(), 14u);
}

TEST(Layout, ParsesWhatItBuilds) {
  uint32_t slot;
  std::string_view user;  // views the key it was parsed from: keep those alive
  const std::string meta = MetaKey(0xdeadbeef, std::string("a\0b", 3));
  ASSERT_TRUE(ParseMetaKey(meta, &slot, &user));
  EXPECT_EQ(slot, 0xdeadbeefu);
  EXPECT_EQ(user, std::string("a\0b", 3));
  const std::string empty = MetaKey(9, "");
  ASSERT_TRUE(ParseMetaKey(empty, &slot, &user));
  EXPECT_EQ(slot, 9u);
  EXPECT_EQ(user, "");
  EXPECT_FALSE(ParseMetaKey(std::string("M\x00\x00", 3), &slot, &user));
  EXPECT_FALSE(ParseMetaKey(ExpireKey(1, 2, "k"), &slot, &user));

  int64_t when;
  const std::string expire = ExpireKey(3, 1712345678901ll, "key");
  ASSERT_TRUE(ParseExpireKey(expire, &slot, &when, &user));
  EXPECT_EQ(slot, 3u);
  EXPECT_EQ(when, 1712345678901ll);
  EXPECT_EQ(user, "key");
  EXPECT_FALSE(ParseExpireKey(std::string("X\0\0\0\1\0\0", 7), &slot, &when, &user));
  EXPECT_FALSE(ParseExpireKey(MetaKey(3, "0123456789abc"), &slot, &when, &user));
  EXPECT_EQ(CounterKey(0x01020304), "C\x01\x02\x03\x04");
}

TEST(Layout, RecordBytesAreTypeFlagsExpiryPayload) {
  Record r;
  r.payload = "ab";
  std::string raw;
  EncodeRecord(r, &raw);
  EXPECT_EQ(raw, std::string("\x00\x00"
                             "ab",
                             4));

  r.expire_at_ms = 0x0102030405060708ll;
  EncodeRecord(r, &raw);
  std::string want("\x00\x01", 2);
  PutFixed64(&want, 0x0102030405060708ull);
  want += "ab";
  EXPECT_EQ(raw, want);

  Record back;
  ASSERT_TRUE(DecodeRecord(raw, &back));
  EXPECT_EQ(back.type, ValueType::kString);
  EXPECT_EQ(back.expire_at_ms, 0x0102030405060708ll);
  EXPECT_EQ(back.payload, "ab");

  ValueType type;
  int64_t expire;
  std::string_view payload;
  r = Record{ValueType::kHash, 0, std::string("\0\r\n", 3)};
  EncodeRecord(r, &raw);
  ASSERT_TRUE(DecodeHeader(raw, &type, &expire, &payload));
  EXPECT_EQ(type, ValueType::kHash);
  EXPECT_EQ(expire, 0);
  EXPECT_EQ(payload, std::string("\0\r\n", 3));

  // An empty payload with an expiry survives too.
  r = Record{ValueType::kString, 5, ""};
  EncodeRecord(r, &raw);
  ASSERT_TRUE(DecodeRecord(raw, &back));
  EXPECT_EQ(back.expire_at_ms, 5);
  EXPECT_EQ(back.payload, "");
}

TEST(Layout, DecodeRejectsDamagedRecords) {
  Record r;
  EXPECT_FALSE(DecodeRecord("", &r));
  EXPECT_FALSE(DecodeRecord(std::string("\0", 1), &r));
  EXPECT_FALSE(DecodeRecord(std::string("\x09\x00"
                                        "v",
                                        3),
                            &r));                                          // unknown type
  EXPECT_FALSE(DecodeRecord(std::string("\x00\x01\x01\x02\x03", 5), &r));  // short expiry
  EXPECT_TRUE(DecodeRecord(std::string("\x00\x00", 2), &r));
}

TEST(Layout, TypeNamesAreRedis) {
  EXPECT_EQ(TypeName(ValueType::kString), "string");
  EXPECT_EQ(TypeName(ValueType::kList), "list");
  EXPECT_EQ(TypeName(ValueType::kSet), "set");
  EXPECT_EQ(TypeName(ValueType::kZSet), "zset");
  EXPECT_EQ(TypeName(ValueType::kHash), "hash");
}

// --- Txn / Store on a real engine ---

TEST_F(StoreTest, NewDirectoryMapsDatabaseToSlotOfSameNumber) {
  Open(4);
  for (int db = 0; db < 4; db++) EXPECT_EQ(store_->Slot(db), static_cast<uint32_t>(db));
  EXPECT_EQ(store_->next_slot(), 4u);
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{0}, uint64_t{0}));
}

TEST_F(StoreTest, PutGetDeleteKeepCountersExact) {
  Open();
  Set(0, "a", "1");
  Set(0, "b", "2", 5000);
  Set(0, "a", "3");  // overwrite: no new key
  Set(1, "a", "x");
  EXPECT_EQ(Get(0, "a"), "3");
  EXPECT_EQ(Get(0, "b"), "2");
  EXPECT_EQ(Get(1, "a"), "x");
  EXPECT_EQ(Get(2, "a"), "NONE");
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{2}, uint64_t{1}));
  EXPECT_EQ(Size(1), std::make_pair(uint64_t{1}, uint64_t{0}));

  bool live = false;
  Command([&](Txn& t) { EXPECT_FALSE(store::ReadFailed(t.Delete(0, "b", 1000, &live))); });
  EXPECT_TRUE(live);
  Command([&](Txn& t) { EXPECT_FALSE(store::ReadFailed(t.Delete(0, "missing", 1000, &live))); });
  EXPECT_FALSE(live);
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{1}, uint64_t{0}));
  EXPECT_TRUE(Raw('X', store_->Slot(0)).empty());
}

TEST_F(StoreTest, TxnReadsItsOwnWritesBeforeCommit) {
  Open();
  Set(0, "k", "old");
  Txn txn(*store_);
  WriteBatch b1, b2;
  txn.BeginCommand(&b1);
  EXPECT_TRUE(txn.Put(0, "k", Str("new")).ok());
  txn.EndCommand();
  txn.BeginCommand(&b2);
  Record r;
  ASSERT_TRUE(txn.Get(0, "k", 1000, &r).ok());
  EXPECT_EQ(r.payload, "new");
  EXPECT_TRUE(txn.Delete(0, "k", 1000).ok());
  EXPECT_FALSE(txn.Exists(0, "k", 1000).ok());
  txn.EndCommand();
  // Nothing is visible to readers before the group is committed.
  EXPECT_EQ(Get(0, "k"), "old");
  std::vector<WriteBatch*> group{&b1, &b2};
  ASSERT_TRUE(store_->engine()->WriteGroup(group, false).ok());
  txn.Publish();
  EXPECT_EQ(Get(0, "k"), "NONE");
  EXPECT_EQ(Size(0).first, 0u);
}

// AbortOp takes a command back out of the group: its keys, and the counters it changed (saved
// per database on a plain write, as a whole around FLUSHDB and SWAPDB).
TEST_F(StoreTest, AbortedCommandsLeaveKeysAndCountersAsBefore) {
  Open();
  Set(0, "a", "1");
  Set(1, "x", "1");
  Txn txn(*store_);
  WriteBatch batch;
  txn.BeginCommand(&batch);
  txn.BeginOp();  // kept
  EXPECT_TRUE(txn.Put(0, "kept", Str("k")).ok());
  txn.EndOp();
  txn.BeginOp();  // writes to two databases, aborted
  EXPECT_TRUE(txn.Put(0, "b", Str("2")).ok());
  EXPECT_TRUE(txn.Put(1, "c", Str("3", 5000)).ok());
  EXPECT_TRUE(txn.Delete(0, "a", 1000).ok());
  txn.AbortOp();
  txn.BeginOp();  // flush, then a write into the emptied database, aborted
  txn.FlushDb(0);
  EXPECT_TRUE(txn.Put(0, "d", Str("4")).ok());
  txn.AbortOp();
  txn.BeginOp();  // a write, then a swap, aborted
  EXPECT_TRUE(txn.Put(0, "e", Str("5")).ok());
  txn.SwapDb(0, 1);
  txn.AbortOp();
  Record r;
  EXPECT_TRUE(txn.Get(0, "a", 1000, &r).ok());
  EXPECT_EQ(r.payload, "1");
  txn.EndCommand();
  ASSERT_TRUE(store_->Commit(txn, &batch).ok());
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{2}, uint64_t{0}));
  EXPECT_EQ(Size(1), std::make_pair(uint64_t{1}, uint64_t{0}));
  EXPECT_EQ(Get(0, "a"), "1");
  EXPECT_EQ(Get(0, "kept"), "k");
  EXPECT_EQ(Get(0, "b"), "NONE");
  EXPECT_EQ(Get(1, "c"), "NONE");
  Reopen();
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{2}, uint64_t{0}));
  EXPECT_EQ(Size(1), std::make_pair(uint64_t{1}, uint64_t{0}));
}

// A command that reads a key and then writes it asks the engine once (Txn keeps the engine's
// last answer); that answer never hides the group's own writes, nor outlives an abort wrongly.
TEST_F(StoreTest, TxnEngineReadCacheNeverHidesTheGroupsWrites) {
  Open();
  Set(0, "k", "old");
  Txn txn(*store_);
  WriteBatch batch;
  txn.BeginCommand(&batch);
  Record r;
  txn.BeginOp();
  ASSERT_TRUE(txn.Get(0, "k", 1000, &r).ok());
  EXPECT_EQ(r.payload, "old");
  EXPECT_TRUE(txn.Put(0, "k", Str("new")).ok());  // replaces: still one key
  ASSERT_TRUE(txn.Get(0, "k", 1000, &r).ok());
  EXPECT_EQ(r.payload, "new");
  txn.AbortOp();
  ASSERT_TRUE(txn.Get(0, "k", 1000, &r).ok());
  EXPECT_EQ(r.payload, "old");
  txn.BeginOp();
  EXPECT_FALSE(txn.Get(0, "n", 1000, &r).ok());  // absent: cached as absent
  EXPECT_TRUE(txn.Put(0, "n", Str("1")).ok());   // a new key
  EXPECT_TRUE(txn.Delete(0, "k", 1000).ok());
  EXPECT_FALSE(txn.Exists(0, "k", 1000).ok());
  txn.EndOp();
  txn.EndCommand();
  ASSERT_TRUE(store_->Commit(txn, &batch).ok());
  EXPECT_EQ(Size(0).first, 1u);
  EXPECT_EQ(Get(0, "n"), "1");
  EXPECT_EQ(Get(0, "k"), "NONE");
}

// The writer takes a read made ahead on another thread (Store::Prefetch) only while nothing has
// written the key since; a stale one is read again from the engine.
TEST_F(StoreTest, TxnTakesPrefetchedReadsOnlyWhileTheyAreCurrent) {
  Open();
  Set(0, "k", "old");
  std::vector<PrefetchedRead> reads(2);
  EXPECT_FALSE(store_->Prefetch(0, "k", &reads[0]));  // in a memtable: left to the writer
  ASSERT_TRUE(store_->engine()->Flush().ok());
  ASSERT_TRUE(store_->Prefetch(0, "k", &reads[0]));
  ASSERT_TRUE(store_->Prefetch(0, "absent", &reads[1]));
  EXPECT_TRUE(reads[0].found);
  EXPECT_FALSE(reads[1].found);
  EXPECT_EQ(reads[0].engine_key, MetaKey(store_->Slot(0), "k"));
  {
    // A current read is taken as it is: give it a value the engine does not hold to see that.
    std::vector<PrefetchedRead> marked = reads;
    Record fake = Str("from the prefetch");
    marked[0].value.clear();
    EncodeRecord(fake, &marked[0].value);
    Txn txn(*store_);
    WriteBatch batch;
    txn.BeginCommand(&batch);
    txn.SetPrefetched(&marked);
    Record r;
    ASSERT_TRUE(txn.Get(0, "k", 1000, &r).ok());
    EXPECT_EQ(r.payload, "from the prefetch");
    EXPECT_FALSE(txn.Exists(0, "absent", 1000).ok());
    txn.SetPrefetched(nullptr);
    txn.EndCommand();
  }
  Set(0, "k", "new");     // written after the prefetch: that read is stale
  Set(0, "absent", "x");  // so is the absence
  std::vector<PrefetchedRead> stale = reads;
  Txn txn(*store_);
  WriteBatch batch;
  txn.BeginCommand(&batch);
  txn.SetPrefetched(&stale);
  Record r;
  ASSERT_TRUE(txn.Get(0, "k", 1000, &r).ok());
  EXPECT_EQ(r.payload, "new");
  ASSERT_TRUE(txn.Get(0, "absent", 1000, &r).ok());
  EXPECT_EQ(r.payload, "x");
  // A put over the key counts it as the key it is (no new key).
  EXPECT_TRUE(txn.Put(0, "k", Str("newer")).ok());
  txn.SetPrefetched(nullptr);
  txn.EndCommand();
  ASSERT_TRUE(store_->Commit(txn, &batch).ok());
  txn.Publish();
  EXPECT_EQ(Size(0).first, 2u);
  EXPECT_EQ(Get(0, "k"), "newer");
}

TEST_F(StoreTest, ExpiredKeyIsInvisibleFromItsMillisecond) {
  Open();
  Set(0, "k", "v", 2000);
  EXPECT_EQ(Get(0, "k", 1999), "v");
  EXPECT_EQ(Get(0, "k", 2000), "NONE");
  Txn txn(*store_);
  Record r;
  EXPECT_TRUE(txn.Get(0, "k", 1999, &r).ok());
  EXPECT_FALSE(txn.Get(0, "k", 2000, &r).ok());
  EXPECT_FALSE(txn.Exists(0, "k", 2000).ok());
}

TEST_F(StoreTest, DbSizeSubtractsExpiredKeysNotYetReclaimed) {
  Open();
  Set(0, "a", "1");
  Set(0, "b", "2", 2000);
  Set(0, "c", "3", 3000);
  EXPECT_EQ(Size(0, 1999), std::make_pair(uint64_t{3}, uint64_t{2}));
  EXPECT_EQ(Size(0, 2000), std::make_pair(uint64_t{2}, uint64_t{1}));
  EXPECT_EQ(Size(0, 3000), std::make_pair(uint64_t{1}, uint64_t{0}));
  // The records are all still there: only the view is exact.
  EXPECT_EQ(Raw('M', store_->Slot(0)).size(), 3u);
}

TEST_F(StoreTest, ChangingTtlMovesTheIndexEntry) {
  Open();
  Set(0, "k", "v", 5000);
  Set(0, "k", "v", 7000);
  auto index = Raw('X', store_->Slot(0));
  ASSERT_EQ(index.size(), 1u);
  uint32_t slot;
  int64_t when;
  std::string_view user;
  std::string full = ExpirePrefix(store_->Slot(0)) + index[0];
  ASSERT_TRUE(ParseExpireKey(full, &slot, &when, &user));
  EXPECT_EQ(when, 7000);
  EXPECT_EQ(user, "k");
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{1}, uint64_t{1}));
  Set(0, "k", "v");  // persist
  EXPECT_TRUE(Raw('X', store_->Slot(0)).empty());
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{1}, uint64_t{0}));
  Set(0, "k", "v", 9000);
  Set(0, "k", "v", 9000);  // same time again: one entry, counted once
  EXPECT_EQ(Raw('X', store_->Slot(0)).size(), 1u);
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{1}, uint64_t{1}));
}

TEST_F(StoreTest, PutOverExpiredRecordCountsItOnce) {
  Open();
  Set(0, "k", "v", 2000);
  // At 5000 the record is expired but not reclaimed; a writer replaces it.
  Command([&](Txn& t) {
    EXPECT_FALSE(t.Exists(0, "k", 5000).ok());
    EXPECT_TRUE(t.Put(0, "k", Str("w")).ok());
  });
  EXPECT_EQ(Size(0, 5000), std::make_pair(uint64_t{1}, uint64_t{0}));
  EXPECT_TRUE(Raw('X', store_->Slot(0)).empty());
  // Deleting an expired record reports it as not live, and still reclaims it.
  Set(0, "e", "v", 2000);
  bool live = true;
  Command([&](Txn& t) { EXPECT_FALSE(store::ReadFailed(t.Delete(0, "e", 5000, &live))); });
  EXPECT_FALSE(live);
  EXPECT_EQ(Size(0, 5000), std::make_pair(uint64_t{1}, uint64_t{0}));
  EXPECT_EQ(store_->counters(0).keys, 1u);
  EXPECT_EQ(store_->counters(0).expires, 0u);
}

TEST_F(StoreTest, ExpireCycleReclaimsWithinItsBudget) {
  Open();
  for (int i = 0; i < 5; i++) Set(0, "e" + std::to_string(i), "v", 100 + i);
  Set(1, "e", "v", 100);
  Set(0, "later", "v", 10000);
  Set(0, "forever", "v");
  EXPECT_EQ(store_->counters(0).keys, 7u);

  ExpireCycleResult r = ExpireCycle(*store_, 200, 2);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.reclaimed, 2u);
  EXPECT_TRUE(r.more);
  EXPECT_EQ(Raw('M', store_->Slot(0)).size(), 5u);
  EXPECT_EQ(Size(0, 200), std::make_pair(uint64_t{2}, uint64_t{1}));

  r = ExpireCycle(*store_, 200, 10);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.reclaimed, 4u);  // three of db 0, one of db 1
  EXPECT_FALSE(r.more);
  EXPECT_EQ(Raw('M', store_->Slot(0)), (std::vector<std::string>{"forever", "later"}));
  EXPECT_EQ(Raw('X', store_->Slot(0)).size(), 1u);
  EXPECT_TRUE(Raw('M', store_->Slot(1)).empty());
  EXPECT_EQ(store_->counters(0).keys, 2u);
  EXPECT_EQ(store_->counters(0).expires, 1u);
  EXPECT_EQ(store_->counters(1).keys, 0u);

  r = ExpireCycle(*store_, 200, 10);
  EXPECT_EQ(r.reclaimed, 0u);
  EXPECT_FALSE(r.more);
  // Exactly at its expiry time a key is reclaimable.
  r = ExpireCycle(*store_, 10000, 10);
  EXPECT_EQ(r.reclaimed, 1u);
  EXPECT_EQ(Raw('M', store_->Slot(0)), (std::vector<std::string>{"forever"}));
}

TEST_F(StoreTest, CountersAndTtlsSurviveReopen) {
  Open();
  for (int i = 0; i < 300; i++)
    Set(i % 3, "key" + std::to_string(i), std::string(50, 'v'), i % 2 ? 5000 : 0);
  ASSERT_GT(store_->engine()->GetStats().flushes, 0u);
  Reopen();
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{100}, uint64_t{50}));
  EXPECT_EQ(Size(1), std::make_pair(uint64_t{100}, uint64_t{50}));
  EXPECT_EQ(Size(2), std::make_pair(uint64_t{100}, uint64_t{50}));
  EXPECT_EQ(store_->counters(1).keys, 100u);
  Record r;
  ASSERT_TRUE(store_->Get(1, "key1", 1000, &r).ok());
  EXPECT_EQ(r.expire_at_ms, 5000);
}

TEST_F(StoreTest, FlushDbPointsAtAFreshSlotAndCompactionDropsTheOldOne) {
  Open();
  for (int i = 0; i < 200; i++)
    Set(0, "k" + std::to_string(i), std::string(40, 'x'), i % 4 ? 0 : 9000);
  Set(1, "other", "v");
  uint32_t old_slot = store_->Slot(0);
  Command([&](Txn& t) { t.FlushDb(0); });
  EXPECT_NE(store_->Slot(0), old_slot);
  EXPECT_EQ(store_->Slot(0), 4u);
  EXPECT_EQ(store_->next_slot(), 5u);
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{0}, uint64_t{0}));
  EXPECT_EQ(Get(0, "k1"), "NONE");
  EXPECT_EQ(Get(1, "other"), "v");
  Set(0, "fresh", "v");
  EXPECT_EQ(Size(0).first, 1u);

  ASSERT_TRUE(store_->engine()->CompactRange(nullptr, nullptr).ok());
  EXPECT_TRUE(Raw('M', old_slot).empty());
  EXPECT_TRUE(Raw('X', old_slot).empty());
  EXPECT_TRUE(Raw('C', old_slot).empty());
  EXPECT_EQ(Raw('M', store_->Slot(0)), std::vector<std::string>{"fresh"});
  EXPECT_EQ(Raw('M', store_->Slot(1)), std::vector<std::string>{"other"});

  Reopen();
  EXPECT_EQ(store_->Slot(0), 4u);
  EXPECT_EQ(Size(0).first, 1u);
  EXPECT_EQ(Get(0, "fresh"), "v");
  EXPECT_EQ(Get(0, "k1"), "NONE");
}

TEST_F(StoreTest, SwapDbSwapsKeysAndCountersDurably) {
  Open();
  Set(0, "a", "0");
  Set(2, "b", "2", 9000);
  Set(2, "c", "2");
  Command([&](Txn& t) { t.SwapDb(0, 2); });
  EXPECT_EQ(Get(0, "b"), "2");
  EXPECT_EQ(Get(2, "a"), "0");
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{2}, uint64_t{1}));
  EXPECT_EQ(Size(2), std::make_pair(uint64_t{1}, uint64_t{0}));
  // Writes after the swap land in the swapped slot and its counter.
  Set(0, "d", "x");
  ASSERT_TRUE(store_->engine()->CompactRange(nullptr, nullptr).ok());
  Reopen();
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{3}, uint64_t{1}));
  EXPECT_EQ(Size(2), std::make_pair(uint64_t{1}, uint64_t{0}));
  EXPECT_EQ(Get(0, "d"), "x");
  EXPECT_EQ(Get(2, "a"), "0");
}

TEST_F(StoreTest, FlushAndWriteInOneGroup) {
  Open();
  Set(0, "a", "1");
  Txn txn(*store_);
  WriteBatch b1, b2, b3;
  txn.BeginCommand(&b1);
  txn.FlushDb(0);
  txn.EndCommand();
  txn.BeginCommand(&b2);
  EXPECT_FALSE(txn.Exists(0, "a", 1000).ok());
  EXPECT_TRUE(txn.Put(0, "b", Str("2")).ok());
  txn.EndCommand();
  txn.BeginCommand(&b3);
  txn.SwapDb(0, 1);
  EXPECT_TRUE(txn.Put(1, "c", Str("3")).ok());
  txn.EndCommand();
  std::vector<WriteBatch*> group{&b1, &b2, &b3};
  ASSERT_TRUE(store_->engine()->WriteGroup(group, false).ok());
  txn.Publish();
  EXPECT_EQ(Size(1).first, 2u);
  EXPECT_EQ(Size(0).first, 0u);
  EXPECT_EQ(Get(1, "b"), "2");
  Reopen();
  EXPECT_EQ(Size(1).first, 2u);
  EXPECT_EQ(Size(0).first, 0u);
  EXPECT_EQ(Get(1, "c"), "3");
}

// Regression (found by the differential test): SET b; SWAPDB 0 1 in one group whose counters
// are written once at its end left the swapped database's counter record at its old value (the
// pending change stayed with the database number instead of following the slot).
TEST_F(StoreTest, RegressionWriteThenSwapDbInOneBatch) {
  Open();
  Set(0, "a", "v");
  Set(1, "x", "v");
  Command([&](Txn& t) {
    EXPECT_TRUE(t.Put(0, "b", Str("v")).ok());
    t.SwapDb(0, 1);
    EXPECT_TRUE(t.Put(0, "y", Str("v")).ok());
    t.SwapDb(1, 2);
  });
  // db0: x y (slot 1); db1: nothing (slot 2); db2: a b (slot 0).
  EXPECT_EQ(Size(0).first, 2u);
  EXPECT_EQ(Size(1).first, 0u);
  EXPECT_EQ(Size(2).first, 2u);
  Reopen();
  EXPECT_EQ(Size(0).first, 2u);
  EXPECT_EQ(Size(1).first, 0u);
  EXPECT_EQ(Size(2).first, 2u);
  EXPECT_EQ(store_->counters(2).keys, 2u);
}

// A batch is atomic, so a key written many times in it needs only its last value (a pipeline
// of SETs of one key was one memtable entry per SET).
TEST_F(StoreTest, RewritesOfOneKeyInABatchAreOneEntry) {
  Open();
  Set(0, "gone", "old");
  Txn txn(*store_);
  WriteBatch batch;
  txn.BeginCommand(&batch);
  for (int i = 0; i < 100; i++) EXPECT_TRUE(txn.Put(0, "k", Str("v" + std::to_string(i))).ok());
  EXPECT_TRUE(txn.Put(0, "gone", Str("new")).ok());
  EXPECT_TRUE(txn.Delete(0, "gone", 1000).ok());
  EXPECT_TRUE(txn.Put(0, "t", Str("1", 5000)).ok());
  EXPECT_TRUE(
      txn.Put(0, "t", Str("2", 6000)).ok());  // the first TTL's index entry is put, then deleted
  txn.EndCommand();
  // k, the tombstone of gone, t, t's two index entries (one a tombstone), db 0's counters.
  EXPECT_EQ(batch.Count(), 6u);
  ASSERT_TRUE(store_->engine()->Write(WriteOptions(), &batch).ok());
  txn.Publish();
  EXPECT_EQ(Get(0, "k"), "v99");
  EXPECT_EQ(Get(0, "gone"), "NONE");
  EXPECT_EQ(Get(0, "t"), "2");
  EXPECT_EQ(Raw('X', store_->Slot(0)).size(), 1u);
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{2}, uint64_t{1}));
  Reopen();
  EXPECT_EQ(Get(0, "k"), "v99");
  EXPECT_EQ(Get(0, "t"), "2");
  EXPECT_EQ(Size(0), std::make_pair(uint64_t{2}, uint64_t{1}));
}

TEST_F(StoreTest, MoreDatabasesAfterReopenGetFreshSlots) {
  Open(2);
  Set(0, "a", "1");
  Command([&](Txn& t) { t.FlushDb(1); });  // slot 2 is now db 1
  Reopen(4);
  EXPECT_EQ(store_->Slot(1), 2u);
  EXPECT_EQ(store_->Slot(2), 3u);
  EXPECT_EQ(store_->Slot(3), 4u);
  Set(3, "z", "z");
  Reopen(2);
  EXPECT_EQ(Get(0, "a"), "1");
  // Databases beyond the configured number keep their data for when they come back.
  ASSERT_TRUE(store_->engine()->CompactRange(nullptr, nullptr).ok());
  Reopen(4);
  EXPECT_EQ(Get(3, "z"), "z");
}

// Regression: the slots given to databases added by a larger `databases` were not persisted, so
// after going back to fewer databases a FLUSHDB could hand such a slot (and its data) to
// another database.
TEST_F(StoreTest, RegressionGrownSlotMapIsPersisted) {
  Open(2);
  Reopen(4);
  Set(3, "z", "db3");
  Reopen(2);
  Command([&](Txn& t) { t.FlushDb(0); });
  Reopen(4);
  EXPECT_EQ(Get(2, "z"), "NONE");
  EXPECT_EQ(Size(2).first, 0u);
  EXPECT_EQ(Get(3, "z"), "db3");
  EXPECT_EQ(Size(3).first, 1u);
  std::vector<uint32_t> map = store_->SlotMap();
  std::sort(map.begin(), map.end());
  EXPECT_EQ(std::adjacent_find(map.begin(), map.end()), map.end()) << "a slot named twice";
}

// Regression: PublishSlots stored next_slot before the slots, and SWAPDB stored one slot after
// the other, so the compaction filter could see a live slot as unnamed for a moment.
TEST_F(StoreTest, RegressionSlotsStayNamedWhilePublishing) {
  Open(4);
  std::atomic<bool> stop{false};
  std::atomic<int> unnamed{0};
  std::thread watcher([&] {
    while (!stop.load()) {
      for (uint32_t slot = 0; slot < store_->next_slot(); slot++) {
        // Slots 0..3 are swapped around but always named by some database.
        if (slot < 4 && !store_->SlotInUse(slot)) unnamed++;
      }
    }
  });
  for (int i = 0; i < 20000; i++) {
    std::vector<uint32_t> map = store_->SlotMap();
    std::swap(map[i % 4], map[(i + 1) % 4]);
    store_->PublishSlots(map, store_->next_slot());
  }
  stop = true;
  watcher.join();
  EXPECT_EQ(unnamed.load(), 0);
}

TEST_F(StoreTest, AverageTtlOverLiveKeysWithTtl) {
  Open();
  EXPECT_EQ(store_->AverageTtl(0, 1000, 64), 0);
  Set(0, "a", "v", 2000);
  Set(0, "b", "v", 4000);
  Set(0, "gone", "v", 500);
  Set(0, "c", "v");
  EXPECT_EQ(store_->AverageTtl(0, 1000, 64), 2000);
}

TEST_F(StoreTest, ManyKeysThroughFlushesAndCompactions) {
  Open(2);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 3000; i++) {
    std::string key = "key" + std::to_string(i % 700);
    if (i % 5 == 4) {
      Command([&](Txn& t) { EXPECT_FALSE(store::ReadFailed(t.Delete(0, key, 1000))); });
      model.erase(key);
    } else {
      std::string value = std::to_string(i) + std::string(30, 'p');
      Set(0, key, value);
      model[key] = value;
    }
  }
  DbStats st = store_->engine()->GetStats();
  EXPECT_GT(st.flushes, 0u);
  EXPECT_GT(st.compactions, 0u);
  EXPECT_EQ(Size(0).first, model.size());
  Reopen(2);
  EXPECT_EQ(Size(0).first, model.size());
  std::vector<std::string> keys = Raw('M', store_->Slot(0));
  ASSERT_EQ(keys.size(), model.size());
  for (const auto& k : keys) EXPECT_EQ(Get(0, k), model[k]) << k;
}

}  // namespace
}  // namespace stash::store
