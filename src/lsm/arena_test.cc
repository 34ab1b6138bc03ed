#include "lsm/arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace stash {

TEST(Arena, AllocationsKeepTheirBytes) {
  Arena arena;
  std::mt19937 rnd(301);
  std::vector<std::pair<char*, size_t>> allocated;
  for (int i = 0; i < 2000; i++) {
    size_t size = (i % 50 == 0) ? 1 + rnd() % 6000 : 1 + rnd() % 40;  // some exceed a block
    char* p = (i % 3 == 0) ? arena.AllocateAligned(size) : arena.Allocate(size);
    for (size_t b = 0; b < size; b++) p[b] = static_cast<char>((i + b) & 0xff);
    allocated.emplace_back(p, size);
  }
  for (size_t i = 0; i < allocated.size(); i++) {
    auto [p, size] = allocated[i];
    for (size_t b = 0; b < size; b++) ASSERT_EQ(p[b], static_cast<char>((i + b) & 0xff));
  }
}

TEST(Arena, AlignedAllocationsAreAligned) {
  Arena arena;
  arena.Allocate(1);  // knock the bump pointer off alignment
  for (size_t size : {1, 3, 8, 13, 100, 1500, 5000}) {
    char* p = arena.AllocateAligned(size);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % Arena::kAlignment, 0u) << size;
    arena.Allocate(1);
  }
}

TEST(Arena, MemoryUsageCountsBlocks) {
  Arena arena;
  EXPECT_EQ(arena.MemoryUsage(), 0u);
  arena.Allocate(10);
  size_t one_block = arena.MemoryUsage();
  EXPECT_GE(one_block, Arena::kDefaultBlockSize);
  arena.Allocate(10);
  EXPECT_EQ(arena.MemoryUsage(), one_block);  // served from the same block
  arena.Allocate(100000);                     // a block of its own
  EXPECT_GE(arena.MemoryUsage(), one_block + 100000);
  size_t total = 0;
  for (int i = 0; i < 1000; i++) {
    arena.Allocate(100);
    total += 100;
  }
  EXPECT_GE(arena.MemoryUsage(), total + 100000);
  EXPECT_LE(arena.MemoryUsage(), 2 * (total + 100000) + 2 * Arena::kDefaultBlockSize);
}

TEST(Arena, HugePageBlocksAreAlignedToHugePages) {
  Arena arena(2 * Arena::kHugePageSize);
  char* first = arena.Allocate(100);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % Arena::kHugePageSize, 0u);
  EXPECT_EQ(arena.MemoryUsage() / Arena::kHugePageSize, 2u);
  arena.Allocate(2 * Arena::kHugePageSize - 100);  // fills the block exactly
  char* next = arena.Allocate(1);                  // a new block
  EXPECT_EQ(reinterpret_cast<uintptr_t>(next) % Arena::kHugePageSize, 0u);
  next[0] = 'x';
  first[99] = 'y';
}

}  // namespace stash
