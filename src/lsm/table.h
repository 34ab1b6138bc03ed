// Table: a read-only SSTable written by TableBuilder (format in table_builder.cc). Open reads
// and checks the footer, index, properties and filter once and keeps them in memory; data blocks
// are read on demand, through the block cache when TableOptions::block_cache is set.
//
// Corruption never yields wrong data: a bad checksum, handle, magic number, truncated file or
// undecompressable block is reported as Status::Corruption "<file_name>: <what> at offset <n>".
//
// Thread-safety: a Table is immutable after Open; any number of threads may read it at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "lsm/block.h"
#include "lsm/format.h"
#include "lsm/index_search.h"
#include "lsm/iterator.h"
#include "lsm/table_options.h"
#include "util/env.h"
#include "util/status.h"

namespace stash {

class Table : public std::enable_shared_from_this<Table> {
 public:
  // Opens the table in file, whose size is file_size; file_name names it in error messages.
  // Fails with Corruption when the file is not a sound table, and with InvalidArgument when it
  // was written under another comparator. The options (and the comparator, filter policy and
  // cache they point to) must outlive the table.
  static Status Open(const TableOptions& options, std::string file_name,
                     std::unique_ptr<RandomAccessFile> file, uint64_t file_size,
                     std::shared_ptr<Table>* table);

  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  ~Table();

  // An iterator over every entry. It keeps the table alive and pins the data block it is
  // positioned on; key() and value() are views valid until the iterator moves. A block error
  // ends the iteration, reported by status(). Blocks it reads go into the block cache unless
  // fill_cache is false (compactions and checks: one pass over many blocks would push out the
  // ones point reads keep using); blocks already cached are used either way.
  std::unique_ptr<Iterator> NewIterator(bool fill_cache = true) const;

  // Point lookup. When the filter says filter_key may be in the table, finds the first entry
  // with key >= `key` and, if there is one, calls found(entry_key, entry_value) once (the views
  // are valid only during the call; the caller decides whether the entry matches). Returns OK
  // when found was called or no entry qualified, else the error met.
  Status InternalGet(std::string_view key, std::string_view filter_key,
                     const std::function<void(std::string_view, std::string_view)>& found) const;

  // Approximate file offset where the data of `key` is or would be: the offset of the data block
  // that would hold it, or where the table's metadata begins (close to the file size) for keys
  // past the last one.
  uint64_t ApproximateOffsetOf(std::string_view key) const;

  // The table's properties: table_property names plus those set with TableBuilder::SetProperty.
  const std::map<std::string, std::string>& Properties() const { return properties_; }

  const std::string& file_name() const { return file_name_; }
  uint64_t file_size() const { return file_size_; }
  // Bytes the open table holds in memory: its index block and search, filter, properties and
  // itself.
  size_t MemoryUsage() const;

 private:
  Table(const TableOptions& options, std::string file_name, std::unique_ptr<RandomAccessFile> file,
        uint64_t file_size);

  // Reads and validates a block through the footer-verified path (always checksummed).
  Status ReadMetaBlock(const BlockHandle& handle, std::unique_ptr<Block>* block) const;
  Status ReadMeta(const Block& metaindex);
  // InternalGet in the data block index_value locates (through the block cache, filling it):
  // *in_block false when every entry there is < key; else found was called with the first entry
  // >= key (its key in *entry_key).
  Status SeekDataBlock(std::string_view index_value, std::string_view key, bool* in_block,
                       std::string* entry_key,
                       const std::function<void(std::string_view, std::string_view)>& found) const;
  // An iterator over the data block the index value locates (from the cache when there is one).
  std::unique_ptr<Iterator> NewDataBlockIterator(std::string_view index_value,
                                                 bool fill_cache = true) const;

  const TableOptions options_;
  const std::string file_name_;
  const std::unique_ptr<RandomAccessFile> file_;
  const uint64_t file_size_;
  uint64_t data_limit_ = 0;  // where the footer starts: no block extends past it
  uint64_t cache_id_ = 0;    // prefix of this table's block cache keys
  uint64_t metaindex_offset_ = 0;
  uint64_t index_offset_ = 0;
  std::unique_ptr<Block> index_block_;
  std::unique_ptr<IndexSearch> index_search_;  // point lookups' index search, when it applies
  std::map<std::string, std::string> properties_;
  const FilterPolicy* filter_policy_ = nullptr;  // set when the table has a filter it can probe
  BlockContents filter_;
};

}  // namespace stash
