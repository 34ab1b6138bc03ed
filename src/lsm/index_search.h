// IndexSearch: a point lookup's search of a table's index block, mostly in integers.
//
// Searching the index block itself decodes an entry and compares whole internal keys at each of
// its ~log2(blocks) steps: about 1,900 instructions per lookup in a 68 MB table (17,000 data
// blocks), a third of a GET served from the tables. IndexSearch keeps, for every index entry but
// the last, the 8 bytes of its user key that follow the prefix all those user keys share, as a
// big-endian number (zero-padded past the key's end). A lookup binary-searches those numbers and
// compares whole keys only among the entries whose number equals the target's.
//
// Why the numbers order the entries: zero-padded, slice(a) > slice(b) implies user key a > user
// key b, hence internal key a > internal key b (the tag only orders equal user keys); equal
// slices decide nothing. The last entry is left out because its separator is shortened past the
// table's last key (FindShortSuccessor) and would cut the shared prefix short; it is checked
// by a whole-key compare.
//
// Memory: 8 bytes per data block plus the prefix, kept with the table (Table::MemoryUsage).
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
  // Built over an index block of the bytewise internal-key order whose every entry is its own
  // restart point (restart interval 1, as TableBuilder writes it); the block must outlive the
  // result. Null when the block is empty, laid out otherwise or malformed: the caller keeps the
  // block's own search, which reports a malformed entry where it meets it.
  static std::unique_ptr<IndexSearch> Build(const Block& index);

  enum class Result {
    kFound,    // *value holds the first entry's value whose key is >= target
    kPastEnd,  // every key in the index is < target
    kUnknown,  // not decided here (the target lacks the shared prefix): search the block
  };
  // target: an internal key.
  Result Seek(std::string_view target, std::string_view* value) const;

  size_t MemoryUsage() const {
    return sizeof(*this) + prefix_.capacity() + slices_.capacity() * sizeof(uint64_t);
  }

 private:
  explicit IndexSearch(const Block& index) : index_(index) {}

  // The 8 bytes of user_key after prefix_ (which it starts with), big-endian, zero-padded.
  uint64_t Slice(std::string_view user_key) const;
  // The entry's key at index i (validated by Build).
  std::string_view KeyAt(uint32_t i) const;

  const Block& index_;
  std::string prefix_;            // shared by the user keys of every entry but the last
  std::vector<uint64_t> slices_;  // one per entry but the last, in entry order
};

}  // namespace stash
