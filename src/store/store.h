// Store: the Redis keyspace on top of the LSM engine (layout.h spells out the encoding).
// Reads (Get, DbSize, iterators) may run on any thread; every mutation goes through a Txn on the
// single writer thread (writer.h) and is made visible by Commit.
//
// One read point for data and slot map. A group's data becomes visible when DB::Write returns,
// its slot map when it is published; a reader must never combine the data of one moment with
// the slot map of another (after `SWAPDB 0 1; SET x 1` in one group, a GET x on db 1 must not
// see the new x through the old map). So the map carries a generation count (a seqlock): Commit
// makes it odd before writing a group that changes the map and even again once the new map is
// published. A reader reads the generation, the slot, then the engine (a Get, a snapshot or an
// iterator), and the generation again; an odd or changed generation means a map change may lie
// between the two reads, and it tries again (waiting out an odd one). Groups that leave the map
// alone, nearly all of them, never disturb readers.
//
// Orphaned slots. The compaction filter drops the records of slots no database names, but only
// once every snapshot is at or past the commit that orphaned the slot: a reader that pinned the
// slot before that commit still reads it. Commit also asks the engine to reclaim an orphaned
// slot's ranges in the background (DB::ReclaimRanges), so that the disk space of a FLUSHALL
// comes back without new writes.
//
// Expiry low-water marks. Per slot, an index position (a time, then a key) below which every
// expiry-index entry is known to be gone (a time alone would not do: a million keys that expire
// in the same millisecond would be stepped over again by every cycle), so that the expire cycle and
// DBSIZE seek past the tombstones of entries already reclaimed instead of stepping over them from
// the start of the index (which made draining N keys cost O(N^2)). The cycle raises a slot's mark
// after its batch commits (remembering the sequence from which the new mark holds, and the previous
// one, for readers at older snapshots); a Txn writing an index entry below a mark lowers it at
// once. In memory only: after a restart every mark starts at 0.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "lsm/db.h"
#include "lsm/options.h"
#include "lsm/write_batch.h"
#include "store/key_reader.h"
#include "store/layout.h"
#include "util/status.h"

namespace stash::store {

class Txn;
struct PrefetchedRead;

class Store final : public KeyReader {
 public:
  static constexpr int kMaxDatabases = 1024;

  // Opens the engine in dir and loads the slot map. options.compaction_filter is set by Open.
  static Status Open(Options options, const std::string& dir, int databases,
                     std::unique_ptr<Store>* out);
  ~Store();
  Status Close();

  // The engine, for the server's INFO and for tests. Commands use the methods below instead.
  DB* engine() { return db_.get(); }
  int databases() const { return databases_; }
  // The physical slot database `db` names now.
  uint32_t Slot(int db) const { return slots_[db].load(std::memory_order_acquire); }
  // Whether some database (configured or kept from a larger `databases`) names slot.
  bool SlotInUse(uint32_t slot) const;
  // Whether records of slot may be dropped by a compaction whose oldest snapshot is
  // smallest_snapshot: a slot handed out once, named by nobody, orphaned at or before it.
  bool SlotDroppable(uint32_t slot, uint64_t smallest_snapshot) const;

  // --- reads: any thread ---
  // The live record of key in db at now_ms; NotFound when absent or expired.
  Status Get(int db, std::string_view key, int64_t now_ms, Record* out) override;
  // A read point for commands that read several keys (MGET, EXISTS), so that they see one
  // state as Redis's do: an engine snapshot and the slot db names at it. The caller releases
  // *snapshot with ReleaseSnapshot.
  uint32_t PinSlot(int db, const Snapshot** snapshot);
  void ReleaseSnapshot(const Snapshot* snapshot);
  // The record of key in slot at snapshot (from PinSlot), as Get.
  Status GetAt(uint32_t slot, const Snapshot* snapshot, std::string_view key, int64_t now_ms,
               Record* out);
  // Exact number of live keys and of live keys with a TTL, read from one snapshot.
  Status DbSize(int db, int64_t now_ms, uint64_t* keys, uint64_t* expires) override;
  std::unique_ptr<Iterator> NewIterator(int db, uint32_t* slot) override;
  Status GetRaw(const std::string& engine_key, std::string* value) override;
  // Reads key's metadata record in db ahead of the writer (txn.h, PrefetchedRead); false when
  // the read was not made (a memtable holds the key: the writer's own read is as cheap) or
  // failed (the writer then reads, and reports, itself).
  bool Prefetch(int db, std::string_view key, PrefetchedRead* out);
  // Mean remaining TTL (ms) over up to `sample` keys with a TTL; 0 when there are none.
  int64_t AverageTtl(int db, int64_t now_ms, int sample);

