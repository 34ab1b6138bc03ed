// Comparator: a total order over keys, used by blocks, tables, memtables and the merging
// iterator. The engine's user keys use BytewiseComparator(); internal keys use
// InternalKeyComparator (dbformat.h), which wraps it. Implementations must be thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace stash {

class Comparator {
 public:
  virtual ~Comparator() = default;
  // <0, 0, >0 as a is before, equal to, after b.
  virtual int Compare(std::string_view a, std::string_view b) const = 0;
  // Stored in table properties; opening a table written under another name fails.
  virtual const char* Name() const = 0;
  // If *start < limit, may shorten *start to a key in [*start, limit) (index separators).
  virtual void FindShortestSeparator(std::string* start, std::string_view limit) const = 0;
  // May change *key to a short key >= *key.
  virtual void FindShortSuccessor(std::string* key) const = 0;
  // True for the internal-key order over bytewise user keys (dbformat.h): hot loops then compare
  // inline with CompareBytewiseInternalKeys instead of calling Compare.
  virtual bool IsBytewiseInternal() const { return false; }
};

// Lexicographic unsigned-byte order; a process-wide singleton.
const Comparator* BytewiseComparator();

}  // namespace stash
