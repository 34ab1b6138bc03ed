// CRC32C (Castagnoli), the checksum of WAL records, SSTable blocks and the MANIFEST.
// Stored checksums are masked (as LevelDB does) so that a CRC computed over data that itself
// contains CRCs does not degenerate.
#pragma once

#include <cstddef>
#include <cstdint>

namespace stash::crc32c {

// Returns the crc32c of concat(A, data[0,n-1]) where init_crc is the crc32c of some string A.
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }

constexpr uint32_t kMaskDelta = 0xa282ead8ul;
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return ((rot >> 17) | (rot << 15));
}

}  // namespace stash::crc32c
