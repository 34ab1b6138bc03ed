// FilterPolicy: builds and probes the per-table filter (a bloom filter, bloom.cc) that lets a
// point read skip tables that cannot hold its key. The DB wraps the bloom policy in
// InternalFilterPolicy (dbformat.h) so filters are built over user keys, not internal keys.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace stash {

class FilterPolicy {
 public:
  virtual ~FilterPolicy() = default;
  virtual const char* Name() const = 0;
  // Appends a filter summarising keys to *dst.
  virtual void CreateFilter(const std::vector<std::string_view>& keys, std::string* dst) const = 0;
  // false means key was certainly not among the keys the filter was built from.
  virtual bool KeyMayMatch(std::string_view key, std::string_view filter) const = 0;
};

// A bloom filter with about bits_per_key bits per key (10 -> ~1% false positives).
// The caller owns the result.
const FilterPolicy* NewBloomFilterPolicy(int bits_per_key);

}  // namespace stash
