// Sorted sets on disk (store/zset.h): both score indexes always list exactly the members, in
// (score, member) order either way, with the floors that pops leave never hiding a member;
// ties, -0, infinities and members with 0x00/0xFF bytes included; across reopen.
#include "store/zset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "store/store_testutil.h"

namespace stash::store {
namespace {

class ZSetTest : public StoreTest {
 protected:
  ZSetTest() { Open(); }

  using Model = std::set<std::pair<double, std::string>>;

  void Edit(const std::function<void(Txn&, CollectionWrite*)>& fn) {
    Command([&](Txn& t) {
      CollectionWrite w;
      bool wrong;
      ASSERT_TRUE(OpenCollection(t, 0, "z", ValueType::kZSet, 1000, &w, &wrong).ok());
      fn(t, &w);
      ASSERT_TRUE(SaveCollection(t, &w, 1000).ok());
    });
  }
  CollectionMeta Meta() {
    Record r;
    CollectionMeta m;
    if (store_->Get(0, "z", 1000, &r).ok()) {
      EXPECT_TRUE(DecodeCollectionMeta(r.payload, &m));
    }
    return m;
  }
  std::vector<std::pair<double, std::string>> Walk(bool from_end) {
    std::vector<std::pair<double, std::string>> out;
    CollectionMeta m = Meta();
    if (m.version == 0) return out;
    auto it = store_->engine()->NewIterator(ReadOptions());
    ScoreStart start;
    start.from_end = from_end;
    start.floor = m.floor[from_end ? 1 : 0];
    EXPECT_TRUE(ForEachByScore(it.get(), store_->Slot(0), "z", m.version, start,
                               [&](std::string_view member, double score) {
                                 out.emplace_back(score, member);
                                 return true;
                               })
                    .ok());
    return out;
  }
  void ExpectMatches(const Model& model) {
    std::vector<std::pair<double, std::string>> up(model.begin(), model.end());
    ASSERT_EQ(Walk(false), up);
    std::vector<std::pair<double, std::string>> down(model.rbegin(), model.rend());
    ASSERT_EQ(Walk(true), down);
    ASSERT_EQ(Meta().count, model.size());
  }
};

TEST_F(ZSetTest, IndexesFollowEveryChangeAndPopsRaiseTheFloors) {
  const std::vector<std::string> members = {
      "", "a", "b", "ab", "a\x00", "a\xff", "\xff", "\xff\xff", "z", std::string(80, 'm')};
  const std::vector<double> scores = {0,
                                      1,
                                      -1,
                                      2.5,
                                      -0.0,
                                      1e300,
                                      -1e300,
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity()};
  std::mt19937 rng(7);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  std::map<std::string, double> now;
  Model model;
  for (int step = 0; step < 600; step++) {
    const size_t op = pick(4);
    Edit([&](Txn& t, CollectionWrite* w) {
      if (op <= 1) {  // add or move a member
        const std::string& m = members[pick(members.size())];
        double s = scores[pick(scores.size())];
        ElementRead old;
        ASSERT_TRUE(FindElement(t, *w, m, &old).ok());
        if (s == 0) s = 0;  // the listpack class: -0 is 0
        PutMember(t, w, m, s, old);
        if (now.contains(m)) model.erase({now[m], m});
        now[m] = s;
        model.insert({s, m});
      } else if (!model.empty()) {  // pop from an end (op 2: lowest, 3: highest)
        const bool from_end = op == 3;
        auto e = from_end ? *model.rbegin() : *model.begin();
        ElementRead old;
        ASSERT_TRUE(FindElement(t, *w, e.second, &old).ok());
        ASSERT_TRUE(old.found);
        ASSERT_TRUE(RemoveMember(t, w, e.second, old).ok());
        RaiseFloor(w, from_end, e.first, e.second);
        model.erase(e);
        now.erase(e.second);
      }
    });
    ExpectMatches(model);
  }
  Reopen();
  ExpectMatches(model);
}

TEST_F(ZSetTest, MinusZeroSortsAsZeroAndKeepsItsSign) {
  Edit([&](Txn& t, CollectionWrite* w) {
    w->meta.non_integers = 1;  // the skiplist class keeps -0
    PutMember(t, w, "b", 0.0, {});
    PutMember(t, w, "a", -0.0, {});
    PutMember(t, w, "c", -0.0, {});
  });
  auto up = Walk(false);
  ASSERT_EQ(up.size(), 3u);
  EXPECT_EQ(up[0].second, "a");
  EXPECT_TRUE(std::signbit(up[0].first));
  EXPECT_EQ(up[1].second, "b");
  EXPECT_FALSE(std::signbit(up[1].first));
  EXPECT_EQ(up[2].second, "c");
  EXPECT_TRUE(std::signbit(up[2].first));
  auto down = Walk(true);
  ASSERT_EQ(down.size(), 3u);
  EXPECT_EQ(down[0].second, "c");
  EXPECT_TRUE(std::signbit(down[0].first));
}

TEST_F(ZSetTest, FloorsSurviveTheMetadataRoundTrip) {
  CollectionMeta m;
  m.version = 5;
  m.count = 2;
  m.floor[0] = std::string("\x00\x01", 2);
  m.floor[1] = "xyz";
  std::string payload;
  EncodeCollectionMeta(m, &payload);
  CollectionMeta back;
  ASSERT_TRUE(DecodeCollectionMeta(payload, &back));
  EXPECT_EQ(back.floor[0], m.floor[0]);
  EXPECT_EQ(back.floor[1], m.floor[1]);
  EXPECT_EQ(back.count, 2u);
  EXPECT_FALSE(DecodeCollectionMeta(payload.substr(0, payload.size() - 1), &back));
}

}  // namespace
}  // namespace stash::store
