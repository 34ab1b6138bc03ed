// DBImpl::ReclaimRanges: giving back the disk space of key ranges whose records the
// CompactionFilter drops, without waiting for some compaction to happen to read them.
//
// A call queues a job and switches the memtable if it holds writes (they may include records of
// the ranges, and its log their bytes); the background thread serves the oldest job, once that
// memtable is flushed, in steps, between its other work (flushes first, then manual compactions,
// then a due reclaim step, then size compactions):
//   1. once no snapshot older than the call is left (one might still read the records), one
//      VersionEdit removes every table lying inside a range the filter's DropsRange confirms;
//      the tables overlapping a range otherwise are listed for step 2, deepest level first (so
//      a rewrite higher up finds less below it that would force it to keep deletion markers);
//   2. each listed table still in the tree is rewritten through the filter: in place on its
//      level, or, on L0, merged into L1 with the L0 tables it overlaps. After each rewrite the
//      next waits until the bytes read and written fit Options::reclaim_bytes_per_second.
// Tables made by the job's own rewrites are never listed, so a job always ends. Nothing of a job
// is persisted.
#include <algorithm>
#include <chrono>

#include "lsm/compaction.h"
#include "lsm/db_impl.h"
#include "lsm/version_set.h"

namespace stash {
namespace {

// A table to rewrite: its level orders the list (deepest rewritten first).
struct Listed {
  int level;
  uint64_t number;
};

}  // namespace

Status DBImpl::ReclaimRanges(std::vector<std::pair<std::string, std::string>> ranges) {
  const Comparator* ucmp = icmp_.user_comparator();
  for (const auto& [begin, end] : ranges) {
    if (ucmp->Compare(begin, end) >= 0) {
      return Status::InvalidArgument("ReclaimRanges: empty range (begin >= end)");
    }
  }
  if (ranges.empty()) return Status::OK();
  bool switch_memtable;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return Status::IOError("ReclaimRanges: the DB is closed");
    if (!bg_error_.ok()) return bg_error_;
    ReclaimJob job;
    job.ranges = std::move(ranges);
    job.sequence = versions_->LastSequence();
    switch_memtable = !MemTableEmpty(mem_);
    job.after_log = switch_memtable ? mem_log_number_ : 0;
    reclaims_.push_back(std::move(job));
  }
  // The memtable may hold records of the ranges (and its log their bytes): switch it now, so
  // that the next flush takes them to a table the job removes or rewrites, and the log goes.
  // Like Flush() but without waiting for the flush.
  Status s = switch_memtable ? WriteImpl({}, /*sync=*/false, /*force_switch=*/true) : Status::OK();
  std::lock_guard<std::mutex> lock(mutex_);
  bg_work_cv_.notify_all();
  return s;
}

bool DBImpl::ReclaimDue(uint64_t* wake_micros) {
  if (reclaims_.empty()) return false;
  const ReclaimJob& job = reclaims_.front();
  // ReleaseSnapshot wakes the background thread when this changes.
  if (!snapshots_.empty() && snapshots_.OldestSequence() < job.sequence) return false;
  // The memtable that held writes at the call is flushed once the MANIFEST's log number passed
  // its log; the flush comes first in the background loop, which then asks here again.
  if (job.after_log != 0 && versions_->LogNumber() <= job.after_log) return false;
  if (!job.started || job.rewrite.empty()) return true;  // no table I/O in these steps
  const uint64_t now = env_->NowMicros();
  if (now >= next_reclaim_micros_) return true;
  *wake_micros = next_reclaim_micros_;
  return false;
}

Status DBImpl::ReclaimStep(std::unique_lock<std::mutex>* lock) {
  compaction_error_origin_ = "MANIFEST write";  // a rewrite's own failure says read or write
  // Only this thread pops jobs, and pushing to a deque keeps references to its elements valid.
  ReclaimJob& job = reclaims_.front();
  if (!job.started) return RemoveTablesInside(&job, lock);
  if (!job.rewrite.empty()) {
    const uint64_t number = job.rewrite.back();
    job.rewrite.pop_back();
    return RewriteTable(number, lock);
  }
  Info("reclaim: done with " + std::to_string(job.ranges.size()) + " ranges");
  reclaims_.pop_front();
  return Status::OK();
}

