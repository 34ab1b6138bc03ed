// SSTable file format (version 1). All integers little-endian; blocks, handles, trailers and the
// footer are defined in format.cc, the inside of a block in block_builder.cc.
//
//   table := data_block* filter_block? index_block properties_block metaindex_block footer
//
//   data_block       entries key -> value of the table, in comparator order. A block is cut when
//                    its uncompressed size reaches TableOptions::block_size; its keys are
//                    prefix-compressed with a restart point every block_restart_interval keys.
//   filter_block     one FilterPolicy filter over every key of the table, as given to Add().
//                    Stored uncompressed.
//   index_block      one entry per data block: key = a separator >= every key of the block and
//                    < every key of the next block (shortened with FindShortestSeparator; the
//                    last one with FindShortSuccessor), value = the block's handle. Restart
//                    interval 1.
//   properties_block name -> value for every table property (table_options.h names the
//                    built-in ones), sorted by name.
//   metaindex_block  name -> handle, sorted by name, restart interval 1, uncompressed:
//                      "filter.<FilterPolicy::Name()>" -> filter block (when there is a filter)
//                      "stash.properties"              -> properties block
//   footer           56 bytes: metaindex and index handles, format version, footer checksum,
//                    magic number "stashsst".
//
// Every block is followed by its 5-byte trailer (compression type, masked CRC32C). Data, index
// and properties blocks are zstd-compressed when TableOptions::compression is kZstd and that
// saves at least 1/8 of the block; otherwise they are stored as they are. The blocks are
// standard zstd frames, compressed with literal (Huffman) compression off: for 4 KB blocks
// building the Huffman tables dominates decompression, and without them a point read costs
// about 2/3 (measured with callgrind and stash_bench readrandom, 3M keys) for ~9% more bytes.
#include "lsm/table_builder.h"

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_c_literalCompressionMode
#include <zstd.h>

#include <cassert>

#include "util/coding.h"
#include "util/crc32c.h"

