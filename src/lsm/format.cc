// Block handles, block trailers and the table footer.
//
//   block_handle := offset: varint64, size: varint64       (size excludes the trailer)
//   block        := contents: byte[size] trailer
//   trailer      := compression: uint8 (0 none, 1 zstd), checksum: fixed32
//                   checksum = masked crc32c(contents ++ compression byte)
//   footer (56 bytes, the last bytes of the file) :=
//       metaindex: block_handle, index: block_handle, zero padding up to byte 40,
//       format_version: fixed32 (1),
//       footer_checksum: fixed32 = masked crc32c(bytes 0..43 of the footer),
//       magic: fixed64 (kTableMagicNumber)
//
// A zstd block's contents are one zstd frame that records its decompressed size.
#include "lsm/format.h"

#include <zstd.h>

#include <cstring>

#include "util/coding.h"
#include "util/crc32c.h"

namespace stash {
namespace {

constexpr size_t kFooterHandlesLength = 40;
constexpr size_t kFooterChecksummedLength = 44;
// A zstd frame cannot expand more than this: its densest block is a 4-byte RLE block producing
// at most 128 KiB. Bounds the allocation a corrupt frame header can ask for.
constexpr uint64_t kMaxZstdExpansion = 32768;
// Blocks address their entries with 32-bit offsets.
constexpr uint64_t kMaxBlockSize = UINT32_MAX;

// One decompression context per thread, so reads do not allocate one per block.
ZSTD_DCtx* ThreadDecompressionContext() {
  struct Holder {
    ZSTD_DCtx* ctx = ZSTD_createDCtx();
    ~Holder() { ZSTD_freeDCtx(ctx); }
  };
  thread_local Holder holder;
  return holder.ctx;
}

Status DecompressZstd(std::string_view input, std::string_view file_name, uint64_t offset,
                      BlockContents* result) {
  unsigned long long size = ZSTD_getFrameContentSize(input.data(), input.size());
  if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR) {
    return CorruptionAt(file_name, offset, "bad zstd frame header in block");
  }
  if (size > kMaxBlockSize || size > input.size() * kMaxZstdExpansion) {
    return CorruptionAt(file_name, offset, "impossible decompressed block size");
  }
  auto out = std::make_unique_for_overwrite<char[]>(size);
  ZSTD_DCtx* ctx = ThreadDecompressionContext();
  size_t got = ctx != nullptr
                   ? ZSTD_decompressDCtx(ctx, out.get(), size, input.data(), input.size())
                   : ZSTD_decompress(out.get(), size, input.data(), input.size());
  if (ZSTD_isError(got)) {
    return CorruptionAt(
        file_name, offset,
        std::string("cannot decompress block (zstd: ") + ZSTD_getErrorName(got) + ")");
  }
  if (got != size) return CorruptionAt(file_name, offset, "decompressed block has the wrong size");
  result->data = std::string_view(out.get(), size);
  result->heap = std::move(out);
  return Status::OK();
}

}  // namespace

void BlockHandle::EncodeTo(std::string* dst) const {
  PutVarint64(dst, offset);
  PutVarint64(dst, size);
}

bool BlockHandle::DecodeFrom(std::string_view* input) {
  return GetVarint64(input, &offset) && GetVarint64(input, &size);
}

void Footer::EncodeTo(std::string* dst) const {
  const size_t start = dst->size();
  metaindex.EncodeTo(dst);
  index.EncodeTo(dst);
  dst->resize(start + kFooterHandlesLength, '\0');
  PutFixed32(dst, kTableFormatVersion);
  PutFixed32(dst, crc32c::Mask(crc32c::Value(dst->data() + start, kFooterChecksummedLength)));
  PutFixed64(dst, kTableMagicNumber);
}

Status Footer::DecodeFrom(std::string_view input, std::string_view file_name, uint64_t offset) {
  if (input.size() != kEncodedLength) return CorruptionAt(file_name, offset, "truncated footer");
  const char* p = input.data();
  if (DecodeFixed64(p + kFooterChecksummedLength + 4) != kTableMagicNumber) {
    return CorruptionAt(file_name, offset, "bad table magic number (not an SSTable)");
  }
  uint32_t expected = crc32c::Unmask(DecodeFixed32(p + kFooterChecksummedLength));
  if (crc32c::Value(p, kFooterChecksummedLength) != expected) {
    return CorruptionAt(file_name, offset, "footer checksum mismatch");
  }
  uint32_t version = DecodeFixed32(p + kFooterHandlesLength);
  if (version != kTableFormatVersion) {
    return CorruptionAt(file_name, offset,
                        "unsupported table format version " + std::to_string(version));
  }
  std::string_view handles(p, kFooterHandlesLength);
  if (!metaindex.DecodeFrom(&handles) || !index.DecodeFrom(&handles)) {
    return CorruptionAt(file_name, offset, "bad block handle in footer");
  }
  return Status::OK();
}

Status ReadBlock(const RandomAccessFile& file, std::string_view file_name, uint64_t limit,
                 const BlockHandle& handle, bool verify_checksum, BlockContents* result) {
  if (handle.offset > limit || handle.size > limit - handle.offset ||
      limit - handle.offset - handle.size < kBlockTrailerSize) {
    return CorruptionAt(file_name, handle.offset,
                        "block handle (size " + std::to_string(handle.size) +
                            ") reaches past the end of the table");
  }
  const size_t n = handle.size;
  auto buf = std::make_unique_for_overwrite<char[]>(n + kBlockTrailerSize);
  std::string_view got;
  STASH_RETURN_IF_ERROR(file.Read(handle.offset, n + kBlockTrailerSize, &got, buf.get()));
  if (got.size() != n + kBlockTrailerSize) {
    return CorruptionAt(file_name, handle.offset, "truncated block read");
  }
  if (got.data() != buf.get()) std::memcpy(buf.get(), got.data(), got.size());
  const char* data = buf.get();

  if (verify_checksum) {
    uint32_t expected = crc32c::Unmask(DecodeFixed32(data + n + 1));
    if (crc32c::Value(data, n + 1) != expected) {
      return CorruptionAt(file_name, handle.offset, "block checksum mismatch");
    }
  }
  switch (static_cast<BlockCompression>(data[n])) {
    case BlockCompression::kNone:
      if (n > kMaxBlockSize) return CorruptionAt(file_name, handle.offset, "block too large");
      result->data = std::string_view(data, n);
      result->heap = std::move(buf);
      return Status::OK();
    case BlockCompression::kZstd:
      return DecompressZstd(std::string_view(data, n), file_name, handle.offset, result);
  }
  return CorruptionAt(
      file_name, handle.offset,
      "unknown block compression type " + std::to_string(static_cast<unsigned char>(data[n])));
}

Status CorruptionAt(std::string_view file_name, uint64_t offset, std::string_view what) {
  std::string msg;
  msg.reserve(file_name.size() + what.size() + 32);
  msg.append(file_name)
      .append(": ")
      .append(what)
      .append(" at offset ")
      .append(std::to_string(offset));
  return Status::Corruption(msg);
}

}  // namespace stash
