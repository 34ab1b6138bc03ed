// The pieces of the SSTable file format shared by TableBuilder and Table: block handles, the
// footer, the block trailer, and ReadBlock, which fetches one block, checks it and decompresses it.
// The layout of a whole table file is described at the top of table_builder.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/env.h"
#include "util/status.h"

namespace stash {

// Where a block lives in the file: its offset and its size without the trailer.
struct BlockHandle {
  // Two varint64s.
  static constexpr size_t kMaxEncodedLength = 20;

  uint64_t offset = 0;
  uint64_t size = 0;

  void EncodeTo(std::string* dst) const;
  // Consumes the handle from the front of *input; false when it is malformed.
  bool DecodeFrom(std::string_view* input);
};

// Every block is followed by a trailer: a 1-byte BlockCompression and the masked CRC32C of the
// block bytes plus that type byte.
inline constexpr size_t kBlockTrailerSize = 5;

enum class BlockCompression : uint8_t { kNone = 0, kZstd = 1 };

inline constexpr uint32_t kTableFormatVersion = 1;
// "stashsst" read as a little-endian fixed64.
inline constexpr uint64_t kTableMagicNumber = 0x7473736873617473ull;

// Names of the metaindex entries.
inline constexpr std::string_view kPropertiesBlockName = "stash.properties";
inline constexpr std::string_view kFilterBlockPrefix = "filter.";  // + FilterPolicy::Name()

// The fixed-size end of every table file.
struct Footer {
  static constexpr size_t kEncodedLength = 56;

  BlockHandle metaindex;
  BlockHandle index;

  // Appends exactly kEncodedLength bytes.
  void EncodeTo(std::string* dst) const;
  // REQUIRES: input.size() == kEncodedLength. file_name and offset (where the footer starts)
  // only name the place in error messages.
  Status DecodeFrom(std::string_view input, std::string_view file_name, uint64_t offset);
};

// The bytes of one block. `data` points into `heap` when the block owns its memory.
struct BlockContents {
  std::string_view data;
  std::unique_ptr<char[]> heap;
};

// Reads the block at `handle` from file into *result: checks that the block and its trailer lie
// below `limit` (no block extends past it, e.g. the footer's offset), verifies the checksum when
// verify_checksum, and decompresses it. Errors are Corruption "<file_name>: <what> at offset <n>"
// (or the file's own IOError).
Status ReadBlock(const RandomAccessFile& file, std::string_view file_name, uint64_t limit,
                 const BlockHandle& handle, bool verify_checksum, BlockContents* result);

// Status::Corruption("<file_name>: <what> at offset <offset>").
Status CorruptionAt(std::string_view file_name, uint64_t offset, std::string_view what);

}  // namespace stash
