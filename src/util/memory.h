// What the process's memory allocator holds, for INFO memory: the allocator is jemalloc (Debian's
// libjemalloc) in release builds and glibc's malloc under the sanitizers, which bring their own.
#pragma once

#include <cstdint>
#include <string>

namespace stash {

struct AllocatorStats {
  std::string name;        // INFO's mem_allocator: "jemalloc-5.3.0" or "libc"
  uint64_t allocated = 0;  // bytes handed out to the program and not freed (used_memory)
  uint64_t active = 0;     // bytes in pages that hold allocations (fragmentation included)
  uint64_t resident = 0;   // bytes the allocator has resident, its metadata included
  uint64_t retained = 0;   // bytes freed by the program that the allocator has not yet returned
};

AllocatorStats ReadAllocatorStats();

// Resident set size of this process (/proc/self/statm), in bytes.
uint64_t ProcessRssBytes();

}  // namespace stash
