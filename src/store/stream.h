// Streams: a stream is a collection (layout.h: one metadata record, type kStream) whose records
// live under its version, in five kinds (after 'E' slot keylen key version):
//   0x04 ms(u64) seq(u64)                       -> an entry: u8 flags (1: it starts a node),
//                                                  varint n, then n length-prefixed strings
//                                                  (field, value, field, value, ...)
//   0x05 group                                  -> a consumer group: last-delivered id
//                                                  (fixed64 ms, seq), fixed64 entries-read
//                                                  (-1: unknown), fixed64 pending, consumers
//   0x06 len(u32) group consumer                -> a consumer: fixed64 seen-time, active-time
//                                                  (-1: never)
//   0x07 len(u32) group ms seq                  -> a pending entry of the group (its PEL):
//                                                  fixed64 delivery time, delivery count, then
//                                                  the owning consumer's name
//   0x08 len(u32) group len(u32) consumer ms seq -> "" : the same entry in its owner's PEL
// Integers in keys are big-endian, so every kind is in ID order (entries, pending entries) or
// name order (groups, consumers: Redis keeps both in radix trees, so it lists them in that
// order too). The metadata payload (CollectionMeta, count = the number of entries) carries the
// stream's own state after 'S' (StreamMeta below: last id, first id, max deleted id, entries
// added, the number of groups, the tail node and the number of nodes).
//
// Nodes: Redis packs entries into listpack nodes of stream-node-max-entries (100), and
// MAXLEN/MINID with `~` trim only whole nodes. The node an entry was added into is kept (the
// flag of its first entry, and the tail node's counts in the metadata), so that approximate
// trimming removes what Redis removes for entries whose nodes fill by count (stream-node-max-bytes
// is not modelled: with large entries Redis starts nodes earlier and trims less precisely).
//
// Costs: XADD one entry write plus the metadata (and the trimmed entries); XRANGE a seek plus
// what it returns; XREADGROUP per delivered entry an entry read and two PEL writes; XACK two
// PEL deletes and the consumer and group records; every command's changes are one batch.
//
// Thread: the Txn functions run on the writer; the reads on any thread over one read point.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/iterator.h"
#include "store/layout.h"
#include "store/txn.h"

namespace stash::store {

struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  auto operator<=>(const StreamId&) const = default;
  bool zero() const { return ms == 0 && seq == 0; }
};
inline constexpr StreamId kMaxStreamId{UINT64_MAX, UINT64_MAX};
std::string FormatId(StreamId id);
// The next / previous ID; false at the end of the ID space.
bool IncrId(StreamId* id);
bool DecrId(StreamId* id);

inline constexpr int64_t kInvalidEntriesRead = -1;  // Redis's SCG_INVALID_ENTRIES_READ
inline constexpr uint64_t kNodeMaxEntries = 100;    // stream-node-max-entries

struct StreamMeta {
  StreamId last, first, max_deleted;
  uint64_t entries_added = 0;
  uint64_t groups = 0;
  // The tail node: entries added into it (deleted ones included), those still there, its first.
  uint64_t tail_total = 0, tail_live = 0;
  StreamId tail_first;
  uint64_t nodes = 0;  // nodes holding entries (XINFO's radix-tree-keys)
};
void EncodeStreamMeta(const StreamMeta& m, std::string* out);
bool DecodeStreamMeta(std::string_view in, StreamMeta* m);

struct GroupState {
  StreamId last;
  int64_t entries_read = kInvalidEntriesRead;
  uint64_t pending = 0;
  uint64_t consumers = 0;
};
// (A consumer's pending count is not kept: it is its PEL index's size.)
struct ConsumerState {
  int64_t seen_ms = 0;
  int64_t active_ms = -1;
};
struct PendingEntry {
  StreamId id;
  std::string consumer;
  int64_t delivery_ms = 0;
  uint64_t delivery_count = 0;
};

// A point read of an engine key at the caller's read point: OK, NotFound or the engine's error
// (Txn::ReadRaw on the writer, a snapshot's read on a connection thread).
using RawRead = std::function<Status(const std::string& key, std::string* value)>;

// An entry's fields and values (views into its record).
bool DecodeEntry(std::string_view raw, std::vector<std::string_view>* fields,
                 bool* node_start = nullptr);

