// DBImpl background work, all on one thread: flushing immutable memtables to L0 (always first),
// manual compactions, a due ReclaimRanges step (db_impl_reclaim.cc), then size-triggered
// compactions. A long compaction stops between keys to
// flush a newly immutable memtable, so writers never wait for a whole compaction.
//
// The merge of a compaction keeps, per user key (newest first):
//   - every version newer than the oldest live snapshot, and the newest version at or below it;
//   - a deletion at or below the oldest snapshot only when no level below the output level can
//     hold the key (otherwise an older value there would come back);
//   - values the CompactionFilter drops become deletions (or vanish at the base level).
// Output files are cut at the target size or when they overlap too much of the next level, but
// only between two user keys, so a key's versions never straddle two files of one level.
#include <cassert>
#include <chrono>

#include "lsm/build_table.h"
#include "lsm/compaction.h"
#include "lsm/db_impl.h"
#include "lsm/filename.h"
#include "lsm/memtable.h"
#include "lsm/merging_iterator.h"
#include "lsm/table.h"
#include "lsm/table_builder.h"
#include "lsm/table_cache.h"
#include "lsm/version_set.h"

namespace stash {

struct DBImpl::CompactionState {
  explicit CompactionState(Compaction* c) : compaction(c) {}

  Compaction* const compaction;
  SequenceNumber smallest_snapshot = 0;
  std::vector<FileMetaData> outputs;
  // The output being written (outputs.back()).
  std::unique_ptr<WritableFile> outfile;
  std::unique_ptr<TableBuilder> builder;
  uint64_t bytes_written = 0;
};

void DBImpl::BackgroundLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!shutting_down_.load()) {
    Status s;
    uint64_t wake_micros = 0;
    if (!bg_error_.ok()) {
      // Read-only: nothing more is written. Wait for Close.
      bg_work_cv_.wait(lock);
      continue;
    }
    compaction_error_origin_ = "table write (flush)";
    if (!imms_.empty()) {
      s = FlushOldestImmutable(&lock);
    } else if (manual_ != nullptr && !manual_->done) {
      s = BackgroundCompaction(&lock);
    } else if (auto_compaction_pauses_ == 0 && ReclaimDue(&wake_micros)) {
      s = ReclaimStep(&lock);
    } else if (auto_compaction_pauses_ == 0 && versions_->NeedsCompaction()) {
      s = BackgroundCompaction(&lock);
      if (s.ok()) size_compactions_done_++;
    } else if (wake_micros != 0) {
      // A reclaim step waits for its turn under the rate limit.
      const uint64_t now = env_->NowMicros();
      if (wake_micros > now) {
        bg_work_cv_.wait_for(lock, std::chrono::microseconds(wake_micros - now));
      }
      continue;
    } else {
      bg_work_cv_.wait(lock);
      continue;
    }
    if (!s.ok() && !shutting_down_.load()) RecordBackgroundErrorFrom(compaction_error_origin_, s);
    bg_done_cv_.notify_all();
  }
  bg_done_cv_.notify_all();
}

Status DBImpl::WriteLevel0Table(MemTable* mem, VersionEdit* edit, uint64_t* file_number,
                                std::unique_lock<std::mutex>* lock) {
  const uint64_t start = env_->NowMicros();
  FileMetaData meta;
  meta.number = versions_->NewFileNumber();
  *file_number = meta.number;
  pending_outputs_.insert(meta.number);
  std::unique_ptr<Iterator> iter = mem->NewIterator();
  lock->unlock();
  Status s = BuildTable(dir_, env_, TableOptionsFor(0), table_cache_.get(), iter.get(), &meta);
  iter.reset();
  if (s.ok() && meta.file_size > 0) s = env_->SyncDir(dir_);
  lock->lock();
  if (s.ok() && meta.file_size > 0) {
    edit->AddFile(0, meta.number, meta.file_size, meta.smallest, meta.largest);
    counters_.flush_bytes_written.fetch_add(meta.file_size, std::memory_order_relaxed);
    Info("flushed memtable (" + std::to_string(mem->NumEntries()) + " entries) to L0 table #" +
         std::to_string(meta.number) + ", " + std::to_string(meta.file_size) + " bytes in " +
         std::to_string((env_->NowMicros() - start) / 1000) + " ms");
  }
  return s;
}

