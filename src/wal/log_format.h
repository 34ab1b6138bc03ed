// Constants and the record checksum shared by WalWriter and WalReader. The byte layout itself is
// spelled out at the top of wal_writer.cc, which owns the format.
#pragma once

#include <cstddef>
#include <cstdint>

#include "util/coding.h"
#include "util/crc32c.h"

namespace stash::wal {

// A log is a sequence of kBlockSize blocks; a physical record never crosses a block boundary.
constexpr size_t kBlockSize = 32768;
// masked crc32c (4) + length (2) + type (1).
constexpr size_t kHeaderSize = 7;

// The type byte is kind | fragment. The high nibble says what the logical record is, the low
// nibble which piece of it this physical record carries.
constexpr uint8_t kKindOp = 0x00;        // an op record of a batch (opaque payload)
constexpr uint8_t kKindBatchEnd = 0x10;  // the record that closes a batch
constexpr uint8_t kKindSyncMark = 0x20;  // proof that the log was synced up to an offset
constexpr uint8_t kKindMask = 0xf0;

constexpr uint8_t kFragmentFull = 1;
constexpr uint8_t kFragmentFirst = 2;
constexpr uint8_t kFragmentMiddle = 3;
constexpr uint8_t kFragmentLast = 4;
constexpr uint8_t kFragmentMask = 0x0f;

// Payload of a batch-end record: first_seq fixed64, op count fixed32, masked batch crc fixed32.
constexpr size_t kBatchEndSize = 16;
// Payload of a sync-mark record: synced_size fixed64. A sync mark is always one FULL record.
constexpr size_t kSyncMarkSize = 8;

inline bool IsValidRecordType(uint8_t type) {
  uint8_t kind = type & kKindMask;
  uint8_t frag = type & kFragmentMask;
  if (kind == kKindSyncMark) return frag == kFragmentFull;
  return (kind == kKindOp || kind == kKindBatchEnd) && frag >= kFragmentFull &&
         frag <= kFragmentLast;
}

// Checksum of one physical record: crc32c over the record's file offset (fixed64), then the
// length and type bytes of its header (header + 4, 3 bytes), then the payload. Folding in the
// offset makes a record valid only where it was written, so bytes that merely look like a record
// (a stale copy, an op payload that embeds log bytes) never pass as one.
inline uint32_t RecordCrc(uint64_t file_offset, const char* len_and_type, const char* payload,
                          size_t n) {
  char off[8];
  EncodeFixed64(off, file_offset);
  uint32_t crc = crc32c::Value(off, 8);
  crc = crc32c::Extend(crc, len_and_type, 3);
  return crc32c::Extend(crc, payload, n);
}

// Folds one op payload into the running batch checksum: fixed32 length, then the bytes, so that
// moving bytes between adjacent ops changes the checksum.
inline uint32_t ExtendBatchCrc(uint32_t crc, const char* payload, size_t n) {
  char len[4];
  EncodeFixed32(len, static_cast<uint32_t>(n));
  crc = crc32c::Extend(crc, len, 4);
  return crc32c::Extend(crc, payload, n);
}

}  // namespace stash::wal
