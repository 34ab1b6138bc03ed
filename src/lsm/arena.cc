#include "lsm/arena.h"

#include <cassert>
#include <cstdint>

namespace stash {

static_assert((Arena::kAlignment & (Arena::kAlignment - 1)) == 0, "alignment must be a power of 2");
static_assert(__STDCPP_DEFAULT_NEW_ALIGNMENT__ >= Arena::kAlignment, "blocks must start aligned");

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
  // Fresh blocks come from operator new[], which aligns at least to kAlignment.
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

char* Arena::NewBlock(size_t block_bytes) {
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(block_bytes));
  memory_usage_.fetch_add(block_bytes + sizeof(blocks_[0]), std::memory_order_relaxed);
  return blocks_.back().get();
}

}  // namespace stash