Status DBImpl::FlushOldestImmutable(std::unique_lock<std::mutex>* lock) {
  assert(!imms_.empty());
  const ImmutableMemTable imm = imms_.front();
  // Once this memtable is in L0, its log is the only one no longer needed.
  const uint64_t next_log = imms_.size() > 1 ? imms_[1].log_number : mem_log_number_;
  VersionEdit edit;
  uint64_t file_number = 0;
  Status s = WriteLevel0Table(imm.mem, &edit, &file_number, lock);
  if (s.ok()) {
    edit.log_number = next_log;
    s = versions_->LogAndApply(&edit, lock);
  }
  pending_outputs_.erase(file_number);
  if (!s.ok()) return s;
  imms_.pop_front();
  has_imm_.store(!imms_.empty());
  imm.mem->Unref();
  InstallSuperVersion();
  counters_.flushes.fetch_add(1, std::memory_order_relaxed);
  RemoveObsoleteFiles(lock);
  return Status::OK();
}

Status DBImpl::BackgroundCompaction(std::unique_lock<std::mutex>* lock) {
  compaction_error_origin_ = "MANIFEST write";
  std::unique_ptr<Compaction> c;
  ManualCompaction* manual = manual_ != nullptr && !manual_->done ? manual_ : nullptr;
  if (manual != nullptr) {
    std::string_view begin, end;
    if (manual->begin) begin = *manual->begin;
    if (manual->end) end = *manual->end;
    c = versions_->CompactRange(manual->level, manual->begin ? &begin : nullptr,
                                manual->begin_exclusive, manual->end ? &end : nullptr,
                                manual->in_place);
    if (c == nullptr) {
      manual->done = true;
      return Status::OK();
    }
    if (manual->level == 0) {
      manual->done = true;  // all overlapping L0 files go at once
    } else {
      // Continue after this piece next time (no other file of the level holds its largest user
      // key, and in-place outputs end there too).
      std::string_view largest = c->inputs(0).back()->largest;
      for (const auto& f : c->inputs(0)) {
        if (icmp_.Compare(f->largest, largest) > 0) largest = f->largest;
      }
      manual->begin = std::string(ExtractUserKey(largest));
      manual->begin_exclusive = true;
    }
  } else {
    c = versions_->PickCompaction();
    if (c == nullptr) return Status::OK();
  }

  Status s;
  if (manual == nullptr && c->IsTrivialMove()) {
    const FileMetaData& f = *c->inputs(0)[0];
    c->edit()->RemoveFile(c->level(), f.number);
    c->edit()->AddFile(c->output_level(), f.number, f.file_size, f.smallest, f.largest);
    s = versions_->LogAndApply(c->edit(), lock);
    if (s.ok()) {
      counters_.trivial_moves.fetch_add(1, std::memory_order_relaxed);
      Info("moved #" + std::to_string(f.number) + " to L" + std::to_string(c->output_level()));
    }
  } else {
    uint64_t written;
    s = RunCompaction(c.get(), &written, lock);
  }
  counters_.compactions.fetch_add(1, std::memory_order_relaxed);
  if (s.ok()) InstallSuperVersion();
  c.reset();  // releases the input Version (under the mutex)
  RemoveObsoleteFiles(lock);
  if (!s.ok() && shutting_down_.load()) return Status::OK();  // abandoned, not failed
  return s;
}

Status DBImpl::RunCompaction(Compaction* c, uint64_t* bytes_written,
                             std::unique_lock<std::mutex>* lock) {
  CompactionState state(c);
  Status s = DoCompactionWork(&state, lock);
  for (const auto& out : state.outputs) pending_outputs_.erase(out.number);
  *bytes_written = state.bytes_written;
  return s;
}

Status DBImpl::OpenCompactionOutput(CompactionState* compact, std::unique_lock<std::mutex>* lock) {
  lock->lock();
  FileMetaData out;
  out.number = versions_->NewFileNumber();
  pending_outputs_.insert(out.number);
  lock->unlock();
  compact->outputs.push_back(out);
  STASH_RETURN_IF_ERROR(env_->NewWritableFile(TableFileName(dir_, out.number), &compact->outfile));
  compact->builder = std::make_unique<TableBuilder>(
      TableOptionsFor(compact->compaction->output_level()), compact->outfile.get());
  return Status::OK();
}

Status DBImpl::FinishCompactionOutput(CompactionState* compact) {
  FileMetaData& out = compact->outputs.back();
  Status s = compact->builder->Finish();
  out.file_size = compact->builder->FileSize();
  compact->builder.reset();
  if (s.ok()) s = compact->outfile->Sync();
  Status close = compact->outfile->Close();
  if (s.ok()) s = close;
  compact->outfile.reset();
  if (s.ok()) {
    std::shared_ptr<Table> table;  // proves the file reads back before it is referenced
    s = table_cache_->FindTable(out.number, out.file_size, &table);
  }
  compact->bytes_written += out.file_size;
  return s;
}

