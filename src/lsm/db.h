// DB: the public face of the storage engine. A DB is a persistent, ordered map from byte-string
// keys to byte-string values, stored in an LSM tree (memtable + WAL, SSTables in levels).
//
// Thread-safety: every method may be called from any thread concurrently.
//  - Get, NewIterator, GetSnapshot, GetStats never wait for the writer, for an fsync or for a
//    compaction (they take the DB mutex only briefly to pin the current state).
//  - Writes from many threads are committed in groups by a single leader (one WAL write and at
//    most one fsync per group); Write returns once its batch is in the WAL (and synced when
//    appendfsync=always or WriteOptions::sync) and visible to readers.
//
// Errors: a failed WAL write or fsync, or a failed flush/compaction, puts the DB into a read-only
// error state: every later write fails with that Status (BackgroundError()); reads keep working;
// Resume() leaves the state once the cause is gone.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lsm/iterator.h"
#include "lsm/options.h"
#include "util/status.h"

namespace stash {

class WriteBatch;

// Write errors mean "not applied" (nothing of the batch is visible, and no restart replays it),
// except the ones this recognizes: the batch may be applied, partly visible, or replayed by a
// restart (a failed log write whose cut-back failed too, a failed memtable insert).
inline constexpr std::string_view kOutcomeUnknownPrefix = "write outcome unknown: ";
inline Status OutcomeUnknown(std::string_view what) {
  return Status::IOError(std::string(kOutcomeUnknownPrefix) + std::string(what));
}
inline bool IsOutcomeUnknown(const Status& s) {
  return s.IsIOError() && s.message().starts_with(kOutcomeUnknownPrefix);
}

// A consistent read point (see GetSnapshot). Opaque; owned by the DB.
class Snapshot {
 public:
  // The last sequence number visible through this snapshot.
  virtual uint64_t sequence() const = 0;

 protected:
  virtual ~Snapshot() = default;
};

// A point-in-time summary of the engine, for INFO-style reporting and tests.
struct DbStats {
  struct Level {
    int files = 0;
    uint64_t bytes = 0;
  };
  uint64_t memtable_bytes = 0;
  int immutable_memtables = 0;
  std::vector<Level> levels;              // one entry per level, index = level
  uint64_t pending_compaction_bytes = 0;  // estimate of bytes over the level targets
  uint64_t compactions = 0;               // compactions run (trivial moves included)
  uint64_t trivial_moves = 0;
  uint64_t flushes = 0;
  uint64_t compaction_bytes_read = 0;
  uint64_t compaction_bytes_written = 0;
  uint64_t flush_bytes_written = 0;
  uint64_t user_bytes_written = 0;  // WriteBatch::ApproximateSize() of acknowledged batches
  double write_amplification = 0;   // (WAL + flush + compaction bytes written) / user bytes
  uint64_t stall_micros = 0;        // time writers spent delayed or stopped
  uint64_t block_cache_hits = 0;
  uint64_t block_cache_misses = 0;
  uint64_t block_cache_usage = 0;     // bytes
  uint64_t block_cache_capacity = 0;  // bytes
  uint64_t table_memory = 0;          // bytes the open tables hold (index blocks, filters)
  uint64_t wal_bytes_written = 0;
  uint64_t wal_syncs = 0;
  uint64_t recovered_batches = 0;  // at open
  uint64_t recovered_bytes = 0;    // at open: log bytes replayed
  uint64_t torn_tail_dropped_bytes = 0;
  uint64_t recovered_logs = 0;   // at open: log files replayed
  uint64_t recovery_micros = 0;  // at open: time Open took
  uint64_t wal_live_bytes = 0;   // bytes in the logs a recovery would replay now
  uint64_t last_sequence = 0;
  uint64_t background_errors = 0;     // times the DB entered the read-only error state
  std::string last_background_error;  // the latest such error ("" if none), kept after Resume
  std::string last_background_error_origin;   // what failed (DB::BackgroundErrorOrigin)
  uint64_t last_background_error_micros = 0;  // when it happened (Env::NowMicros)
  uint64_t resumes = 0;                       // successful Resume calls that left the state
  uint64_t reclaimed_files = 0;  // tables ReclaimRanges removed whole (without reading them)
  uint64_t reclaimed_bytes = 0;  // disk bytes ReclaimRanges freed (deleted, or shrunk by rewrite)
  int pending_reclaims = 0;      // ReclaimRanges calls not finished yet
};

class DB {
 public:
  // Opens (creating if missing and Options::create_if_missing) the database in dir. Locks the
  // directory: a second Open, from this or another process, fails with Busy. Replays the WALs
  // newer than the MANIFEST's log number and flushes what they held to L0 before returning.
  static Status Open(const Options& options, const std::string& dir, std::unique_ptr<DB>* out);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Calls Close() (ignoring its Status; call Close() first to see it).
  virtual ~DB() = default;

  // Stops the background threads (waiting for a running flush or compaction to finish), syncs
  // the WAL unless appendfsync=no, closes the files and releases the directory lock. Idempotent.
  // REQUIRES: no other call is in flight and none follows except the destructor.
  virtual Status Close() = 0;

