// TableBuilder: writes a sorted run of key/value entries as an SSTable (format at the top of
// table_builder.cc). Table (table.h) reads it.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/block_builder.h"
#include "lsm/format.h"
#include "lsm/table_options.h"
#include "util/env.h"
#include "util/status.h"

struct ZSTD_CCtx_s;

namespace stash {

class TableBuilder {
 public:
  // Writes to file, which is not owned and must outlive the builder. The options (and the
  // comparator and filter policy they point to) must outlive it too.
  TableBuilder(const TableOptions& options, WritableFile* file);
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;
  // REQUIRES: Finish() or Abandon() was called.
  ~TableBuilder();

  // REQUIRES: neither Finish() nor Abandon() called; key sorts after every key added before.
  // After a write error the builder ignores further entries; status() and Finish() report it.
  void Add(std::string_view key, std::string_view value);

  // Records name -> value in the table's properties. Reserved "stash." names (table_options.h)
  // are overwritten by Finish(). REQUIRES: Finish() not called.
  void SetProperty(std::string name, std::string value);

  // Writes the remaining data block, the filter, index, properties and metaindex blocks and the
  // footer. The file is flushed to the OS but not synced and not closed: the caller does that.
  Status Finish();

  // Gives up on the table; the caller deletes the file.
  void Abandon();

  uint64_t NumEntries() const { return num_entries_; }
  // Bytes written so far; after a successful Finish(), the file's size.
  uint64_t FileSize() const { return offset_; }
  Status status() const { return status_; }

 private:
  struct ZstdContextDeleter {
    void operator()(ZSTD_CCtx_s* ctx) const;
  };

  void FlushDataBlock();
  // Finishes block, compresses it when options_ ask and it pays, writes it, and resets it.
  void WriteBlock(BlockBuilder* block, BlockHandle* handle);
  void WriteRawBlock(std::string_view contents, BlockCompression compression, BlockHandle* handle);
  void Append(std::string_view data);
  void AddPendingIndexEntry(std::string_view separator);

  const TableOptions options_;
  WritableFile* const file_;
  uint64_t offset_ = 0;
  Status status_;
  bool closed_ = false;

  BlockBuilder data_block_;
  BlockBuilder index_block_;
  std::string last_key_;
  uint64_t num_entries_ = 0;
  uint64_t raw_key_size_ = 0;
  uint64_t raw_value_size_ = 0;
  std::string smallest_key_;

  // The handle of the last flushed data block waits for the next key, so that its index key can
  // be a short separator between the two blocks.
  bool pending_index_entry_ = false;
  BlockHandle pending_handle_;

  // For the table's filter: FilterPolicy::KeyHash of every key added (a run of equal ones once).
  std::vector<uint64_t> filter_hashes_;

  std::map<std::string, std::string> properties_;

  std::unique_ptr<ZSTD_CCtx_s, ZstdContextDeleter> zstd_;
  std::string compressed_;  // scratch for compressed blocks
};

}  // namespace stash
