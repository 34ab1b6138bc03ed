// Collections on disk (store/collection.h, layout.h): counts equal the elements across
// restarts, versions are never reused, a new key never sees an old key's elements, and the
// elements of deleted collections go away (compaction filter; at once for big ones).
#include "store/collection.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "store/store_testutil.h"

namespace stash::store {
namespace {

class CollectionTest : public StoreTest {
 protected:
  CollectionTest() { Open(); }

  // Adds fields (value "v" + field) to the hash key of db 0 in one command.
  void HSet(const std::string& key, const std::vector<std::string>& fields) {
    Command([&](Txn& t) {
      CollectionWrite w;
      bool wrong;
      ASSERT_TRUE(OpenCollection(t, 0, key, ValueType::kHash, 1000, &w, &wrong).ok());
      ASSERT_FALSE(wrong);
      for (const std::string& f : fields) {
        ElementRead old;
        ASSERT_TRUE(FindElement(t, w, f, &old).ok());
        WriteElement(t, &w, f, "v" + f, old);
      }
      ASSERT_TRUE(SaveCollection(t, &w, 1000).ok());
    });
  }
  void HDel(const std::string& key, const std::vector<std::string>& fields) {
    Command([&](Txn& t) {
      CollectionWrite w;
      bool wrong;
      ASSERT_TRUE(OpenCollection(t, 0, key, ValueType::kHash, 1000, &w, &wrong).ok());
      for (const std::string& f : fields) {
        ElementRead old;
        ASSERT_TRUE(FindElement(t, w, f, &old).ok());
        if (old.found) {
          ASSERT_TRUE(RemoveElement(t, &w, f, old).ok());
        }
      }
      ASSERT_TRUE(SaveCollection(t, &w, 1000).ok());
    });
  }
  void Del(const std::string& key) {
    Command([&](Txn& t) { EXPECT_FALSE(ReadFailed(t.Delete(0, key, 1000))); });
  }
  // The hash's metadata (count 0 and version 0 when absent).
  CollectionMeta Meta(const std::string& key) {
    Record r;
    CollectionMeta m;
    if (store_->Get(0, key, 1000, &r).ok()) {
      EXPECT_TRUE(DecodeCollectionMeta(r.payload, &m));
    }
    return m;
  }
  // The fields of the hash, read from the engine's latest state.
  std::vector<std::string> Fields(const std::string& key) {
    std::vector<std::string> out;
    CollectionMeta m = Meta(key);
    if (m.version == 0) return out;
    auto it = store_->engine()->NewIterator(ReadOptions());
    EXPECT_TRUE(ForEachElement(it.get(), store_->Slot(0), key, m.version, "",
                               [&](std::string_view e, std::string_view) {
                                 out.emplace_back(e);
                                 return true;
                               })
                    .ok());
    return out;
  }
  size_t ElementRecords() { return Raw(kElementPrefix, store_->Slot(0)).size(); }
};

TEST_F(CollectionTest, CountEqualsTheElementsAcrossReopen) {
  HSet("h", {"a", "b", "c"});
  HSet("h", {"b", "d"});
  HDel("h", {"a", "zz"});
  EXPECT_EQ(Meta("h").count, 3u);
  EXPECT_EQ(Fields("h"), (std::vector<std::string>{"b", "c", "d"}));
  Reopen();
  EXPECT_EQ(Meta("h").count, 3u);
  EXPECT_EQ(Fields("h"), (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(Size(0).first, 1u);
}

TEST_F(CollectionTest, PositionsStayExactlyZeroToCountMinusOneThroughRemovals) {
  std::vector<std::string> fields;
  for (int i = 0; i < 40; i++) fields.push_back("f" + std::to_string(i));
  HSet("h", fields);
  HDel("h", {"f0", "f39", "f7", "f20", "nope"});  // first, last, middle, absent
  HSet("h", {"f0", "new"});
  HDel("h", {"f1", "f2", "f3"});
  const CollectionMeta m = Meta("h");
  ASSERT_EQ(m.count, 35u);  // 40 - 4 + 2 - 3
  // Every position below count names an element whose record carries that position.
  std::set<std::string> named;
  for (uint64_t p = 0; p < m.count; p++) {
    std::string element, raw;
    ASSERT_TRUE(store_->engine()
                    ->Get(ReadOptions(), PositionKey(store_->Slot(0), "h", m.version, p), &element)
                    .ok())
        << p;
    ASSERT_TRUE(store_->engine()
                    ->Get(ReadOptions(), ElementKey(store_->Slot(0), "h", m.version, element), &raw)
                    .ok())
        << element;
    uint64_t position;
    std::string_view value;
    ASSERT_TRUE(DecodeElementValue(raw, &position, &value));
    EXPECT_EQ(position, p) << element;
    EXPECT_EQ(value, "v" + element);
    named.insert(element);
  }
  EXPECT_EQ(named.size(), m.count);
  std::string unused;
  EXPECT_TRUE(
      store_->engine()
          ->Get(ReadOptions(), PositionKey(store_->Slot(0), "h", m.version, m.count), &unused)
          .IsNotFound());
  EXPECT_EQ(Fields("h").size(), m.count);
}

TEST_F(CollectionTest, TheLastFieldRemovedDeletesTheKey) {
  HSet("h", {"a"});
  EXPECT_EQ(Size(0).first, 1u);
  HDel("h", {"a"});
  EXPECT_EQ(Get(0, "h"), "NONE");
  EXPECT_EQ(Size(0).first, 0u);
}

TEST_F(CollectionTest, VersionsAreNeverReusedAcrossRestartsAndFlushDb) {
  HSet("h", {"a"});
  const uint64_t first = Meta("h").version;
  Reopen();
  HSet("g", {"a"});
  const uint64_t second = Meta("g").version;
  EXPECT_GT(second, first);
  Command([](Txn& t) { t.FlushDb(0); });
  Reopen();
  HSet("h", {"a"});
  EXPECT_GT(Meta("h").version, second);
}

TEST_F(CollectionTest, ANewKeyNeverSeesTheElementsOfTheOldOne) {
  HSet("h", {"a", "b"});
  Del("h");
  HSet("h", {"c"});
  EXPECT_EQ(Fields("h"), (std::vector<std::string>{"c"}));
  EXPECT_EQ(Meta("h").count, 1u);
  // Overwritten by a string (SET over a hash), deleted, then a hash again.
  Set(0, "h", "string");
  Del("h");
  HSet("h", {"d"});
  EXPECT_EQ(Fields("h"), (std::vector<std::string>{"d"}));
}

TEST_F(CollectionTest, CompactionDropsTheElementsOfDeadVersions) {
  HSet("dead", {"a", "b", "c"});
  HSet("live", {"x"});
  Del("dead");
  ASSERT_EQ(ElementRecords(), 8u);  // elements and positions: garbage until a compaction

  ASSERT_TRUE(store_->engine()->Flush().ok());
  ASSERT_TRUE(store_->engine()->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ(ElementRecords(), 2u);
  EXPECT_EQ(Fields("live"), (std::vector<std::string>{"x"}));
}

TEST_F(CollectionTest, ADeletedBigCollectionGivesItsSpaceBackWithoutNewWrites) {
  std::vector<std::string> fields;
  for (uint64_t i = 0; i < Txn::kReclaimElements + 2000; i++) {
    fields.push_back("field:" + std::to_string(i) + std::string(40, 'f'));
  }
  for (size_t i = 0; i < fields.size(); i += 1000) {
    HSet("big", std::vector<std::string>(
                    fields.begin() + static_cast<ptrdiff_t>(i),
                    fields.begin() + static_cast<ptrdiff_t>(std::min(i + 1000, fields.size()))));
  }
  ASSERT_EQ(Meta("big").count, fields.size());
  ASSERT_TRUE(store_->engine()->Flush().ok());
  const uint64_t before = test::TotalTableBytes(store_->engine());
  ASSERT_GT(before, 500000u);
  Del("big");
  // No writes from here on: only the reclaim the DEL scheduled can shrink the tables.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  uint64_t after = test::TotalTableBytes(store_->engine());
  while (after >= before / 10 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    after = test::TotalTableBytes(store_->engine());
  }
  EXPECT_LT(after, before / 10) << before << " -> " << after;
  EXPECT_EQ(Size(0).first, 0u);
}

TEST_F(CollectionTest, RenamedElementsFollowTheirKey) {
  HSet("a", {"f1", "f2"});
  Command([&](Txn& t) {
    Record r;
    ASSERT_TRUE(t.Get(0, "a", 1000, &r).ok());
    ASSERT_TRUE(CloneElements(t, t.Slot(0), "a", t.Slot(1), "b", &r).ok());
    ASSERT_TRUE(t.Put(1, "b", r).ok());
    ASSERT_FALSE(ReadFailed(t.Delete(0, "a", 1000)));
  });
  EXPECT_EQ(Get(0, "a"), "NONE");
  Record r;
  ASSERT_TRUE(store_->Get(1, "b", 1000, &r).ok());
  CollectionMeta m;
  ASSERT_TRUE(DecodeCollectionMeta(r.payload, &m));
  EXPECT_EQ(m.count, 2u);
  std::vector<std::string> out;
  auto it = store_->engine()->NewIterator(ReadOptions());
  ASSERT_TRUE(ForEachElement(it.get(), store_->Slot(1), "b", m.version, "",
                             [&](std::string_view e, std::string_view v) {
                               out.emplace_back(std::string(e) + "=" + std::string(v));
                               return true;
                             })
                  .ok());
  EXPECT_EQ(out, (std::vector<std::string>{"f1=vf1", "f2=vf2"}));
}

}  // namespace
}  // namespace stash::store
