// DBImpl: the engine behind DB. Its code is split by concern:
//   db_impl.cc             construction, Close, reads, snapshots, stats, obsolete-file deletion
//   db_impl_open.cc        Open: lock, MANIFEST recovery, WAL replay, first log
//   db_impl_write.cc       group commit, memtable switch, write stalls, the WAL sync thread
//   db_impl_compaction.cc  the background thread: flush, compaction, manual compaction
//   db_impl_resume.cc      Resume: leaving the read-only error state
//   db_impl_reclaim.cc     ReclaimRanges: dropping and rewriting the tables of dead key ranges
//
// Concurrency:
//   mutex_      guards the DB state below (memtables list, super version, VersionSet,
//               snapshots, writer queue, background error). Once Open has returned it is never
//               held across file I/O (flush, compaction, log switch and MANIFEST writes drop it).
//   log_mutex_  guards the WAL writer (contents and the log_ pointer): the commit leader
//               appends, flushes and switches logs under it. The everysec thread takes it only
//               to note what to sync and to record the result: its fdatasync runs without it, so
//               a commit never waits behind that fsync; while one runs (sync_in_flight_) nobody
//               closes or replaces log_. Never held together with mutex_, so a reader never
//               waits behind an fsync.
//   Readers pin a SuperVersion {mem, immutables, Version} under mutex_ and then read without any
//   lock. Exactly one writer (the leader at the front of writers_) appends to the WAL and inserts
//   into mem_ at a time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "lsm/db.h"
#include "lsm/dbformat.h"
#include "lsm/snapshot.h"
#include "lsm/table_options.h"
#include "util/spin_lock.h"