// One stream (of key in slot, at version) as a command sees it: meta is its metadata, kept up
// to date by the writes; Save (the caller's) writes it back.
class Stream {
 public:
  Stream(uint32_t slot, std::string_view key, uint64_t version, const StreamMeta& meta);

  uint64_t version() const { return version_; }
  StreamMeta meta;
  uint64_t length = 0;  // entries (the collection's count)

  // --- reads: it is any iterator over one read point (a snapshot or the group's Txn), read a
  // point read at that same read point ---
  // Entries with start <= id <= end, in ID order (rev: reversed), until fn returns false.
  Status Range(Iterator* it, StreamId start, StreamId end, bool rev,
               const std::function<bool(StreamId, std::string_view raw)>& fn) const;
  // The entry id (found false when absent).
  Status GetEntry(const RawRead& read, StreamId id, bool* found, std::string* raw) const;
  // The groups in name order.
  Status Groups(Iterator* it,
                const std::function<bool(std::string_view name, const GroupState&)>& fn) const;
  Status GetGroup(const RawRead& read, std::string_view name, bool* found, GroupState* g) const;
  // The consumers of group in name order.
  Status Consumers(
      Iterator* it, std::string_view group,
      const std::function<bool(std::string_view name, const ConsumerState&)>& fn) const;
  Status GetConsumer(const RawRead& read, std::string_view group, std::string_view consumer,
                     bool* found, ConsumerState* c) const;
  // The group's pending entries with start <= id <= end in ID order (with consumer: only that
  // consumer's: its PEL index from it, each entry's state by read), until fn returns false.
  Status Pending(Iterator* it, const RawRead& read, std::string_view group,
                 std::optional<std::string_view> consumer, StreamId start, StreamId end,
                 const std::function<bool(const PendingEntry&)>& fn) const;
  Status GetPending(const RawRead& read, std::string_view group, StreamId id, bool* found,
                    PendingEntry* p) const;
  // The number of entries in consumer's PEL.
  Status CountPending(Iterator* it, std::string_view group, std::string_view consumer,
                      uint64_t* n) const;

  // --- writes, through the group's Txn (reads see them) ---
  // Appends an entry (id above meta.last) and counts it.
  void Add(Txn& txn, StreamId id, std::span<const std::string> fields_values);
  // Deletes an entry that is there (XDEL, trimming): counts, first id, nodes; tombstone: it
  // raises max_deleted (XDEL does; trimming does not).
  Status Delete(Txn& txn, StreamId id, bool tombstone);
  // Trims to at most maxlen entries (minid: every entry below min), whole nodes only when
  // approx (at most limit entries, 0: no limit). Returns the number removed.
  Status Trim(Txn& txn, bool by_minid, uint64_t maxlen, StreamId min, bool approx, uint64_t limit,
              uint64_t* removed);
  void PutGroup(Txn& txn, std::string_view name, const GroupState& g);
  // Removes the group and all its consumers and pending entries.
  Status DeleteGroup(Txn& txn, std::string_view name);
  void PutConsumer(Txn& txn, std::string_view group, std::string_view consumer,
                   const ConsumerState& c);
  // Removes a consumer and its pending entries (the group's counts are the caller's).
  Status DeleteConsumer(Txn& txn, std::string_view group, std::string_view consumer,
                        uint64_t* pending_removed);
  // Writes a pending entry (old_owner: the consumer that held it before; none for a new one).
  void PutPending(Txn& txn, std::string_view group, const PendingEntry& p,
                  std::optional<std::string_view> old_owner);
  void DeletePending(Txn& txn, std::string_view group, StreamId id, std::string_view owner);

  std::string EntryKey(StreamId id) const;

 private:
  std::string Key(char kind) const;
  std::string GroupPrefix(char kind, std::string_view group) const;
  std::string ConsumerPelPrefix(std::string_view group, std::string_view consumer) const;
  // The first entry at or after id (found false when none).
  Status NextEntry(Txn& txn, StreamId from, bool* found, StreamId* id, std::string* raw);

  std::string prefix_;  // ElementPrefix of the version
  uint64_t version_;
};

}  // namespace stash::store
