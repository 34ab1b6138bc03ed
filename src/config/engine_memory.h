// EngineMemory: the engine's memory sizes, resolved from memory-budget and the lsm-* options.
//
// With a budget B (memory-budget, default 256mb) and the lsm sizes left at 0:
//   memtable            B/8 (at least 64kb); with lsm-max-immutable-memtables (default 1) full
//                       ones waiting for their flush, the memtables take at most B/4
//   block cache         what is left after the memtables and a reserve of B/8 (for the memtable
//                       arena's last block, client buffers and the allocator), at least B/8;
//                       the open tables' index blocks and filters share it: the cache shrinks as
//                       they grow with the data (lsm/table_cache.h)
// An lsm size set explicitly is used as given (and the budget may then be exceeded). Without a
// budget (0): 64mb memtables, a 256mb block cache, tables not counted.
#pragma once

#include <cstddef>

#include "config/settings.h"

namespace stash {

struct EngineMemory {
  size_t memtable_size = 0;
  int max_immutable_memtables = 1;
  size_t block_cache_size = 0;
  bool block_cache_includes_tables = false;
};

EngineMemory ResolveEngineMemory(const Settings& s);

}  // namespace stash
