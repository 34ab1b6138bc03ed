// Block: a read-only view of one block built by BlockBuilder (format in block_builder.cc), with
// an iterator that binary-searches the restart points and decodes entries in place.
//
// Thread-safety: a Block is immutable; any number of threads may iterate it at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lsm/comparator.h"
#include "lsm/format.h"
#include "lsm/iterator.h"
#include "util/status.h"

namespace stash {

class Block {
 public:
  // Takes ownership of contents (its heap, if any) and validates the restart array. On failure
  // returns Corruption naming file_name and offset (where the block lives in its file).
  static Status Parse(BlockContents contents, std::string_view file_name, uint64_t offset,
                      std::unique_ptr<Block>* block);

  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  // Bytes of block contents.
  size_t size() const { return contents_.data.size(); }
  // Memory held by this block, for cache charging.
  size_t MemoryUsage() const { return sizeof(*this) + size(); }

  // An iterator over the entries in comparator order. key() is materialised in the iterator;
  // value() points into the block. A malformed entry makes the iterator invalid with a Corruption
  // status naming file_name and the block's offset. REQUIRES: the block, the comparator and the
  // bytes of file_name outlive the iterator.
  std::unique_ptr<Iterator> NewIterator(const Comparator* comparator,
                                        std::string_view file_name) const;

  // A point lookup without an iterator: the first entry with key >= target. *found is false when
  // every entry is < target; else *key holds the entry's key and *value views its value in the
  // block. Returns the Corruption the iterator would report for a malformed entry on the way.
  Status Seek(const Comparator* comparator, std::string_view file_name, std::string_view target,
              bool* found, std::string* key, std::string_view* value) const;

  // Direct access for blocks of restart interval 1 (index blocks), where entry i is restart
  // point i. NumRestarts() is the number of restart points; EntryAtRestart decodes the entry at
  // restart point i < NumRestarts() into *key and *value (views into the block) and sets *end
  // to the offset just past it. False when the entry is malformed or shares a prefix.
  // EntriesEnd() is the offset where the entries end (the last entry's end in a sound block).
  uint32_t NumRestarts() const { return num_restarts_; }
  uint32_t RestartOffset(uint32_t i) const;
  uint32_t EntriesEnd() const { return restarts_offset_; }
  bool EntryAtRestart(uint32_t i, std::string_view* key, std::string_view* value,
                      uint32_t* end) const;

 private:
  // Seek's path for the bytewise internal-key order: the same answer without an iterator, keys
  // rebuilt in a stack buffer. False when it cannot decide (a malformed entry, a key shorter
  // than a tag or longer than kMaxFastKey): Seek's iterator then gives the answer or the error.
  static constexpr size_t kMaxFastKey = 512;
  bool SeekInternalKey(std::string_view target, bool* found, std::string* key,
                       std::string_view* value) const;

  Block(BlockContents contents, uint32_t restarts_offset, uint32_t num_restarts, uint64_t offset)
      : contents_(std::move(contents)),
        restarts_offset_(restarts_offset),
        num_restarts_(num_restarts),
        offset_(offset) {}

  BlockContents contents_;
  uint32_t restarts_offset_;  // where the restart array begins (= end of the entries)
  uint32_t num_restarts_;     // >= 1
  uint64_t offset_;           // the block's offset in its file, for messages
};

}  // namespace stash
