// DBImpl write path: group commit by a single leader, the memtable switch, graduated write
// stalls, and the everysec WAL sync thread.
//
// A writer queues itself in writers_ and waits. The writer at the front is the leader: it makes
// room (switching the memtable, delaying or waiting for background work as needed), takes every
// queued batch up to ~1 MiB, gives them consecutive sequence numbers, and then, without mutex_,
// appends them to the WAL (each batch framed by its own batch-end record) with one write and at
// most one fdatasync, and inserts them into the memtable. Back under mutex_ it publishes the last
// sequence (readers now see the batches), marks the group done and hands leadership on.
//
// The everysec thread notes the log's flushed length under log_mutex_, runs fdatasync without
// it (a commit meanwhile appends to the same file; the sync covers at least the noted length)
// and then records the synced length, which the log writes down as a sync mark with its next
// record. Whoever closes or replaces the log first waits for a running sync (WaitForLogSync).
#include <chrono>

#include "lsm/db_impl.h"
#include "lsm/filename.h"
#include "lsm/memtable.h"
#include "lsm/version_set.h"
#include "lsm/write_batch.h"
#include "wal/wal_writer.h"

namespace stash {
namespace {

constexpr size_t kMaxGroupBytes = size_t{1} << 20;

}  // namespace

Status DBImpl::Put(const WriteOptions& options, std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.Put(key, value);
  return Write(options, &batch);
}

Status DBImpl::Delete(const WriteOptions& options, std::string_view key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(options, &batch);
}

Status DBImpl::Write(const WriteOptions& options, WriteBatch* batch) {
  WriteBatch* batches[1] = {batch};
  return WriteImpl(batches, options.sync, /*force_switch=*/false);
}

Status DBImpl::WriteGroup(std::span<WriteBatch* const> batches, bool sync) {
  return WriteImpl(batches, sync, /*force_switch=*/false);
}

Status DBImpl::WriteImpl(std::span<WriteBatch* const> batches, bool sync, bool force_switch) {
  Writer w;
  w.batches = batches;
  w.sync = sync;
  w.force_switch = force_switch;

  std::unique_lock<std::mutex> lock(mutex_);
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.wait(lock);
  if (w.done) return w.status;

  // This thread is the leader.
  Status s = MakeRoomForWrite(force_switch, &lock);
  Writer* last_writer = &w;
  if (s.ok() && !force_switch) {
    // Gather the group: stop at a Flush request (it needs its own MakeRoomForWrite) or the cap.
    std::vector<WriteBatch*> group;
    bool need_sync = options_.appendfsync == AppendFsync::kAlways;
    size_t group_bytes = 0;
    for (Writer* next : writers_) {
      if (next->force_switch) break;
      size_t bytes = 0;
      for (WriteBatch* b : next->batches) bytes += b->ApproximateSize();
      if (next != &w && group_bytes + bytes > kMaxGroupBytes) break;
      group_bytes += bytes;
      need_sync = need_sync || next->sync;
      for (WriteBatch* b : next->batches) {
        if (b->Count() > 0) group.push_back(b);
      }
      last_writer = next;
    }

    SequenceNumber last_sequence = versions_->LastSequence();
    for (WriteBatch* b : group) {
      b->SetSequence(last_sequence + 1);
      last_sequence += b->Count();
    }
    MemTable* mem = mem_;  // only the leader switches memtables, so mem stays current

    if (!group.empty()) {
      const uint64_t log_number = mem_log_number_;
      lock.unlock();
      uint64_t wal_bytes = 0;
      {
        std::lock_guard<std::mutex> log_lock(log_mutex_);
        const uint64_t size_before = log_->Size();
        for (WriteBatch* b : group) {
          b->ForEachOpRecord([this](std::string_view record) { log_->AddRecord(record); });
          log_->EndBatch(b->Sequence());
        }
        wal_bytes = log_->Size() - size_before;
        s = need_sync ? log_->Sync() : log_->Flush();
        log_dirty_ = !need_sync;
        if (s.ok()) {
          log_good_size_ = log_->Size();
        } else {
          s = CutFailedGroup(log_number, s);
        }
      }
      if (need_sync) counters_.wal_syncs.fetch_add(1, std::memory_order_relaxed);
      const bool wal_ok = s.ok();
      if (s.ok()) {
        counters_.wal_bytes_written.fetch_add(wal_bytes, std::memory_order_relaxed);
        for (WriteBatch* b : group) {
          s = b->InsertInto(mem);
          if (!s.ok()) break;
        }
      }
      lock.lock();
      if (s.ok()) {
        PublishSequence(last_sequence);
        counters_.user_bytes_written.fetch_add(group_bytes, std::memory_order_relaxed);
      } else if (!wal_ok) {
        // The WAL may hold part of the group: no later write may go on top of that.
        RecordWalError(s);
      } else {
        // The memtable may hold part of a batch, and the log all of it.
        unresumable_ = true;
        RecordBackgroundErrorFrom("memtable insert", s);
        s = OutcomeUnknown(s.ToString() + "; the group is in the log and partly in memory");
      }
    }
  }

  while (true) {
    Writer* ready = writers_.front();
    writers_.pop_front();
    if (ready != &w) {
      ready->status = s;
      ready->done = true;
      ready->cv.notify_one();
    }
    if (ready == last_writer) break;
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  return s;
}

Status DBImpl::MakeRoomForWrite(bool force_switch, std::unique_lock<std::mutex>* lock) {
  bool allow_delay = !force_switch;
  while (true) {
    if (!bg_error_.ok()) return bg_error_;
    if (shutting_down_.load()) return Status::IOError("DB is closing");
    const int l0_files = versions_->current()->NumFiles(0);
    if (allow_delay && l0_files >= options_.l0_slowdown_trigger) {
      // Close to the stop: give each write group a small delay instead of stopping hard
      // later. Once per group.
      allow_delay = false;
      const uint64_t start = env_->NowMicros();
      lock->unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      lock->lock();
      counters_.stall_micros.fetch_add(env_->NowMicros() - start, std::memory_order_relaxed);
      continue;
    }
    if (mem_->NumEntries() == 0) return Status::OK();  // nothing to switch away from
    if (!force_switch && !MemTableFull(mem_)) return Status::OK();
    if (static_cast<int>(imms_.size()) >= options_.max_immutable_memtables ||
        l0_files >= options_.l0_stop_trigger) {
      const uint64_t start = env_->NowMicros();
      bg_work_cv_.notify_all();
      bg_done_cv_.wait(*lock);
      counters_.stall_micros.fetch_add(env_->NowMicros() - start, std::memory_order_relaxed);
      continue;
    }
    STASH_RETURN_IF_ERROR(SwitchMemTable(lock));
    force_switch = false;
  }
}

Status DBImpl::SwitchMemTable(std::unique_lock<std::mutex>* lock) {
  const uint64_t new_log_number = versions_->NewFileNumber();
  // All the I/O happens without mutex_ (readers never wait for it). Only this thread, the
  // leader, touches log_ besides the everysec syncer, which takes log_mutex_.
  lock->unlock();
  Status s;
  {
    std::lock_guard<std::mutex> log_lock(log_mutex_);
    // The old log must be durable before the new one is, or a crash could keep a later batch
    // (in the new log) while losing an earlier one.
    s = log_->Sync();
    if (s.ok()) log_dirty_ = false;
  }
  counters_.wal_syncs.fetch_add(1, std::memory_order_relaxed);
  if (!s.ok()) {
    lock->lock();
    RecordWalError(s);
    return s;
  }
  std::unique_ptr<wal::WalWriter> new_log;
  s = NewLogFile(new_log_number, &new_log);
  Status close;
  uint64_t old_log_bytes = 0;
  if (s.ok()) {
    std::unique_lock<std::mutex> log_lock(log_mutex_);
    WaitForLogSync(&log_lock);
    old_log_bytes = log_->Size();
    close = log_->Close();  // synced above, so nothing can be lost
    log_ = std::move(new_log);
    log_dirty_ = false;
    log_good_size_ = 0;
  }
  if (!close.ok()) Info("closing the old WAL: " + close.ToString());
  lock->lock();
  if (!s.ok()) {
    RecordBackgroundErrorFrom("write-ahead log create", s);  // the old log is intact and synced
    return s;
  }
  SwitchToNewMemTable(new_log_number, old_log_bytes);
  return Status::OK();
}

Status DBImpl::CutFailedGroup(uint64_t log_number, const Status& error) {
  // The group's bytes may be in the file (a write that failed half way, or all of it before a
  // failed fdatasync): a restart would replay a complete one, although every writer of the group
  // is told it failed. Cut it off before anyone is told, so that an error means "not applied"
  // also if the process dies before Resume (which cuts again, durably). The cut is not synced
  // (the disk just failed a sync): after a power loss the device may still hold the group.
  Status cut = env_->TruncateFile(LogFileName(dir_, log_number), log_good_size_);
  if (cut.ok()) return error;
  return OutcomeUnknown(error.ToString() + "; cutting the group from the log failed too (" +
                        cut.ToString() + "), so a restart may replay it");
}

Status DBImpl::NewLogFile(uint64_t number, std::unique_ptr<wal::WalWriter>* out) {
  const std::string path = LogFileName(dir_, number);
  std::unique_ptr<WritableFile> file;
  Status s = env_->NewWritableFile(path, &file);
  if (s.ok()) s = env_->SyncDir(dir_);
  if (!s.ok()) {
    file.reset();
    env_->RemoveFile(path).IgnoreError();  // best effort: never referenced
    return s;
  }
  *out = std::make_unique<wal::WalWriter>(std::move(file), 0);
  return Status::OK();
}

void DBImpl::SwitchToNewMemTable(uint64_t log_number, uint64_t old_log_bytes) {
  imms_.push_back({mem_, mem_log_number_, old_log_bytes});
  has_imm_.store(true);
  mem_ = NewMemTable();
  mem_log_number_ = log_number;
  InstallSuperVersion();
  bg_work_cv_.notify_all();
}

MemTable* DBImpl::NewMemTable() {
  auto* mem = new MemTable(icmp_, MemTable::ArenaBlockSize(options_.memtable_size));
  mem->Ref();
  // Called with mutex_ held, before the writes that go to it get their sequences.
  mem->set_base_sequence(versions_->LastSequence());
  empty_memtable_bytes_ = mem->ApproximateMemoryUsage();
  return mem;
}

bool DBImpl::MemTableEmpty(const MemTable* mem) const {
  return mem->ApproximateMemoryUsage() <= empty_memtable_bytes_;
}

bool DBImpl::MemTableFull(const MemTable* mem) const {
  // Measured above what an empty memtable already holds (its first arena block), so that
  // memtable_size is the room for data even when it is tiny.
  return mem->ApproximateMemoryUsage() - empty_memtable_bytes_ >= options_.memtable_size;
}

// appendfsync everysec: see the top of this file.
void DBImpl::WalSyncLoop() {
  std::unique_lock<std::mutex> sleep_lock(sync_mutex_);
  while (!sync_stop_) {
    sync_cv_.wait_for(sleep_lock, std::chrono::seconds(1));
    if (sync_stop_) break;
    sleep_lock.unlock();
    wal::WalWriter* log = nullptr;
    uint64_t size = 0;
    {
      std::lock_guard<std::mutex> log_lock(log_mutex_);
      if (log_ != nullptr && log_dirty_) {
        // A leader flushes before it lets go of log_mutex_, so nothing of a group is pending.
        log = log_.get();
        size = log->FlushedSize();
        log_dirty_ = false;  // a commit during the sync sets it again
        sync_in_flight_ = true;
      }
    }
    if (log != nullptr) {
      Status s = log->SyncFlushed();
      {
        std::lock_guard<std::mutex> log_lock(log_mutex_);
        log->RecordSync(size, s);  // log_ is still log: replacing it waits for this
        sync_in_flight_ = false;
      }
      log_cv_.notify_all();
      counters_.wal_syncs.fetch_add(1, std::memory_order_relaxed);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mutex_);
        RecordWalError(s);
      }
    }
    sleep_lock.lock();
  }
}

void DBImpl::WaitForLogSync(std::unique_lock<std::mutex>* log_lock) {
  log_cv_.wait(*log_lock, [this] { return !sync_in_flight_; });
}

void DBImpl::RecordWalError(const Status& s) {
  log_failed_ = true;
  RecordBackgroundErrorFrom("write-ahead log write", s);
}

Status DBImpl::Flush() {
  Status s = WriteImpl({}, /*sync=*/false, /*force_switch=*/true);
  if (!s.ok()) return s;
  std::unique_lock<std::mutex> lock(mutex_);
  // Everything written before the switch lives in logs older than the current one; it is in
  // SSTables once the MANIFEST's log number reaches the current log.
  const uint64_t target = mem_log_number_;
  while (bg_error_.ok() && versions_->LogNumber() < target && !shutting_down_.load()) {
    bg_work_cv_.notify_all();
    bg_done_cv_.wait(lock);
  }
  return bg_error_;
}

}  // namespace stash
