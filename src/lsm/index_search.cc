#include "lsm/index_search.h"

#include <algorithm>

#include "lsm/dbformat.h"

namespace stash {

std::unique_ptr<IndexSearch> IndexSearch::Build(const Block& index) {
  const uint32_t n = index.NumRestarts();
  std::vector<std::string_view> user_keys;
  user_keys.reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    std::string_view key, value;
    uint32_t end = 0;
    if (!index.EntryAtRestart(i, &key, &value, &end)) return nullptr;
    // Exactly one entry per restart point, the last one ending where the entries end.
    if (end != (i + 1 < n ? index.RestartOffset(i + 1) : index.EntriesEnd())) return nullptr;
    if (key.size() < kInternalKeyTagSize) return nullptr;
    user_keys.push_back(ExtractUserKey(key));
  }
  std::unique_ptr<IndexSearch> search(new IndexSearch(index));
  const size_t m = n - 1;  // the last entry is checked whole
  if (m > 0) {
    // Sorted keys: what the first and the last share, every key between them shares.
    const std::string_view first = user_keys.front();
    const std::string_view last = user_keys[m - 1];
    const size_t shared =
        std::mismatch(first.begin(), first.begin() + std::min(first.size(), last.size()),
                      last.begin())
            .first -
        first.begin();
    search->prefix_.assign(first.substr(0, shared));
  }
  search->slices_.reserve(m);
  for (size_t i = 0; i < m; i++) search->slices_.push_back(search->Slice(user_keys[i]));
  // A block whose keys are out of order (possible only in a damaged file read with checksums
  // off) would make the binary search meaningless.
  if (!std::is_sorted(search->slices_.begin(), search->slices_.end())) return nullptr;
  return search;
}

uint64_t IndexSearch::Slice(std::string_view user_key) const {
  const std::string_view rest = user_key.substr(prefix_.size());
  uint64_t slice = 0;
  for (size_t i = 0; i < 8; i++) {
    slice = (slice << 8) | (i < rest.size() ? static_cast<unsigned char>(rest[i]) : 0u);
  }
  return slice;
}

std::string_view IndexSearch::KeyAt(uint32_t i) const {
  std::string_view key, value;
  uint32_t end = 0;
  index_.EntryAtRestart(i, &key, &value, &end);  // validated by Build
  return key;
}

IndexSearch::Result IndexSearch::Seek(std::string_view target, std::string_view* value) const {
  if (target.size() < kInternalKeyTagSize) return Result::kUnknown;
  const std::string_view user_key = ExtractUserKey(target);
  if (user_key.substr(0, prefix_.size()) != prefix_) return Result::kUnknown;
  const uint64_t slice = Slice(user_key);
  // Entries before `lo` have a smaller slice (keys < target), from `hi` on a larger one (keys >
  // target); between them whole keys decide.
  auto [lo_it, hi_it] = std::equal_range(slices_.begin(), slices_.end(), slice);
  auto lo = static_cast<uint32_t>(lo_it - slices_.begin());
  auto hi = static_cast<uint32_t>(hi_it - slices_.begin());
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (CompareBytewiseInternalKeys(KeyAt(mid), target) < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  uint32_t found = lo;
  if (found == slices_.size()) {  // only the last entry can still be >= target
    found = index_.NumRestarts() - 1;
    if (CompareBytewiseInternalKeys(KeyAt(found), target) < 0) return Result::kPastEnd;
  }
  std::string_view key;
  uint32_t end = 0;
  index_.EntryAtRestart(found, &key, value, &end);
  return Result::kFound;
}

}  // namespace stash
