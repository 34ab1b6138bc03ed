// FaultInjectionEnv: pass-through Env that tracks what a power loss would undo (see header).
#include "util/fault_env.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace stash {
namespace {

std::string NormalizeDir(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir.empty() ? "." : dir;
}

std::string DirOf(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return NormalizeDir(p.substr(0, slash));
}

Status SimulatedCrash() { return Status::IOError("simulated crash"); }

constexpr uint64_t kPageSize = 4096;

// Junk for a kGarbage page, the same for the same offset (reproducible tests).
char GarbageByte(uint64_t offset) {
  uint64_t x = (offset + 1) * 0x9E3779B97F4A7C15ULL;
  return static_cast<char>((x ^ (x >> 29)) >> 24);
}

}  // namespace

struct FaultInjectionEnv::FileNode {
  std::string path;     // current name; empty once removed or replaced
  uint64_t size = 0;    // bytes in the file, as written through this env
  uint64_t synced = 0;  // size as of the last successful Sync
  // Set by a truncate below the synced size that no Sync has followed yet: the durable bytes it
  // cut away, which a power loss puts back after [0, synced).
  std::optional<std::string> lost_tail;

  // What of content (the file's bytes now) survives a power loss for sure.
  std::string Durable(std::string_view content) const {
    std::string d(content.substr(0, std::min<uint64_t>(synced, content.size())));
    if (lost_tail.has_value()) d += *lost_tail;
    return d;
  }
  void MarkSynced() {
    synced = size;
    lost_tail.reset();
  }
};

struct FaultInjectionEnv::DirOp {
  enum class Kind { kCreate, kRename, kRemove };
  Kind kind = Kind::kCreate;
  std::string path;                        // the created or removed file, or the rename source
  std::string target;                      // rename target
  std::vector<std::string> unsynced_dirs;  // durable once all of these were synced
  bool has_backup = false;                 // remove: always; rename: the target existed
  std::string backup;                      // content of the removed or replaced file at that time
  std::shared_ptr<FileNode> backup_node;   // its tracking node, when it was tracked
};

class FaultInjectionEnv::TrackedFile final : public WritableFile {
 public:
  TrackedFile(FaultInjectionEnv* env, std::unique_ptr<WritableFile> base,
              std::shared_ptr<FileNode> node, uint64_t generation)
      : env_(env), base_(std::move(base)), node_(std::move(node)), generation_(generation) {}

  Status Append(std::string_view data) override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    STASH_RETURN_IF_ERROR(CheckAliveLocked());
    STASH_RETURN_IF_ERROR(env_->BeginMutationLocked());
    if (!env_->write_error_.ok()) return env_->write_error_;
    size_t n = data.size();
    Status limit;
    if (env_->byte_limit_armed_) {
      if (n > env_->bytes_left_) {
        n = static_cast<size_t>(env_->bytes_left_);
        limit = env_->byte_limit_error_;
        env_->byte_limit_hit_ = true;
      }
      env_->bytes_left_ -= n;
    }
    if (n > 0) {
      // Flushed at once so that readers of the real file see the bytes.
      Status s = base_->Append(data.substr(0, n));
      if (s.ok()) s = base_->Flush();
      if (!s.ok()) return s;
      node_->size += n;
    }
    return limit;
  }

  Status Flush() override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    STASH_RETURN_IF_ERROR(CheckAliveLocked());
    STASH_RETURN_IF_ERROR(env_->BeginMutationLocked());
    if (!env_->write_error_.ok()) return env_->write_error_;
    if (env_->byte_limit_hit_) return env_->byte_limit_error_;
    return base_->Flush();
  }

  Status Sync() override { return DoSync(/*flushed_only=*/false); }
  // Every Append reached the base file at once, so this differs from Sync only in the base call.
  Status SyncFlushed() override { return DoSync(/*flushed_only=*/true); }

  Status Close() override { return base_->Close(); }

 private:
  Status DoSync(bool flushed_only) {
    env_->RunSyncHook(*node_);
    std::lock_guard<std::mutex> lock(env_->mu_);
    STASH_RETURN_IF_ERROR(CheckAliveLocked());
    STASH_RETURN_IF_ERROR(env_->BeginMutationLocked());
    if (!env_->sync_error_.ok() &&
        node_->path.find(env_->sync_error_path_part_) != std::string::npos) {
      return env_->sync_error_;
    }
    STASH_RETURN_IF_ERROR(flushed_only ? base_->SyncFlushed() : base_->Sync());
    node_->MarkSynced();
    return Status::OK();
  }

  Status CheckAliveLocked() const {
    if (generation_ != env_->generation_) {
      return Status::IOError("file opened before a simulated crash");
    }
    return Status::OK();
  }

  FaultInjectionEnv* const env_;
  std::unique_ptr<WritableFile> base_;
  const std::shared_ptr<FileNode> node_;
  const uint64_t generation_;
};

