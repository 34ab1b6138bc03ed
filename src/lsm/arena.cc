#include "lsm/arena.h"

#include <sys/mman.h>

#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace stash {

static_assert((Arena::kAlignment & (Arena::kAlignment - 1)) == 0, "alignment must be a power of 2");
static_assert(alignof(std::max_align_t) >= Arena::kAlignment, "blocks must start aligned");

Arena::Arena(size_t block_size) : block_size_(block_size) { assert(block_size >= 256); }

char* Arena::AllocateAligned(size_t bytes) {
  assert(bytes > 0);
  size_t misalignment = reinterpret_cast<uintptr_t>(ptr_) & (kAlignment - 1);
  size_t padding = misalignment == 0 ? 0 : kAlignment - misalignment;
  if (bytes + padding <= remaining_) {
    char* result = ptr_ + padding;
    ptr_ += bytes + padding;
    remaining_ -= bytes + padding;
    return result;
  }
  // Fresh blocks come from malloc, which aligns at least to kAlignment.
  char* result = AllocateFallback(bytes);
  assert((reinterpret_cast<uintptr_t>(result) & (kAlignment - 1)) == 0);
  return result;
}

char* Arena::AllocateFallback(size_t bytes) {
  assert(bytes > 0);
  if (bytes > block_size_ / 4) {
    // A large request gets a block of its own so the current block's free tail is not wasted.
    return NewBlock(bytes);
  }
  // The current block's free tail (smaller than bytes, so under a quarter block) is abandoned.
  ptr_ = NewBlock(block_size_);
  remaining_ = block_size_;
  char* result = ptr_;
  ptr_ += bytes;
  remaining_ -= bytes;
  return result;
}

void Arena::Free::operator()(char* p) const { std::free(p); }

char* Arena::NewBlock(size_t block_bytes) {
  char* block;
  if (block_bytes % kHugePageSize == 0) {
    block = static_cast<char*>(std::aligned_alloc(kHugePageSize, block_bytes));
    if (block != nullptr) madvise(block, block_bytes, MADV_HUGEPAGE);  // advice only
  } else {
    block = static_cast<char*>(std::malloc(block_bytes));
  }
  if (block == nullptr) throw std::bad_alloc();
  blocks_.emplace_back(block);
  memory_usage_.fetch_add(block_bytes + sizeof(blocks_[0]), std::memory_order_relaxed);
  return block;
}

}  // namespace stash
