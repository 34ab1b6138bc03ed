// Streams on disk (store/stream.h): entries in ID order forward and backward (the reverse walk's
// windows across sparse and dense IDs), deletes keep the first ID and the nodes, trimming
// exactly and by whole nodes, pending entries in both PEL indexes, group deletion, and the
// metadata encoding.
#include "store/stream.h"

#include <gtest/gtest.h>

#include <random>

#include "store/store_testutil.h"
#include "util/coding.h"

namespace stash::store {
namespace {

class StreamTest : public StoreTest {
 protected:
  StreamTest() { Open(); }

  // Runs fn on the stream "s" of db 0 in one command and saves its metadata.
  void Edit(const std::function<void(Txn&, Stream&)>& fn) {
    Command([&](Txn& t) {
      Record r;
      CollectionMeta m;
      StreamMeta sm;
      if (t.Get(0, "s", 1000, &r).ok()) {
        ASSERT_TRUE(DecodeCollectionMeta(r.payload, &m));
        ASSERT_TRUE(DecodeStreamMeta(m.stream, &sm));
      } else {
        m.version = t.NewVersion();
      }
      Stream s(t.Slot(0), "s", m.version, sm);
      s.length = m.count;
      fn(t, s);
      m.count = s.length;
      EncodeStreamMeta(s.meta, &m.stream);
      r.type = ValueType::kStream;
      r.expire_at_ms = 0;
      EncodeCollectionMeta(m, &r.payload);
      ASSERT_TRUE(t.Put(0, "s", r).ok());
    });
  }
  Stream Load() {
    Record r;
    CollectionMeta m;
    StreamMeta sm;
    EXPECT_TRUE(store_->Get(0, "s", 1000, &r).ok());
    EXPECT_TRUE(DecodeCollectionMeta(r.payload, &m));
    EXPECT_TRUE(DecodeStreamMeta(m.stream, &sm));
    Stream s(store_->Slot(0), "s", m.version, sm);
    s.length = m.count;
    return s;
  }
  std::vector<StreamId> Ids(StreamId from = {}, StreamId to = kMaxStreamId, bool rev = false,
                            size_t limit = 0) {
    Stream s = Load();
    auto it = store_->engine()->NewIterator(ReadOptions());
    std::vector<StreamId> out;
    Status st = s.Range(it.get(), from, to, rev, [&](StreamId id, std::string_view raw) {
      std::vector<std::string_view> f;
      EXPECT_TRUE(DecodeEntry(raw, &f));
      out.push_back(id);
      return limit == 0 || out.size() < limit;
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  }
  static std::vector<std::string> Fields() { return {"f", "v"}; }
};

TEST_F(StreamTest, MetaRoundTripsAndCollectionMetaCarriesIt) {
  StreamMeta m;
  m.last = {5, 7};
  m.first = {1, 2};
  m.max_deleted = {3, 4};
  m.entries_added = 9;
  m.groups = 2;
  m.tail_total = 3;
  m.tail_live = 2;
  m.tail_first = {4, 0};
  CollectionMeta c;
  c.version = 11;
  c.count = 6;
  EncodeStreamMeta(m, &c.stream);
  std::string payload;
  EncodeCollectionMeta(c, &payload);
  CollectionMeta back;
  ASSERT_TRUE(DecodeCollectionMeta(payload, &back));
  StreamMeta got;
  ASSERT_TRUE(DecodeStreamMeta(back.stream, &got));
  EXPECT_EQ(back.version, 11u);
  EXPECT_EQ(back.count, 6u);
  EXPECT_EQ(got.last, m.last);
  EXPECT_EQ(got.first, m.first);
  EXPECT_EQ(got.max_deleted, m.max_deleted);
  EXPECT_EQ(got.entries_added, 9u);
  EXPECT_EQ(got.tail_first, m.tail_first);
  EXPECT_FALSE(DecodeStreamMeta(std::string_view(back.stream).substr(1), &got));
}

TEST_F(StreamTest, ReverseRangeMatchesForwardOverSparseAndDenseIds) {
  std::vector<StreamId> ids;
  std::mt19937_64 rng(7);
  StreamId at{1, 0};
  for (int i = 0; i < 3000; i++) {
    // Runs of the same ms, and jumps of up to 2^40 ms.
    if (rng() % 10 == 0) {
      at.ms += 1 + (rng() % (uint64_t{1} << (rng() % 40)));
      at.seq = rng() % 3;
    } else {
      at.seq += 1 + rng() % 5;
    }
    ids.push_back(at);
  }
  Edit([&](Txn& t, Stream& s) {
    for (StreamId id : ids) s.Add(t, id, Fields());
  });
  EXPECT_EQ(Ids(), ids);
  std::vector<StreamId> rev(ids.rbegin(), ids.rend());
  EXPECT_EQ(Ids({}, kMaxStreamId, true), rev);
  // A bounded reverse range, and one stopped after 5.
  std::vector<StreamId> mid(ids.begin() + 100, ids.begin() + 2001);
  std::reverse(mid.begin(), mid.end());
  EXPECT_EQ(Ids(ids[100], ids[2000], true), mid);
  EXPECT_EQ(Ids({}, kMaxStreamId, true, 5), std::vector<StreamId>(rev.begin(), rev.begin() + 5));
}

TEST_F(StreamTest, DeleteKeepsFirstIdNodesAndTombstone) {
  Edit([&](Txn& t, Stream& s) {
    for (uint64_t i = 1; i <= 250; i++) s.Add(t, {i, 0}, Fields());
  });
  Stream s = Load();
  EXPECT_EQ(s.length, 250u);
  EXPECT_EQ(s.meta.first, (StreamId{1, 0}));
  EXPECT_EQ(s.meta.tail_total, 50u);  // nodes of 100: 1..100, 101..200, 201..250
  Edit([&](Txn& t, Stream& st) {
    ASSERT_TRUE(st.Delete(t, {1, 0}, true).ok());
    ASSERT_TRUE(st.Delete(t, {101, 0}, true).ok());
    ASSERT_TRUE(st.Delete(t, {999, 0}, true).ok());  // absent: nothing
  });
  s = Load();
  EXPECT_EQ(s.length, 248u);
  EXPECT_EQ(s.meta.first, (StreamId{2, 0}));
  EXPECT_EQ(s.meta.max_deleted, (StreamId{101, 0}));
  // Approximate trimming to 140 drops the first node (99 entries left in it), not the second.
  uint64_t removed = 0;
  Edit([&](Txn& t, Stream& st) {
    ASSERT_TRUE(st.Trim(t, false, 140, {}, true, 10000, &removed).ok());
  });
  EXPECT_EQ(removed, 99u);
  s = Load();
  EXPECT_EQ(s.length, 149u);
  EXPECT_EQ(s.meta.first, (StreamId{102, 0}));
  EXPECT_EQ(s.meta.max_deleted, (StreamId{101, 0}));  // trimming leaves no tombstone
  // Exact trimming by MINID.
  Edit([&](Txn& t, Stream& st) {
    ASSERT_TRUE(st.Trim(t, true, 0, {230, 0}, false, 0, &removed).ok());
  });
  EXPECT_EQ(removed, 128u);
  EXPECT_EQ(Ids().front(), (StreamId{230, 0}));
  EXPECT_EQ(Load().length, 21u);
}

TEST_F(StreamTest, ExactTrimCutsANodeThatApproximateTrimThenRemovesWhole) {
  Edit([&](Txn& t, Stream& s) {
    for (uint64_t i = 1; i <= 300; i++) s.Add(t, {i, 0}, Fields());
  });
  uint64_t removed = 0;
  // Exact: 30 entries of the first node go; its other 70 stay a node.
  Edit([&](Txn& t, Stream& s) { ASSERT_TRUE(s.Trim(t, false, 270, {}, false, 0, &removed).ok()); });
  EXPECT_EQ(removed, 30u);
  EXPECT_EQ(Load().meta.first, (StreamId{31, 0}));
  // Approximate to 150: the cut node goes (200 left); the next would leave 100 < 150.
  Edit([&](Txn& t, Stream& s) { ASSERT_TRUE(s.Trim(t, false, 150, {}, true, 0, &removed).ok()); });
  EXPECT_EQ(removed, 70u);
  EXPECT_EQ(Load().length, 200u);
  // LIMIT below a node's entries removes nothing; a MINID inside the second node removes the
  // first whole node only when approximate.
  Edit([&](Txn& t, Stream& s) { ASSERT_TRUE(s.Trim(t, false, 0, {}, true, 99, &removed).ok()); });
  EXPECT_EQ(removed, 0u);
  Edit([&](Txn& t, Stream& s) {
    ASSERT_TRUE(s.Trim(t, true, 0, {250, 0}, true, 0, &removed).ok());
  });
  EXPECT_EQ(removed, 100u);
  EXPECT_EQ(Ids().front(), (StreamId{201, 0}));
  // Everything, exactly: the stream is empty, its first ID 0-0, and a new entry starts a node.
  Edit([&](Txn& t, Stream& s) { ASSERT_TRUE(s.Trim(t, false, 0, {}, false, 0, &removed).ok()); });
  EXPECT_EQ(removed, 100u);
  Stream s = Load();
  EXPECT_EQ(s.length, 0u);
  EXPECT_EQ(s.meta.first, StreamId{});
  EXPECT_EQ(s.meta.tail_total, 0u);
  EXPECT_TRUE(Ids().empty());
  EXPECT_TRUE(Ids({}, kMaxStreamId, true).empty());
}

TEST_F(StreamTest, PendingEntriesInBothIndexesAndGroupDeletion) {
  Edit([&](Txn& t, Stream& s) {
    for (uint64_t i = 1; i <= 5; i++) s.Add(t, {i, 0}, Fields());
    s.PutGroup(t, "g", GroupState{});
    s.PutConsumer(t, "g", "a", ConsumerState{});
    s.PutConsumer(t, "g", "b", ConsumerState{});
    for (uint64_t i = 1; i <= 4; i++) {
      s.PutPending(t, "g", PendingEntry{{i, 0}, i % 2 ? "a" : "b", 100, 1}, std::nullopt);
    }
    s.PutPending(t, "g", PendingEntry{{1, 0}, "b", 200, 2}, "a");  // a claim: a -> b
  });
  Stream s = Load();
  auto it = store_->engine()->NewIterator(ReadOptions());
  std::vector<std::string> owners;
  ASSERT_TRUE(
      s.Pending(it.get(), nullptr, "g", std::nullopt, {}, kMaxStreamId, [&](const PendingEntry& p) {
         owners.push_back(p.consumer);
         return true;
       }).ok());
  EXPECT_EQ(owners, (std::vector<std::string>{"b", "b", "a", "b"}));
  uint64_t n;
  ASSERT_TRUE(s.CountPending(it.get(), "g", "a", &n).ok());
  EXPECT_EQ(n, 1u);
  ASSERT_TRUE(s.CountPending(it.get(), "g", "b", &n).ok());
  EXPECT_EQ(n, 3u);
  Edit([&](Txn& t, Stream& st) { ASSERT_TRUE(st.DeleteGroup(t, "g").ok()); });
  // Only the entries are left under the version.
  it = store_->engine()->NewIterator(ReadOptions());
  const std::string prefix = ElementPrefix(store_->Slot(0), "s", s.version());
  size_t records = 0;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) records++;
  EXPECT_EQ(records, 5u);
}

}  // namespace
}  // namespace stash::store
