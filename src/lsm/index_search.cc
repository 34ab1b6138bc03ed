#include "lsm/index_search.h"

#include <algorithm>

#include "lsm/dbformat.h"

namespace stash {
namespace {

size_t SharedPrefix(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  return static_cast<size_t>(std::mismatch(a.begin(), a.begin() + n, b.begin()).first - a.begin());
}

// The byte at `at`, or -1 past the key's end (a key that ends there sorts first).
int ByteAt(std::string_view key, size_t at) {
  return at < key.size() ? static_cast<unsigned char>(key[at]) : -1;
}

size_t LongestRun(const uint64_t* first, const uint64_t* last) {
  size_t longest = 0;
  for (const uint64_t* run = first; run < last;) {
    const uint64_t* next = std::find_if(run, last, [run](uint64_t v) { return v != *run; });
    longest = std::max(longest, static_cast<size_t>(next - run));
    run = next;
  }
  return longest;
}

}  // namespace

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
  const uint32_t m = n - 1;  // the last entry is checked whole
  search->slices_.resize(m);
  if (m > 0) search->AddSegments(user_keys, 0, m, kMaxSegments);
  // A block whose keys are out of order (possible only in a damaged file read with checksums
  // off) would make the binary searches meaningless.
  for (size_t s = 0; s < search->segments_.size(); s++) {
    const auto first = search->slices_.begin();
    if (!std::is_sorted(first + search->segments_[s].begin, first + search->SegmentEnd(s))) {
      return nullptr;
    }
    if (s > 0 &&
        user_keys[search->segments_[s - 1].begin] >= user_keys[search->segments_[s].begin]) {
      return nullptr;
    }
  }
  return search;
}

size_t IndexSearch::AddSegments(const std::vector<std::string_view>& user_keys, uint32_t begin,
                                uint32_t end, size_t budget) {
  // Sorted keys: what the first and the last share, every key between them shares.
  const size_t prefix = SharedPrefix(user_keys[begin], user_keys[end - 1]);
  for (uint32_t i = begin; i < end; i++) slices_[i] = Slice(user_keys[i], prefix);
  const size_t count = end - begin;
  const bool ties =
      LongestRun(&slices_[begin], &slices_[begin] + count) > std::max<size_t>(8, count / 8);
  // The parts that split it: runs of one byte after the shared prefix.
  std::vector<uint32_t> starts;
  if (ties) {
    for (uint32_t i = begin; i < end; i++) {
      if (i == begin || ByteAt(user_keys[i], prefix) != ByteAt(user_keys[i - 1], prefix)) {
        starts.push_back(i);
      }
    }
  }
  if (starts.size() < 2 || starts.size() > budget) {
    segments_.push_back(
        {begin, static_cast<uint32_t>(prefixes_.size()), static_cast<uint32_t>(prefix)});
    prefixes_.append(user_keys[begin].substr(0, prefix));
    return 1;
  }
  size_t used = 0;
  for (size_t p = 0; p < starts.size(); p++) {
    const uint32_t part_end = p + 1 < starts.size() ? starts[p + 1] : end;
    const size_t parts_after = starts.size() - p - 1;
    used += AddSegments(user_keys, starts[p], part_end, budget - used - parts_after);
  }
  return used;
}

uint64_t IndexSearch::Slice(std::string_view user_key, size_t skip) {
  uint64_t slice = 0;
  for (size_t i = skip; i < skip + 8; i++) {
    slice = (slice << 8) | (i < user_key.size() ? static_cast<unsigned char>(user_key[i]) : 0u);
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
  uint32_t found = 0;
  if (!slices_.empty()) {
    // The segment to search: the last whose first key is <= target (or the first).
    size_t s = 0;
    if (segments_.size() > 1) {
      size_t lo = 0;
      size_t hi = segments_.size();  // segments before lo start <= target, from hi on > target
      while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (CompareBytewiseInternalKeys(KeyAt(segments_[mid].begin), target) <= 0) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      s = lo > 0 ? lo - 1 : 0;
    }
    const uint32_t begin = segments_[s].begin;
    const uint32_t end = SegmentEnd(s);
    const size_t prefix_len = segments_[s].prefix_len;
    const std::string_view user_key = ExtractUserKey(target);
    const int vs_prefix = user_key.compare(
        0, prefix_len, std::string_view(prefixes_).substr(segments_[s].prefix_offset, prefix_len));
    if (vs_prefix < 0) {
      found = begin;  // before every key of the segment (and of those before it)
    } else if (vs_prefix > 0) {
      found = end;  // after every key of the segment
    } else {
      // Entries before `lo` have a smaller slice (keys < target), from `hi` on a larger one
      // (keys > target); between them whole keys decide.
      const uint64_t slice = Slice(user_key, prefix_len);
      const auto first = slices_.begin() + begin;
      const auto last = slices_.begin() + end;
      const auto [lo_it, hi_it] = std::equal_range(first, last, slice);
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
      found = lo;
    }
  }
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
