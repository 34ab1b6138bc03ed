// SkipList: the ordered index of a memtable. One writer inserts while any number of readers
// (Contains, iterators) run concurrently without locks.
//
// Concurrency contract:
//   - Insert/InsertWithPayload need external synchronisation (one writer at a time).
//   - Readers need none. A node is fully built (key, payload, its own links) before it is
//     published by a release store into its predecessor's link; readers follow links with acquire
//     loads, so a reader that reaches a node sees it complete. Nodes are never removed or changed
//     after publication, and live in the Arena until the list is destroyed, so a reader never
//     touches freed memory.
//   - The list height is read relaxed: a reader that sees a new height before the head's links at
//     that height are set just finds null there and drops to a lower level.
//   - Anything inserted before a reader started (happens-before) is visible to it; keys inserted
//     during a scan may or may not be.
//
// Cmp is a functor `int operator()(const Key& a, const Key& b) const` (<0, 0, >0), copied in.
// Key must be trivially copyable and default constructible (the head node holds Key{}).
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

#include "lsm/arena.h"

namespace stash {

template <typename Key, class Cmp>
class SkipList {
 private:
  struct Node;

 public:
  static constexpr int kMaxHeight = 12;
  static constexpr uint32_t kBranching = 4;  // a node reaches level i+1 with probability 1/4

  // The arena must outlive the list; it is used only by the writer.
  SkipList(Cmp cmp, Arena* arena);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // REQUIRES: no key equal to `key` is in the list; writer only.
  void Insert(const Key& key) {
    InsertWithPayload(0, [&key](char*) { return key; });
  }

  // Allocates payload_bytes right behind the new node (one arena allocation, so a key that points
  // at its payload shares cache lines with the node's links), calls fill(payload) -> Key to write
  // the payload and name the key, then inserts that key. The payload is published with the node.
  // REQUIRES: as Insert, for the key fill returns.
  template <typename Fill>
  void InsertWithPayload(size_t payload_bytes, Fill&& fill);

  // True iff a key equal to `key` is in the list. Any thread.
  bool Contains(const Key& key) const;

  // A position in the list. Any thread; one iterator is used by one thread at a time.
  class Iterator {
   public:
    // The list must outlive the iterator. Starts not Valid().
    explicit Iterator(const SkipList* list) : list_(list), node_(nullptr) {}

    bool Valid() const { return node_ != nullptr; }
    // REQUIRES: Valid(). The key lives as long as the list.
    const Key& key() const {
      assert(Valid());
      return node_->key;
    }
    // REQUIRES: Valid()
    void Next() {
      assert(Valid());
      node_ = node_->Next(0);
    }
    // REQUIRES: Valid(). There are no back links, so this is a search: O(log n).
    void Prev() {
      assert(Valid());
      node_ = list_->FindLessThan(node_->key);
      if (node_ == list_->head_) node_ = nullptr;
    }
    // Positions at the first key >= target.
    void Seek(const Key& target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() {
      node_ = list_->FindLast();
      if (node_ == list_->head_) node_ = nullptr;
    }

   private:
    const SkipList* list_;
    Node* node_;
  };

 private:
  static size_t NodeBytes(int height) { return sizeof(Node) + sizeof(std::atomic<Node*>) * height; }
  static Node* NewNode(char* mem, const Key& key, int height);
  int MaxHeight() const { return max_height_.load(std::memory_order_relaxed); }
  int RandomHeight();
  bool Equal(const Key& a, const Key& b) const { return compare_(a, b) == 0; }
  // First node >= key, or nullptr. If prev is not null, fills prev[level] with the last node < key
  // at every level below MaxHeight().
  Node* FindGreaterOrEqual(const Key& key, Node** prev) const;
  // Last node < key, or head_.
  Node* FindLessThan(const Key& key) const;
  // Last node, or head_ when empty.
  Node* FindLast() const;

  const Cmp compare_;
  Arena* const arena_;
  Node* const head_;
  std::atomic<int> max_height_{1};
  uint64_t rnd_state_ = 0x2545f4914f6cdd1dull;  // writer only
};

// A node is followed in memory by its `height` links (level 0 first), then by its payload.
// alignas keeps the links that follow aligned whatever Key is.
template <typename Key, class Cmp>
struct alignas(std::atomic<void*>) SkipList<Key, Cmp>::Node {
  explicit Node(const Key& k) : key(k) {}

