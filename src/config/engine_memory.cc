#include "config/engine_memory.h"

#include <algorithm>

namespace stash {

EngineMemory ResolveEngineMemory(const Settings& s) {
  EngineMemory m;
  const size_t budget = static_cast<size_t>(s.memory_budget);
  m.max_immutable_memtables = static_cast<int>(s.lsm_max_immutable_memtables);
  if (s.lsm_memtable_size != 0) {
    m.memtable_size = static_cast<size_t>(s.lsm_memtable_size);
  } else {
    m.memtable_size = budget == 0 ? size_t{64} << 20 : std::max(budget / 8, size_t{64} << 10);
  }
  if (s.lsm_block_cache_size != 0) {
    m.block_cache_size = static_cast<size_t>(s.lsm_block_cache_size);
  } else if (budget == 0) {
    m.block_cache_size = size_t{256} << 20;
  } else {
    const size_t memtables = (1 + static_cast<size_t>(m.max_immutable_memtables)) * m.memtable_size;
    const size_t taken = memtables + budget / 8;
    m.block_cache_size = taken + budget / 8 > budget ? budget / 8 : budget - taken;
  }
  m.block_cache_includes_tables = budget != 0;
  return m;
}

}  // namespace stash
