// DB::Open: lock the directory, recover the MANIFEST, replay the WALs, start a fresh log.
//
// Recovery choice: the memtable rebuilt from the logs is flushed to L0 before Open returns, and
// writes go to a brand-new log. The edit that adds those L0 files also moves the MANIFEST's log
// number past every replayed log, so the old logs (and a torn tail in the newest, which is
// truncated first) are deleted once that edit is durable. Nothing is ever appended after a
// damaged spot, and the replayed logs are read exactly once.
//
// The cut of a torn tail is fsynced before the new log is created: a crash before the MANIFEST
// edit would otherwise bring the tail back in a log that is no longer the newest, where damage
// is corruption. Sequence numbers must continue from batch to batch, across logs too (a commit
// group gives its batches consecutive numbers, and a log switch or a cut-back log keeps them
// consecutive); a gap or an overlap is corruption, named by file and offset.
#include <algorithm>

#include "lsm/db_impl.h"
#include "lsm/filename.h"
#include "lsm/log_sequence.h"
#include "lsm/memtable.h"
#include "lsm/version_set.h"
#include "lsm/write_batch.h"
#include "wal/wal_reader.h"
#include "wal/wal_writer.h"

namespace stash {
namespace {

Status ValidateOptions(const Options& o) {
  auto bad = [](const std::string& what) { return Status::InvalidArgument("options: " + what); };
  if (o.env == nullptr) return bad("env is null");
  if (o.comparator == nullptr) return bad("comparator is null");
  if (o.num_levels < 2 || o.num_levels > kMaxNumLevels) {
    return bad("num_levels must be in [2, " + std::to_string(kMaxNumLevels) + "]");
  }
  if (o.memtable_size == 0) return bad("memtable_size must be > 0");
  if (o.max_immutable_memtables < 1) return bad("max_immutable_memtables must be >= 1");
  if (o.l0_compaction_trigger < 1 || o.l0_slowdown_trigger < o.l0_compaction_trigger ||
      o.l0_stop_trigger < o.l0_slowdown_trigger) {
    return bad("need 1 <= l0_compaction_trigger <= l0_slowdown_trigger <= l0_stop_trigger");
  }
  if (o.level_size_multiplier < 2) return bad("level_size_multiplier must be >= 2");
  if (o.target_file_size == 0) return bad("target_file_size must be > 0");
  if (o.max_bytes_for_level_base == 0) return bad("max_bytes_for_level_base must be > 0");
  if (o.block_size == 0 || o.block_restart_interval < 1) return bad("bad block layout");
  if (o.bloom_bits_per_key < 0) return bad("bloom_bits_per_key must be >= 0");
  if (o.max_open_files < 1) return bad("max_open_files must be >= 1");
  return Status::OK();
}

}  // namespace

Status DB::Open(const Options& options, const std::string& dir, std::unique_ptr<DB>* out) {
  out->reset();
  STASH_RETURN_IF_ERROR(ValidateOptions(options));
  auto impl = std::make_unique<DBImpl>(options, dir);
  STASH_RETURN_IF_ERROR(impl->OpenImpl());
  *out = std::move(impl);
  return Status::OK();
}

Status DBImpl::NewDB() {
  VersionEdit edit;
  edit.comparator_name = icmp_.user_comparator()->Name();
  edit.log_number = 0;
  edit.next_file_number = 2;
  edit.last_sequence = 0;
  std::string record;
  edit.EncodeTo(&record);

  const std::string path = DescriptorFileName(dir_, 1);
  std::unique_ptr<WritableFile> file;
  STASH_RETURN_IF_ERROR(env_->NewWritableFile(path, &file));
  wal::WalWriter log(std::move(file), 0);
  log.AddRecord(record);
  log.EndBatch(0);
  Status s = log.Sync();
  Status close = log.Close();
  if (s.ok()) s = close;
  if (s.ok()) s = env_->SyncDir(dir_);
  if (s.ok()) s = SetCurrentFile(env_, dir_, 1);
  if (!s.ok()) env_->RemoveFile(path).IgnoreError();  // best effort: CURRENT never named it
  return s;
}

Status DBImpl::OpenImpl() {
  const uint64_t start = env_->NowMicros();
  if (options_.create_if_missing) STASH_RETURN_IF_ERROR(env_->CreateDirIfMissing(dir_));
  STASH_RETURN_IF_ERROR(env_->LockFile(LockFileName(dir_), &db_lock_));

  std::unique_lock<std::mutex> lock(mutex_);
  if (!env_->FileExists(CurrentFileName(dir_))) {
    if (!options_.create_if_missing) {
      return Status::InvalidArgument(dir_ + ": no database here (create_if_missing is off)");
    }
    STASH_RETURN_IF_ERROR(NewDB());
    Info("created a new database in " + dir_);
  } else if (options_.error_if_exists) {
    return Status::InvalidArgument(dir_ + ": a database exists (error_if_exists is on)");
  }
  STASH_RETURN_IF_ERROR(versions_->Recover());

  std::vector<std::string> names;
  STASH_RETURN_IF_ERROR(env_->GetChildren(dir_, &names));
  std::set<uint64_t> expected;
  versions_->AddLiveFiles(&expected);
  std::vector<uint64_t> logs;
  for (const std::string& name : names) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    // Logs and tables created after the MANIFEST's last edit still own their numbers.
    versions_->MarkFileNumberUsed(number);
    if (type == FileType::kTableFile) expected.erase(number);
    if (type == FileType::kLogFile && number >= versions_->LogNumber()) logs.push_back(number);
  }
  if (!expected.empty()) {
    return Status::Corruption(std::to_string(expected.size()) +
                              " table file(s) named by the MANIFEST are missing, e.g. " +
                              TableFileName(dir_, *expected.begin()));
  }
  std::sort(logs.begin(), logs.end());
  std::vector<uint64_t> log_sizes(logs.size(), 0);  // for progress reports only
  for (size_t i = 0; i < logs.size(); i++) {
    env_->GetFileSize(LogFileName(dir_, logs[i]), &log_sizes[i]).IgnoreError();
    replay_progress_.total_bytes += log_sizes[i];
  }
  replay_progress_.last_report_micros = start;
  // The total is known now: report it before the first batch (INFO shows it during a replay).
  if (options_.replay_progress && !logs.empty()) {
    options_.replay_progress(0, replay_progress_.total_bytes);
  }