  virtual Status Put(const WriteOptions& options, std::string_view key, std::string_view value) = 0;
  virtual Status Delete(const WriteOptions& options, std::string_view key) = 0;
  // Applies batch atomically. batch is not modified except for its header sequence number.
  virtual Status Write(const WriteOptions& options, WriteBatch* batch) = 0;
  // Commits several batches as one submission: they get consecutive sequence numbers, travel in
  // the same WAL write, and each is atomic on its own (a crash may keep a prefix of them).
  // sync forces an fsync as WriteOptions::sync does.
  virtual Status WriteGroup(std::span<WriteBatch* const> batches, bool sync) = 0;

  // NotFound when key is absent (or deleted) at the read point.
  virtual Status Get(const ReadOptions& options, std::string_view key, std::string* value) = 0;
  // A read made ahead for another thread (see UnchangedSince), at the newest sequence
  // (*read_at): OK or NotFound from the tables, Busy when a memtable holds key (a read the
  // other thread makes as cheaply itself, so it is not made here), or the tables' error.
  virtual Status ReadAhead(std::string_view key, std::string* value, uint64_t* read_at) = 0;
  // Whether a read of key at sequence seq still shows key's newest state: every write after seq
  // is still in a memtable (none of them has been flushed since) and none of them is to key.
  // False when that cannot be told. Lets one thread read ahead for another (the writer's reads
  // before its writes: store/txn.h, PrefetchedRead).
  virtual bool UnchangedSince(std::string_view key, uint64_t seq) = 0;
  // A forward iterator over user keys at the read point (ReadOptions::snapshot, or the latest
  // sequence at the time of the call). Pins the state it reads; delete it before the DB.
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  // The returned snapshot stays valid until ReleaseSnapshot or until the DB is closed;
  // compactions keep the versions it can see.
  virtual const Snapshot* GetSnapshot() = 0;
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Switches the memtable (if it holds anything) and waits until every immutable memtable is in
  // an L0 SSTable.
  virtual Status Flush() = 0;
  // Flushes, then compacts every level overlapping [*begin, *end] (nullptr = unbounded) down
  // until the range sits in one level, and rewrites that level's part of the range too, so
  // deleted, overwritten and filtered data in the range is gone afterwards (unless a live
  // snapshot still needs it). Waits for the work to finish; size-triggered compactions wait
  // meanwhile (flushes do not).
  virtual Status CompactRange(const std::string* begin, const std::string* end) = 0;
  // Schedules, and returns without waiting for, the reclamation of the disk space of the
  // user-key ranges [begin, end) whose records the CompactionFilter drops (e.g. a flushed
  // database's keys): on the background thread, once no snapshot is left that was taken before
  // the last write preceding this call (it may still read the records),
  //  1. the tables lying entirely inside a range are removed from the tree without being read,
  //     when the filter's DropsRange confirms the range (else they are treated as in 2.);
  //  2. the tables only partly inside, and those of 1. without confirmation, are rewritten
  //     through the filter, deepest level first, one at a time, at no more than
  //     Options::reclaim_bytes_per_second on average; flushes and writers never wait for it
  //     (size-triggered compactions do, for the table being rewritten).
  // Records still in memtables are not reclaimed (they reach L0 with the next flush and go with
  // a later compaction). Calls are served in order; Close abandons those not finished, and
  // nothing is resumed after a restart (the filter still drops the records whenever some
  // compaction reads them). Progress: DbStats::pending_reclaims, reclaimed_files/_bytes.
  // InvalidArgument when a range is empty (begin >= end); else the background error, if any.
  virtual Status ReclaimRanges(std::vector<std::pair<std::string, std::string>> ranges) = 0;

  virtual DbStats GetStats() = 0;
  // OK, or the error that put the DB into its read-only state.
  virtual Status BackgroundError() = 0;
  // What failed, for replies and INFO: "write-ahead log write", "write-ahead log create",
  // "memtable insert", "table write (flush)", "table read (compaction)", "table write
  // (compaction)", "MANIFEST write"; "" when the DB takes writes. The error itself names the
  // file (and the offset of damage).
  virtual std::string BackgroundErrorOrigin() = 0;
  // Leaves the read-only error state once its cause is gone (e.g. disk space was freed): OK when
  // the DB takes writes again (also when it was not in the error state), else the error that
  // keeps it read-only. Blocks writers while it runs. After a WAL error it cuts the log back to
  // its last committed batch, syncs it, starts a new log and flushes every memtable to L0 before
  // returning, so what was acknowledged no longer depends on the log that failed; after a flush
  // or compaction error it waits for the retried flushes and, when one is due, a compaction.
  // Safe to call repeatedly (e.g. once a second) while the disk stays full: a failed attempt
  // leaves no files behind.
  virtual Status Resume() = 0;
  // The sequence number of the last acknowledged write.
  virtual uint64_t LastSequence() = 0;
};

}  // namespace stash
