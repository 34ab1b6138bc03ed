// WAL file format (all integers little-endian).
//
// file     := block* partial_block?
// block    := record* trailer?                  exactly 32768 bytes (kBlockSize)
// trailer  := 0x00{1..6}                        written when fewer than 7 bytes are left in a block
// record   := checksum:fixed32 length:fixed16 type:u8 payload:u8[length]
//             A record never crosses a block boundary; 7 + length <= bytes left in the block.
//             A zero-length FIRST record is allowed (written when exactly 7 bytes are left).
// checksum := mask(crc32c(file_offset:fixed64 | length:fixed16 | type:u8 | payload))
//             file_offset is where the record's header starts in the file; mask() is
//             crc32c::Mask. Folding in the offset makes a record valid only at its own position.
// type     := kind | fragment
//             kind:     0x00 op record, 0x10 batch-end record
//             fragment: 1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST
//             Every other value (0x00 included, so zero-filled space) is invalid.
//
// A logical record is one FULL record, or FIRST MIDDLE* LAST of the same kind, in consecutive
// blocks/positions; its payload is the concatenation of the fragments' payloads.
//
// batch     := op_record* batch_end_record          (sync marks may sit between its records)
// op record payload        := opaque bytes (one put/delete op, encoded by the caller)
// batch-end record payload := first_seq:fixed64 count:fixed32 batch_crc:fixed32    (16 bytes)
//             count     = number of op records since the previous batch-end record (or file start)
//             batch_crc = mask(crc32c over, for each op in order, len:fixed32 | payload)
// sync mark := one FULL record of kind 0x20 (never fragmented), payload synced_size:fixed64
//             It says that fdatasync made [0, synced_size) of this file durable. It is encoded
//             with the first record after that sync returned, so it lies at or after
//             synced_size; when fewer than 15 bytes are left in the block it waits for the next
//             record that starts a new block. It belongs to no batch (not counted, not in
//             batch_crc).
//
// A reader delivers a batch only when its batch-end record is present, count matches and every
// checksum holds (see wal_reader.cc for the torn-tail vs corruption rules).
//
// Why sync marks. After a power loss, the part of a log written after its last fdatasync may be
// on disk in part and in any order: the page cache writes pages back as it likes, so a hole
// (zeros, or junk where the file size got ahead of the data) can be followed by records that are
// valid. Only the newest log has such a part: the engine syncs a log before it creates the next
// one, and makes the cut of a torn tail durable before it creates one at startup. A sync mark
// that reads as valid anywhere in the newest log (before the damage or after it) proves that
// everything before its synced_size survived the crash, so the largest one, W, is a lower bound
// of what was synced. Recovery drops damage at offset >= W in the newest log as the crash's doing
// (the writes after it were never synced) and reports damage below W, and any damage in an older
// log, as corruption. What this cannot tell: damage past W that no crash caused (e.g. a bad
// sector in data whose sync mark was lost or not yet written) is dropped, not reported. W trails
// the true synced size by the writes since the last mark that reached the disk: under everysec
// about a second, under appendfsync no the whole log (it is synced only when it is closed).
#include "wal/wal_writer.h"

#include <algorithm>

#include "util/coding.h"
#include "util/crc32c.h"
#include "wal/log_format.h"

namespace stash::wal {

WalWriter::WalWriter(std::unique_ptr<WritableFile> dest, uint64_t initial_size)
    : dest_(std::move(dest)), written_(initial_size), block_offset_(initial_size % kBlockSize) {
  pending_.reserve(kBlockSize);
}

WalWriter::~WalWriter() = default;

void WalWriter::AddRecord(std::string_view op_payload) {
  MaybeEmitSyncMark();
  batch_crc_ = ExtendBatchCrc(batch_crc_, op_payload.data(), op_payload.size());
  batch_count_++;
  EmitLogical(kKindOp, op_payload.data(), op_payload.size());
}

void WalWriter::EndBatch(uint64_t first_seq) {
  MaybeEmitSyncMark();
  char body[kBatchEndSize];
  EncodeFixed64(body, first_seq);
  EncodeFixed32(body + 8, batch_count_);
  EncodeFixed32(body + 12, crc32c::Mask(batch_crc_));
  EmitLogical(kKindBatchEnd, body, sizeof(body));
  batch_crc_ = 0;
  batch_count_ = 0;
}

void WalWriter::MaybeEmitSyncMark() {
  if (!mark_pending_) return;
  const size_t left_in_block = kBlockSize - block_offset_;
  if (left_in_block >= kHeaderSize && left_in_block < kHeaderSize + kSyncMarkSize) return;
  char body[kSyncMarkSize];
  EncodeFixed64(body, marked_size_);
  EmitLogical(kKindSyncMark, body, sizeof(body));
  mark_pending_ = false;
}

void WalWriter::EncodePendingSyncMark() { MaybeEmitSyncMark(); }

void WalWriter::EmitLogical(uint8_t kind, const char* data, size_t n) {
  bool first = true;
  do {
    size_t left_in_block = kBlockSize - block_offset_;
    if (left_in_block < kHeaderSize) {
      pending_.append(left_in_block, '\0');
      block_offset_ = 0;
      left_in_block = kBlockSize;
    }
    size_t fragment = std::min(n, left_in_block - kHeaderSize);
    bool last = fragment == n;
    uint8_t type = first && last ? kFragmentFull
                   : first       ? kFragmentFirst
                   : last        ? kFragmentLast
                                 : kFragmentMiddle;
    EmitPhysical(kind | type, data, fragment);
    data += fragment;
    n -= fragment;
    first = false;
  } while (n > 0);
}

void WalWriter::EmitPhysical(uint8_t type, const char* data, size_t n) {
  char header[kHeaderSize];
  header[4] = static_cast<char>(n & 0xff);
  header[5] = static_cast<char>(n >> 8);
  header[6] = static_cast<char>(type);
  uint32_t crc = RecordCrc(Size(), header + 4, data, n);
  EncodeFixed32(header, crc32c::Mask(crc));
  pending_.append(header, kHeaderSize);
  pending_.append(data, n);
  block_offset_ += kHeaderSize + n;
}

Status WalWriter::Flush() {
  if (!error_.ok()) return error_;
  if (pending_.empty()) return Status::OK();
  Status s = dest_->Append(pending_);
  if (s.ok()) s = dest_->Flush();
  if (!s.ok()) {
    error_ = s;
    pending_.clear();  // never written now: the log is unusable past this point
    return s;
  }
  written_ += pending_.size();
  pending_.clear();  // keeps the capacity for the next group
  return Status::OK();
}

Status WalWriter::Sync() {
  STASH_RETURN_IF_ERROR(Flush());
  Status s = dest_->Sync();
  RecordSync(written_, s);
  return s;
}

Status WalWriter::SyncFlushed() { return dest_->SyncFlushed(); }

void WalWriter::RecordSync(uint64_t synced_size, const Status& s) {
  if (!s.ok()) {
    // After a failed fdatasync the kernel may have dropped the dirty pages; a retry could report
    // success without the data being durable, so the failure sticks.
    if (error_.ok()) error_ = s;
    return;
  }
  if (synced_size > marked_size_) {
    marked_size_ = synced_size;
    mark_pending_ = true;
  }
}

Status WalWriter::Close() {
  Status s = Flush();
  Status c = dest_->Close();
  return s.ok() ? c : s;
}

}  // namespace stash::wal
