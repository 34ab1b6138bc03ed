// FaultInjectionEnv: an Env for recovery tests. It passes every call through to a base Env (the
// bytes reach the real file at once, so reads see them) while remembering what a power loss
// would take away, and it can fail writes, syncs or everything after a chosen point.
//
// What is tracked (only for files written or renamed through this env since construction,
// the last ResetState() or the last SimulateCrash(); everything else counts as durable):
//   - per file, its length as of its last successful Sync (NewAppendableFile starts at the
//     existing length, NewWritableFile at 0);
//   - per directory, the creates, renames and removes not yet followed by SyncDir of that
//     directory (a rename across directories needs both synced).
//   - per file, the durable bytes a TruncateFile cut away: a truncate is lost in a power loss
//     unless a Sync of the file follows it (as with ftruncate(2) and no fsync), so a crash brings
//     them back (and drops whatever was appended after the cut).
// SimulateCrash() then models the power loss: each tracked file keeps its synced bytes; its
// unsynced bytes are written back page by page (4 KiB pages at file offsets), each page as
// SetUnsyncedPageFate decides, so a crash can leave a hole (zeros or garbage) followed by data
// that did reach the disk; by default no unsynced page survives. Then the unsynced directory
// operations are undone newest first: a created file is deleted, a renamed file goes back to its
// old name (a file it replaced gets back its old content, copied at rename time), a removed file
// comes back (content copied at remove time, cut to its durable part). Directories created by
// CreateDirIfMissing are always durable; LockFile is passed through untracked.
//
// Mutating operations (each counts one for CrashAfterOps/MutatingOps): Append, Flush, Sync of a
// file; NewWritableFile, NewAppendableFile, RenameFile, RemoveFile, TruncateFile, SyncDir,
// CreateDirIfMissing. Close is not one: it always releases the base file.
//
// Thread-safety: all methods may be called from any thread (one mutex, also held across the base
// call of a mutating operation so that crash points and byte budgets are exact).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "util/env.h"

namespace stash {

class FaultInjectionEnv : public Env {
 public:
  // base must outlive this env, and this env every file it opened.
  explicit FaultInjectionEnv(Env* base = Env::Default());
  ~FaultInjectionEnv() override;

  Status NewSequentialFile(const std::string& path, std::unique_ptr<SequentialFile>* out) override;
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* out) override;
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* out) override;
  Status NewAppendableFile(const std::string& path, std::unique_ptr<WritableFile>* out) override;
  bool FileExists(const std::string& path) override;
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override;
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Status GetFileSize(const std::string& path, uint64_t* size) override;
  Status CreateDirIfMissing(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override;
  uint64_t NowMicros() override;

  // Models a power loss as described above, then forgets all tracking and clears every injected
  // error and crash point, so the env behaves normally again. Files opened before the call fail
  // every later mutating operation with IOError (the process that owned them is "dead"); files
  // opened afterwards are tracked afresh. Returns the first error of the base env, if any.
  // REQUIRES: the code under test has stopped using the env (e.g. the DB was destroyed).
  Status SimulateCrash();
  // Forgets all tracking: everything on disk now counts as durable. Open files keep working.
  void ResetState();

  // Every later Append and Flush fails with s (nothing is written).
  void SetWriteError(Status s);
  // Lets n more bytes of Appends land (an Append crossing the limit writes its first part), then
  // every Append and Flush fails with s, e.g. Status::NoSpace to model a full disk.
  void FailWritesAfterBytes(uint64_t n, Status s);
  // Every later Sync and SyncDir fails with s and makes nothing durable. With path_part, only
  // Syncs of files whose path contains it fail (and no SyncDir), e.g. "MANIFEST".
  void SetSyncError(Status s, std::string path_part = "");
  // While set (s not OK), every RandomAccessFile::Read of a file whose path contains path_part
  // fails with s, also through files opened before the call (an SSTable held open by the table
  // cache); NewRandomAccessFile of such a file fails too (EMFILE, a vanished file). Reads of
  // sequential files (log replay) are not affected. SetReadError(Status::OK()) clears it.
  void SetReadError(Status s, std::string path_part = "");
  // Clears the four injections above (not the crash point).
  void ClearErrors();

  // After n more mutating operations, every further one fails with IOError("simulated crash")
  // and does nothing; Crashed() turns true at the first refused operation.
  void CrashAfterOps(uint64_t n);
  bool Crashed() const;
  // Mutating operations performed (refused ones not counted) since construction.
  uint64_t MutatingOps() const;

  // What a power loss does to one unsynced page of a file.
  enum class PageFate {
    kLost,     // never reached the disk: the file ends before it, or it reads as zeros (a hole)
               // when a later page of the file survived
    kKept,     // reached the disk intact
    kGarbage,  // the file's size covers it but its blocks hold junk (e.g. stale disk contents)
  };
  // Decides, at SimulateCrash, the fate of the unsynced page of `path` that starts at file offset
  // page_offset (a multiple of 4096; the synced part of the first such page is always kept). The
  // file then ends after its last page that is not kLost. Null (the default): every page is
  // lost. Kept across SimulateCrash.
  using PageFateFn = std::function<PageFate(const std::string& path, uint64_t page_offset)>;
  void SetUnsyncedPageFate(PageFateFn fate);

  // Called on the syncing thread at the start of every file Sync and SyncFlushed, before the env
  // takes its mutex, with the file's path: it may block, e.g. to hold an fsync in flight while
  // other threads keep writing. Null (the default): none.
  void SetSyncHook(std::function<void(const std::string& path)> hook);

 private:
  class TrackedFile;
  class FailingReadFile;
  // The injected read error for path, or OK.
  Status ReadErrorFor(const std::string& path) const;
  struct FileNode;
  struct DirOp;

  // Counts one mutating op, or refuses it once the crash point is reached. REQUIRES: mu_ held.
  Status BeginMutationLocked();
  // The node tracking path, or null. REQUIRES: mu_ held.
  std::shared_ptr<FileNode> NodeLocked(const std::string& path) const;
  // Makes path tracked by node (or untracked when node is null). REQUIRES: mu_ held.
  void SetNodeLocked(const std::string& path, std::shared_ptr<FileNode> node);
  // Undoes one unsynced directory operation on the base env. REQUIRES: mu_ held.
  Status UndoLocked(const DirOp& op);
  // Rewrites path as a power loss leaves it. REQUIRES: mu_ held.
  Status CrashFileLocked(const std::string& path, const FileNode& node);
  // Runs the sync hook, if any, for the file tracked by node. REQUIRES: mu_ not held.
  void RunSyncHook(const FileNode& node);

  Env* const base_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<FileNode>> files_;  // by current path
  std::vector<DirOp> dir_ops_;                              // unsynced, oldest first

  Status write_error_;
  bool byte_limit_armed_ = false;
  uint64_t bytes_left_ = 0;
  bool byte_limit_hit_ = false;  // an Append was cut short by the limit
  Status byte_limit_error_;
  Status sync_error_;
  std::string sync_error_path_part_;  // empty: every file
  Status read_error_;
  std::string read_error_path_part_;  // empty: every file

  bool crash_armed_ = false;
  uint64_t ops_left_ = 0;
  bool crashed_ = false;
  uint64_t mutating_ops_ = 0;
  uint64_t generation_ = 0;  // bumped by SimulateCrash: older files are dead
  PageFateFn page_fate_;
  std::function<void(const std::string&)> sync_hook_;
};

}  // namespace stash