  std::atomic<Node*>* Links() { return reinterpret_cast<std::atomic<Node*>*>(this + 1); }
  Node* Next(int level) { return Links()[level].load(std::memory_order_acquire); }
  // Publishes x: everything written before (x's key, payload and links) becomes visible to a
  // reader that loads this link.
  void SetNext(int level, Node* x) { Links()[level].store(x, std::memory_order_release); }
  // For the writer, where no publication is involved.
  Node* NoBarrierNext(int level) { return Links()[level].load(std::memory_order_relaxed); }
  void NoBarrierSetNext(int level, Node* x) { Links()[level].store(x, std::memory_order_relaxed); }

  const Key key;
};

template <typename Key, class Cmp>
SkipList<Key, Cmp>::SkipList(Cmp cmp, Arena* arena)
    : compare_(cmp),
      arena_(arena),
      head_(NewNode(arena->AllocateAligned(NodeBytes(kMaxHeight)), Key{}, kMaxHeight)) {
  static_assert(std::is_trivially_copyable_v<Key>, "nodes are never destroyed");
  static_assert(alignof(Node) <= Arena::kAlignment, "arena alignment too small for nodes");
}

template <typename Key, class Cmp>
typename SkipList<Key, Cmp>::Node* SkipList<Key, Cmp>::NewNode(char* mem, const Key& key,
                                                               int height) {
  Node* node = new (mem) Node(key);
  std::atomic<Node*>* links = node->Links();
  for (int i = 0; i < height; i++) new (&links[i]) std::atomic<Node*>(nullptr);
  return node;
}

template <typename Key, class Cmp>
int SkipList<Key, Cmp>::RandomHeight() {
  // 64-bit LCG; its high bits are well mixed, which is all we use.
  int height = 1;
  while (height < kMaxHeight) {
    rnd_state_ = rnd_state_ * 6364136223846793005ull + 1442695040888963407ull;
    if ((rnd_state_ >> 40) % kBranching != 0) break;
    height++;
  }
  return height;
}

template <typename Key, class Cmp>
template <typename Fill>
void SkipList<Key, Cmp>::InsertWithPayload(size_t payload_bytes, Fill&& fill) {
  const int height = RandomHeight();
  char* mem = arena_->AllocateAligned(NodeBytes(height) + payload_bytes);
  const Key key = fill(mem + NodeBytes(height));
  Node* x = NewNode(mem, key, height);

  Node* prev[kMaxHeight];
  [[maybe_unused]] Node* next = FindGreaterOrEqual(key, prev);
  assert(next == nullptr || !Equal(key, next->key));

  const int max_height = MaxHeight();
  if (height > max_height) {
    for (int i = max_height; i < height; i++) prev[i] = head_;
    max_height_.store(height, std::memory_order_relaxed);
  }
  for (int i = 0; i < height; i++) {
    // x is not reachable yet, so its own links need no ordering; the release store into prev
    // publishes x (bottom level first, so a node reachable at level i is reachable below it).
    x->NoBarrierSetNext(i, prev[i]->NoBarrierNext(i));
    prev[i]->SetNext(i, x);
  }
}

template <typename Key, class Cmp>
bool SkipList<Key, Cmp>::Contains(const Key& key) const {
  Node* x = FindGreaterOrEqual(key, nullptr);
  return x != nullptr && Equal(key, x->key);
}

template <typename Key, class Cmp>
typename SkipList<Key, Cmp>::Node* SkipList<Key, Cmp>::FindGreaterOrEqual(const Key& key,
                                                                          Node** prev) const {
  Node* x = head_;
  int level = MaxHeight() - 1;
  // A node already found >= key at a higher level is often met again below; skip re-comparing it.
  Node* known_not_less = nullptr;
  while (true) {
    Node* next = x->Next(level);
    if (next != nullptr && next != known_not_less && compare_(next->key, key) < 0) {
      x = next;
    } else {
      if (prev != nullptr) prev[level] = x;
      if (level == 0) return next;
      known_not_less = next;
      level--;
    }
  }
}

template <typename Key, class Cmp>
typename SkipList<Key, Cmp>::Node* SkipList<Key, Cmp>::FindLessThan(const Key& key) const {
  Node* x = head_;
  int level = MaxHeight() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next != nullptr && compare_(next->key, key) < 0) {
      x = next;
    } else {
      if (level == 0) return x;
      level--;
    }
  }
}

template <typename Key, class Cmp>
typename SkipList<Key, Cmp>::Node* SkipList<Key, Cmp>::FindLast() const {
  Node* x = head_;
  int level = MaxHeight() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next != nullptr) {
      x = next;
    } else {
      if (level == 0) return x;
      level--;
    }
  }
}

}  // namespace stash
