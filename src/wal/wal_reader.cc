// WalReader: parses the format described in wal_writer.cc block by block.
//
// Damage handling. The first spot that does not parse stops reading; it is one of:
//   - bad bytes: a header with an invalid type, a length that overruns its block or the file, a
//     record checksum mismatch, non-zero block padding. In the newest log (and in point-in-time
//     mode) the rest of the file is scanned for valid records, trying every byte position (a
//     damaged length field hides where the next record starts) and skipping over each valid one:
//     a sync mark among them can prove the damage lies in the synced part. Because a record's
//     checksum covers its own file offset, a payload that embeds log bytes cannot pass for a
//     record during this scan. Bad bytes at an offset >= the largest synced size any valid sync
//     mark records are an unsynced tail (see wal_writer.cc); below it, corruption.
//   - truncation: the file ends inside a record or a batch; nothing can follow.
//   - a valid record in an impossible place (fragment out of order, batch-end count or checksum
//     mismatch): the damage is followed by a valid record (itself), so always corruption.
// Only the newest log may end in a torn tail; see wal_reader.h for what the caller gets.
#include "wal/wal_reader.h"

#include <algorithm>
#include <cstring>

#include "util/coding.h"
#include "util/crc32c.h"
#include "wal/log_format.h"

namespace stash::wal {

struct WalReader::Fragment {
  uint8_t type = 0;
  std::string_view data;
  uint64_t offset = 0;
};

namespace {

size_t RecordLength(const char* header) {
  return static_cast<size_t>(static_cast<uint8_t>(header[4])) |
         (static_cast<size_t>(static_cast<uint8_t>(header[5])) << 8);
}

bool ChecksumMatches(uint64_t offset, const char* header) {
  uint32_t expected = crc32c::Unmask(DecodeFixed32(header));
  return expected == RecordCrc(offset, header + 4, header + kHeaderSize, RecordLength(header));
}

}  // namespace

WalReader::WalReader(std::unique_ptr<SequentialFile> file, std::string path_for_errors,
                     bool is_newest_log, RecoveryMode mode)
    : file_(std::move(file)),
      path_(std::move(path_for_errors)),
      newest_(is_newest_log),
      mode_(mode),
      block_(new char[kBlockSize]),
      // "A full block, fully parsed": the first ReadPhysical loads block 0.
      block_len_(kBlockSize),
      pos_(kBlockSize) {}

WalReader::~WalReader() = default;

bool WalReader::ReadNextBlock() {
  block_start_ = next_block_start_;
  std::string_view got;
  Status s = file_->Read(kBlockSize, &got, block_.get());
  if (!s.ok()) {
    status_ = s;
    done_ = true;
    return false;
  }
  // A file may hand back a view into its own buffer; keep the bytes in ours.
  if (got.data() != block_.get() && !got.empty()) {
    std::memmove(block_.get(), got.data(), got.size());
  }
  block_len_ = got.size();
  pos_ = 0;
  next_block_start_ += block_len_;
  return true;
}

WalReader::ReadResult WalReader::ReadPhysical(Fragment* f) {
  while (true) {
    if (kBlockSize - pos_ < kHeaderSize) {  // block trailer: zero padding up to the block end
      for (size_t i = pos_; i < block_len_; i++) {
        if (block_[i] != 0) {
          bad_offset_ = block_start_ + i;
          bad_what_ = "non-zero block padding";
          return ReadResult::kBadBytes;
        }
      }
      if (block_len_ < kBlockSize) return ReadResult::kEnd;
      if (!ReadNextBlock()) return ReadResult::kIoError;
      continue;
    }
    size_t avail = block_len_ - pos_;
    if (avail == 0) return ReadResult::kEnd;  // only in the last, partial block
    const char* header = block_.get() + pos_;
    bad_offset_ = block_start_ + pos_;
    if (avail < kHeaderSize) {
      bad_what_ = "truncated record header";
      return ReadResult::kBadBytes;
    }
    auto type = static_cast<uint8_t>(header[6]);
    size_t len = RecordLength(header);
    if (!IsValidRecordType(type)) {
      bad_what_ = "invalid record type " + std::to_string(type);
      return ReadResult::kBadBytes;
    }
    if (pos_ + kHeaderSize + len > kBlockSize) {
      bad_what_ = "record length " + std::to_string(len) + " overruns its block";
      return ReadResult::kBadBytes;
    }
    if (pos_ + kHeaderSize + len > block_len_) {
      bad_what_ = "truncated record";
      return ReadResult::kBadBytes;
    }
    if (!ChecksumMatches(bad_offset_, header)) {
      bad_what_ = "checksum mismatch";
      return ReadResult::kBadBytes;
    }
    f->type = type;
    f->data = std::string_view(header + kHeaderSize, len);
    f->offset = block_start_ + pos_;
    pos_ += kHeaderSize + len;
    return ReadResult::kRecord;
  }
}

bool WalReader::ValidRecordAt(size_t pos) const {
  if (pos + kHeaderSize > block_len_) return false;
  const char* header = block_.get() + pos;
  if (!IsValidRecordType(static_cast<uint8_t>(header[6]))) return false;
  // block_len_ <= kBlockSize, so this also keeps the record inside its block.
  if (pos + kHeaderSize + RecordLength(header) > block_len_) return false;
  return ChecksumMatches(block_start_ + pos, header);
}

bool WalReader::NoteSyncMark(uint64_t offset, std::string_view payload) {
  if (payload.size() != kSyncMarkSize) return false;
  const uint64_t synced = DecodeFixed64(payload.data());
  if (synced > offset) return false;
  synced_size_ = std::max(synced_size_, synced);
  return true;
}

bool WalReader::ScanRest(uint64_t from, bool* found) {
  *found = false;
  size_t pos = from - block_start_;  // from lies in the current block or just past it
  while (true) {
    while (pos + kHeaderSize <= block_len_) {
      if (!ValidRecordAt(pos)) {
        pos++;
        continue;
      }
      *found = true;
      const char* header = block_.get() + pos;
      const size_t len = RecordLength(header);
      if ((static_cast<uint8_t>(header[6]) & kKindMask) == kKindSyncMark) {
        // One claiming more than precedes it proves nothing; it does not stop the scan.
        NoteSyncMark(block_start_ + pos, std::string_view(header + kHeaderSize, len));
      }
      pos += kHeaderSize + len;
    }
    if (block_len_ < kBlockSize) return true;
    if (!ReadNextBlock()) return false;
    pos = 0;
  }
}

bool WalReader::ConsumeToEnd() {
  while (block_len_ == kBlockSize) {
    if (!ReadNextBlock()) return false;
  }
  return true;
}

bool WalReader::ReadBatch(WalBatch* batch) {
  if (done_) return false;
  size_t count = 0;  // complete op records of this batch
  uint32_t crc = 0;
  bool batch_started = false;
  uint64_t batch_start = 0;
  bool in_record = false;
  uint8_t record_kind = 0;
  uint64_t record_start = 0;
  std::string* target = nullptr;
  while (true) {
    Fragment f;
    switch (ReadPhysical(&f)) {
      case ReadResult::kIoError:
        return false;
      case ReadResult::kBadBytes:
        return Stop(bad_offset_, bad_what_, Damage::kBadBytes);
      case ReadResult::kEnd:
        if (!batch_started) {  // clean end
          done_ = true;
          return false;
        }
        return Stop(batch_start, in_record ? "incomplete record" : "incomplete batch",
                    Damage::kTruncated);
      case ReadResult::kRecord:
        break;
    }
    if ((f.type & kKindMask) == kKindSyncMark) {  // not part of any batch
      if (in_record) return Stop(f.offset, "record starts inside another", Damage::kMisplaced);
      if (!NoteSyncMark(f.offset, f.data)) {
        return Stop(f.offset, "sync mark beyond its own offset", Damage::kMisplaced);
      }
      continue;
    }
    if (!batch_started) {
      batch_started = true;
      batch_start = f.offset;
    }
    uint8_t kind = f.type & kKindMask;
    uint8_t fragment = f.type & kFragmentMask;
    if (fragment == kFragmentFull || fragment == kFragmentFirst) {
      if (in_record) return Stop(f.offset, "record starts inside another", Damage::kMisplaced);
      record_kind = kind;
      record_start = f.offset;
      if (kind == kKindBatchEnd) {
        target = &end_scratch_;
      } else if (count < batch->records.size()) {
        target = &batch->records[count];
      } else {
        target = &batch->records.emplace_back();
      }
      target->assign(f.data);
      in_record = fragment == kFragmentFirst;
    } else {
      if (!in_record) return Stop(f.offset, "record fragment without a start", Damage::kMisplaced);
      if (kind != record_kind) {
        return Stop(f.offset, "record fragment of another kind", Damage::kMisplaced);
      }
      target->append(f.data);
      in_record = fragment == kFragmentMiddle;
    }
    if (in_record) continue;

    if (record_kind == kKindOp) {
      crc = ExtendBatchCrc(crc, target->data(), target->size());
      count++;
      continue;
    }
    if (end_scratch_.size() != kBatchEndSize) {
      return Stop(record_start,
                  "batch-end record of " + std::to_string(end_scratch_.size()) + " bytes",
                  Damage::kMisplaced);
    }
    uint64_t stored_count = DecodeFixed32(end_scratch_.data() + 8);
    if (stored_count != count) {
      return Stop(record_start,
                  "batch-end record counts " + std::to_string(stored_count) + " ops but " +
                      std::to_string(count) + " precede it",
                  Damage::kMisplaced);
    }
    if (crc32c::Unmask(DecodeFixed32(end_scratch_.data() + 12)) != crc) {
      return Stop(record_start, "batch checksum mismatch", Damage::kMisplaced);
    }
    batch->first_seq = DecodeFixed64(end_scratch_.data());
    batch->records.resize(count);
    batch->start_offset = batch_start;
    batch->end_offset = f.offset + kHeaderSize + f.data.size();
    last_good_offset_ = batch->end_offset;
    return true;
  }
}

bool WalReader::Stop(uint64_t offset, const std::string& what, Damage damage) {
  done_ = true;
  bool valid_follows = damage == Damage::kMisplaced;
  if (damage == Damage::kBadBytes && (newest_ || mode_ == RecoveryMode::kPointInTime)) {
    if (!ScanRest(offset + 1, &valid_follows)) return false;
  }
  if (!ConsumeToEnd()) return false;
  uint64_t file_end = block_start_ + block_len_;
  dropped_bytes_ = file_end - last_good_offset_;

  std::string where = what + " at offset " + std::to_string(offset);
  // Only the newest log has a part that was never synced; it starts at or after synced_size_.
  // An incomplete batch is cut by the end of the file, which always lies past synced_size_ (a
  // sync mark lies after the size it records).
  const bool unsynced = newest_ && (damage == Damage::kTruncated ||
                                    (damage == Damage::kBadBytes && offset >= synced_size_));
  if (unsynced) {
    dropped_torn_tail_ = true;
    const std::string dropped = std::to_string(dropped_bytes_) + " bytes after offset " +
                                std::to_string(last_good_offset_) + " (" + where;
    if (valid_follows) {
      drop_reason_ = path_ + ": dropped unsynced tail of " + dropped +
                     "; valid records follow it, but no sync mark records more than " +
                     std::to_string(synced_size_) + " bytes synced)";
    } else {
      drop_reason_ = path_ + ": dropped torn tail of " + dropped + ")";
    }
    return false;
  }
  std::string msg = path_ + ": " + where;
  if (damage == Damage::kBadBytes && valid_follows) {
    msg += " (valid records follow it";
    if (newest_) msg += "; a sync mark records " + std::to_string(synced_size_) + " bytes synced";
    msg += ")";
  }
  if (!newest_ && damage != Damage::kMisplaced) msg += " (log is not the newest)";
  if (mode_ == RecoveryMode::kStrict) {
    status_ = Status::Corruption(msg);
    drop_reason_ = msg;
  } else {
    drop_reason_ = "point-in-time recovery stopped: " + msg + "; dropped " +
                   std::to_string(dropped_bytes_) + " bytes after offset " +
                   std::to_string(last_good_offset_);
  }
  return false;
}

}  // namespace stash::wal
