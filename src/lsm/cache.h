// Cache: a byte-bounded key -> value cache, used as the block cache shared by all tables.
// NewLRUCache returns a sharded LRU cache.
//
// Contract:
//  - Each entry is charged its `charge` against the capacity; when the charge of the entries in
//    the cache exceeds it, the least recently used unpinned entries are evicted.
//  - Insert and Lookup return a Handle that pins the entry: its value stays valid, and its
//    deleter is not run, until the handle is Released, even if the entry is evicted, erased or
//    replaced meanwhile. Every returned handle must be Released exactly once.
//  - The deleter runs once per inserted entry, when it has left the cache and is unpinned.
//  - All methods are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace stash {

class Cache {
 public:
  struct Handle;  // opaque

  Cache() = default;
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;
  // REQUIRES: no handle is outstanding. Runs the deleter of every entry still cached.
  virtual ~Cache();

  // Inserts key -> value (replacing any entry with that key) and returns a handle to the new
  // entry. The cache copies the key; deleter(key, value) is called when the entry is finally
  // dropped.
  virtual Handle* Insert(std::string_view key, void* value, size_t charge,
                         void (*deleter)(std::string_view key, void* value)) = 0;
  // A handle to the entry for key, or nullptr on a miss. Counts a hit or a miss.
  virtual Handle* Lookup(std::string_view key) = 0;
  // REQUIRES: handle came from this cache and was not released yet.
  virtual void Release(Handle* handle) = 0;
  // REQUIRES: handle is not released.
  virtual void* Value(Handle* handle) = 0;
  // Drops the entry for key, if any; pinned handles to it stay valid.
  virtual void Erase(std::string_view key) = 0;
  // A new id, distinct from every other this cache returned: a prefix for the keys of one user
  // (e.g. one table) of a shared cache.
  virtual uint64_t NewId() = 0;
  // Sum of the charges of the entries currently in the cache (pinned or not; erased or evicted
  // entries that are still pinned no longer count).
  virtual size_t TotalCharge() const = 0;
  // Changes the capacity; a smaller one evicts unpinned entries at once.
  virtual void SetCapacity(size_t capacity_bytes) = 0;
  virtual size_t Capacity() const = 0;
  virtual uint64_t Hits() const = 0;
  virtual uint64_t Misses() const = 0;
};

// A cache of capacity_bytes split over 16 shards, each an LRU list under its own mutex with an
// equal share of the capacity.
std::unique_ptr<Cache> NewLRUCache(size_t capacity_bytes);
// Same with 2^num_shard_bits shards (0 gives one global LRU order; tests use that).
// REQUIRES: 0 <= num_shard_bits <= 8.
std::unique_ptr<Cache> NewLRUCache(size_t capacity_bytes, int num_shard_bits);

}  // namespace stash
