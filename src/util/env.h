// Env: the file layer every piece of the engine (WAL, SSTables, MANIFEST, CURRENT, LOCK) writes
// and reads through. PosixEnv is the real one; tests substitute a fault-injecting Env that can drop
// unsynced data on a simulated crash, fail writes or fsyncs, or report a full disk.
//
// Thread-safety: an Env is shared by all threads. A file object is used by one thread at a time,
// except RandomAccessFile, whose Read may be called concurrently, and WritableFile::SyncFlushed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace stash {

class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes into scratch; *result points at the bytes read (maybe inside scratch).
  // A short read (result->size() < n) means end of file.
  virtual Status Read(size_t n, std::string_view* result, char* scratch) = 0;
  virtual Status Skip(uint64_t n) = 0;
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into scratch; *result may point into scratch. Thread-safe.
  virtual Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const = 0;
};

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Hands buffered bytes to the OS (write(2)): after Flush they survive a process kill.
  virtual Status Flush() = 0;
  // Flush + fdatasync: after Sync they survive a power loss.
  virtual Status Sync() = 0;
  // fdatasync only: every byte an earlier Flush (or Sync) handed to the OS survives a power loss
  // afterwards; bytes still buffered are not touched. Unlike every other method it may run on
  // another thread while the owner calls Append, Flush or Sync (never while Close runs or after
  // it), so that a slow fsync need not hold up the writer.
  virtual Status SyncFlushed() = 0;
  virtual Status Close() = 0;
};

class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX environment (never deleted).
  static Env* Default();

  virtual Status NewSequentialFile(const std::string& path,
                                   std::unique_ptr<SequentialFile>* out) = 0;
  virtual Status NewRandomAccessFile(const std::string& path,
                                     std::unique_ptr<RandomAccessFile>* out) = 0;
  // Creates or truncates.
  virtual Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* out) = 0;
  // Opens for append, creating if missing.
  virtual Status NewAppendableFile(const std::string& path, std::unique_ptr<WritableFile>* out) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  // Names (not paths) of the entries of dir, without "." and "..".
  virtual Status GetChildren(const std::string& dir, std::vector<std::string>* names) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  virtual Status GetFileSize(const std::string& path, uint64_t* size) = 0;
  virtual Status CreateDirIfMissing(const std::string& dir) = 0;
  // fsyncs a directory so that creates, renames and removes inside it are durable.
  virtual Status SyncDir(const std::string& dir) = 0;

  // Takes an exclusive advisory lock (flock) on path; Busy if another process holds it.
  virtual Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) = 0;

  virtual uint64_t NowMicros() = 0;
};

// Helpers over any Env.
Status WriteStringToFile(Env* env, std::string_view data, const std::string& path, bool sync);
Status ReadFileToString(Env* env, const std::string& path, std::string* data);
// TruncateFile, then an fsync of the file: ftruncate(2) alone may be undone by a power loss.
Status TruncateFileDurably(Env* env, const std::string& path, uint64_t size);
// "dir/name" with exactly one slash between them.
std::string JoinPath(std::string_view dir, std::string_view name);

}  // namespace stash