FaultInjectionEnv::FaultInjectionEnv(Env* base) : base_(base) {}

FaultInjectionEnv::~FaultInjectionEnv() = default;

Status FaultInjectionEnv::BeginMutationLocked() {
  if (crash_armed_) {
    if (ops_left_ == 0) {
      crashed_ = true;
      return SimulatedCrash();
    }
    ops_left_--;
  }
  mutating_ops_++;
  return Status::OK();
}

std::shared_ptr<FaultInjectionEnv::FileNode> FaultInjectionEnv::NodeLocked(
    const std::string& path) const {
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : it->second;
}

void FaultInjectionEnv::SetNodeLocked(const std::string& path, std::shared_ptr<FileNode> node) {
  auto it = files_.find(path);
  if (it != files_.end()) {
    it->second->path.clear();
    files_.erase(it);
  }
  if (node != nullptr) {
    node->path = path;
    files_[path] = std::move(node);
  }
}

Status FaultInjectionEnv::NewSequentialFile(const std::string& path,
                                            std::unique_ptr<SequentialFile>* out) {
  return base_->NewSequentialFile(path, out);
}

// Passes reads through to the base file unless the env has a read error armed for its path.
class FaultInjectionEnv::FailingReadFile final : public RandomAccessFile {
 public:
  FailingReadFile(const FaultInjectionEnv* env, std::string path,
                  std::unique_ptr<RandomAccessFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}
  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    STASH_RETURN_IF_ERROR(env_->ReadErrorFor(path_));
    return base_->Read(offset, n, result, scratch);
  }

 private:
  const FaultInjectionEnv* env_;
  std::string path_;
  std::unique_ptr<RandomAccessFile> base_;
};

Status FaultInjectionEnv::ReadErrorFor(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (read_error_.ok()) return Status::OK();
  if (!read_error_path_part_.empty() && path.find(read_error_path_part_) == std::string::npos) {
    return Status::OK();
  }
  // Like the POSIX env's errors, an I/O error names the file.
  return read_error_.IsIOError() ? Status::IOError(path + ": " + read_error_.message())
                                 : read_error_;
}

void FaultInjectionEnv::SetReadError(Status s, std::string path_part) {
  std::lock_guard<std::mutex> lock(mu_);
  read_error_ = std::move(s);
  read_error_path_part_ = std::move(path_part);
}

Status FaultInjectionEnv::NewRandomAccessFile(const std::string& path,
                                              std::unique_ptr<RandomAccessFile>* out) {
  STASH_RETURN_IF_ERROR(ReadErrorFor(path));
  std::unique_ptr<RandomAccessFile> file;
  STASH_RETURN_IF_ERROR(base_->NewRandomAccessFile(path, &file));
  *out = std::make_unique<FailingReadFile>(this, path, std::move(file));
  return Status::OK();
}

Status FaultInjectionEnv::NewWritableFile(const std::string& path,
                                          std::unique_ptr<WritableFile>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  STASH_RETURN_IF_ERROR(BeginMutationLocked());
  bool existed = base_->FileExists(path);
  std::unique_ptr<WritableFile> file;
  STASH_RETURN_IF_ERROR(base_->NewWritableFile(path, &file));
  // The truncation of an existing file counts as durable: a crash leaves what is synced later.
  auto node = std::make_shared<FileNode>();
  SetNodeLocked(path, node);
  if (!existed) {
    dir_ops_.push_back(DirOp{DirOp::Kind::kCreate, path, {}, {DirOf(path)}, false, {}, nullptr});
  }
  *out = std::make_unique<TrackedFile>(this, std::move(file), std::move(node), generation_);
  return Status::OK();
}

Status FaultInjectionEnv::NewAppendableFile(const std::string& path,
                                            std::unique_ptr<WritableFile>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  STASH_RETURN_IF_ERROR(BeginMutationLocked());
  bool existed = base_->FileExists(path);
  uint64_t size = 0;
  if (existed) STASH_RETURN_IF_ERROR(base_->GetFileSize(path, &size));
  std::unique_ptr<WritableFile> file;
  STASH_RETURN_IF_ERROR(base_->NewAppendableFile(path, &file));
  std::shared_ptr<FileNode> node = NodeLocked(path);
  if (node == nullptr) {
    node = std::make_shared<FileNode>();
    node->synced = size;  // an untracked existing file counts as durable
    SetNodeLocked(path, node);
  }
  node->size = size;
  node->synced = std::min(node->synced, size);
  if (!existed) {
    dir_ops_.push_back(DirOp{DirOp::Kind::kCreate, path, {}, {DirOf(path)}, false, {}, nullptr});
  }
  *out = std::make_unique<TrackedFile>(this, std::move(file), std::move(node), generation_);
  return Status::OK();
}

