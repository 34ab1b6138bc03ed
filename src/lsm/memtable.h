// MemTable: the in-memory, sorted buffer of recent writes, a SkipList of entries in an Arena.
// Each write is one entry keyed by its internal key; nothing is overwritten or removed, so newer
// writes of a key shadow older ones by sequence number (see dbformat.h).
//
// With a bytewise user comparator a hash index (user key -> its entries, newest first) answers
// point lookups without the skiplist walk: a key that is not in the memtable (the common case for
// reads that go on to the SSTables) costs one hash probe, and a key whose newest write is visible
// to the lookup's sequence is read straight from that entry. Only a lookup at an older snapshot
// than the key's newest write searches the skiplist.
//
// Thread-safety: one writer (Add) at a time, without locks against any number of concurrent
// readers (Get, iterators, the counters and ApproximateMemoryUsage). A write is visible to readers
// that start after Add returns (happens-before).
//
// Lifetime: reference counted. Created with a count of 0; the creator calls Ref(), and every
// holder calls Unref() when done; the last Unref deletes it. An iterator holds its own reference.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lsm/arena.h"
#include "lsm/dbformat.h"
#include "lsm/iterator.h"
#include "lsm/skiplist.h"
#include "util/status.h"

namespace stash {

class MemTable {
 public:
  // cmp is copied; its user comparator must outlive the memtable. The arena takes memory in
  // blocks of arena_block_size (see ArenaBlockSize).
  // The hash index gets a bucket per 32 bytes of an arena block (a 64 MB memtable: 256Ki).
  explicit MemTable(const InternalKeyComparator& cmp,
                    size_t arena_block_size = Arena::kDefaultBlockSize);
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // The arena block size for a memtable that switches at memtable_size bytes: an eighth of it
  // (as RocksDB), so a memtable overshoots by at most that; from 2 MiB up a whole number of huge
  // pages (see Arena), at most 32 MiB.
  static size_t ArenaBlockSize(size_t memtable_size);

  // Any thread.
  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  // Any thread. Deletes the memtable when the count drops to zero.
  void Unref();

  // Adds the write (seq, type, user_key, value); a deletion normally has an empty value.
  // Copies the bytes into the arena; allocates nothing else. Writer only.
  // REQUIRES: seq <= kMaxSequenceNumber; no entry with the same (user_key, seq, type) exists;
  //           user_key.size() + 8 and value.size() < 2^32.
  void Add(SequenceNumber seq, ValueType type, std::string_view user_key, std::string_view value);

  // Looks up the newest write of key.user_key() with sequence <= the key's sequence.
  // Returns true if there is one: for a value, *value is set to it (s untouched); for a deletion,
  // *s is set to NotFound. Returns false (nothing touched) if the memtable holds no such write.
  bool Get(const LookupKey& key, std::string* value, Status* s) const;

  // Iterates all entries in internal-key order: key() is the internal key, value() the value;
  // Seek takes an internal key. Views stay valid as long as the iterator (which keeps this
  // memtable alive). status() is always OK.
  std::unique_ptr<Iterator> NewIterator();

  // Bytes of memory held (arena blocks). Any thread.
  size_t ApproximateMemoryUsage() const { return arena_.MemoryUsage(); }

  // Counters, any thread (a reader may see values a few writes old).
  uint64_t NumEntries() const { return num_entries_.load(std::memory_order_relaxed); }
  uint64_t NumDeletions() const { return num_deletions_.load(std::memory_order_relaxed); }
  // Smallest / largest sequence added; both 0 while NumEntries() == 0.
  SequenceNumber SmallestSequence() const { return smallest_seq_.load(std::memory_order_relaxed); }
  SequenceNumber LargestSequence() const { return largest_seq_.load(std::memory_order_relaxed); }

  const InternalKeyComparator& comparator() const { return cmp_.icmp; }

  // Every write with a sequence above the base goes to this memtable until the next one
  // takes over (the DB sets it when it creates the memtable; 0 until then).
  SequenceNumber base_sequence() const { return base_sequence_; }
  void set_base_sequence(SequenceNumber seq) { base_sequence_ = seq; }
  // Whether the memtable holds a write of user_key with a sequence above seq (any thread);
  // nullopt when the hash index cannot tell (see index_usable_).
  std::optional<bool> WrittenAfter(std::string_view user_key, SequenceNumber seq) const;

 private:
  // Orders entries (pointers to varint32-length-prefixed internal keys) by internal key.
  struct EntryComparator {
    int operator()(const char* a, const char* b) const;
    InternalKeyComparator icmp;
  };
  using Table = SkipList<const char*, EntryComparator>;
  class MemTableIterator;

  // One entry in the hash index, pushed at the front of its bucket's chain when the entry is
  // added (so the first node of a user key is its newest entry); immutable once published.
  // Lives in the arena.
  struct IndexNode {
    const IndexNode* next;
    const char* entry;
    size_t hash;  // of the entry's user key: most nodes of other keys are skipped without the entry
  };
  // The internal key of user_key's newest entry, or a null view if the memtable has none
  // (readers: any thread). REQUIRES: index_usable_.
  std::string_view IndexFind(std::string_view user_key) const;
  void IndexAdd(std::string_view user_key, const char* entry);  // writer

  ~MemTable() = default;  // via Unref only

  const EntryComparator cmp_;
  std::atomic<int> refs_{0};
  Arena arena_;
  Table table_;
  std::atomic<const IndexNode*>* buckets_ = nullptr;  // null: no index (non-bytewise comparator)
  size_t bucket_mask_ = 0;
  // False once an entry was added out of sequence order (never in a DB, whose writes and replays
  // come in order; tests may): the first node of a key would not be its newest, so Get ignores
  // the index.
  std::atomic<bool> index_usable_{false};
  // Written only by the writer (plain load + store, no read-modify-write).
  std::atomic<uint64_t> num_entries_{0};
  std::atomic<uint64_t> num_deletions_{0};
  std::atomic<SequenceNumber> smallest_seq_{0};
  std::atomic<SequenceNumber> largest_seq_{0};
  SequenceNumber base_sequence_ = 0;  // set before the memtable is shared
};

}  // namespace stash
