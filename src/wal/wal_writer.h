// WalWriter: appends write batches to a log file. A whole commit group (many batches) is encoded
// into an in-memory buffer and handed to the file with one Append + Flush, i.e. one write(2).
//
// Usage by the single writer thread:
//   for each batch in the group: AddRecord(op)...; EndBatch(first_seq);
//   Flush() (or Sync() when the group must be durable)
// A sync done by another thread (appendfsync everysec) goes: under the owner's lock note
// FlushedSize(); without it SyncFlushed(); under the lock again RecordSync(size, status).
// After every successful sync the next record encoded is preceded by a sync mark, the log's own
// durable record of how much of it was synced (format and use: wal_writer.cc).
//
// Thread-safety: one thread (or one lock) owns a WalWriter; only SyncFlushed may run beside it.
// Errors: once an Append, Flush or Sync of the file has failed, an unknown part of the group may
// be on disk, so every later Flush/Sync/Close fails with the first error: the caller must stop
// using this log (start a new one or refuse writes). Records are never re-aligned after a failure.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/env.h"
#include "util/status.h"

namespace stash::wal {

class WalWriter {
 public:
  // dest is a freshly created or append-opened file whose current length is initial_size; the
  // writer takes ownership. initial_size need not be block-aligned (the rest of a partly used
  // block is filled as the format requires). REQUIRES: initial_size is the file's true length,
  // since record checksums cover file offsets (after a torn tail: truncate to LastGoodOffset).
  WalWriter(std::unique_ptr<WritableFile> dest, uint64_t initial_size);
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;
  // Pending bytes not yet flushed are dropped: call Flush/Sync/Close first.
  ~WalWriter();

  // Encodes one op record of the batch being built into the pending buffer. The payload is
  // opaque to the WAL and may be empty or larger than a block.
  void AddRecord(std::string_view op_payload);

  // Closes the batch: encodes its batch-end record carrying first_seq, the number of AddRecord
  // calls since the previous EndBatch (may be 0), and a checksum over their payloads.
  void EndBatch(uint64_t first_seq);

  // Writes all pending bytes with one Append and one Flush of the file. No-op when nothing is
  // pending. Unfinished batches (AddRecord without EndBatch yet) are written too; the reader
  // ignores them until their batch-end record arrives.
  Status Flush();
  // Flush, then fdatasync.
  Status Sync();
  // fdatasync of what completed Flushes handed to the file, without flushing: may run on another
  // thread concurrently with every method but Close and the destructor, and changes nothing in
  // the writer (report the result with RecordSync). Bytes of a Flush that returned before this
  // call are covered.
  Status SyncFlushed();
  // Reports a SyncFlushed begun when FlushedSize() was synced_size: on success the next record
  // carries a sync mark for it; a failure sticks as a failed Sync's does.
  void RecordSync(uint64_t synced_size, const Status& s);
  // Encodes a pending sync mark now instead of with the next record (before a last Sync and
  // Close, so that a cleanly closed log records its final sync). No-op when none is pending.
  void EncodePendingSyncMark();
  // Flush, then closes the file. REQUIRES: not called twice; no other call after it.
  Status Close();

  // File length including pending bytes.
  uint64_t Size() const { return written_ + pending_.size(); }
  // Bytes handed to the file by completed Flushes.
  uint64_t FlushedSize() const { return written_; }

 private:
  // Encodes the pending sync mark unless it would have to be fragmented (then it waits for the
  // next block).
  void MaybeEmitSyncMark();
  void EmitLogical(uint8_t kind, const char* data, size_t n);
  void EmitPhysical(uint8_t type, const char* data, size_t n);

  std::unique_ptr<WritableFile> dest_;
  uint64_t written_;     // bytes handed to dest_ successfully
  size_t block_offset_;  // position within the current block of the end of pending_
  std::string pending_;
  uint32_t batch_crc_ = 0;
  uint32_t batch_count_ = 0;
  Status error_;  // sticky: first failure of the file
  bool mark_pending_ = false;
  uint64_t marked_size_ = 0;  // the largest synced size marked or pending (0: none)
};

}  // namespace stash::wal
