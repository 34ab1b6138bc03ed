// Arena: a bump allocator for memtable entries and skiplist nodes. Memory is taken from the system
// in blocks (4 KiB by default) and handed out by advancing a pointer; nothing is freed until the
// arena is destroyed, which frees everything at once.
//
// Blocks of a multiple of 2 MiB are aligned to 2 MiB and advised for transparent huge pages
// (madvise(MADV_HUGEPAGE); a no-op where THP is off). A big memtable's skiplist walk touches
// nodes all over its arena, and with 4 KiB pages nearly every step also missed the TLB.
//
// Thread-safety: Allocate/AllocateAligned are for one thread at a time (the memtable's single
// writer). MemoryUsage() may be called from any thread concurrently with allocation.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace stash {

class Arena {
 public:
  static constexpr size_t kDefaultBlockSize = 4096;
  static constexpr size_t kHugePageSize = size_t{2} << 20;
  // Alignment of AllocateAligned: enough for pointers and 64-bit atomics.
  static constexpr size_t kAlignment = alignof(void*) > 8 ? alignof(void*) : 8;

  // REQUIRES: block_size >= 256.
  explicit Arena(size_t block_size = kDefaultBlockSize);
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() = default;

  // Returns bytes of uninitialised memory, valid until the arena is destroyed. No alignment.
  // REQUIRES: bytes > 0.
  char* Allocate(size_t bytes) {
    if (bytes <= remaining_) {
      char* result = ptr_;
      ptr_ += bytes;
      remaining_ -= bytes;
      return result;
    }
    return AllocateFallback(bytes);
  }

  // Like Allocate, but the result is aligned to kAlignment.
  char* AllocateAligned(size_t bytes);

  // Bytes taken from the system so far (blocks plus bookkeeping). Safe from any thread.
  size_t MemoryUsage() const { return memory_usage_.load(std::memory_order_relaxed); }

 private:
  char* AllocateFallback(size_t bytes);
  char* NewBlock(size_t block_bytes);

  const size_t block_size_;
  char* ptr_ = nullptr;   // next free byte of the current block
  size_t remaining_ = 0;  // free bytes left in the current block
  struct Free {
    void operator()(char* p) const;
  };
  std::vector<std::unique_ptr<char, Free>> blocks_;
  std::atomic<size_t> memory_usage_{0};
};

}  // namespace stash