  VersionEdit edit;
  SequenceNumber max_sequence = versions_->LastSequence();
  SequenceNumber next_sequence = 0;
  MemTable* mem = nullptr;
  Status s;
  size_t replayed = 0;
  for (size_t i = 0; i < logs.size() && s.ok(); i++) {
    bool stop = false;
    s = ReplayLog(logs[i], i + 1 == logs.size(), &edit, &max_sequence, &next_sequence, &mem, &stop,
                  &lock);
    replayed++;
    replay_progress_.done_bytes += log_sizes[i];
    if (s.ok() && stop && i + 1 < logs.size()) {
      Info("point-in-time recovery: skipping " + std::to_string(logs.size() - i - 1) +
           " later log(s)");
      break;
    }
  }
  uint64_t l0_file = 0;
  if (s.ok() && mem != nullptr) s = WriteLevel0Table(mem, &edit, &l0_file, &lock);
  if (mem != nullptr) mem->Unref();
  if (!s.ok()) return s;
  PublishSequence(max_sequence);

  // A fresh log for new writes; durable (with its directory entry) before the MANIFEST names it.
  const uint64_t log_number = versions_->NewFileNumber();
  STASH_RETURN_IF_ERROR(NewLogFile(log_number, &log_));
  edit.log_number = log_number;
  s = versions_->LogAndApply(&edit, &lock);
  pending_outputs_.clear();
  if (!s.ok()) return s;

  mem_ = NewMemTable();
  mem_log_number_ = log_number;
  InstallSuperVersion();
  RemoveObsoleteFiles(&lock);

  counters_.recovered_logs.store(replayed);
  counters_.recovery_micros.store(env_->NowMicros() - start);
  Info("opened " + dir_ + ": replayed " + std::to_string(replayed) + " log(s), " +
       std::to_string(counters_.recovered_batches.load()) + " batches, " +
       std::to_string(counters_.recovered_bytes.load()) + " bytes; " +
       std::to_string(edit.new_files.size()) + " L0 file(s) written; torn tail dropped " +
       std::to_string(counters_.torn_tail_dropped_bytes.load()) + " bytes; last sequence " +
       std::to_string(max_sequence) + "; took " +
       std::to_string((env_->NowMicros() - start) / 1000) + " ms");

