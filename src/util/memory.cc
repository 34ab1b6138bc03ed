#include "util/memory.h"

#include <malloc.h>
#include <unistd.h>

#include <fstream>

#ifdef STASH_JEMALLOC
#include <jemalloc/jemalloc.h>

// jemalloc's settings, read at its first allocation (see docs/architecture.md, "Memory"):
//   background_thread  a thread purges freed pages, so RSS follows what the program holds
//                      without the server threads paying for it;
//   dirty_decay_ms     freed pages go back to the system after about a second (default 10 s);
//   narenas            one arena per core: the server has few threads that allocate much, and
//                      fewer arenas leave less memory stranded in each.
extern "C" {
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,narenas:2";
}
#endif

namespace stash {

#ifdef STASH_JEMALLOC
namespace {

uint64_t JemallocStat(const char* name) {
  size_t value = 0;
  size_t len = sizeof(value);
  return mallctl(name, &value, &len, nullptr, 0) == 0 ? value : 0;
}

}  // namespace

AllocatorStats ReadAllocatorStats() {
  // The statistics are a snapshot taken when the epoch advances.
  uint64_t epoch = 1;
  size_t len = sizeof(epoch);
  mallctl("epoch", &epoch, &len, &epoch, len);
  const char* version = nullptr;
  len = sizeof(version);
  AllocatorStats st;
  st.name = mallctl("version", &version, &len, nullptr, 0) == 0 && version != nullptr
                ? std::string("jemalloc-") + std::string(version).substr(0, 5)
                : "jemalloc";
  st.allocated = JemallocStat("stats.allocated");
  st.active = JemallocStat("stats.active");
  st.resident = JemallocStat("stats.resident");
  st.retained = JemallocStat("stats.retained");
  return st;
}

#else

AllocatorStats ReadAllocatorStats() {
  struct mallinfo2 mi = mallinfo2();
  AllocatorStats st;
  st.name = "libc";
  st.allocated = mi.uordblks + mi.hblkhd;
  st.active = st.allocated;
  st.resident = mi.arena + mi.hblkhd;
  st.retained = mi.fordblks;
  return st;
}

#endif

uint64_t ProcessRssBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_total = 0, pages_rss = 0;
  statm >> pages_total >> pages_rss;
  return pages_rss * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace stash