  // --- the engine's write-error state (docs/errors.md) ---
  // OK while writes are accepted; else the error that stopped them.
  Status WriteError() const;
  // What failed ("write-ahead log write", "table read (compaction)", ...); "" when nothing.
  std::string WriteErrorOrigin() const;
  // Writer thread: tries to accept writes again (DB::Resume).
  Status ResumeWrites();

  // --- writer thread only (used by Txn) ---
  struct Counters {
    uint64_t keys = 0;
    uint64_t expires = 0;
  };
  Counters& counters(int db) { return counters_[db]; }
  uint32_t next_slot() const { return next_slot_; }
  // The next collection version to hand out (layout.h 'V'); Txn::Publish advances it.
  uint64_t next_version() const { return next_version_; }
  void set_next_version(uint64_t v) { next_version_ = v; }
  // Whether the elements of collection version `version` of key in slot may be dropped by a
  // compaction whose oldest snapshot is smallest_snapshot: at that snapshot no metadata record
  // names that version (versions are never reused, so it stays so).
  bool ElementsDroppable(uint32_t slot, std::string_view key, uint64_t version,
                         uint64_t smallest_snapshot);
  // Commits a group: writes batch (built by txn's EndCommand), then publishes txn's counters
  // and slot map, as one step for readers (see above). On error nothing is published.
  Status Commit(Txn& txn, WriteBatch* batch);
  // Asks the engine to reclaim the element ranges of big collections that committed groups made
  // garbage (Txn::dead_ranges). Commit only queues them: the writer calls this after it has sent
  // the group's replies, since asking switches the memtable (a DEL must not wait for that).
  void RunDeferredReclaims();
  // Tests: called inside Commit after the batch is written, before the map is published.
  void SetAfterWriteHookForTest(std::function<void()> hook) { after_write_hook_ = std::move(hook); }
  // Installs a new slot map (Commit calls it after the batch holding the map is written).
  void PublishSlots(const std::vector<uint32_t>& slots, uint32_t next_slot);
  // Expiry marks (see above). The mark the writer reads with (its view is the latest state).
  // A mark is an expiry-index position (layout.h ExpiryPosition); "" is the start.
  std::string WriterExpiryMark(uint32_t slot) const;
  // An index entry of slot at when_ms is about to be written: no mark may stay above it.
  void NoteExpiryEntry(uint32_t slot, int64_t when_ms, std::string_view user_key);
  // After a commit at sequence seq: every entry of slot below mark is gone.
  void RaiseExpiryMark(uint32_t slot, std::string mark, uint64_t seq);
  std::vector<uint32_t> SlotMap() const;
  static std::string EncodeSlotMap(const std::vector<uint32_t>& slots, uint32_t next_slot);

 private:
  Store() = default;
  Status LoadSlotMap();
  Status LoadCounters();
  // Asks the engine to reclaim the disk space of orphaned slots (after their commit).
  void ReclaimSlots(const std::vector<uint32_t>& slots);
  // The expiry mark of slot that holds for a reader at sequence seq.
  std::string ExpiryMarkAt(uint32_t slot, uint64_t seq) const;
  // Runs read() until it ran with no slot-map change around it (see above).
  template <typename Read>
  auto ConsistentRead(Read&& read) -> decltype(read());
  // The slot-map generation, read after a read's data (the seqlock's second check).
  uint64_t GenerationAfterRead();

  std::unique_ptr<DB> db_;
  std::unique_ptr<CompactionFilter> filter_;
  int databases_ = 16;
  std::array<std::atomic<uint32_t>, kMaxDatabases> slots_{};
  std::atomic<uint32_t> next_slot_{0};
  std::vector<uint32_t> extra_slots_;  // slots of databases beyond `databases` (kept, unused)
  // Held while the slot map changes and while the compaction filter asks SlotInUse, so that it
  // never sees a half-published map (SWAPDB would otherwise leave a slot unnamed for a moment).
  mutable std::mutex slots_mu_;
  // Sequence of the commit that orphaned a slot (this run only; slots orphaned in an earlier
  // run are droppable at once). Guarded by slots_mu_.
  std::unordered_map<uint32_t, uint64_t> orphaned_at_;
  std::atomic<uint64_t> map_gen_{0};  // odd while a group that changes the map is committed
  std::function<void()> after_write_hook_;
  std::vector<Counters> counters_;
  uint64_t next_version_ = 1;
  std::vector<std::pair<std::string, std::string>> deferred_reclaims_;  // writer thread only
  std::atomic<bool> open_{false};  // the filter may read the engine (db_ is set)

  struct ExpiryMark {
    std::string mark;
    uint64_t from_seq = 0;
    std::string prev_mark;
    uint64_t prev_from_seq = 0;
  };
  // Written by the writer under marks_mu_; the writer reads its own writes without it.
  mutable std::mutex marks_mu_;
  std::unordered_map<uint32_t, ExpiryMark> marks_;
};

}  // namespace stash::store
