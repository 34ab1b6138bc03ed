// DBImpl::Resume: leaving the read-only error state once its cause (a full disk, a transient I/O
// error) is gone, without reopening the DB.
//
// Resume holds the front of the writer queue, so no commit runs meanwhile, and then:
//   1. If the current WAL failed (a write or fsync of it): the log may end in part of a group
//      that was never acknowledged nor applied to the memtable, and after a failed fsync the
//      kernel may have dropped pages of it. So the log is closed, cut back to the end of the last
//      group that was applied (log_good_size_) and synced; a recovery from it now ends at a
//      batch boundary. Only then is a new log created, and the memtable switched, so the old
//      log becomes an immutable memtable's log like any other.
//   2. The error is cleared and the background thread woken: it retries the flushes (and then
//      the compaction) that failed or were waiting.
//   0. After a compaction that could not read its inputs (damage, EIO), those tables are read
//      again, whole; while one still fails, Resume returns that error and changes nothing.
//   3. Resume waits until every immutable memtable is in L0 and, if a compaction is due, one
//      compaction step went through. After a WAL error this makes what was acknowledged
//      durable in a freshly written and synced table, whatever happened to the pages of the old
//      log; after a failed compaction it proves there is room again, so that writes do not
//      flap between accepted and refused while the disk stays full. If the retried work fails
//      again, the DB is read-only again and Resume returns that error.
// Every step is safe to repeat: a failed step leaves the error in place (and no new files: a
// failed log creation or flush removes what it started), and the next Resume starts over from
// the step that failed.
//
// Files are not deleted while a MANIFEST edit's fate is unknown (VersionSet::ManifestUncertain);
// the first edit after Resume writes a fresh MANIFEST from the state in memory.
#include "lsm/db_impl.h"
#include "lsm/filename.h"
#include "lsm/table_cache.h"
#include "lsm/version_set.h"
#include "wal/wal_writer.h"

namespace stash {

Status DBImpl::Resume() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (bg_error_.ok()) return Status::OK();
  Writer w;
  writers_.push_back(&w);
  while (&w != writers_.front()) w.cv.wait(lock);
  Status s = ResumeImpl(&lock);
  writers_.pop_front();
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  return s;
}

Status DBImpl::ResumeImpl(std::unique_lock<std::mutex>* lock) {
  if (bg_error_.ok()) return Status::OK();  // another Resume got there first
  if (shutting_down_.load()) return Status::IOError("DB is closing");
  if (unresumable_) return bg_error_;
  if (!failed_read_inputs_.empty()) {
    // A compaction could not read its inputs: only once they read back whole is a retry worth
    // it, or writes would come back and be refused again at the next attempt.
    Status s = RecheckFailedReads(lock);
    if (!s.ok()) return s;
    if (!bg_error_.ok() && bg_error_origin_ == "table read (compaction)") {
      Info("the tables a compaction could not read read back whole now: retrying");
    }
  }
  if (bg_error_.ok()) return Status::OK();
  const Status error = bg_error_;
  // A disk that stays full makes a caller retry for a long time: log the attempts (and the
  // errors they run into, see RecordBackgroundError) only every 30 s.
  const uint64_t now = env_->NowMicros();
  const bool quiet = now < next_retry_log_micros_;
  if (!quiet) next_retry_log_micros_ = now + 30 * 1000000;
  if (log_failed_) {
    Status s = ReplaceFailedLog(lock);
    if (!s.ok()) {
      if (!quiet) Info("cannot resume writes yet: " + s.ToString());
      return s;
    }
  }
  bg_error_ = Status::OK();
  resuming_from_ = error;
  retry_quiet_ = quiet;
  if (!quiet) Info("retrying background work after: " + error.ToString());
  bg_work_cv_.notify_all();
  // Done once the retried work went through: every memtable flushed and, when a compaction is
  // due (the failed one, typically), one compaction step. Until then the disk may still be full.
  const uint64_t compactions_before = size_compactions_done_;
  auto pending = [&] {
    return !imms_.empty() || (versions_->NeedsCompaction() && auto_compaction_pauses_ == 0 &&
                              size_compactions_done_ == compactions_before);
  };
  while (bg_error_.ok() && pending() && !shutting_down_.load()) bg_done_cv_.wait(*lock);
  retry_quiet_ = false;
  resuming_from_ = Status::OK();
  if (!bg_error_.ok()) return bg_error_;
  if (shutting_down_.load()) return Status::IOError("DB is closing");
  next_retry_log_micros_ = 0;
  counters_.resumes.fetch_add(1, std::memory_order_relaxed);
  Info("writes resumed after: " + error.ToString());
  return Status::OK();
}

Status DBImpl::RecheckFailedReads(std::unique_lock<std::mutex>* lock) {
  std::vector<std::pair<uint64_t, uint64_t>> tables = failed_read_inputs_;
  lock->unlock();
  Status s;
  for (const auto& [number, size] : tables) {
    std::unique_ptr<Iterator> it = table_cache_->NewIterator(number, size, /*fill_cache=*/false);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
    }
    s = it->status();
    if (!s.ok()) break;
  }
  lock->lock();
  if (s.ok()) failed_read_inputs_.clear();
  return s;
}

Status DBImpl::ReplaceFailedLog(std::unique_lock<std::mutex>* lock) {
  const uint64_t old_number = mem_log_number_;
  const std::string old_path = LogFileName(dir_, old_number);
  lock->unlock();
  std::unique_ptr<wal::WalWriter> old_log;
  uint64_t good_size;
  {
    std::unique_lock<std::mutex> log_lock(log_mutex_);
    WaitForLogSync(&log_lock);
    old_log = std::move(log_);  // null when an earlier Resume got this far
    good_size = log_good_size_;
  }
  // Closed before it is cut, so nothing it still holds can land after the cut. Its error is the
  // one being recovered from.
  old_log.reset();
  Status s = TruncateFileDurably(env_, old_path, good_size);
  std::unique_ptr<wal::WalWriter> new_log;
  uint64_t new_number = 0;
  if (s.ok()) {
    lock->lock();
    new_number = versions_->NewFileNumber();
    lock->unlock();
    s = NewLogFile(new_number, &new_log);
  }
  if (s.ok()) {
    std::lock_guard<std::mutex> log_lock(log_mutex_);
    log_ = std::move(new_log);
    log_dirty_ = false;
    log_good_size_ = 0;
  }
  lock->lock();
  if (!s.ok()) return s;
  Info("cut " + old_path + " back to " + std::to_string(good_size) +
       " bytes (its last committed batch); new writes go to log #" + std::to_string(new_number));
  log_failed_ = false;
  SwitchToNewMemTable(new_number, good_size);
  return Status::OK();
}

}  // namespace stash