namespace stash {

void TableBuilder::ZstdContextDeleter::operator()(ZSTD_CCtx_s* ctx) const { ZSTD_freeCCtx(ctx); }

TableBuilder::TableBuilder(const TableOptions& options, WritableFile* file)
    : options_(options),
      file_(file),
      data_block_(options.block_restart_interval),
      index_block_(1) {}

TableBuilder::~TableBuilder() { assert(closed_); }

void TableBuilder::Add(std::string_view key, std::string_view value) {
  assert(!closed_);
  assert(num_entries_ == 0 || options_.comparator->Compare(key, last_key_) > 0);
  if (!status_.ok()) return;
  if (pending_index_entry_) {
    options_.comparator->FindShortestSeparator(&last_key_, key);
    AddPendingIndexEntry(last_key_);
  }
  if (options_.filter_policy != nullptr) {
    // 8 bytes per key until Finish; a user key's versions are adjacent and hash alike.
    const uint64_t h = options_.filter_policy->KeyHash(key);
    if (filter_hashes_.empty() || filter_hashes_.back() != h) filter_hashes_.push_back(h);
  }
  if (num_entries_ == 0) smallest_key_.assign(key);
  last_key_.assign(key);
  num_entries_++;
  raw_key_size_ += key.size();
  raw_value_size_ += value.size();
  data_block_.Add(key, value);
  if (data_block_.CurrentSizeEstimate() >= options_.block_size) FlushDataBlock();
}

void TableBuilder::AddPendingIndexEntry(std::string_view separator) {
  std::string handle;
  pending_handle_.EncodeTo(&handle);
  index_block_.Add(separator, handle);
  pending_index_entry_ = false;
}

void TableBuilder::SetProperty(std::string name, std::string value) {
  assert(!closed_);
  properties_[std::move(name)] = std::move(value);
}

void TableBuilder::FlushDataBlock() {
  if (!status_.ok() || data_block_.empty()) return;
  WriteBlock(&data_block_, &pending_handle_);
  if (status_.ok()) pending_index_entry_ = true;
}

void TableBuilder::WriteBlock(BlockBuilder* block, BlockHandle* handle) {
  const std::string_view raw = block->Finish();
  std::string_view contents = raw;
  BlockCompression compression = BlockCompression::kNone;
  if (options_.compression == TableOptions::Compression::kZstd) {
    if (zstd_ == nullptr) {
      zstd_.reset(ZSTD_createCCtx());
      if (zstd_ != nullptr) {
        // A library refusing either parameter still writes valid frames, just differently.
        ZSTD_CCtx_setParameter(zstd_.get(), ZSTD_c_compressionLevel, options_.compression_level);
        ZSTD_CCtx_setParameter(zstd_.get(), ZSTD_c_literalCompressionMode, ZSTD_ps_disable);
      }
    }
    // Without a context (out of memory) or when zstd fails, the block is stored uncompressed:
    // always a valid choice, so no error is lost.
    if (zstd_ != nullptr) {
      const size_t bound = ZSTD_compressBound(raw.size());
      if (compressed_.size() < bound) compressed_.resize(bound);
      const size_t n =
          ZSTD_compress2(zstd_.get(), compressed_.data(), bound, raw.data(), raw.size());
      if (!ZSTD_isError(n) && n <= raw.size() - raw.size() / 8) {
        contents = std::string_view(compressed_.data(), n);
        compression = BlockCompression::kZstd;
      }
    }
  }
  WriteRawBlock(contents, compression, handle);
  block->Reset();
}

void TableBuilder::WriteRawBlock(std::string_view contents, BlockCompression compression,
                                 BlockHandle* handle) {
  handle->offset = offset_;
  handle->size = contents.size();
  char trailer[kBlockTrailerSize];
  trailer[0] = static_cast<char>(compression);
  uint32_t crc = crc32c::Extend(crc32c::Value(contents.data(), contents.size()), trailer, 1);
  EncodeFixed32(trailer + 1, crc32c::Mask(crc));
  Append(contents);
  Append(std::string_view(trailer, kBlockTrailerSize));
}

void TableBuilder::Append(std::string_view data) {
  if (!status_.ok()) return;
  status_ = file_->Append(data);
  if (status_.ok()) offset_ += data.size();
}

Status TableBuilder::Finish() {
  assert(!closed_);
  FlushDataBlock();
  closed_ = true;
  if (!status_.ok()) return status_;
  const uint64_t data_size = offset_;
  std::map<std::string, std::string, std::less<>> metaindex;

  uint64_t filter_size = 0;
  if (options_.filter_policy != nullptr) {
    std::string filter;
    options_.filter_policy->CreateFilterFromHashes(filter_hashes_, &filter);
    std::vector<uint64_t>().swap(filter_hashes_);  // can be large: free it early
    BlockHandle handle;
    WriteRawBlock(filter, BlockCompression::kNone, &handle);
    filter_size = handle.size + kBlockTrailerSize;
    handle.EncodeTo(&metaindex[std::string(kFilterBlockPrefix) + options_.filter_policy->Name()]);
  }

  const std::string largest_key = last_key_;
  if (pending_index_entry_) {
    options_.comparator->FindShortSuccessor(&last_key_);
    AddPendingIndexEntry(last_key_);
  }
  BlockHandle index_handle;
  WriteBlock(&index_block_, &index_handle);

  namespace prop = table_property;
  auto set = [this](std::string_view name, std::string value) {
    properties_[std::string(name)] = std::move(value);
  };
  set(prop::kNumEntries, std::to_string(num_entries_));
  set(prop::kRawKeySize, std::to_string(raw_key_size_));
  set(prop::kRawValueSize, std::to_string(raw_value_size_));
  set(prop::kDataSize, std::to_string(data_size));
  set(prop::kIndexSize, std::to_string(index_handle.size + kBlockTrailerSize));
  set(prop::kFilterSize, std::to_string(filter_size));
  set(prop::kComparator, options_.comparator->Name());
  if (num_entries_ > 0) {
    set(prop::kSmallestKey, smallest_key_);
    set(prop::kLargestKey, largest_key);
  }
  BlockBuilder properties_block(options_.block_restart_interval);
  for (const auto& [name, value] : properties_) properties_block.Add(name, value);
  BlockHandle properties_handle;
  WriteBlock(&properties_block, &properties_handle);
  properties_handle.EncodeTo(&metaindex[std::string(kPropertiesBlockName)]);

  BlockBuilder metaindex_block(1);
  for (const auto& [name, handle] : metaindex) metaindex_block.Add(name, handle);
  Footer footer;
  WriteRawBlock(metaindex_block.Finish(), BlockCompression::kNone, &footer.metaindex);
  footer.index = index_handle;
  std::string encoded;
  footer.EncodeTo(&encoded);
  Append(encoded);
  if (status_.ok()) status_ = file_->Flush();
  return status_;
}

void TableBuilder::Abandon() {
  assert(!closed_);
  closed_ = true;
}

}  // namespace stash
