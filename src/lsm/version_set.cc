// VersionSet: applying edits, the MANIFEST, recovery, compaction scores.
//
// MANIFEST format: a log in the wal/ record format (see wal_writer.cc) in which every batch holds
// exactly one op record, an encoded VersionEdit (see version_edit.cc); the batch-end record's
// sequence field is unused (0). A new MANIFEST starts with a snapshot edit (comparator name,
// compaction pointers, every live file) followed by the edit that caused it; CURRENT is switched
// to it only once it is synced. A torn tail (a crash during an append) drops the unfinished edit,
// which was never acknowledged; any other damage refuses to open, naming the file.
#include "lsm/version_set.h"

#include "lsm/table_cache.h"

#include <algorithm>
#include <cassert>
#include <map>

#include "lsm/compaction.h"
#include "lsm/filename.h"
#include "wal/wal_reader.h"
#include "wal/wal_writer.h"

namespace stash {
namespace {

// A MANIFEST larger than this is replaced by a fresh one (snapshot + new edits).
constexpr uint64_t kManifestRollBytes = uint64_t{64} << 20;

}  // namespace

// Accumulates edits on top of a base Version and produces the resulting file layout.
class VersionBuilder {
 public:
  VersionBuilder(VersionSet* vset, Version* base)
      : vset_(vset), base_(base), levels_(vset->num_levels()) {
    base_->Ref();
  }
  ~VersionBuilder() { base_->Unref(); }

  // Corruption when the edit names a level this DB does not have.
  Status Apply(const VersionEdit& edit) {
    const int n = vset_->num_levels();
    for (const auto& [level, key] : edit.compact_pointers) {
      if (level >= n) return LevelError(level);
      vset_->compact_pointer_[level] = key;
    }
    for (const auto& [level, number] : edit.deleted_files) {
      if (level >= n) return LevelError(level);
      if (levels_[level].added.erase(number) == 0) levels_[level].deleted.insert(number);
    }
    for (const auto& [level, f] : edit.new_files) {
      if (level >= n) return LevelError(level);
      levels_[level].deleted.erase(f.number);
      auto meta = std::make_shared<FileMetaData>(f);
      meta->pin = std::make_shared<TablePin>();
      levels_[level].added[f.number] = std::move(meta);
    }
    return Status::OK();
  }

  // Fills v's levels. Corruption when a level >= 1 would hold files whose user-key ranges meet.
  Status SaveTo(Version* v) const {
    const InternalKeyComparator& icmp = *vset_->icmp();
    for (int level = 0; level < vset_->num_levels(); level++) {
      const LevelState& state = levels_[level];
      FileList& files = v->files_[level];
      for (const auto& f : base_->files_[level]) {
        if (state.deleted.count(f->number) == 0 && state.added.count(f->number) == 0) {
          files.push_back(f);
        }
      }
      for (const auto& [number, f] : state.added) files.push_back(f);
      if (level == 0) {
        std::sort(files.begin(), files.end(),
                  [](const auto& a, const auto& b) { return a->number < b->number; });
        continue;
      }
      std::sort(files.begin(), files.end(), [&](const auto& a, const auto& b) {
        int r = icmp.Compare(a->smallest, b->smallest);
        return r != 0 ? r < 0 : a->number < b->number;
      });
      for (size_t i = 1; i < files.size(); i++) {
        if (icmp.CompareUserKeys(ExtractUserKey(files[i - 1]->largest),
                                 ExtractUserKey(files[i]->smallest)) >= 0) {
          return Status::Corruption("overlapping files #" + std::to_string(files[i - 1]->number) +
                                    " and #" + std::to_string(files[i]->number) + " in level " +
                                    std::to_string(level));
        }
      }
    }
    return Status::OK();
  }

 private:
  struct LevelState {
    std::set<uint64_t> deleted;
    std::map<uint64_t, std::shared_ptr<const FileMetaData>> added;
  };

  Status LevelError(int level) const {
    return Status::Corruption("edit names level " + std::to_string(level) + " but num_levels is " +
                              std::to_string(vset_->num_levels()));
  }