bool FaultInjectionEnv::FileExists(const std::string& path) { return base_->FileExists(path); }

Status FaultInjectionEnv::GetChildren(const std::string& dir, std::vector<std::string>* names) {
  return base_->GetChildren(dir, names);
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  STASH_RETURN_IF_ERROR(BeginMutationLocked());
  DirOp op{DirOp::Kind::kRemove, path, {}, {DirOf(path)}, true, {}, NodeLocked(path)};
  // The copy restores the file if a crash undoes the remove (also fails for a missing file).
  STASH_RETURN_IF_ERROR(ReadFileToString(base_, path, &op.backup));
  STASH_RETURN_IF_ERROR(base_->RemoveFile(path));
  SetNodeLocked(path, nullptr);
  dir_ops_.push_back(std::move(op));
  return Status::OK();
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  STASH_RETURN_IF_ERROR(BeginMutationLocked());
  DirOp op{DirOp::Kind::kRename, from, to, {DirOf(from)}, false, {}, nullptr};
  if (DirOf(to) != op.unsynced_dirs[0]) op.unsynced_dirs.push_back(DirOf(to));
  if (from != to && base_->FileExists(to)) {
    op.has_backup = true;
    op.backup_node = NodeLocked(to);
    STASH_RETURN_IF_ERROR(ReadFileToString(base_, to, &op.backup));
  }
  STASH_RETURN_IF_ERROR(base_->RenameFile(from, to));
  if (from == to) return Status::OK();
  std::shared_ptr<FileNode> moved = NodeLocked(from);
  SetNodeLocked(from, nullptr);
  SetNodeLocked(to, std::move(moved));
  dir_ops_.push_back(std::move(op));
  return Status::OK();
}

Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  STASH_RETURN_IF_ERROR(BeginMutationLocked());
  std::shared_ptr<FileNode> node = NodeLocked(path);
  if (node == nullptr) {  // untracked: all of it counts as durable, and the cut is not (yet)
    uint64_t old_size = 0;
    STASH_RETURN_IF_ERROR(base_->GetFileSize(path, &old_size));
    node = std::make_shared<FileNode>();
    node->size = old_size;
    node->synced = old_size;
    SetNodeLocked(path, node);
  }
  std::string cut;
  if (size < node->synced) {
    std::string content;
    STASH_RETURN_IF_ERROR(ReadFileToString(base_, path, &content));
    cut = node->Durable(content).substr(size);
  }
  STASH_RETURN_IF_ERROR(base_->TruncateFile(path, size));
  node->size = size;
  if (size < node->synced) {
    node->lost_tail = std::move(cut);
    node->synced = size;
  }
  return Status::OK();
}

Status FaultInjectionEnv::GetFileSize(const std::string& path, uint64_t* size) {
  return base_->GetFileSize(path, size);
}

Status FaultInjectionEnv::CreateDirIfMissing(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  STASH_RETURN_IF_ERROR(BeginMutationLocked());
  return base_->CreateDirIfMissing(dir);
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  STASH_RETURN_IF_ERROR(BeginMutationLocked());
  if (!sync_error_.ok() && sync_error_path_part_.empty()) return sync_error_;
  STASH_RETURN_IF_ERROR(base_->SyncDir(dir));
  std::string d = NormalizeDir(dir);
  for (DirOp& op : dir_ops_) std::erase(op.unsynced_dirs, d);
  std::erase_if(dir_ops_, [](const DirOp& op) { return op.unsynced_dirs.empty(); });
  return Status::OK();
}

Status FaultInjectionEnv::LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) {
  return base_->LockFile(path, lock);
}

uint64_t FaultInjectionEnv::NowMicros() { return base_->NowMicros(); }

void FaultInjectionEnv::RunSyncHook(const FileNode& node) {
  std::function<void(const std::string&)> hook;
  std::string path;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hook = sync_hook_;
    path = node.path;
  }
  if (hook) hook(path);
}

