// FilterPolicy: builds and probes the per-table filter (a bloom filter, bloom.cc) that lets a
// point read skip tables that cannot hold its key. The DB wraps the bloom policy in
// InternalFilterPolicy (dbformat.h) so filters are built over user keys, not internal keys.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stash {

class FilterPolicy {
 public:
  virtual ~FilterPolicy() = default;
  virtual const char* Name() const = 0;
  // A filter is built from a 64-bit hash of each key, so that a table builder keeps 8 bytes per
  // key until it writes the filter, not the key (a 64 MB table of small values holds millions).
  virtual uint64_t KeyHash(std::string_view key) const = 0;
  // Appends a filter summarising the keys these KeyHash values came from to *dst.
  virtual void CreateFilterFromHashes(const std::vector<uint64_t>& key_hashes,
                                      std::string* dst) const = 0;
  // Appends a filter summarising keys to *dst.
  void CreateFilter(const std::vector<std::string_view>& keys, std::string* dst) const {
    std::vector<uint64_t> hashes;
    hashes.reserve(keys.size());
    for (std::string_view key : keys) hashes.push_back(KeyHash(key));
    CreateFilterFromHashes(hashes, dst);
  }
  // false means key was certainly not among the keys the filter was built from.
  virtual bool KeyMayMatch(std::string_view key, std::string_view filter) const = 0;
};

// A bloom filter with about bits_per_key bits per key (10 -> ~1% false positives).
// The caller owns the result.
const FilterPolicy* NewBloomFilterPolicy(int bits_per_key);

}  // namespace stash
