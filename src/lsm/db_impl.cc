// DBImpl: construction and shutdown, the read path, snapshots, stats and file garbage collection.
#include "lsm/db_impl.h"

#include <algorithm>

#include "lsm/cache.h"
#include "lsm/db_iter.h"
#include "lsm/filename.h"
#include "lsm/memtable.h"
#include "lsm/merging_iterator.h"
#include "lsm/table_cache.h"
#include "lsm/version_set.h"
#include "wal/wal_writer.h"

namespace stash {

DBImpl::DBImpl(const Options& options, std::string dir)
    : options_(options), dir_(std::move(dir)), env_(options.env), icmp_(options.comparator) {
  if (options_.bloom_bits_per_key > 0) {
    bloom_.reset(NewBloomFilterPolicy(options_.bloom_bits_per_key));
    internal_filter_ = std::make_unique<InternalFilterPolicy>(bloom_.get());
  }
  if (options_.block_cache_size > 0) block_cache_ = NewLRUCache(options_.block_cache_size);
  table_options_.comparator = &icmp_;
  table_options_.block_size = options_.block_size;
  table_options_.block_restart_interval = options_.block_restart_interval;
  table_options_.compression = options_.compression;
  table_options_.compression_level = options_.compression_level;
  table_options_.filter_policy = internal_filter_.get();
  table_options_.block_cache = block_cache_.get();
  table_options_.verify_checksums = true;
  table_options_uncompressed_ = table_options_;
  table_options_uncompressed_.compression = TableOptions::Compression::kNone;
  table_cache_ = std::make_unique<TableCache>(
      dir_, &table_options_, env_, options_.max_open_files,
      options_.block_cache_includes_tables ? options_.block_cache_size : 0);
  versions_ = std::make_unique<VersionSet>(dir_, &options_, table_cache_.get(), &icmp_);
}

DBImpl::~DBImpl() {
  // The destructor has nobody to report to; callers wanting the Status call Close() first.
  Close().IgnoreError();
}

Status DBImpl::Close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return Status::OK();
    closed_ = true;
    shutting_down_.store(true);
    bg_work_cv_.notify_all();
  }
  if (bg_thread_.joinable()) bg_thread_.join();
  {
    std::lock_guard<std::mutex> lock(sync_mutex_);
    sync_stop_ = true;
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();

  Status s;
  bool log_failed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    log_failed = log_failed_;
  }
  {
    std::lock_guard<std::mutex> lock(log_mutex_);
    // A log whose write or sync failed is left as it is (cut back to its last good group, see
    // CutFailedGroup): nothing more is written to it.
    if (log_ != nullptr && log_failed) {
      log_->Close().IgnoreError();  // its error is the one already reported
      log_.reset();
    }
    if (log_ != nullptr) {
      if (log_dirty_ && options_.appendfsync != AppendFsync::kNo) {
        s = log_->Sync();
        counters_.wal_syncs.fetch_add(1, std::memory_order_relaxed);
      }
      if (s.ok() && options_.appendfsync != AppendFsync::kNo) {
        // The log's last sync goes on record in the log too, so that recovery can tell damage
        // anywhere in it from a torn tail (see wal_writer.cc).
        const uint64_t before = log_->Size();
        log_->EncodePendingSyncMark();
        if (log_->Size() != before) {
          s = log_->Sync();
          counters_.wal_syncs.fetch_add(1, std::memory_order_relaxed);
        }
      }
      Status close = log_->Close();
      if (s.ok()) s = close;
      log_.reset();
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (super_version_ != nullptr) {
      UnrefSuperVersionLocked(super_version_);
      super_version_ = nullptr;
    }
    if (mem_ != nullptr) mem_->Unref();
    mem_ = nullptr;
    for (auto& imm : imms_) imm.mem->Unref();
    imms_.clear();
    has_imm_.store(false);
    versions_.reset();
  }
  db_lock_.reset();
  return s;
}