  VersionSet* const vset_;
  Version* const base_;
  std::vector<LevelState> levels_;
};

VersionSet::VersionSet(std::string dir, const Options* options, TableCache* table_cache,
                       const InternalKeyComparator* icmp)
    : dir_(std::move(dir)),
      options_(options),
      table_cache_(table_cache),
      icmp_(icmp),
      dummy_versions_(this, 0),
      compact_pointer_(options->num_levels) {
  AppendVersion(new Version(this, options_->num_levels));
}

VersionSet::~VersionSet() {
  current_->Unref();
  assert(dummy_versions_.next_ == &dummy_versions_);  // every Version was released
  if (manifest_log_ != nullptr) {
    // Every edit was synced when it was applied; a close error loses nothing.
    manifest_log_->Close().IgnoreError();
  }
}

void VersionSet::AppendVersion(Version* v) {
  assert(v->refs_ == 0);
  if (current_ != nullptr) current_->Unref();
  current_ = v;
  v->Ref();
  v->prev_ = dummy_versions_.prev_;
  v->next_ = &dummy_versions_;
  v->prev_->next_ = v;
  v->next_->prev_ = v;
}

uint64_t VersionSet::MaxBytesForLevel(int level) const {
  uint64_t result = options_->max_bytes_for_level_base;
  for (int l = 1; l < level; l++) result *= static_cast<uint64_t>(options_->level_size_multiplier);
  return result;
}

void VersionSet::Finalize(Version* v) const {
  int best_level = -1;
  double best_score = -1;
  for (int level = 0; level + 1 < num_levels(); level++) {
    double score;
    if (level == 0) {
      // Counted in files, not bytes: every L0 file costs each read a lookup.
      score = v->NumFiles(0) / static_cast<double>(options_->l0_compaction_trigger);
    } else {
      score =
          static_cast<double>(v->LevelBytes(level)) / static_cast<double>(MaxBytesForLevel(level));
    }
    if (score > best_score) {
      best_score = score;
      best_level = level;
    }
  }
  v->compaction_level_ = best_level;
  v->compaction_score_ = best_score;
}

uint64_t VersionSet::PendingCompactionBytes() const {
  uint64_t total = 0;
  if (current_->NumFiles(0) >= options_->l0_compaction_trigger) total += current_->LevelBytes(0);
  for (int level = 1; level + 1 < num_levels(); level++) {
    uint64_t bytes = current_->LevelBytes(level);
    if (bytes > MaxBytesForLevel(level)) total += bytes - MaxBytesForLevel(level);
  }
  return total;
}

void VersionSet::AddLiveFiles(std::set<uint64_t>* live) const {
  for (const Version* v = dummy_versions_.next_; v != &dummy_versions_; v = v->next_) {
    for (const auto& files : v->files_) {
      for (const auto& f : files) live->insert(f->number);
    }
  }
}

std::string VersionSet::EncodeSnapshot() const {
  VersionEdit edit;
  edit.comparator_name = icmp_->user_comparator()->Name();
  for (int level = 0; level < num_levels(); level++) {
    if (!compact_pointer_[level].empty()) {
      edit.compact_pointers.emplace_back(level, compact_pointer_[level]);
    }
    for (const auto& f : current_->files_[level]) edit.new_files.emplace_back(level, *f);
  }
  std::string record;
  edit.EncodeTo(&record);
  return record;
}

Status VersionSet::LogAndApply(VersionEdit* edit, std::unique_lock<std::mutex>* lock) {
  if (edit->log_number) {
    assert(*edit->log_number >= log_number_);
    assert(*edit->log_number < next_file_number_);
  } else {
    edit->log_number = log_number_;
  }

  // A new MANIFEST on the first edit after open, or when the current one has grown too big.
  const bool new_manifest = manifest_log_ == nullptr || manifest_log_->Size() >= kManifestRollBytes;
  uint64_t new_manifest_number = 0;
  std::string snapshot;
  if (new_manifest) {
    new_manifest_number = NewFileNumber();
    snapshot = EncodeSnapshot();  // the state before this edit, which follows it
  }
  edit->next_file_number = next_file_number_;
  edit->last_sequence = last_sequence_;

  Status s;
  auto* v = new Version(this, num_levels());
  {
    VersionBuilder builder(this, current_);
    s = builder.Apply(*edit);
    if (s.ok()) s = builder.SaveTo(v);
  }
  if (!s.ok()) {
    delete v;
    return s;
  }
  Finalize(v);

  std::string record;
  edit->EncodeTo(&record);
  lock->unlock();
  std::unique_ptr<wal::WalWriter> new_log;
  if (new_manifest) {
    std::unique_ptr<WritableFile> file;
    s = options_->env->NewWritableFile(DescriptorFileName(dir_, new_manifest_number), &file);
    if (s.ok()) {
      new_log = std::make_unique<wal::WalWriter>(std::move(file), 0);
      new_log->AddRecord(snapshot);
      new_log->EndBatch(0);
    }
  }
  wal::WalWriter* log = new_manifest ? new_log.get() : manifest_log_.get();
  if (s.ok()) {
    log->AddRecord(record);
    log->EndBatch(0);
    s = log->Sync();
  }
  // The MANIFEST's own directory entry must be durable before CURRENT names it.
  if (s.ok() && new_manifest) s = options_->env->SyncDir(dir_);
  if (s.ok() && new_manifest) s = SetCurrentFile(options_->env, dir_, new_manifest_number);
  lock->lock();

  if (!s.ok()) {
    delete v;
    // The log may now end in a partial record, and CURRENT may already name a new MANIFEST that
    // failed: never append to either again. The next edit writes a fresh MANIFEST (a snapshot of
    // the state in memory, which never took this edit) and points CURRENT at it. Until then
    // nobody knows whether the edit is durable, so the DB deletes no files (ManifestUncertain).
    manifest_log_.reset();
    manifest_uncertain_ = true;
    return s;
  }
  manifest_uncertain_ = false;
  if (new_manifest) {
    if (manifest_log_ != nullptr) {
      // Superseded: CURRENT no longer names it, and everything in it was synced before.
      manifest_log_->Close().IgnoreError();
    }
    manifest_log_ = std::move(new_log);
    manifest_file_number_ = new_manifest_number;
  }
  AppendVersion(v);
  log_number_ = *edit->log_number;
  return Status::OK();
}

Status VersionSet::Recover() {
  Env* env = options_->env;
  std::string manifest_name;
  STASH_RETURN_IF_ERROR(ReadCurrentFile(env, dir_, &manifest_name));
  const std::string path = JoinPath(dir_, manifest_name);
  std::unique_ptr<SequentialFile> file;
  Status s = env->NewSequentialFile(path, &file);
  if (s.IsNotFound()) return Status::Corruption("CURRENT names " + path + ", which is missing");
  STASH_RETURN_IF_ERROR(s);

  wal::WalReader reader(std::move(file), path, /*is_newest_log=*/true, wal::RecoveryMode::kStrict);
  VersionBuilder builder(this, current_);
  std::optional<uint64_t> log_number, next_file, last_sequence;
  wal::WalBatch batch;
  uint64_t batch_start = 0;
  while (reader.ReadBatch(&batch)) {
    for (const std::string& record : batch.records) {
      VersionEdit edit;
      s = edit.DecodeFrom(record);
      if (s.ok() && edit.comparator_name &&
          *edit.comparator_name != icmp_->user_comparator()->Name()) {
        return Status::InvalidArgument(path + ": written with comparator " + *edit.comparator_name +
                                       ", opened with " + icmp_->user_comparator()->Name());
      }
      if (s.ok()) s = builder.Apply(edit);
      if (!s.ok()) {
        return Status::Corruption(path + ": " + s.message() + " in the edit at offset " +
                                  std::to_string(batch_start));
      }
      if (edit.log_number) log_number = edit.log_number;
      if (edit.next_file_number) next_file = edit.next_file_number;
      if (edit.last_sequence) last_sequence = edit.last_sequence;
    }
    batch_start = batch.end_offset;
  }
  STASH_RETURN_IF_ERROR(reader.status());
  if (reader.DroppedTornTail() && options_->info_log) {
    options_->info_log("MANIFEST " + path + ": dropped an unfinished edit at its end (" +
                       std::to_string(reader.DroppedBytes()) + " bytes)");
  }
  if (!next_file) return Status::Corruption(path + ": no next-file-number entry");
  if (!log_number) return Status::Corruption(path + ": no log-number entry");
  if (!last_sequence) return Status::Corruption(path + ": no last-sequence entry");

  auto* v = new Version(this, num_levels());
  s = builder.SaveTo(v);
  if (!s.ok()) {
    delete v;
    return Status::Corruption(path + ": " + s.message());
  }
  Finalize(v);
  AppendVersion(v);
  manifest_file_number_ = 0;  // set below; the old MANIFEST stays live until a new one is named
  next_file_number_ = *next_file;
  log_number_ = *log_number;
  last_sequence_ = *last_sequence;
  uint64_t number;
  FileType type;
  if (ParseFileName(manifest_name, &number, &type)) {
    manifest_file_number_ = number;
    MarkFileNumberUsed(number);
  }
  MarkFileNumberUsed(log_number_);
  return Status::OK();
}

}  // namespace stash
