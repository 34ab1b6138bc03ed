#include "lsm/merging_iterator.h"

#include <cassert>
#include <cstdint>

namespace stash {
namespace {

// A binary min-heap of the indexes of the valid children, ordered by (key, child index); the top
// is the current entry.
class MergingIterator final : public Iterator {
 public:
  MergingIterator(const Comparator* cmp, std::vector<std::unique_ptr<Iterator>> children)
      : cmp_(cmp), children_(std::move(children)) {
    heap_.reserve(children_.size());
  }

  bool Valid() const override { return !heap_.empty(); }

  void SeekToFirst() override {
    for (auto& child : children_) child->SeekToFirst();
    RebuildHeap();
  }

  void Seek(std::string_view target) override {
    for (auto& child : children_) child->Seek(target);
    RebuildHeap();
  }

  void Next() override {
    assert(Valid());
    Iterator* top = children_[heap_[0]].get();
    top->Next();
    if (top->Valid()) {
      SiftDown(0);
    } else if (!top->status().ok()) {
      heap_.clear();
    } else {
      heap_[0] = heap_.back();
      heap_.pop_back();
      if (!heap_.empty()) SiftDown(0);
    }
  }

  std::string_view key() const override {
    assert(Valid());
    return children_[heap_[0]]->key();
  }

  std::string_view value() const override {
    assert(Valid());
    return children_[heap_[0]]->value();
  }

  Status status() const override {
    for (const auto& child : children_) {
      Status s = child->status();
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

 private:
  // True if child a's entry comes before child b's. REQUIRES: both valid.
  bool Before(uint32_t a, uint32_t b) const {
    int r = cmp_->Compare(children_[a]->key(), children_[b]->key());
    return r < 0 || (r == 0 && a < b);
  }

  void RebuildHeap() {
    heap_.clear();
    for (uint32_t i = 0; i < children_.size(); i++) {
      if (children_[i]->Valid()) {
        heap_.push_back(i);
      } else if (!children_[i]->status().ok()) {
        heap_.clear();
        return;
      }
    }
    for (size_t i = heap_.size() / 2; i-- > 0;) SiftDown(i);
  }

  void SiftDown(size_t pos) {
    const size_t n = heap_.size();
    const uint32_t moving = heap_[pos];
    while (true) {
      size_t child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && Before(heap_[child + 1], heap_[child])) child++;
      if (!Before(heap_[child], moving)) break;
      heap_[pos] = heap_[child];
      pos = child;
    }
    heap_[pos] = moving;
  }

  const Comparator* const cmp_;
  std::vector<std::unique_ptr<Iterator>> children_;
  std::vector<uint32_t> heap_;
};

}  // namespace

std::unique_ptr<Iterator> NewMergingIterator(const Comparator* cmp,
                                             std::vector<std::unique_ptr<Iterator>> children) {
  if (children.empty()) return NewEmptyIterator();
  if (children.size() == 1) return std::move(children[0]);
  return std::make_unique<MergingIterator>(cmp, std::move(children));
}

}  // namespace stash