void DBImpl::Info(const std::string& message) const {
  if (!options_.info_log) return;
  std::lock_guard<std::mutex> lock(info_mutex_);
  options_.info_log(message);
}

void DBImpl::RecordBackgroundErrorFrom(std::string_view origin, const Status& s) {
  if (s.ok() || !bg_error_.ok()) return;
  bg_error_origin_ = origin;
  last_bg_error_origin_ = origin;
  RecordBackgroundError(s);
}

std::string DBImpl::BackgroundErrorOrigin() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!bg_error_.ok()) return bg_error_origin_;
  return resuming_from_.ok() ? std::string() : last_bg_error_origin_;
}

void DBImpl::RecordBackgroundError(const Status& s) {
  if (s.ok() || !bg_error_.ok()) return;
  bg_error_ = s;
  last_bg_error_ = s.ToString();
  last_bg_error_micros_ = env_->NowMicros();
  counters_.background_errors.fetch_add(1, std::memory_order_relaxed);
  if (!retry_quiet_) {
    Info("entering read-only mode after a failed " +
         (bg_error_origin_.empty() ? std::string("background write") : bg_error_origin_) + ": " +
         s.ToString());
  }
  bg_done_cv_.notify_all();
}

Status DBImpl::BackgroundError() {
  std::lock_guard<std::mutex> lock(mutex_);
  // While a Resume retries, writes are still held back: report the error until it is done.
  return bg_error_.ok() ? resuming_from_ : bg_error_;
}

uint64_t DBImpl::LastSequence() { return visible_sequence_.load(std::memory_order_acquire); }

void DBImpl::InstallSuperVersion() {
  auto* sv = new SuperVersion;
  sv->mem = mem_;
  sv->mem->Ref();
  for (auto it = imms_.rbegin(); it != imms_.rend(); ++it) {
    it->mem->Ref();
    sv->imms.push_back(it->mem);
  }
  sv->current = versions_->current();
  sv->current->Ref();
  sv->refs.store(1, std::memory_order_relaxed);  // the DB's own reference
  SuperVersion* old;
  {
    std::lock_guard<SpinLock> sv_lock(sv_lock_);
    old = super_version_;
    super_version_ = sv;
  }
  if (old != nullptr) UnrefSuperVersionLocked(old);
}

void DBImpl::UnrefSuperVersionLocked(SuperVersion* sv) {
  if (sv->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) FreeSuperVersionLocked(sv);
}

void DBImpl::FreeSuperVersionLocked(SuperVersion* sv) {
  // Its last reference is gone, and nobody can take a new one: only the installed super
  // version is handed out, and this one was replaced before the DB's own reference went.
  sv->mem->Unref();
  for (MemTable* m : sv->imms) m->Unref();
  sv->current->Unref();
  delete sv;
}

void DBImpl::PublishSequence(SequenceNumber seq) {
  versions_->SetLastSequence(seq);
  visible_sequence_.store(seq, std::memory_order_release);
}

DBImpl::SuperVersion* DBImpl::AcquireSuperVersion(const ReadOptions& options,
                                                  SequenceNumber* sequence) {
  // Both under sv_lock_: a super version installed before this (a compaction's, which may have
  // dropped what only sequences below its start could see) comes with a sequence at least as
  // new as that start, and a sequence is published only after the memtable holding its writes
  // was installed.
  std::lock_guard<SpinLock> sv_lock(sv_lock_);
  SuperVersion* sv = super_version_;
  sv->refs.fetch_add(1, std::memory_order_relaxed);
  *sequence = options.snapshot != nullptr ? options.snapshot->sequence()
                                          : visible_sequence_.load(std::memory_order_acquire);
  return sv;
}

void DBImpl::ReleaseSuperVersion(SuperVersion* sv) {
  if (sv->refs.fetch_sub(1, std::memory_order_acq_rel) > 1) return;
  std::lock_guard<std::mutex> lock(mutex_);
  FreeSuperVersionLocked(sv);
}

