// WalReader: replays the complete batches of one log file (format: wal_writer.cc).
//
// A batch is delivered only when its batch-end record is present, its op count matches and every
// record and batch checksum holds. What happens at the first bad spot depends on where it is:
//   - torn tail: the log is the newest one and no valid record follows the bad or incomplete
//     bytes anywhere in the file (a crash cut the last write short). The unfinished batch is
//     dropped, ReadBatch returns false, status() stays OK, DroppedTornTail() is true.
//   - corruption: anything else (bad bytes followed by a valid record, i.e. a hole; a record out
//     of order; a count or batch checksum mismatch; or any damage or incomplete batch in a log
//     that is not the newest). kStrict: status() is Corruption("<path>: <what> at offset <n>")
//     and reading stops. kPointInTime: reading stops, status() stays OK, DropReason() says why.
// Zero padding at the end of a block is part of the format, also at the end of the file.
//
// Telling a torn tail from a hole means reading the rest of the file after the damage once.
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
  // Bytes [0, LastGoodOffset()) hold only complete batches (and zero padding). After a torn tail
  // the caller truncates the file here before appending to it.
  uint64_t LastGoodOffset() const { return last_good_offset_; }
  bool DroppedTornTail() const { return dropped_torn_tail_; }
  // Bytes after LastGoodOffset() that were not delivered (0 after a clean end).
  uint64_t DroppedBytes() const { return dropped_bytes_; }
  // Human text of what was dropped and why, for the server log; empty when nothing was dropped.
  std::string DropReason() const { return drop_reason_; }

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
  // Looks for a valid record at any file offset >= from, reading on to the end of the file if
  // none is found. REQUIRES: from lies in the current block or just past it. False on a read error.
  bool ScanForValidRecord(uint64_t from, bool* found);
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
  bool dropped_torn_tail_ = false;
  uint64_t dropped_bytes_ = 0;
  std::string drop_reason_;
};

}  // namespace stash::wal
