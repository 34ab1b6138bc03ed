// Lists on disk (store/list.h): every edit keeps the elements at consecutive positions from
// head, across commands, groups and reopen; reverse scans cross chunk edges; a missing
// position is a Corruption, never a shorter list.
#include "store/list.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>

#include "store/store_testutil.h"

namespace stash::store {
namespace {

class ListTest : public StoreTest {
 protected:
  ListTest() { Open(); }

  // Runs fn on the list "l" of db 0 in one command, then saves it.
  void Edit(const std::function<void(Txn&, CollectionWrite*)>& fn) {
    Command([&](Txn& t) {
      CollectionWrite w;
      bool wrong;
      ASSERT_TRUE(OpenCollection(t, 0, "l", ValueType::kList, 1000, &w, &wrong).ok());
      ASSERT_FALSE(wrong);
      fn(t, &w);
      ASSERT_TRUE(SaveCollection(t, &w, 1000).ok());
    });
  }
  CollectionMeta Meta() {
    Record r;
    CollectionMeta m;
    if (store_->Get(0, "l", 1000, &r).ok()) {
      EXPECT_EQ(r.type, ValueType::kList);
      EXPECT_TRUE(DecodeCollectionMeta(r.payload, &m));
    }
    return m;
  }
  // The list read from the engine, forward or backward (then put back in order).
  std::vector<std::string> Elements(bool reverse = false, uint64_t from = 0,
                                    uint64_t n = UINT64_MAX) {
    std::vector<std::string> out;
    CollectionMeta m = Meta();
    auto it = store_->engine()->NewIterator(ReadOptions());
    uint64_t expect = reverse ? 0 : from;
    Status s = ForEachListElement(it.get(), store_->Slot(0), "l", m, from, n, reverse,
                                  [&](uint64_t i, std::string_view e) {
                                    if (!reverse) {
                                      EXPECT_EQ(i, expect++);
                                    }
                                    out.emplace_back(e);
                                    return true;
                                  });
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (reverse) std::reverse(out.begin(), out.end());
    return out;
  }
  static std::vector<std::string_view> Views(const std::vector<std::string>& v) {
    return {v.begin(), v.end()};
  }
};

TEST_F(ListTest, IndexesCountFromEitherEnd) {
  uint64_t at;
  EXPECT_TRUE(ListIndex(3, 0, &at) && at == 0);
  EXPECT_TRUE(ListIndex(3, 2, &at) && at == 2);
  EXPECT_TRUE(ListIndex(3, -1, &at) && at == 2);
  EXPECT_TRUE(ListIndex(3, -3, &at) && at == 0);
  EXPECT_FALSE(ListIndex(3, 3, &at));
  EXPECT_FALSE(ListIndex(3, -4, &at));
  EXPECT_FALSE(ListIndex(0, 0, &at));
  EXPECT_FALSE(ListIndex(3, INT64_MIN, &at));
  EXPECT_FALSE(ListIndex(3, INT64_MAX, &at));
}

TEST_F(ListTest, EditsAtBothEndsMatchADeque) {
  std::deque<std::string> model;
  std::mt19937 rng(301);
  auto uniform = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
  for (int step = 0; step < 400; step++) {
    const bool front = uniform(2) == 0;
    const uint64_t op = uniform(4);
    Edit([&](Txn& t, CollectionWrite* w) {
      ASSERT_EQ(w->meta.count, model.size());
      if (op <= 1 || model.empty()) {  // push 1-3
        std::vector<std::string> add;
        for (uint64_t i = 0, n = uniform(3); i <= n; i++)
          add.push_back(std::to_string(step * 10 + i));
        front ? ReplaceListFront(t, w, 0, Views(add)) : ReplaceListBack(t, w, 0, Views(add));
        for (size_t i = 0; i < add.size(); i++) {
          if (front) {
            model.insert(model.begin() + static_cast<std::ptrdiff_t>(i), add[i]);
          } else {
            model.push_back(add[i]);
          }
        }
      } else if (op == 2) {  // replace 1-2 at an end by 0-3 others
        const uint64_t n_old = std::min<uint64_t>(1 + uniform(2), model.size());
        std::vector<std::string> add;
        for (uint64_t i = 0, n = uniform(4); i < n; i++) add.push_back("r" + std::to_string(step));
        if (front) {
          ReplaceListFront(t, w, n_old, Views(add));
          model.erase(model.begin(), model.begin() + n_old);
          model.insert(model.begin(), add.begin(), add.end());
        } else {
          ReplaceListBack(t, w, n_old, Views(add));
          model.erase(model.end() - n_old, model.end());
          model.insert(model.end(), add.begin(), add.end());
        }
      } else {  // overwrite one, read a range through the Txn
        const uint64_t i = uniform(model.size());
        SetListElement(t, w, i, "s" + std::to_string(step));
        model[i] = "s" + std::to_string(step);
        std::vector<std::string> got;
        ASSERT_TRUE(ReadListRange(t, *w, i, 7, &got).ok());
        ASSERT_EQ(got, std::vector<std::string>(model.begin() + i,
                                                model.begin() + std::min(model.size(), i + 7)));
      }
    });
    ASSERT_EQ(Meta().count, model.size());
    ASSERT_EQ(Elements(), std::vector<std::string>(model.begin(), model.end())) << step;
  }
  // Every record of the version is one element: nothing stale stays behind.
  EXPECT_EQ(Raw(kElementPrefix, store_->Slot(0)).size(), model.size());
  Reopen();
  EXPECT_EQ(Elements(), std::vector<std::string>(model.begin(), model.end()));
}

TEST_F(ListTest, ReverseScansCrossChunksAndStopWhenAsked) {
  std::vector<std::string> all;
  for (int i = 0; i < 300; i++) all.push_back(std::to_string(i));
  Edit([&](Txn& t, CollectionWrite* w) { ReplaceListBack(t, w, 0, Views(all)); });
  EXPECT_EQ(Elements(true), all);
  EXPECT_EQ(Elements(true, 5, 200), std::vector<std::string>(all.begin() + 5, all.begin() + 205));
  EXPECT_EQ(Elements(false, 290, 50), std::vector<std::string>(all.begin() + 290, all.end()));
  std::vector<uint64_t> seen;
  auto it = store_->engine()->NewIterator(ReadOptions());
  ASSERT_TRUE(ForEachListElement(it.get(), store_->Slot(0), "l", Meta(), 0, 300, true,
                                 [&](uint64_t i, std::string_view) {
                                   seen.push_back(i);
                                   return seen.size() < 3;
                                 })
                  .ok());
  EXPECT_EQ(seen, (std::vector<uint64_t>{299, 298, 297}));
}

TEST_F(ListTest, EmptiedListIsDeletedAndANewOneStartsFresh) {
  Edit([&](Txn& t, CollectionWrite* w) {
    std::vector<std::string> v{"a", "b"};
    ReplaceListFront(t, w, 0, Views(v));
  });
  const uint64_t first_version = Meta().version;
  EXPECT_EQ(Meta().head, kListFirstHead - 2);
  Edit([&](Txn& t, CollectionWrite* w) { ReplaceListBack(t, w, 2, {}); });
  Record r;
  EXPECT_TRUE(store_->Get(0, "l", 1000, &r).IsNotFound());
  Edit([&](Txn& t, CollectionWrite* w) {
    std::vector<std::string> v{"c"};
    ReplaceListBack(t, w, 0, Views(v));
  });
  EXPECT_GT(Meta().version, first_version);
  EXPECT_EQ(Meta().head, kListFirstHead);
  EXPECT_EQ(Elements(), std::vector<std::string>{"c"});
}

TEST_F(ListTest, AMissingPositionIsCorruptionNotAShorterList) {
  std::vector<std::string> v{"a", "b", "c"};
  Edit([&](Txn& t, CollectionWrite* w) { ReplaceListBack(t, w, 0, Views(v)); });
  const CollectionMeta m = Meta();
  WriteBatch b;
  b.Delete(PositionKey(store_->Slot(0), "l", m.version, m.head + 1));
  ASSERT_TRUE(store_->engine()->Write(WriteOptions(), &b).ok());
  auto it = store_->engine()->NewIterator(ReadOptions());
  for (bool reverse : {false, true}) {
    Status s = ForEachListElement(it.get(), store_->Slot(0), "l", m, 0, 3, reverse,
                                  [](uint64_t, std::string_view) { return true; });
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  }
  Command([&](Txn& t) {
    CollectionWrite w;
    bool wrong;
    ASSERT_TRUE(OpenCollection(t, 0, "l", ValueType::kList, 1000, &w, &wrong).ok());
    std::vector<std::string> got;
    EXPECT_TRUE(ReadListRange(t, w, 0, 3, &got).IsCorruption());
    EXPECT_TRUE(t.op_error().IsCorruption());
  });
}

}  // namespace
}  // namespace stash::store