bool DBImpl::WrittenInMemory(const SuperVersion& sv, std::string_view key, SequenceNumber seq) {
  // A memtable whose index cannot tell counts as holding such a write.
  if (sv.mem->WrittenAfter(key, seq).value_or(true)) return true;
  for (const MemTable* m : sv.imms) {
    if (m->WrittenAfter(key, seq).value_or(true)) return true;
  }
  return false;
}

Status DBImpl::ReadAhead(std::string_view key, std::string* value, uint64_t* read_at) {
  SuperVersion* sv = AcquireSuperVersion(ReadOptions(), read_at);
  Status s = WrittenInMemory(*sv, key, 0) ? Status::Busy("in a memtable")
                                          : sv->current->Get(LookupKey(key, *read_at), value);
  ReleaseSuperVersion(sv);
  return s;
}

bool DBImpl::UnchangedSince(std::string_view key, uint64_t seq) {
  SequenceNumber last;
  SuperVersion* sv = AcquireSuperVersion(ReadOptions(), &last);
  // Memtables leave the super version oldest first (imms is newest first), so the oldest one
  // present tells whether every write after seq is still in memory.
  const MemTable* oldest = sv->imms.empty() ? sv->mem : sv->imms.back();
  const bool unchanged =
      seq <= last && oldest->base_sequence() <= seq && !WrittenInMemory(*sv, key, seq);
  ReleaseSuperVersion(sv);
  return unchanged;
}

Status DBImpl::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  SequenceNumber sequence;
  SuperVersion* sv = AcquireSuperVersion(options, &sequence);
  LookupKey lkey(key, sequence);
  Status s;
  bool done = sv->mem->Get(lkey, value, &s);
  for (size_t i = 0; !done && i < sv->imms.size(); i++) done = sv->imms[i]->Get(lkey, value, &s);
  if (!done) s = sv->current->Get(lkey, value);
  ReleaseSuperVersion(sv);
  return s;
}

std::unique_ptr<Iterator> DBImpl::NewIterator(const ReadOptions& options) {
  SequenceNumber sequence;
  SuperVersion* sv = AcquireSuperVersion(options, &sequence);
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(sv->mem->NewIterator());
  for (MemTable* m : sv->imms) children.push_back(m->NewIterator());
  sv->current->AddIterators(&children);
  auto iter = NewDBIterator(icmp_.user_comparator(),
                            NewMergingIterator(&icmp_, std::move(children)), sequence);
  // Runs after the iterator's children are gone (base-class cleanup).
  iter->RegisterCleanup([this, sv] { ReleaseSuperVersion(sv); });
  return iter;
}

const Snapshot* DBImpl::GetSnapshot() {
  std::lock_guard<std::mutex> lock(mutex_);
  return snapshots_.New(versions_->LastSequence());
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  std::lock_guard<std::mutex> lock(mutex_);
  snapshots_.Delete(static_cast<const SnapshotImpl*>(snapshot));
  if (!reclaims_.empty()) bg_work_cv_.notify_all();  // a reclaim may wait for this snapshot
}

