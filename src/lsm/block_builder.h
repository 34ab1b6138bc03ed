// BlockBuilder: assembles one block of sorted key/value entries with prefix-compressed keys and a
// restart array (format at the top of block_builder.cc). Used for data, index, metaindex and
// properties blocks; Block (block.h) reads the result.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stash {

class BlockBuilder {
 public:
  // REQUIRES: restart_interval >= 1.
  explicit BlockBuilder(int restart_interval);
  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // Forgets every entry; the builder can build a new block.
  void Reset();

  // REQUIRES: Finish() not called since the last Reset(); key sorts after every key added before
  // (the caller's comparator; the builder only shares prefixes); the block stays below 4 GiB.
  void Add(std::string_view key, std::string_view value);

  // Appends the restart array and returns the whole block. The view stays valid until the next
  // Reset() or the builder's destruction.
  std::string_view Finish();

  // Size of the block Finish() would return now.
  size_t CurrentSizeEstimate() const;

  bool empty() const { return num_entries_ == 0; }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int entries_since_restart_ = 0;
  uint64_t num_entries_ = 0;
  bool finished_ = false;
  std::string last_key_;
};

}  // namespace stash