Status DBImpl::DoCompactionWork(CompactionState* compact, std::unique_lock<std::mutex>* lock) {
  Compaction* c = compact->compaction;
  const uint64_t start = env_->NowMicros();
  compact->smallest_snapshot =
      snapshots_.empty() ? versions_->LastSequence() : snapshots_.OldestSequence();
  const uint64_t now_ms = start / 1000;
  CompactionFilter* filter = options_.compaction_filter;
  const Comparator* ucmp = icmp_.user_comparator();
  lock->unlock();

  // The inputs are read once and soon deleted: their blocks stay out of the block cache.
  constexpr bool kFillCache = false;
  std::vector<std::unique_ptr<Iterator>> children;
  for (const auto& f : c->inputs(0)) {
    if (c->level() == 0) {
      children.push_back(table_cache_->NewIterator(f->number, f->file_size, kFillCache));
    }
  }
  if (c->level() > 0) {
    children.push_back(
        NewConcatenatingIterator(&icmp_, table_cache_.get(), c->inputs(0), kFillCache));
  }
  if (!c->inputs(1).empty()) {
    children.push_back(
        NewConcatenatingIterator(&icmp_, table_cache_.get(), c->inputs(1), kFillCache));
  }
  std::unique_ptr<Iterator> input = NewMergingIterator(&icmp_, std::move(children));

  Status s;
  bool read_failed = false;  // else a failure is the outputs' (or a flush's, see the loop)
  std::string current_user_key;
  bool has_current_user_key = false;
  SequenceNumber last_sequence_for_key = kMaxSequenceNumber;
  std::string tombstone;
  for (input->SeekToFirst(); input->Valid() && !shutting_down_.load(); input->Next()) {
    if (has_imm_.load(std::memory_order_relaxed)) {
      // Flushes come first: writers may be waiting for room.
      lock->lock();
      if (!imms_.empty()) s = FlushOldestImmutable(lock);
      bg_done_cv_.notify_all();
      lock->unlock();
      if (!s.ok()) {
        compaction_error_origin_ = "table write (flush)";
        break;
      }
    }
    const std::string_view key = input->key();
    ParsedInternalKey ikey;
    if (!ParseInternalKey(key, &ikey)) {
      s = Status::Corruption("malformed internal key while compacting " + c->Describe());
      read_failed = true;
      break;
    }
    if (!has_current_user_key || ucmp->Compare(ikey.user_key, current_user_key) != 0) {
      // A new user key: the only place an output file may end.
      bool stop = c->ShouldStopBefore(key);
      if (compact->builder != nullptr &&
          (stop || compact->builder->FileSize() >= c->MaxOutputFileSize())) {
        s = FinishCompactionOutput(compact);
        if (!s.ok()) break;
      }
      current_user_key.assign(ikey.user_key);
      has_current_user_key = true;
      last_sequence_for_key = kMaxSequenceNumber;
    }

    bool drop = false;
    bool to_tombstone = false;
    if (last_sequence_for_key <= compact->smallest_snapshot) {
      drop = true;  // a newer version of this key is visible to every reader
    } else if (ikey.type == kTypeDeletion && ikey.sequence <= compact->smallest_snapshot &&
               c->IsBaseLevelForKey(ikey.user_key)) {
      drop = true;  // nothing older below it to hide, and no snapshot sees what it deleted
    } else if (ikey.type == kTypeValue && filter != nullptr &&
               ikey.sequence <= compact->smallest_snapshot &&
               filter->Drop(c->output_level(), ikey.user_key, input->value(), now_ms,
                            compact->smallest_snapshot)) {
      if (c->IsBaseLevelForKey(ikey.user_key)) {
        drop = true;
      } else {
        to_tombstone = true;
      }
    }
    last_sequence_for_key = ikey.sequence;
    if (drop) continue;

    if (compact->builder == nullptr) {
      s = OpenCompactionOutput(compact, lock);
      if (!s.ok()) break;
    }
    FileMetaData& out = compact->outputs.back();
    std::string_view out_key = key;
    std::string_view out_value = input->value();
    if (to_tombstone) {
      tombstone.clear();
      AppendInternalKey(&tombstone, ParsedInternalKey(ikey.user_key, ikey.sequence, kTypeDeletion));
      out_key = tombstone;
      out_value = {};
    }
    if (compact->builder->NumEntries() == 0) out.smallest.assign(out_key);
    out.largest.assign(out_key);
    compact->builder->Add(out_key, out_value);
  }
  if (s.ok() && shutting_down_.load()) s = Status::IOError("DB closing: compaction abandoned");
  if (s.ok()) {
    s = input->status();
    read_failed = !s.ok();
  }
  if (s.ok() && compact->builder != nullptr) s = FinishCompactionOutput(compact);
  if (compact->builder != nullptr) compact->builder->Abandon();
  compact->builder.reset();
  compact->outfile.reset();
  input.reset();
  if (s.ok() && !compact->outputs.empty()) s = env_->SyncDir(dir_);
  if (!s.ok()) {
    // No edit names the outputs: remove them now, so that retries on a full disk (Resume) do
    // not pile up partial tables while file deletion is off.
    for (const auto& out : compact->outputs) {
      table_cache_->Evict(out.number);
      env_->RemoveFile(TableFileName(dir_, out.number)).IgnoreError();  // best effort
    }
  }

  lock->lock();
  if (!s.ok() && compaction_error_origin_ != "table write (flush)") {
    compaction_error_origin_ = read_failed ? "table read (compaction)" : "table write (compaction)";
    if (read_failed) {
      failed_read_inputs_.clear();
      for (int which = 0; which < 2; which++) {
        for (const auto& f : c->inputs(which))
          failed_read_inputs_.push_back({f->number, f->file_size});
      }
    }
  }
  const uint64_t bytes_read = c->InputBytes();
  counters_.compaction_bytes_read.fetch_add(bytes_read, std::memory_order_relaxed);
  counters_.compaction_bytes_written.fetch_add(compact->bytes_written, std::memory_order_relaxed);
  if (!s.ok()) return s;

  c->AddInputDeletions(c->edit());
  for (const auto& out : compact->outputs) {
    c->edit()->AddFile(c->output_level(), out.number, out.file_size, out.smallest, out.largest);
  }
  s = versions_->LogAndApply(c->edit(), lock);
  if (s.ok()) {
    Info("compacted " + c->Describe() + " -> " + std::to_string(compact->outputs.size()) +
         " files at L" + std::to_string(c->output_level()) + ", " +
         std::to_string(compact->bytes_written) + " bytes in " +
         std::to_string((env_->NowMicros() - start) / 1000) + " ms");
  }
  return s;
}