DbStats DBImpl::GetStats() {
  DbStats st;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    st.memtable_bytes = mem_->ApproximateMemoryUsage();
    for (const auto& imm : imms_) st.memtable_bytes += imm.mem->ApproximateMemoryUsage();
    st.immutable_memtables = static_cast<int>(imms_.size());
    const Version* v = versions_->current();
    for (int level = 0; level < v->num_levels(); level++) {
      st.levels.push_back({v->NumFiles(level), v->LevelBytes(level)});
    }
    st.pending_compaction_bytes = versions_->PendingCompactionBytes();
    st.last_sequence = versions_->LastSequence();
    st.last_background_error = last_bg_error_;
    st.last_background_error_origin = last_bg_error_origin_;
    st.last_background_error_micros = last_bg_error_micros_;
    for (const auto& imm : imms_) st.wal_live_bytes += imm.log_bytes;
    st.pending_reclaims = static_cast<int>(reclaims_.size());
  }
  {
    std::lock_guard<std::mutex> lock(log_mutex_);
    if (log_ != nullptr) st.wal_live_bytes += log_->Size();
  }
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  st.compactions = get(counters_.compactions);
  st.trivial_moves = get(counters_.trivial_moves);
  st.flushes = get(counters_.flushes);
  st.compaction_bytes_read = get(counters_.compaction_bytes_read);
  st.compaction_bytes_written = get(counters_.compaction_bytes_written);
  st.flush_bytes_written = get(counters_.flush_bytes_written);
  st.user_bytes_written = get(counters_.user_bytes_written);
  st.stall_micros = get(counters_.stall_micros);
  st.wal_bytes_written = get(counters_.wal_bytes_written);
  st.wal_syncs = get(counters_.wal_syncs);
  st.recovered_batches = get(counters_.recovered_batches);
  st.recovered_bytes = get(counters_.recovered_bytes);
  st.torn_tail_dropped_bytes = get(counters_.torn_tail_dropped_bytes);
  st.recovered_logs = get(counters_.recovered_logs);
  st.recovery_micros = get(counters_.recovery_micros);
  st.background_errors = get(counters_.background_errors);
  st.resumes = get(counters_.resumes);
  st.reclaimed_files = get(counters_.reclaimed_files);
  st.reclaimed_bytes = get(counters_.reclaimed_bytes);
  if (st.user_bytes_written > 0) {
    st.write_amplification = static_cast<double>(st.wal_bytes_written + st.flush_bytes_written +
                                                 st.compaction_bytes_written) /
                             static_cast<double>(st.user_bytes_written);
  }
  st.table_memory = table_cache_->MemoryUsage();
  if (block_cache_ != nullptr) {
    st.block_cache_hits = block_cache_->Hits();
    st.block_cache_misses = block_cache_->Misses();
    st.block_cache_usage = block_cache_->TotalCharge();
    st.block_cache_capacity = block_cache_->Capacity();
  }
  return st;
}

std::string DBImpl::DebugLevels() {
  std::lock_guard<std::mutex> lock(mutex_);
  return versions_->current()->DebugString();
}

void DBImpl::RemoveObsoleteFiles(std::unique_lock<std::mutex>* lock) {
  // After a failed MANIFEST write nobody knows whether the new state was committed, so deleting
  // anything could destroy live data (until a fresh MANIFEST has been written after Resume).
  if (!bg_error_.ok() || versions_->ManifestUncertain()) return;
  std::set<uint64_t> live = pending_outputs_;
  versions_->AddLiveFiles(&live);
  const uint64_t log_number = versions_->LogNumber();
  const uint64_t manifest_number = versions_->ManifestFileNumber();
  // Files numbered from here on were created after this snapshot of the live set.
  const uint64_t newer_than_snapshot = versions_->NextFileNumber();
  lock->unlock();

  std::vector<std::string> names;
  Status s = env_->GetChildren(dir_, &names);
  if (!s.ok()) {
    Info("cannot list " + dir_ + " to delete obsolete files: " + s.ToString());
  }
  for (const std::string& name : names) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    bool keep = true;
    switch (type) {
      case FileType::kLogFile:
        keep = number >= log_number;
        break;
      case FileType::kDescriptorFile:
        keep = number >= manifest_number;
        break;
      case FileType::kTableFile:
        keep = live.count(number) > 0 || number >= newer_than_snapshot;
        break;
      case FileType::kTempFile:
        // CURRENT is only rewritten by LogAndApply, which runs on this same thread.
        keep = number >= newer_than_snapshot;
        break;
      case FileType::kCurrentFile:
      case FileType::kLockFile:
        keep = true;
        break;
    }
    if (keep) continue;
    if (type == FileType::kTableFile) table_cache_->Evict(number);
    Status r = env_->RemoveFile(JoinPath(dir_, name));
    if (!r.ok()) Info("cannot delete obsolete file " + name + ": " + r.ToString());
  }
  lock->lock();
}

}  // namespace stash
