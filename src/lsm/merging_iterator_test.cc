#include "lsm/merging_iterator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "lsm/dbformat.h"
#include "lsm/memtable.h"

namespace stash {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

// A sorted in-memory child; optionally fails with Corruption when it reaches fail_at.
class VectorIterator final : public Iterator {
 public:
  explicit VectorIterator(Entries entries, size_t fail_at = SIZE_MAX)
      : entries_(std::move(entries)), fail_at_(fail_at) {}
  bool Valid() const override { return pos_ < entries_.size() && pos_ < fail_at_; }
  void SeekToFirst() override { Move(0); }
  void Seek(std::string_view target) override {
    size_t pos = 0;
    while (pos < entries_.size() && entries_[pos].first < target) pos++;
    Move(pos);
  }
  void Next() override { Move(pos_ + 1); }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  Status status() const override { return status_; }

 private:
  void Move(size_t pos) {
    pos_ = pos;
    status_ = pos_ >= fail_at_ && pos_ < entries_.size() ? Status::Corruption("child broke")
                                                         : Status::OK();
  }
  Entries entries_;
  size_t fail_at_;
  size_t pos_ = SIZE_MAX;
  Status status_;
};

std::unique_ptr<Iterator> Merge(std::vector<Entries> children, std::vector<size_t> fail_at = {}) {
  std::vector<std::unique_ptr<Iterator>> iters;
  for (size_t i = 0; i < children.size(); i++) {
    iters.push_back(std::make_unique<VectorIterator>(std::move(children[i]),
                                                     i < fail_at.size() ? fail_at[i] : SIZE_MAX));
  }
  return NewMergingIterator(BytewiseComparator(), std::move(iters));
}

// "key=value key=value ..." from the current position to the end.
std::string Drain(Iterator* iter) {
  std::string out;
  for (; iter->Valid(); iter->Next()) {
    out += std::string(iter->key()) + "=" + std::string(iter->value()) + " ";
  }
  return out;
}

TEST(MergingIterator, NoChildrenIsEmpty) {
  auto iter = Merge({});
  iter->SeekToFirst();
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
}

TEST(MergingIterator, MergesSortedChildren) {
  auto iter = Merge({{{"a", "1"}, {"d", "4"}}, {}, {{"b", "2"}, {"e", "5"}}, {{"c", "3"}}});
  EXPECT_FALSE(iter->Valid());
  iter->SeekToFirst();
  EXPECT_EQ(Drain(iter.get()), "a=1 b=2 c=3 d=4 e=5 ");
  EXPECT_TRUE(iter->status().ok());
  iter->SeekToFirst();  // repositioning starts over
  EXPECT_EQ(Drain(iter.get()), "a=1 b=2 c=3 d=4 e=5 ");
}

TEST(MergingIterator, SingleChildPassesThrough) {
  auto iter = Merge({{{"a", "1"}, {"b", "2"}}});
  iter->Seek("b");
  EXPECT_EQ(Drain(iter.get()), "b=2 ");
}

TEST(MergingIterator, EqualKeysComeFromEarlierChildFirst) {
  auto iter = Merge({{{"k", "c0"}, {"m", "c0"}}, {{"k", "c1"}}, {{"a", "c2"}, {"k", "c2"}}});
  iter->SeekToFirst();
  EXPECT_EQ(Drain(iter.get()), "a=c2 k=c0 k=c1 k=c2 m=c0 ");
}

TEST(MergingIterator, SeekPositionsEveryChild) {
  auto iter = Merge({{{"a", "1"}, {"d", "4"}}, {{"b", "2"}, {"e", "5"}}, {{"c", "3"}}});
  iter->Seek("c");
  EXPECT_EQ(Drain(iter.get()), "c=3 d=4 e=5 ");
  iter->Seek("bb");
  EXPECT_EQ(Drain(iter.get()), "c=3 d=4 e=5 ");
  iter->Seek("a");
  EXPECT_EQ(Drain(iter.get()), "a=1 b=2 c=3 d=4 e=5 ");
  iter->Seek("f");
  EXPECT_FALSE(iter->Valid());
}

TEST(MergingIterator, ChildErrorStopsIterationAndIsReported) {
  // Child 1 breaks on reaching its second entry ("d"), while "c" of child 0 is still ahead.
  auto iter = Merge({{{"a", "1"}, {"c", "3"}}, {{"b", "2"}, {"d", "4"}}}, {SIZE_MAX, 1});
  iter->SeekToFirst();
  EXPECT_EQ(Drain(iter.get()), "a=1 b=2 ");
  EXPECT_TRUE(iter->status().IsCorruption());
  iter->Seek("c");  // lands child 1 on its broken entry again
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().IsCorruption());
  iter->Seek("a");  // stops the same way
  EXPECT_EQ(Drain(iter.get()), "a=1 b=2 ");
  // The first error in child order is the one reported.
  auto two_errors = Merge({{{"a", "1"}}, {{"b", "2"}}}, {0, 0});
  two_errors->SeekToFirst();
  EXPECT_FALSE(two_errors->Valid());
  EXPECT_TRUE(two_errors->status().IsCorruption());
}

TEST(MergingIterator, ManyChildrenYieldTheSortedUnion) {
  std::mt19937 rnd(7);
  std::vector<Entries> children(100);
  std::vector<std::tuple<std::string, size_t, std::string>> all;  // key, child, value
  for (size_t c = 0; c < children.size(); c++) {
    std::vector<std::string> keys;
    for (int i = 0; i < 30; i++) keys.push_back("k" + std::to_string(rnd() % 1000));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const auto& k : keys) {
      children[c].emplace_back(k, std::to_string(c));
      all.emplace_back(k, c, std::to_string(c));
    }
  }
  std::sort(all.begin(), all.end());
  auto iter = Merge(children);
  for (const std::string& target : {std::string(), std::string("k5"), std::string("k999")}) {
    iter->Seek(target);
    std::string expected;
    for (const auto& [k, c, v] : all) {
      if (k >= target) expected += k + "=" + v + " ";
    }
    EXPECT_EQ(Drain(iter.get()), expected) << target;
  }
}

TEST(MergingIterator, MergesMemTablesByInternalKey) {
  InternalKeyComparator icmp(BytewiseComparator());
  MemTable* newer = new MemTable(icmp);
  MemTable* older = new MemTable(icmp);
  newer->Ref();
  older->Ref();
  older->Add(1, kTypeValue, "a", "a1");
  older->Add(2, kTypeValue, "b", "b2");
  newer->Add(3, kTypeDeletion, "a", "");
  newer->Add(4, kTypeValue, "c", "c4");
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(newer->NewIterator());
  children.push_back(older->NewIterator());
  newer->Unref();  // the iterators keep both alive
  older->Unref();
  auto iter = NewMergingIterator(&icmp, std::move(children));
  std::string out;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    ParsedInternalKey key;
    ASSERT_TRUE(ParseInternalKey(iter->key(), &key));
    out += key.DebugString() + " ";
  }
  EXPECT_EQ(out, "'a' @ 3 : 0 'a' @ 1 : 1 'b' @ 2 : 1 'c' @ 4 : 1 ");
}

}  // namespace
}  // namespace stash