void DBImpl::RunManualCompaction(int level, bool in_place, const std::string* begin,
                                 const std::string* end) {
  ManualCompaction manual;
  manual.level = level;
  manual.in_place = in_place;
  if (begin != nullptr) manual.begin = *begin;
  if (end != nullptr) manual.end = *end;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!manual.done && bg_error_.ok() && !shutting_down_.load()) {
    if (manual_ == nullptr) {
      manual_ = &manual;
      bg_work_cv_.notify_all();
    }
    bg_done_cv_.wait(lock);
  }
  if (manual_ == &manual) manual_ = nullptr;
  bg_done_cv_.notify_all();  // another manual compaction may be waiting for the slot
}

Status DBImpl::CompactRange(const std::string* begin, const std::string* end) {
  STASH_RETURN_IF_ERROR(Flush());
  std::string_view b, e;
  if (begin != nullptr) b = *begin;
  if (end != nullptr) e = *end;
  int max_level_with_files = 1;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Size compactions wait until this is done, so none moves the range's files to another
    // level between the steps below (flushes go on).
    auto_compaction_pauses_++;
    Version* base = versions_->current();
    for (int level = 1; level < base->num_levels(); level++) {
      if (base->OverlapInLevel(level, begin != nullptr ? &b : nullptr,
                               end != nullptr ? &e : nullptr)) {
        max_level_with_files = level;
      }
    }
  }
  for (int level = 0; level < max_level_with_files; level++) {
    RunManualCompaction(level, /*in_place=*/false, begin, end);
  }
  // The bottom of the range is rewritten too: versions only kept for released snapshots, and
  // values the CompactionFilter now drops, would otherwise stay there for good.
  RunManualCompaction(max_level_with_files, /*in_place=*/true, begin, end);
  std::lock_guard<std::mutex> lock(mutex_);
  if (--auto_compaction_pauses_ == 0) bg_work_cv_.notify_all();
  return bg_error_;
}

}  // namespace stash