Status DBImpl::RemoveTablesInside(ReclaimJob* job, std::unique_lock<std::mutex>* lock) {
  // The filter is the caller's code: ask it without holding the DB mutex.
  std::vector<bool> confirmed(job->ranges.size(), false);
  CompactionFilter* filter = options_.compaction_filter;
  if (filter != nullptr) {
    lock->unlock();
    for (size_t i = 0; i < job->ranges.size(); i++) {
      confirmed[i] = filter->DropsRange(job->ranges[i].first, job->ranges[i].second);
    }
    lock->lock();
  }
  const Comparator* ucmp = icmp_.user_comparator();
  const Version* v = versions_->current();
  VersionEdit edit;
  uint64_t removed_bytes = 0;
  std::vector<Listed> listed;
  for (int level = 0; level < v->num_levels(); level++) {
    for (const auto& f : v->files(level)) {
      std::string_view lo = ExtractUserKey(f->smallest), hi = ExtractUserKey(f->largest);
      bool remove = false, overlaps = false;
      for (size_t i = 0; i < job->ranges.size() && !remove; i++) {
        const auto& [begin, end] = job->ranges[i];
        if (ucmp->Compare(hi, begin) < 0 || ucmp->Compare(lo, end) >= 0) continue;
        overlaps = true;
        remove = confirmed[i] && ucmp->Compare(lo, begin) >= 0 && ucmp->Compare(hi, end) < 0;
      }
      if (remove) {
        edit.RemoveFile(level, f->number);
        removed_bytes += f->file_size;
      } else if (overlaps) {
        listed.push_back({level, f->number});
      }
    }
  }
  // Deepest last in the vector's order, so that pop_back takes it first.
  std::stable_sort(listed.begin(), listed.end(),
                   [](const Listed& a, const Listed& b) { return a.level < b.level; });
  job->rewrite.clear();
  for (const Listed& l : listed) job->rewrite.push_back(l.number);
  if (edit.deleted_files.empty()) {
    job->started = true;
    return Status::OK();
  }

  const size_t removed = edit.deleted_files.size();
  // On failure the job starts over after Resume.
  STASH_RETURN_IF_ERROR(versions_->LogAndApply(&edit, lock));
  job->started = true;
  InstallSuperVersion();
  counters_.reclaimed_files.fetch_add(removed, std::memory_order_relaxed);
  counters_.reclaimed_bytes.fetch_add(removed_bytes, std::memory_order_relaxed);
  Info("reclaim: removed " + std::to_string(removed) + " tables (" + std::to_string(removed_bytes) +
       " bytes) inside " + std::to_string(job->ranges.size()) + " ranges; " +
       std::to_string(job->rewrite.size()) + " to rewrite");
  RemoveObsoleteFiles(lock);
  return Status::OK();
}

Status DBImpl::RewriteTable(uint64_t number, std::unique_lock<std::mutex>* lock) {
  const Version* v = versions_->current();
  int level = -1;
  std::shared_ptr<const FileMetaData> file;
  for (int l = 0; l < v->num_levels() && file == nullptr; l++) {
    for (const auto& f : v->files(l)) {
      if (f->number == number) {
        level = l;
        file = f;
        break;
      }
    }
  }
  if (file == nullptr) return Status::OK();  // a compaction (and the filter) got there first
  std::string_view lo = ExtractUserKey(file->smallest), hi = ExtractUserKey(file->largest);
  // A level >= 1 holds each user key in one table, so [lo, hi] picks exactly this one there.
  std::unique_ptr<Compaction> c =
      versions_->CompactRange(level, &lo, /*begin_exclusive=*/false, &hi, /*in_place=*/level > 0);
  if (c == nullptr) return Status::OK();
  uint64_t written = 0;
  Status s = RunCompaction(c.get(), &written, lock);
  counters_.compactions.fetch_add(1, std::memory_order_relaxed);
  const uint64_t read = c->InputBytes();
  if (s.ok()) {
    InstallSuperVersion();
    if (read > written)
      counters_.reclaimed_bytes.fetch_add(read - written, std::memory_order_relaxed);
  }
  if (options_.reclaim_bytes_per_second > 0) {
    next_reclaim_micros_ =
        env_->NowMicros() + (read + written) * 1000000 / options_.reclaim_bytes_per_second;
  }
  c.reset();  // releases the input Version (under the mutex)
  RemoveObsoleteFiles(lock);
  if (!s.ok() && shutting_down_.load()) return Status::OK();  // abandoned, not failed
  return s;
}

}  // namespace stash