Status FaultInjectionEnv::CrashFileLocked(const std::string& path, const FileNode& node) {
  std::string content;
  STASH_RETURN_IF_ERROR(ReadFileToString(base_, path, &content));
  std::string after = node.Durable(content);
  if (!node.lost_tail.has_value() && page_fate_ && content.size() > node.synced) {
    // Unsynced pages reach the disk in any order: keep those whose fate says so.
    uint64_t end = after.size();  // past the last page that reached the disk
    std::string pages = content;
    for (uint64_t page = node.synced / kPageSize * kPageSize; page < content.size();
         page += kPageSize) {
      const uint64_t from = std::max(page, node.synced);
      const uint64_t to = std::min<uint64_t>(page + kPageSize, content.size());
      switch (page_fate_(path, page)) {
        case PageFate::kLost:
          std::fill(pages.begin() + static_cast<long>(from), pages.begin() + static_cast<long>(to),
                    '\0');
          break;
        case PageFate::kKept:
          end = to;
          break;
        case PageFate::kGarbage:
          for (uint64_t i = from; i < to; i++) pages[i] = GarbageByte(i);
          end = to;
          break;
      }
    }
    after = pages.substr(0, end);
  }
  if (after == content) return Status::OK();
  if (content.compare(0, after.size(), after) == 0) return base_->TruncateFile(path, after.size());
  return WriteStringToFile(base_, after, path, /*sync=*/false);
}

Status FaultInjectionEnv::UndoLocked(const DirOp& op) {
  std::string durable;
  std::string_view backup = op.backup;
  if (op.backup_node != nullptr) {
    durable = op.backup_node->Durable(op.backup);
    backup = durable;
  }
  switch (op.kind) {
    case DirOp::Kind::kCreate: {
      Status s = base_->RemoveFile(op.path);
      return s.IsNotFound() ? Status::OK() : s;
    }
    case DirOp::Kind::kRename:
      STASH_RETURN_IF_ERROR(base_->RenameFile(op.target, op.path));
      if (!op.has_backup) return Status::OK();
      return WriteStringToFile(base_, backup, op.target, /*sync=*/true);
    case DirOp::Kind::kRemove:
      return WriteStringToFile(base_, backup, op.path, /*sync=*/true);
  }
  return Status::OK();
}

Status FaultInjectionEnv::SimulateCrash() {
  std::lock_guard<std::mutex> lock(mu_);
  Status first;
  auto note = [&first](const Status& s) {
    if (first.ok() && !s.ok()) first = s;
  };
  for (const auto& [path, node] : files_) {
    if (!base_->FileExists(path)) continue;  // removed behind this env's back: nothing to cut
    note(CrashFileLocked(path, *node));
  }
  for (auto it = dir_ops_.rbegin(); it != dir_ops_.rend(); ++it) note(UndoLocked(*it));
  files_.clear();
  dir_ops_.clear();
  generation_++;
  write_error_ = Status::OK();
  byte_limit_armed_ = false;
  byte_limit_hit_ = false;
  sync_error_ = Status::OK();
  sync_error_path_part_.clear();
  crash_armed_ = false;
  crashed_ = false;
  return first;
}

void FaultInjectionEnv::ResetState() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [path, node] : files_) node->path.clear();
  files_.clear();
  dir_ops_.clear();
}

void FaultInjectionEnv::SetUnsyncedPageFate(PageFateFn fate) {
  std::lock_guard<std::mutex> lock(mu_);
  page_fate_ = std::move(fate);
}

void FaultInjectionEnv::SetSyncHook(std::function<void(const std::string& path)> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  sync_hook_ = std::move(hook);
}

void FaultInjectionEnv::SetWriteError(Status s) {
  std::lock_guard<std::mutex> lock(mu_);
  write_error_ = std::move(s);
}

void FaultInjectionEnv::FailWritesAfterBytes(uint64_t n, Status s) {
  std::lock_guard<std::mutex> lock(mu_);
  byte_limit_armed_ = true;
  byte_limit_hit_ = false;
  bytes_left_ = n;
  byte_limit_error_ = std::move(s);
}

void FaultInjectionEnv::SetSyncError(Status s, std::string path_part) {
  std::lock_guard<std::mutex> lock(mu_);
  sync_error_ = std::move(s);
  sync_error_path_part_ = std::move(path_part);
}

void FaultInjectionEnv::ClearErrors() {
  std::lock_guard<std::mutex> lock(mu_);
  write_error_ = Status::OK();
  byte_limit_armed_ = false;
  byte_limit_hit_ = false;
  sync_error_ = Status::OK();
  sync_error_path_part_.clear();
  read_error_ = Status::OK();
  read_error_path_part_.clear();
}

void FaultInjectionEnv::CrashAfterOps(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  crash_armed_ = true;
  crashed_ = false;
  ops_left_ = n;
}

bool FaultInjectionEnv::Crashed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return crashed_;
}

uint64_t FaultInjectionEnv::MutatingOps() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mutating_ops_;
}

}  // namespace stash
