// TableCache: the open SSTables, by file number. Of Options::max_open_files (`entries`), a
// quarter may be kept open by files' pins (TablePin, for point reads) and the cache keeps at most
// the rest open, closing the least recently used table when another must be opened. Every user
// of a table holds a shared_ptr to it, so eviction (or Evict after the file was deleted) never
// closes a table under a running read or iterator.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "lsm/cache.h"
#include "lsm/iterator.h"
#include "lsm/table_options.h"
#include "util/env.h"
#include "util/status.h"

namespace stash {

class Table;

// A file's open table kept by the file's metadata (FileMetaData::pin) for as long as a Version
// holds the file: a point read then reaches the table without the cache's lock and hash.
struct TablePin {
  std::atomic<Table*> table{nullptr};  // set once, with owner
  std::mutex mu;                       // guards setting owner
  std::shared_ptr<Table> owner;
};

class TableCache {
 public:
  // options (and what it points to) and env are not owned and must outlive the cache.
  // With a budget, the memory of the open tables (index blocks and filters) and the block cache
  // (options->block_cache) share it: the block cache's capacity is the budget less what the
  // open tables hold, but never below an eighth of the budget.
  TableCache(std::string dir, const TableOptions* options, Env* env, int entries,
             size_t shared_budget = 0);
  TableCache(const TableCache&) = delete;
  TableCache& operator=(const TableCache&) = delete;
  ~TableCache();

  // An iterator over the internal keys of table file_number (whose size is file_size). Errors
  // opening the table come back as an iterator whose status() says so. fill_cache: see
  // Table::NewIterator.
  std::unique_ptr<Iterator> NewIterator(uint64_t file_number, uint64_t file_size,
                                        bool fill_cache = true);

  // Point lookup in one table: unless the table's filter rules user_key out, calls
  // found(internal key, value) for the first entry at or after internal_key in the block that
  // could hold it (the caller checks whether its user key matches).
  Status Get(uint64_t file_number, uint64_t file_size, std::string_view internal_key,
             std::string_view user_key,
             const std::function<void(std::string_view, std::string_view)>& found);

  // Get through pin (null: plain Get): the table it holds, else the cache's (opening it if
  // needed), which, with may_pin, the pin then keeps. A caller lets the pins keep tables only
  // while its files number at most pin_slots(): the cache keeps the rest of `entries` open, so
  // the cache and the pins together (a pinned table the cache dropped stays open) keep at most
  // `entries` tables open.
  Status GetPinned(TablePin* pin, bool may_pin, uint64_t file_number, uint64_t file_size,
                   std::string_view internal_key, std::string_view user_key,
                   const std::function<void(std::string_view, std::string_view)>& found);
  // How many files may have their tables pinned: a quarter of `entries`.
  int pin_slots() const { return pin_slots_; }

  // Opens (or finds) the table, e.g. to check a freshly written file. The table stays cached.
  Status FindTable(uint64_t file_number, uint64_t file_size, std::shared_ptr<Table>* table);

  // Drops the table from the cache (its file is being deleted). Users still holding it keep it.
  void Evict(uint64_t file_number);

  // Bytes the cached tables hold in memory (Table::MemoryUsage).
  size_t MemoryUsage() const { return table_bytes_.load(std::memory_order_relaxed); }

 private:
  struct Entry;
  static void DeleteEntry(std::string_view key, void* value);
  // Adds delta to the tables' bytes and resizes the block cache to what the budget leaves.
  void ChangeTableBytes(int64_t delta);

  const std::string dir_;
  const TableOptions* const options_;
  Env* const env_;
  const size_t shared_budget_;
  const int pin_slots_;
  std::atomic<size_t> table_bytes_{0};
  std::unique_ptr<Cache> cache_;
};

}  // namespace stash
