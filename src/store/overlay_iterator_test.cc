// Tests of OverlayIterator (overlay_iterator.h): a transaction's own writes merged over an engine
// iterator, on a map-backed base and on a real engine through Txn::reader().
#include "store/overlay_iterator.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "lsm/db_testutil.h"
#include "lsm/write_batch.h"
#include "store/layout.h"
#include "store/store.h"
#include "store/txn.h"

namespace stash::store {
namespace {

using Map = std::map<std::string, std::string>;
using Pairs = std::vector<std::pair<std::string, std::string>>;

// A base iterator over a sorted map.
class MapIterator final : public Iterator {
 public:
  explicit MapIterator(const Map* map) : map_(map), it_(map->end()) {}
  bool Valid() const override { return it_ != map_->end(); }
  void SeekToFirst() override { it_ = map_->begin(); }
  void Seek(std::string_view target) override { it_ = map_->lower_bound(std::string(target)); }
  void Next() override { ++it_; }
  std::string_view key() const override { return it_->first; }
  std::string_view value() const override { return it_->second; }
  Status status() const override { return Status::OK(); }

 private:
  const Map* map_;
  Map::const_iterator it_;
};

std::unique_ptr<Iterator> Over(const Overlay& overlay, const Map& base) {
  return NewOverlayIterator(&overlay, std::make_unique<MapIterator>(&base));
}

// Every entry from the iterator's current position on.
Pairs Rest(Iterator* it) {
  Pairs out;
  for (; it->Valid(); it->Next()) out.emplace_back(it->key(), it->value());
  return out;
}

Pairs All(Iterator* it) {
  it->SeekToFirst();
  return Rest(it);
}

// What the merged view must be: base with the overlay applied.
Map Model(const Overlay& overlay, const Map& base) {
  Map out = base;
  for (const auto& [k, v] : overlay) {
    if (v) {
      out[k] = *v;
    } else {
      out.erase(k);
    }
  }
  return out;
}

TEST(OverlayIterator, EmptyOverlayShowsTheBase) {
  Overlay overlay;
  Map base{{"a", "1"}, {"b", "2"}};
  auto it = Over(overlay, base);
  EXPECT_EQ(All(it.get()), (Pairs{{"a", "1"}, {"b", "2"}}));
}

TEST(OverlayIterator, EmptyBaseShowsOverlayWritesNotDeletes) {
  Overlay overlay{{"a", "1"}, {"b", std::nullopt}, {"c", "3"}, {"d", std::nullopt}};
  Map base;
  auto it = Over(overlay, base);
  EXPECT_EQ(All(it.get()), (Pairs{{"a", "1"}, {"c", "3"}}));
  Overlay only_deletes{{"a", std::nullopt}, {"b", std::nullopt}};
  it = Over(only_deletes, base);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
}

TEST(OverlayIterator, BothEmpty) {
  Overlay overlay;
  Map base;
  auto it = Over(overlay, base);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->Seek("a");
  EXPECT_FALSE(it->Valid());
}

TEST(OverlayIterator, MergesInKeyOrder) {
  Overlay overlay{{"b", "ob"}, {"d", "od"}, {"f", "of"}};
  Map base{{"a", "ba"}, {"c", "bc"}, {"e", "be"}};
  auto it = Over(overlay, base);
  EXPECT_EQ(All(it.get()),
            (Pairs{{"a", "ba"}, {"b", "ob"}, {"c", "bc"}, {"d", "od"}, {"e", "be"}, {"f", "of"}}));
}

TEST(OverlayIterator, OverlayValueReplacesTheBasesOnce) {
  Overlay overlay{{"a", "new-a"}, {"c", "new-c"}};
  Map base{{"a", "old-a"}, {"b", "old-b"}, {"c", "old-c"}};
  auto it = Over(overlay, base);
  EXPECT_EQ(All(it.get()), (Pairs{{"a", "new-a"}, {"b", "old-b"}, {"c", "new-c"}}));
}

TEST(OverlayIterator, DeletesHideBaseKeys) {
  Overlay overlay{{"a", std::nullopt},
                  {"c", std::nullopt},
                  {"d", std::nullopt},
                  {"e", std::nullopt},
                  {"zz", std::nullopt}};
  Map base{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}, {"f", "6"}};
  auto it = Over(overlay, base);
  EXPECT_EQ(All(it.get()), (Pairs{{"b", "2"}, {"f", "6"}}));
}

TEST(OverlayIterator, EverythingDeleted) {
  Overlay overlay{{"a", std::nullopt}, {"b", std::nullopt}};
  Map base{{"a", "1"}, {"b", "2"}};
  auto it = Over(overlay, base);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST(OverlayIterator, DeleteThenRewriteOfAKeyNotInBase) {
  // A key deleted and written again in one transaction is just a write in the overlay map.
  Overlay overlay{{"b", "again"}};
  Map base{{"a", "1"}, {"c", "3"}};
  auto it = Over(overlay, base);
  EXPECT_EQ(All(it.get()), (Pairs{{"a", "1"}, {"b", "again"}, {"c", "3"}}));
}

TEST(OverlayIterator, Seek) {
  Overlay overlay{{"b", "ob"}, {"c", std::nullopt}, {"e", "oe"}, {"x", "ox"}};
  Map base{{"a", "ba"}, {"c", "bc"}, {"d", "bd"}, {"e", "be"}, {"g", "bg"}};
  auto it = Over(overlay, base);
  it->Seek("b");  // an overlay-only key
  EXPECT_EQ(Rest(it.get()),
            (Pairs{{"b", "ob"}, {"d", "bd"}, {"e", "oe"}, {"g", "bg"}, {"x", "ox"}}));
  it->Seek("c");  // a deleted key: lands on the next live one
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  EXPECT_EQ(it->value(), "bd");
  it->Seek("e");  // replaced in the overlay
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "oe");
  it->Next();
  EXPECT_EQ(it->key(), "g");
  it->Seek("bb");  // between keys
  EXPECT_EQ(it->key(), "d");
  it->Seek("");
  EXPECT_EQ(it->key(), "a");
  it->Seek("h");  // past the base: the overlay's tail
  EXPECT_EQ(Rest(it.get()), (Pairs{{"x", "ox"}}));
  it->Seek("y");
  EXPECT_FALSE(it->Valid());
  it->Seek("a");  // a seek after reaching the end starts over
  EXPECT_EQ(it->key(), "a");
}

TEST(OverlayIterator, OverlayOnlyAndBaseOnlyRanges) {
  // Base keys all before the overlay's, then all after.
  Overlay overlay{{"m1", "o1"}, {"m2", std::nullopt}, {"m3", "o3"}};
  Map low{{"a1", "b1"}, {"a2", "b2"}};
  auto it = Over(overlay, low);
  EXPECT_EQ(All(it.get()), (Pairs{{"a1", "b1"}, {"a2", "b2"}, {"m1", "o1"}, {"m3", "o3"}}));
  it->Seek("m");
  EXPECT_EQ(Rest(it.get()), (Pairs{{"m1", "o1"}, {"m3", "o3"}}));
  Map high{{"z1", "b1"}, {"z2", "b2"}};
  it = Over(overlay, high);
  EXPECT_EQ(All(it.get()), (Pairs{{"m1", "o1"}, {"m3", "o3"}, {"z1", "b1"}, {"z2", "b2"}}));
  it->Seek("m4");
  EXPECT_EQ(Rest(it.get()), (Pairs{{"z1", "b1"}, {"z2", "b2"}}));
}

TEST(OverlayIterator, BaseErrorIsReported) {
  Overlay overlay{{"a", "1"}};
  auto it = NewOverlayIterator(&overlay, NewEmptyIterator(Status::Corruption("bad block")));
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  EXPECT_TRUE(it->status().IsCorruption());
}

TEST(OverlayIterator, RandomAgainstAModel) {
  std::mt19937 rng(20240611);
  auto key = [&] {
    return std::string(1, static_cast<char>('a' + rng() % 12)) + std::to_string(rng() % 4);
  };
  for (int round = 0; round < 500; round++) {
    Map base;
    Overlay overlay;
    int nb = static_cast<int>(rng() % 20), no = static_cast<int>(rng() % 20);
    for (int i = 0; i < nb; i++) base[key()] = "b" + std::to_string(i);
    for (int i = 0; i < no; i++) {
      if (rng() % 2) {
        overlay[key()] = std::nullopt;
      } else {
        overlay[key()] = "o" + std::to_string(i);
      }
    }
    Map model = Model(overlay, base);
    Pairs want(model.begin(), model.end());
    auto it = Over(overlay, base);
    ASSERT_EQ(All(it.get()), want) << "round " << round;
    for (int s = 0; s < 5; s++) {
      std::string target = key().substr(0, rng() % 2 + 1);
      it->Seek(target);
      Pairs rest(model.lower_bound(target), model.end());
      ASSERT_EQ(Rest(it.get()), rest) << "round " << round << " seek " << target;
    }
  }
}

// Through the real engine: Txn::reader() merges the group's writes over what is committed.
TEST(OverlayIterator, TxnReaderSeesItsWritesOverTheEngine) {
  test::TempDir dir("overlay");
  std::unique_ptr<Store> store;
  ASSERT_TRUE(Store::Open(test::TinyOptions(), dir.path(), 2, &store).ok());
  auto str = [](std::string v) {
    Record r;
    r.payload = std::move(v);
    return r;
  };
  {
    Txn txn(*store);
    WriteBatch batch;
    txn.BeginCommand(&batch);
    // Enough keys to flush the tiny memtable into tables.
    for (int i = 0; i < 400; i++)
      EXPECT_TRUE(txn.Put(0, "k" + std::to_string(1000 + i), str("committed")).ok());
    txn.EndCommand();
    ASSERT_TRUE(store->engine()->Write(WriteOptions(), &batch).ok());
    txn.Publish();
  }
  Txn txn(*store);
  WriteBatch batch;
  txn.BeginCommand(&batch);
  EXPECT_TRUE(txn.Put(0, "k1000", str("rewritten")).ok());
  EXPECT_TRUE(txn.Delete(0, "k1001", 0).ok());
  EXPECT_TRUE(txn.Delete(0, "k1399", 0).ok());
  EXPECT_TRUE(txn.Put(0, "k0999", str("new-first")).ok());
  EXPECT_TRUE(txn.Put(0, "k2000", str("new-last")).ok());
  EXPECT_TRUE(txn.Put(1, "k1000", str("db1")).ok());
  std::vector<std::string> keys;
  std::map<std::string, std::string> values;
  uint32_t slot;
  auto it = txn.reader().NewIterator(0, &slot);
  for (it->Seek(MetaPrefix(slot)); it->Valid(); it->Next()) {
    uint32_t s;
    std::string_view user;
    if (!ParseMetaKey(it->key(), &s, &user) || s != slot) break;
    Record r;
    ASSERT_TRUE(DecodeRecord(it->value(), &r));
    keys.emplace_back(user);
    values[std::string(user)] = r.payload;
  }
  ASSERT_TRUE(it->status().ok());
  ASSERT_EQ(keys.size(), 400u);  // 400 - 2 deleted + 2 new
  EXPECT_EQ(keys.front(), "k0999");
  EXPECT_EQ(keys[1], "k1000");
  EXPECT_EQ(keys[2], "k1002");
  EXPECT_EQ(keys[keys.size() - 2], "k1398");
  EXPECT_EQ(keys.back(), "k2000");
  EXPECT_EQ(values["k0999"], "new-first");
  EXPECT_EQ(values["k1000"], "rewritten");
  EXPECT_EQ(values["k1002"], "committed");
  EXPECT_EQ(values.count("k1001"), 0u);
  txn.EndCommand();
}

}  // namespace
}  // namespace stash::store
