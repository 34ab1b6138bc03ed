// IndexSearch: a point lookup's search of a table's index block, mostly in integers.
//
// Searching the index block itself decodes an entry and compares whole internal keys at each of
// its ~log2(blocks) steps: about 1,900 instructions per lookup in a 68 MB table (17,000 data
// blocks), a third of a GET served from the tables. IndexSearch keeps, for every index entry but
// the last, 8 bytes of its user key as a big-endian number (zero-padded past the key's end): the
// 8 bytes after the prefix that every user key of its segment shares. A lookup picks the segment
// by whole-key compares of the segments' first keys, binary-searches the numbers in it and
// compares whole keys only among the entries whose number equals the target's.
//
// Segments: one, spanning every entry but the last, unless its 8-byte numbers tie for long runs
// (a table of several record kinds, e.g. 'E' element and 'M' metadata keys, shares only a short
// prefix; a hash's element and position records share "E<slot><key><version>" and then differ
// in one byte). Such a range is split where the byte after its shared prefix changes, each part
// getting its own longer prefix, recursively, up to kMaxSegments segments.
//
// Why the numbers order a segment: zero-padded, slice(a) > slice(b) implies user key a > user
// key b, hence internal key a > internal key b (the tag only orders equal user keys); equal
// slices decide nothing. The last entry is left out because its separator is shortened past the
// table's last key (FindShortSuccessor) and would cut the shared prefix short; it is checked
// by a whole-key compare.
//
// Memory: 8 bytes per data block plus the segments, kept with the table (Table::MemoryUsage).
// Thread-safety: immutable after Build; any number of threads may search at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/block.h"

namespace stash {

class IndexSearch {
 public:
  static constexpr size_t kMaxSegments = 64;

  // Built over an index block of the bytewise internal-key order whose every entry is its own
  // restart point (restart interval 1, as TableBuilder writes it); the block must outlive the
  // result. Null when the block is empty, laid out otherwise or malformed: the caller keeps the
  // block's own search, which reports a malformed entry where it meets it.
  static std::unique_ptr<IndexSearch> Build(const Block& index);

  enum class Result {
    kFound,    // *value holds the first entry's value whose key is >= target
    kPastEnd,  // every key in the index is < target
    kUnknown,  // not decided here: search the block
  };
  // target: an internal key.
  Result Seek(std::string_view target, std::string_view* value) const;

  size_t num_segments() const { return segments_.size(); }
  size_t MemoryUsage() const {
    return sizeof(*this) + segments_.capacity() * sizeof(Segment) + prefixes_.capacity() +
           slices_.capacity() * sizeof(uint64_t);
  }

 private:
  struct Segment {
    uint32_t begin;          // its first entry; it ends where the next one begins
    uint32_t prefix_offset;  // in prefixes_: the bytes every user key in it shares
    uint32_t prefix_len;
  };

  explicit IndexSearch(const Block& index) : index_(index) {}

  // Appends segments covering [begin, end) of user_keys (at most `budget` >= 1 of them),
  // splitting a range whose slices tie; returns how many it appended.
  size_t AddSegments(const std::vector<std::string_view>& user_keys, uint32_t begin, uint32_t end,
                     size_t budget);
  // The 8 bytes of user_key after its first `skip`, big-endian, zero-padded.
  static uint64_t Slice(std::string_view user_key, size_t skip);
  // The entry's key at index i (validated by Build).
  std::string_view KeyAt(uint32_t i) const;
  uint32_t SegmentEnd(size_t s) const {
    return s + 1 < segments_.size() ? segments_[s + 1].begin
                                    : static_cast<uint32_t>(slices_.size());
  }

  const Block& index_;
  std::vector<Segment> segments_;  // in entry order, covering every entry but the last
  std::string prefixes_;           // the segments' prefixes, one after the other
  std::vector<uint64_t> slices_;   // one per entry but the last, in entry order
};

}  // namespace stash
