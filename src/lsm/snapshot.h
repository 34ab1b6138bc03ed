// SnapshotList: the snapshots a DB has handed out, oldest first. Compaction keeps every version
// a listed snapshot can see (it asks for the oldest).
//
// Thread-safety: guarded by the DB mutex.
#pragma once

#include <cassert>

#include "lsm/db.h"
#include "lsm/dbformat.h"

namespace stash {

class SnapshotImpl final : public Snapshot {
 public:
  explicit SnapshotImpl(SequenceNumber seq) : sequence_(seq) {}
  uint64_t sequence() const override { return sequence_; }

 private:
  friend class SnapshotList;
  ~SnapshotImpl() override = default;

  const SequenceNumber sequence_;
  SnapshotImpl* prev_ = this;  // circular doubly linked list, head = SnapshotList::head_
  SnapshotImpl* next_ = this;
};

class SnapshotList {
 public:
  SnapshotList() : head_(0) {}
  SnapshotList(const SnapshotList&) = delete;
  SnapshotList& operator=(const SnapshotList&) = delete;
  // Snapshots still listed (the user did not release them before closing the DB) are freed.
  ~SnapshotList() {
    while (!empty()) Delete(head_.next_);
  }

  bool empty() const { return head_.next_ == &head_; }
  // REQUIRES: !empty().
  SequenceNumber OldestSequence() const { return head_.next_->sequence_; }

  // REQUIRES: seq >= the sequence of every listed snapshot (sequences only grow).
  const SnapshotImpl* New(SequenceNumber seq) {
    assert(empty() || head_.prev_->sequence_ <= seq);
    auto* s = new SnapshotImpl(seq);
    s->next_ = &head_;
    s->prev_ = head_.prev_;
    s->prev_->next_ = s;
    s->next_->prev_ = s;
    return s;
  }

  // REQUIRES: s came from New of this list and was not deleted yet.
  void Delete(const SnapshotImpl* s) {
    s->prev_->next_ = s->next_;
    s->next_->prev_ = s->prev_;
    delete s;
  }

 private:
  SnapshotImpl head_;
};

}  // namespace stash
