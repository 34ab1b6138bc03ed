// TableOptions: how TableBuilder writes an SSTable and how Table reads it back, plus the names of
// the properties every table records. The file format itself is described in table_builder.cc.
#pragma once

#include <cstddef>
#include <string_view>

#include "lsm/comparator.h"
#include "lsm/filter_policy.h"

namespace stash {

class Cache;

struct TableOptions {
  // Orders the keys of the table; its Name() is recorded and checked when the table is opened.
  const Comparator* comparator = BytewiseComparator();
  // Target uncompressed size of a data block; a block is cut once it reaches this size.
  size_t block_size = 4096;
  // Keys between two restart points are prefix-compressed. REQUIRES: >= 1.
  int block_restart_interval = 16;
  // A block is stored compressed only when that saves at least 1/8 of its size.
  enum class Compression { kNone, kZstd } compression = Compression::kZstd;
  int compression_level = 3;
  // Builds the table's filter over the keys exactly as added; nullptr = no filter. Not owned.
  const FilterPolicy* filter_policy = nullptr;
  // Caches data blocks across reads; nullptr = no caching. Not owned; must outlive the tables.
  Cache* block_cache = nullptr;
  // Verify the checksum of every data block read. The blocks read by Table::Open (footer,
  // metaindex, properties, filter, index) are always verified.
  bool verify_checksums = true;
};

// Properties TableBuilder::Finish records in every table. Numbers are decimal strings. Names with
// the "stash." prefix are reserved: SetProperty cannot override them.
namespace table_property {
inline constexpr std::string_view kNumEntries = "stash.num_entries";
// Sums of the key and of the value lengths.
inline constexpr std::string_view kRawKeySize = "stash.raw_key_size";
inline constexpr std::string_view kRawValueSize = "stash.raw_value_size";
// Bytes on disk (trailers included) of the data blocks, the index block and the filter block
// (0 when there is no filter).
inline constexpr std::string_view kDataSize = "stash.data_size";
inline constexpr std::string_view kIndexSize = "stash.index_size";
inline constexpr std::string_view kFilterSize = "stash.filter_size";
// The first and last keys, raw bytes; absent when the table is empty.
inline constexpr std::string_view kSmallestKey = "stash.smallest_key";
inline constexpr std::string_view kLargestKey = "stash.largest_key";
// Comparator::Name() of the comparator the table was written with.
inline constexpr std::string_view kComparator = "stash.comparator";
}  // namespace table_property

}  // namespace stash
