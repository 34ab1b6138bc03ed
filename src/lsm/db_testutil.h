// Helpers shared by the DB tests: a fresh temporary directory per test, tiny-size options that
// make flushes and multi-level compactions happen with a few hundred KiB of data, and small
// inspection helpers.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lsm/db.h"
#include "lsm/db_impl.h"
#include "lsm/write_batch.h"

namespace stash::test {

// A directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("stash_" + tag + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++)))
                .string();
    std::filesystem::remove_all(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// An Env that forwards to the POSIX one but turns fsync/fdatasync into no-ops (Sync = Flush,
// SyncDir = OK). For tests of logic (the randomized model test) whose thousands of flushes would
// otherwise spend minutes waiting on the disk; durability is tested on FaultInjectionEnv.
class SyncFreeEnv final : public Env {
 public:
  static SyncFreeEnv* Get() {
    static auto* env = new SyncFreeEnv();  // leaked on purpose: used until exit
    return env;
  }
  Status NewSequentialFile(const std::string& p, std::unique_ptr<SequentialFile>* r) override {
    return base_->NewSequentialFile(p, r);
  }
  Status NewRandomAccessFile(const std::string& p, std::unique_ptr<RandomAccessFile>* r) override {
    return base_->NewRandomAccessFile(p, r);
  }
  Status NewWritableFile(const std::string& p, std::unique_ptr<WritableFile>* r) override {
    return Wrap(base_->NewWritableFile(p, r), r);
  }
  Status NewAppendableFile(const std::string& p, std::unique_ptr<WritableFile>* r) override {
    return Wrap(base_->NewAppendableFile(p, r), r);
  }
  bool FileExists(const std::string& p) override { return base_->FileExists(p); }
  Status GetChildren(const std::string& d, std::vector<std::string>* r) override {
    return base_->GetChildren(d, r);
  }
  Status RemoveFile(const std::string& p) override { return base_->RemoveFile(p); }
  Status RenameFile(const std::string& a, const std::string& b) override {
    return base_->RenameFile(a, b);
  }
  Status TruncateFile(const std::string& p, uint64_t n) override {
    return base_->TruncateFile(p, n);
  }
  Status GetFileSize(const std::string& p, uint64_t* n) override {
    return base_->GetFileSize(p, n);
  }
  Status CreateDirIfMissing(const std::string& d) override { return base_->CreateDirIfMissing(d); }
  Status SyncDir(const std::string&) override { return Status::OK(); }
  Status LockFile(const std::string& p, std::unique_ptr<FileLock>* l) override {
    return base_->LockFile(p, l);
  }
  uint64_t NowMicros() override { return base_->NowMicros(); }

 private:
  class File final : public WritableFile {
   public:
    explicit File(std::unique_ptr<WritableFile> f) : f_(std::move(f)) {}
    Status Append(std::string_view d) override { return f_->Append(d); }
    Status Flush() override { return f_->Flush(); }
    Status Sync() override { return f_->Flush(); }
    Status SyncFlushed() override { return Status::OK(); }
    Status Close() override { return f_->Close(); }

   private:
    std::unique_ptr<WritableFile> f_;
  };
  static Status Wrap(Status s, std::unique_ptr<WritableFile>* r) {
    if (s.ok()) *r = std::make_unique<File>(std::move(*r));
    return s;
  }
  Env* const base_ = Env::Default();
};

// Sizes small enough that a few hundred KiB of writes run flushes and compactions down to L2+.
inline Options TinyOptions() {
  Options o;
  o.memtable_size = 4 << 10;
  o.max_immutable_memtables = 2;
  // LevelDB's stall triggers, not the defaults (20/36): with 4 KB memtables the writer must wait
  // for compaction early, or a few hundred KiB end in L0 and tests that need deep levels (e.g.
  // CompactionFilterDropsValuesWithoutResurrectingOlderOnes) depend on timing.
  o.l0_slowdown_trigger = 8;
  o.l0_stop_trigger = 12;
  o.block_size = 256;
  o.target_file_size = 16 << 10;
  o.max_bytes_for_level_base = 64 << 10;
  o.block_cache_size = 1 << 20;
  o.max_open_files = 50;
  o.compression = TableOptions::Compression::kNone;
  o.appendfsync = AppendFsync::kNo;
  if (std::getenv("STASH_TEST_INFO_LOG") != nullptr) {
    o.info_log = [](std::string_view line) {
      std::fprintf(stderr, "[db] %.*s\n", static_cast<int>(line.size()), line.data());
    };
  }
  return o;
}

// Every (key, value) visible through an iterator at options.
inline std::map<std::string, std::string> Contents(DB* db, const ReadOptions& options = {}) {
  std::map<std::string, std::string> out;
  auto it = db->NewIterator(options);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace(std::string(it->key()), std::string(it->value()));
  }
  return out;
}

// The value of key, or "NOT_FOUND", or the error text.
inline std::string GetOrStatus(DB* db, std::string_view key, const ReadOptions& options = {}) {
  std::string value;
  Status s = db->Get(options, key, &value);
  if (s.IsNotFound()) return "NOT_FOUND";
  if (!s.ok()) return s.ToString();
  return value;
}

inline uint64_t TotalTableBytes(DB* db) {
  uint64_t total = 0;
  for (const auto& level : db->GetStats().levels) total += level.bytes;
  return total;
}

inline int FilesAtLevel(DB* db, int level) { return db->GetStats().levels[level].files; }

inline std::string DebugLevels(DB* db) { return static_cast<DBImpl*>(db)->DebugLevels(); }

// A zero-padded decimal key, so byte order is numeric order.
inline std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%08d", i);
  return buf;
}

}  // namespace stash::test