namespace stash {

namespace wal {
class WalWriter;
}

class Cache;
class Compaction;
class MemTable;
class TableCache;
class Version;
class VersionSet;
struct VersionEdit;
struct FileMetaData;

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string dir);
  ~DBImpl() override;

  Status Close() override;
  Status Put(const WriteOptions& options, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& options, std::string_view key) override;
  Status Write(const WriteOptions& options, WriteBatch* batch) override;
  Status WriteGroup(std::span<WriteBatch* const> batches, bool sync) override;
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  Status ReadAhead(std::string_view key, std::string* value, uint64_t* read_at) override;
  bool UnchangedSince(std::string_view key, uint64_t seq) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  const Snapshot* GetSnapshot() override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  Status Flush() override;
  Status CompactRange(const std::string* begin, const std::string* end) override;
  Status ReclaimRanges(std::vector<std::pair<std::string, std::string>> ranges) override;
  DbStats GetStats() override;
  std::string BackgroundErrorOrigin() override;
  Status BackgroundError() override;
  Status Resume() override;
  uint64_t LastSequence() override;

  // For tests: "L0: #12(4096) ...\nL1: ..." of the current Version.
  std::string DebugLevels();

 private:
  friend class DB;

  // What a reader pins: the memtables and Version current when it started.
  struct SuperVersion {
    MemTable* mem = nullptr;
    std::vector<MemTable*> imms;  // newest first
    Version* current = nullptr;
    // Taken under sv_lock_ (readers) or mutex_; the last reference is dropped under mutex_
    // (it unrefs the Version).
    std::atomic<int> refs{0};
  };
  struct ImmutableMemTable {
    MemTable* mem;
    uint64_t log_number;  // the WAL holding its writes
    uint64_t log_bytes;   // that WAL's length
  };
  // A queued commit (or a Resume, which holds the front of the queue so no commit runs).
  struct Writer {
    std::span<WriteBatch* const> batches;
    bool sync = false;
    bool force_switch = false;  // Flush(): switch the memtable even if it is not full
    bool done = false;
    Status status;
    std::condition_variable cv;
  };
  struct ManualCompaction {
    int level;
    bool in_place;                          // rewrite level's files within level
    std::optional<std::string> begin, end;  // user keys; unset = unbounded
    bool begin_exclusive = false;           // set once the first piece is done
    bool done = false;
  };
  struct CompactionState;
  // A ReclaimRanges call being served.
  struct ReclaimJob {
    std::vector<std::pair<std::string, std::string>> ranges;  // [begin, end) user keys
    SequenceNumber sequence = 0;                              // the last sequence at the call
    // The log of the memtable that held writes at the call (switched then), 0 if none: the job
    // starts once that memtable is in a table, so that its records of the ranges go too.
    uint64_t after_log = 0;
    bool started = false;           // step 1 done; `rewrite` lists what is left
    std::vector<uint64_t> rewrite;  // tables still to rewrite, the next one last
  };

  // --- db_impl_open.cc
  Status OpenImpl();
  Status NewDB();
  // Replays log `number` into *mem (created on demand), flushing to L0 (into edit) when it fills.
  // Sets *stop when point-in-time recovery ended inside this log. REQUIRES: lock held.
  // *next_sequence is the sequence the next batch must start at (0 before the first batch).
  Status ReplayLog(uint64_t number, bool newest, VersionEdit* edit, SequenceNumber* max_sequence,
                   SequenceNumber* next_sequence, MemTable** mem, bool* stop,
                   std::unique_lock<std::mutex>* lock);
  // Replay progress for the log: bytes of all the logs to replay, done before the current one,
  // and when progress was last logged (about every second for a long replay).
  struct ReplayProgress {
    uint64_t total_bytes = 0;
    uint64_t done_bytes = 0;
    uint64_t last_report_micros = 0;
  } replay_progress_;

  // --- db_impl_write.cc
  Status WriteImpl(std::span<WriteBatch* const> batches, bool sync, bool force_switch);
  // REQUIRES: lock holds mutex_; the caller is the commit leader. May release the lock to wait.
  Status MakeRoomForWrite(bool force_switch, std::unique_lock<std::mutex>* lock);
  Status SwitchMemTable(std::unique_lock<std::mutex>* lock);
  // Creates log `number`, durable with its directory entry; on failure nothing is left behind.
  // Takes no lock.
  // After a failed write or sync of the group that ends the log at log_good_size_: cuts the
  // log back there and returns error, or an OutcomeUnknown error when the cut failed.
  // REQUIRES: log_mutex_ held.
  Status CutFailedGroup(uint64_t log_number, const Status& error);
  Status NewLogFile(uint64_t number, std::unique_ptr<wal::WalWriter>* out);
  // Makes mem_ immutable (its log, of old_log_bytes, stays until it is flushed) and starts an
  // empty memtable whose writes go to log `log_number`. REQUIRES: mutex_ held.
  void SwitchToNewMemTable(uint64_t log_number, uint64_t old_log_bytes);
  // A new memtable with one reference. REQUIRES: mutex_ held.
  MemTable* NewMemTable();
  // Whether mem holds memtable_size bytes of data. REQUIRES: mutex_ held.
  bool MemTableFull(const MemTable* mem) const;
  // Whether mem holds no write (only its first, empty arena block). REQUIRES: mutex_ held.
  bool MemTableEmpty(const MemTable* mem) const;
  void WalSyncLoop();
  // Waits until no everysec fdatasync runs on log_, before log_ is closed or replaced.
  // REQUIRES: log_lock holds log_mutex_.
  void WaitForLogSync(std::unique_lock<std::mutex>* log_lock);
  // Records a failed write, sync or close of the current WAL. REQUIRES: mutex_ held.
  void RecordWalError(const Status& s);

  // --- db_impl_resume.cc
  // REQUIRES: lock holds mutex_; the caller is at the front of writers_.
  Status ResumeImpl(std::unique_lock<std::mutex>* lock);
  // Cuts the failed log back to log_good_size_, syncs it and starts a new log with a new
  // memtable. REQUIRES: as ResumeImpl, log_failed_.
  Status ReplaceFailedLog(std::unique_lock<std::mutex>* lock);

  // --- db_impl_compaction.cc
  void BackgroundLoop();
  // Flushes the oldest immutable memtable to L0. REQUIRES: lock held, !imms_.empty().
  Status FlushOldestImmutable(std::unique_lock<std::mutex>* lock);
  // Writes mem to a new L0 table (unless mem is empty) and adds it to edit. Releases the lock
  // during I/O. *file_number stays in pending_outputs_ until the caller has applied edit.
  Status WriteLevel0Table(MemTable* mem, VersionEdit* edit, uint64_t* file_number,
                          std::unique_lock<std::mutex>* lock);
  Status BackgroundCompaction(std::unique_lock<std::mutex>* lock);
  // Merges c's inputs into new tables and applies the edit; the outputs leave
  // pending_outputs_ either way. *bytes_written: bytes of the outputs. REQUIRES: lock held.
  Status RunCompaction(Compaction* c, uint64_t* bytes_written, std::unique_lock<std::mutex>* lock);
  Status DoCompactionWork(CompactionState* compact, std::unique_lock<std::mutex>* lock);
  Status OpenCompactionOutput(CompactionState* compact, std::unique_lock<std::mutex>* lock);
  Status FinishCompactionOutput(CompactionState* compact);
  void RunManualCompaction(int level, bool in_place, const std::string* begin,
                           const std::string* end);

  // --- db_impl_reclaim.cc
  // Whether the background thread has a reclaim step to run now; else *wake_micros (if
  // nonzero) is when the next one may be. REQUIRES: mutex_ held.
  bool ReclaimDue(uint64_t* wake_micros);
  // One step of the oldest job: removing its whole tables, or rewriting one table.
  // REQUIRES: lock held, ReclaimDue().
  Status ReclaimStep(std::unique_lock<std::mutex>* lock);
  Status RemoveTablesInside(ReclaimJob* job, std::unique_lock<std::mutex>* lock);
  Status RewriteTable(uint64_t number, std::unique_lock<std::mutex>* lock);

  // --- db_impl.cc
  // REQUIRES: mutex_ held.
  void InstallSuperVersion();
  void UnrefSuperVersionLocked(SuperVersion* sv);
  void FreeSuperVersionLocked(SuperVersion* sv);
  // REQUIRES: mutex_ held. versions_->SetLastSequence, also for readers (visible_sequence_).
  void PublishSequence(SequenceNumber seq);
  // Pins the current super version and read sequence, as one consistent pair. Takes sv_lock_
  // briefly, never mutex_.
  SuperVersion* AcquireSuperVersion(const ReadOptions& options, SequenceNumber* sequence);
  // Takes mutex_ only to free the super version when this was its last reference.
  void ReleaseSuperVersion(SuperVersion* sv);
  // Whether a memtable of sv holds a write of key with a sequence above seq (or cannot tell).
  static bool WrittenInMemory(const SuperVersion& sv, std::string_view key, SequenceNumber seq);
  // Records the first background error and wakes everyone waiting. REQUIRES: mutex_ held.
  void RecordBackgroundError(const Status& s);
  // The same, naming what failed (bg_error_origin_). REQUIRES: mutex_ held.
  void RecordBackgroundErrorFrom(std::string_view origin, const Status& s);
  // Reads the tables of failed_read_inputs_ again, whole; the first error, or OK (and then
  // forgets them). Unlocks mutex_ meanwhile.
  Status RecheckFailedReads(std::unique_lock<std::mutex>* lock);
  // Deletes files no live Version, pending output or live log needs. REQUIRES: lock held;
  // released while deleting.
  void RemoveObsoleteFiles(std::unique_lock<std::mutex>* lock);
  void Info(const std::string& message) const;

  const Options options_;
  const std::string dir_;
  Env* const env_;
  const InternalKeyComparator icmp_;
  std::unique_ptr<const FilterPolicy> bloom_;
  std::unique_ptr<const FilterPolicy> internal_filter_;
  std::unique_ptr<Cache> block_cache_;
  TableOptions table_options_;
  // The same without compression: for tables of levels below Options::compression_min_level.
  TableOptions table_options_uncompressed_;
  // The table options of a table written to level.
  const TableOptions& TableOptionsFor(int level) const {
    return level < options_.compression_min_level ? table_options_uncompressed_ : table_options_;
  }
  std::unique_ptr<TableCache> table_cache_;
  std::unique_ptr<FileLock> db_lock_;

  std::mutex mutex_;
  std::condition_variable bg_work_cv_;  // the background thread waits for work here
  std::condition_variable bg_done_cv_;  // writers, Flush, CompactRange wait for progress here
  std::unique_ptr<VersionSet> versions_;
  MemTable* mem_ = nullptr;
  uint64_t mem_log_number_ = 0;
  size_t empty_memtable_bytes_ = 0;     // ApproximateMemoryUsage() of a fresh memtable
  std::deque<ImmutableMemTable> imms_;  // oldest first
  std::atomic<bool> has_imm_{false};    // !imms_.empty(), readable without the mutex
  // Written under mutex_ and sv_lock_; readers take only sv_lock_ (AcquireSuperVersion), so a
  // read never waits for a writer holding mutex_ (nor sleeps in the kernel for it).
  SuperVersion* super_version_ = nullptr;
  SpinLock sv_lock_;
  // versions_->LastSequence(), readable under sv_lock_ without mutex_ (set under mutex_).
  std::atomic<uint64_t> visible_sequence_{0};
  SnapshotList snapshots_;
  std::deque<Writer*> writers_;
  std::set<uint64_t> pending_outputs_;  // table numbers being written, not yet in a Version
  ManualCompaction* manual_ = nullptr;
  int auto_compaction_pauses_ = 0;      // CompactRange calls running: no size compactions meanwhile
  uint64_t size_compactions_done_ = 0;  // successful size-triggered compaction steps
  std::deque<ReclaimJob> reclaims_;     // oldest first
  uint64_t next_reclaim_micros_ = 0;    // rate limit: no rewrite step before this time
  Status bg_error_;
  // What failed, in words ("write-ahead log write", "table read (compaction)", ...): see
  // DB::BackgroundErrorOrigin. Set with bg_error_ by RecordBackgroundErrorFrom.
  std::string bg_error_origin_;
  std::string last_bg_error_origin_;  // kept after Resume, for stats
  // Set by DoCompactionWork when it fails: the origin to record, and for a failed read of its
  // inputs, those tables (number, size). Resume reads them again, whole, before it clears the
  // error: damage does not heal, and writes must not flap between accepted and refused while
  // every retry of the compaction meets it again.
  std::string compaction_error_origin_;
  std::vector<std::pair<uint64_t, uint64_t>> failed_read_inputs_;
  std::string last_bg_error_;  // kept after Resume, for stats
  Status resuming_from_;       // the error a running Resume is retrying after (else OK)
  bool retry_quiet_ = false;   // a Resume retry whose errors are not logged (see ResumeImpl)
  uint64_t next_retry_log_micros_ = 0;
  uint64_t last_bg_error_micros_ = 0;
  // The current log failed (write, sync): Resume must cut it back and start a new one.
  bool log_failed_ = false;
  // The memtable may hold part of a batch (an insert failed): no Resume can make that right.
  bool unresumable_ = false;
  std::atomic<bool> shutting_down_{false};
  bool closed_ = false;
  std::thread bg_thread_;

  std::mutex log_mutex_;
  std::unique_ptr<wal::WalWriter> log_;  // guarded by log_mutex_
  bool log_dirty_ = false;               // written since its last sync; guarded by log_mutex_
  // Length of the current log up to the end of the last group written to it successfully (all
  // of it is in the memtable); guarded by log_mutex_.
  uint64_t log_good_size_ = 0;
  bool sync_in_flight_ = false;     // the everysec thread syncs log_; guarded by log_mutex_
  std::condition_variable log_cv_;  // signals !sync_in_flight_

  mutable std::mutex info_mutex_;  // serialises calls of options_.info_log

  std::mutex sync_mutex_;  // only for the everysec thread's sleep
  std::condition_variable sync_cv_;
  bool sync_stop_ = false;
  std::thread sync_thread_;

  // Counters for GetStats (relaxed atomics: updated by several threads).
  struct Counters {
    std::atomic<uint64_t> compactions{0}, trivial_moves{0}, flushes{0};
    std::atomic<uint64_t> compaction_bytes_read{0}, compaction_bytes_written{0};
    std::atomic<uint64_t> flush_bytes_written{0}, user_bytes_written{0};
    std::atomic<uint64_t> stall_micros{0}, wal_bytes_written{0}, wal_syncs{0};
    std::atomic<uint64_t> recovered_batches{0}, recovered_bytes{0}, torn_tail_dropped_bytes{0};
    std::atomic<uint64_t> recovered_logs{0}, recovery_micros{0};
    std::atomic<uint64_t> background_errors{0}, resumes{0};
    std::atomic<uint64_t> reclaimed_files{0}, reclaimed_bytes{0};
  } counters_;
};

}  // namespace stash
