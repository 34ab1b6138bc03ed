// WalReader: replays the complete batches of one log file (format: wal_writer.cc).
//
// A batch is delivered only when its batch-end record is present, its op count matches and every
// record and batch checksum holds. What happens at the first bad spot depends on where it is:
//   - unsynced tail (a "torn tail"): the log is the newest one, and the file ends inside a batch,
//     or bytes that are no valid record start at an offset no sync mark proves synced (see
//     wal_writer.cc): the last write was cut short, or pages written after the last fdatasync
//     reached the disk only in part, leaving a hole (valid records may follow it). Everything
//     from the end of the last complete batch is dropped, ReadBatch returns false, status()
//     stays OK, DroppedTornTail() is true.
//   - corruption: anything else (bad bytes in the part a sync mark proves synced; a valid record
//     out of order; a count or batch checksum mismatch; any damage or incomplete batch in a log
//     that is not the newest). kStrict: status() is Corruption("<path>: <what> at offset <n>")
//     and reading stops. kPointInTime: reading stops, status() stays OK, DropReason() says why.
// Zero padding at the end of a block is part of the format, also at the end of the file.
//
// Classifying bad bytes in the newest log means reading the rest of the file after them once,
// looking for valid records and the sync marks among them.
// Memory: at most one block buffer plus the batch being assembled; nothing is allocated from an
// unverified length field. Thread-safety: none; one thread owns a WalReader.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/env.h"
#include "util/status.h"

namespace stash::wal {

struct WalBatch {
  uint64_t first_seq = 0;
  std::vector<std::string> records;  // op payloads, in the order they were added
  uint64_t start_offset = 0;         // file offset of the batch's first record
  uint64_t end_offset = 0;           // file offset just past the batch's batch-end record
};

enum class RecoveryMode {
  kStrict,       // corruption is an error
  kPointInTime,  // salvage: keep the consistent prefix before the first damage, never an error
};

class WalReader {
 public:
  // Reads file from its start; takes ownership. path_for_errors names the file in messages
  // (e.g. "000007.log"). is_newest_log: only the newest log may end in a torn tail.
  // In kPointInTime mode, a log that stopped early means later logs must not be replayed either
  // (the caller decides; the reader only reports).
  WalReader(std::unique_ptr<SequentialFile> file, std::string path_for_errors, bool is_newest_log,
            RecoveryMode mode);
  WalReader(const WalReader&) = delete;
  WalReader& operator=(const WalReader&) = delete;
  ~WalReader();

  // Fills *batch with the next complete batch and returns true; batch->records reuses the
  // strings it already holds. Returns false at the end of usable data: clean end, torn tail,
  // point-in-time stop, or error (see status()); *batch is then unspecified. Every later call
  // returns false too.
  bool ReadBatch(WalBatch* batch);

  // Corruption in kStrict mode when a hole or bad record was found; IOError when reading failed.
  Status status() const { return status_; }
  // Bytes [0, LastGoodOffset()) hold only complete batches (and zero padding and sync marks).
  // After a torn tail the caller truncates the file here before appending to it.
  uint64_t LastGoodOffset() const { return last_good_offset_; }
  bool DroppedTornTail() const { return dropped_torn_tail_; }
  // Bytes after LastGoodOffset() that were not delivered (0 after a clean end).
  uint64_t DroppedBytes() const { return dropped_bytes_; }
  // Human text of what was dropped and why, for the server log; empty when nothing was dropped.
  std::string DropReason() const { return drop_reason_; }
  // The largest synced size a valid sync mark read so far records (0: none).
  uint64_t SyncedSize() const { return synced_size_; }

 private:
  struct Fragment;
  enum class ReadResult { kRecord, kEnd, kBadBytes, kIoError };
  enum class Damage {
    kBadBytes,   // bytes that are no valid record: a torn tail if nothing valid follows
    kTruncated,  // the file ends inside a record or batch: nothing can follow
    kMisplaced,  // a valid record where it cannot be (out of order, count/checksum mismatch)
  };

  ReadResult ReadPhysical(Fragment* f);
  // Loads the next block; false (status_ set) on a read error.
  bool ReadNextBlock();
  bool ValidRecordAt(size_t pos) const;
  // Reads the rest of the file from offset from, looking for valid records at any offset (after
  // one, from its end): sets *found if there is one and raises synced_size_ to the sync marks
  // among them. REQUIRES: from lies in the current block or just past it. False on a read error.
  bool ScanRest(uint64_t from, bool* found);
  // Takes note of a valid sync-mark record at offset; false if it claims more than precedes it.
  bool NoteSyncMark(uint64_t offset, std::string_view payload);
  bool ConsumeToEnd();
  // Ends reading at the damage found at offset, classifying it as torn tail or corruption and
  // recording what was dropped. Always returns false.
  bool Stop(uint64_t offset, const std::string& what, Damage damage);

  std::unique_ptr<SequentialFile> file_;
  const std::string path_;
  const bool newest_;
  const RecoveryMode mode_;

  std::unique_ptr<char[]> block_;  // kBlockSize bytes
  size_t block_len_;               // valid bytes in block_; < kBlockSize only for the last block
  size_t pos_;                     // parse position inside block_
  uint64_t block_start_ = 0;       // file offset of block_[0]
  uint64_t next_block_start_ = 0;

  std::string end_scratch_;  // assembles a fragmented batch-end record
  uint64_t bad_offset_ = 0;  // set by ReadPhysical on kBadBytes
  std::string bad_what_;

  bool done_ = false;
  Status status_;
  uint64_t last_good_offset_ = 0;
  uint64_t synced_size_ = 0;
  bool dropped_torn_tail_ = false;
  uint64_t dropped_bytes_ = 0;
  std::string drop_reason_;
};

}  // namespace stash::wal