  bg_thread_ = std::thread([this] { BackgroundLoop(); });
  if (options_.appendfsync == AppendFsync::kEverySec) {
    sync_thread_ = std::thread([this] { WalSyncLoop(); });
  }
  return Status::OK();
}

Status DBImpl::ReplayLog(uint64_t number, bool newest, VersionEdit* edit,
                         SequenceNumber* max_sequence, SequenceNumber* next_sequence,
                         MemTable** mem, bool* stop, std::unique_lock<std::mutex>* lock) {
  const std::string path = LogFileName(dir_, number);
  std::unique_ptr<SequentialFile> file;
  STASH_RETURN_IF_ERROR(env_->NewSequentialFile(path, &file));
  wal::WalReader reader(std::move(file), path, newest, options_.wal_recovery);
  wal::WalBatch wal_batch;
  WriteBatch batch;
  uint64_t batches = 0;
  while (reader.ReadBatch(&wal_batch)) {
    const uint64_t done = replay_progress_.done_bytes + wal_batch.end_offset;
    if (options_.replay_progress) options_.replay_progress(done, replay_progress_.total_bytes);
    if (env_->NowMicros() - replay_progress_.last_report_micros >=
        options_.replay_progress_interval_micros) {
      replay_progress_.last_report_micros = env_->NowMicros();
      const uint64_t total = std::max<uint64_t>(replay_progress_.total_bytes, 1);
      Info("replaying " + path + ": " + std::to_string(done >> 20) + " of " +
           std::to_string(total >> 20) + " MiB of logs (" + std::to_string(done * 100 / total) +
           "%), " + std::to_string(batches) + " batches from this log so far");
    }
    Status s = WriteBatch::FromWalRecords(wal_batch.first_seq, wal_batch.records, &batch);
    if (!s.ok()) {
      std::string what = path + ": batch ending at offset " + std::to_string(wal_batch.end_offset) +
                         " does not decode: " + s.message();
      if (options_.wal_recovery == wal::RecoveryMode::kPointInTime) {
        Info("point-in-time recovery stops at " + what);
        *stop = true;
        break;
      }
      return Status::Corruption(what);
    }
    if (batch.Count() == 0) continue;
    s = CheckBatchSequence(path, wal_batch, next_sequence);
    if (!s.ok()) {
      if (options_.wal_recovery == wal::RecoveryMode::kPointInTime) {
        Info("point-in-time recovery stops at " + s.message());
        *stop = true;
        break;
      }
      return s;
    }
    if (*mem == nullptr) {
      *mem = NewMemTable();
    }
    STASH_RETURN_IF_ERROR(batch.InsertInto(*mem));
    batches++;
    *max_sequence =
        std::max<SequenceNumber>(*max_sequence, wal_batch.first_seq + batch.Count() - 1);
    if (MemTableFull(*mem)) {
      uint64_t file_number = 0;
      s = WriteLevel0Table(*mem, edit, &file_number, lock);
      (*mem)->Unref();
      *mem = nullptr;
      STASH_RETURN_IF_ERROR(s);
    }
  }
  STASH_RETURN_IF_ERROR(reader.status());
  counters_.recovered_batches.fetch_add(batches);
  counters_.recovered_bytes.fetch_add(reader.LastGoodOffset());
  if (reader.DroppedTornTail()) {
    counters_.torn_tail_dropped_bytes.fetch_add(reader.DroppedBytes());
    Info(path + ": dropped torn tail of " + std::to_string(reader.DroppedBytes()) +
         " bytes at offset " + std::to_string(reader.LastGoodOffset()) + " (" +
         reader.DropReason() + "); truncating");
    STASH_RETURN_IF_ERROR(TruncateFileDurably(env_, path, reader.LastGoodOffset()));
  } else if (!reader.DropReason().empty()) {
    Info(path + ": point-in-time recovery stopped at offset " +
         std::to_string(reader.LastGoodOffset()) + ", dropping " +
         std::to_string(reader.DroppedBytes()) + " bytes: " + reader.DropReason());
    *stop = true;
  }
  return Status::OK();
}

}  // namespace stash
