// The bloom filter policy.
//
//   filter := bits: byte[ceil(m / 8)], num_probes: uint8
//
// Bit i lives in byte i / 8 at position i % 8. A key sets num_probes bits chosen by double hashing
// one 64-bit hash: h1 + j * h2 (mod m) for j in [0, num_probes), h1 and h2 being its low and high
// halves. Filters of num_probes > 30 are reserved for other encodings and match every key.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "lsm/filter_policy.h"

namespace stash {
namespace {

constexpr int kMaxProbes = 30;
constexpr size_t kMinBits = 64;

uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The 64-bit finaliser of MurmurHash3: every input bit affects every output bit.
uint64_t Mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

// A fast hash of good quality for filter probing (not cryptographic, not stable across versions
// of the format: the format version would change with it).
uint64_t BloomHash(std::string_view key) {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
  uint64_t h = 0x5851f42d4c957f2dull ^ (key.size() * kMul);
  const char* p = key.data();
  size_t n = key.size();
  for (; n >= 8; p += 8, n -= 8) {
    h = (h ^ Mix64(Load64(p))) * kMul;
    h = (h << 31) | (h >> 33);
  }
  uint64_t tail = 0;
  if (n > 0) std::memcpy(&tail, p, n);
  h ^= Mix64(tail ^ (uint64_t{n} << 56));
  return Mix64(h);
}

class BloomFilterPolicy final : public FilterPolicy {
 public:
  explicit BloomFilterPolicy(int bits_per_key) : bits_per_key_(std::max(bits_per_key, 1)) {
    // ln 2 * bits/key probes minimise the false positive rate.
    num_probes_ = std::clamp(static_cast<int>(std::lround(bits_per_key_ * 0.69)), 1, kMaxProbes);
  }

  const char* Name() const override { return "stash.BloomFilter"; }

  uint64_t KeyHash(std::string_view key) const override { return BloomHash(key); }

  void CreateFilterFromHashes(const std::vector<uint64_t>& hashes,
                              std::string* dst) const override {
    const size_t bits = std::max(hashes.size() * static_cast<size_t>(bits_per_key_), kMinBits);
    const size_t bytes = (bits + 7) / 8;
    const uint64_t num_bits = uint64_t{bytes} * 8;
    const size_t start = dst->size();
    dst->resize(start + bytes, '\0');
    dst->push_back(static_cast<char>(num_probes_));
    char* array = dst->data() + start;
    for (const uint64_t h : hashes) {
      const uint64_t h1 = h & 0xffffffffu;
      const uint64_t h2 = (h >> 32) | 1;
      for (int j = 0; j < num_probes_; j++) {
        const uint64_t bit = (h1 + j * h2) % num_bits;
        array[bit / 8] = static_cast<char>(array[bit / 8] | (1 << (bit % 8)));
      }
    }
  }

  bool KeyMayMatch(std::string_view key, std::string_view filter) const override {
    if (filter.size() < 2) return true;  // malformed: cannot rule anything out
    const int num_probes = static_cast<unsigned char>(filter.back());
    if (num_probes < 1 || num_probes > kMaxProbes) return true;
    const uint64_t num_bits = uint64_t{filter.size() - 1} * 8;
    const uint64_t h = BloomHash(key);
    const uint64_t h1 = h & 0xffffffffu;
    const uint64_t h2 = (h >> 32) | 1;
    for (int j = 0; j < num_probes; j++) {
      const uint64_t bit = (h1 + j * h2) % num_bits;
      if ((filter[bit / 8] & (1 << (bit % 8))) == 0) return false;
    }
    return true;
  }

 private:
  const int bits_per_key_;
  int num_probes_;
};

}  // namespace

const FilterPolicy* NewBloomFilterPolicy(int bits_per_key) {
  return new BloomFilterPolicy(bits_per_key);
}

}  // namespace stash
