// Internal keys: every write stored by the engine (memtable, SSTables) is keyed by the user key
// tagged with the sequence number and kind of the write that produced it.
//
//   internal key := user_key bytes | tag            tag = fixed64(sequence << 8 | type), 8 bytes LE
//   memtable key := varint32(internal key length) | internal key          (LookupKey)
//
// sequence < 2^56; type is a ValueType. Internal keys sort by user key ascending (user comparator),
// then by sequence descending, then by type descending, so the newest write of a key comes first
// and a seek to (user_key, s, kValueTypeForSeek) lands on the newest write visible at sequence s.
#pragma once

#include <cassert>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/comparator.h"
#include "lsm/filter_policy.h"
#include "util/coding.h"

namespace stash {

using SequenceNumber = uint64_t;
// The largest sequence number that fits the 56 bits of the tag.
constexpr SequenceNumber kMaxSequenceNumber = (1ull << 56) - 1;

// Stored in the low byte of the tag, and as the first byte of a WriteBatch op record: do not
// renumber.
enum ValueType : uint8_t { kTypeDeletion = 0, kTypeValue = 1 };
// The largest type: among entries of equal user key and sequence, a seek key tagged with it sorts
// first, so Seek(key, s) does not skip any entry at s.
constexpr ValueType kValueTypeForSeek = kTypeValue;
constexpr size_t kInternalKeyTagSize = 8;

// REQUIRES: seq <= kMaxSequenceNumber, type <= kValueTypeForSeek.
inline uint64_t PackSequenceAndType(SequenceNumber seq, ValueType type) {
  assert(seq <= kMaxSequenceNumber);
  assert(type <= kValueTypeForSeek);
  return (seq << 8) | type;
}

// An internal key taken apart. user_key views the bytes it was parsed from.
struct ParsedInternalKey {
  ParsedInternalKey() = default;
  ParsedInternalKey(std::string_view u, SequenceNumber seq, ValueType t)
      : user_key(u), sequence(seq), type(t) {}
  // "'user_key' @ seq : type", with non-printable bytes escaped; for logs and test failures.
  std::string DebugString() const;

  std::string_view user_key;
  SequenceNumber sequence = 0;
  ValueType type = kTypeDeletion;
};

// Appends the internal key for key to *dst.
void AppendInternalKey(std::string* dst, const ParsedInternalKey& key);

// Parses internal_key into *result (user_key views internal_key). Returns false, leaving *result
// unspecified, when the input is shorter than the tag or the type byte is unknown.
bool ParseInternalKey(std::string_view internal_key, ParsedInternalKey* result);

// REQUIRES: internal_key.size() >= kInternalKeyTagSize.
inline std::string_view ExtractUserKey(std::string_view internal_key) {
  assert(internal_key.size() >= kInternalKeyTagSize);
  return internal_key.substr(0, internal_key.size() - kInternalKeyTagSize);
}

// REQUIRES: internal_key.size() >= kInternalKeyTagSize.
inline uint64_t ExtractTag(std::string_view internal_key) {
  assert(internal_key.size() >= kInternalKeyTagSize);
  return DecodeFixed64(internal_key.data() + internal_key.size() - kInternalKeyTagSize);
}

class InternalKey;

// Orders internal keys as described at the top of this file. Cheap to copy; thread-safe.
// InternalKeyComparator::CompareKeys for bytewise user keys, inline (a memtable insert or a
// block seek compares ~30 times). REQUIRES: both are internal keys (at least the tag long).
inline int CompareBytewiseInternalKeys(std::string_view a, std::string_view b) {
  const size_t ua = a.size() - kInternalKeyTagSize;
  const size_t ub = b.size() - kInternalKeyTagSize;
  const size_t n = ua < ub ? ua : ub;
  const int r = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (r != 0) return r;
  if (ua != ub) return ua < ub ? -1 : 1;
  const uint64_t tag_a = DecodeFixed64(a.data() + ua);
  const uint64_t tag_b = DecodeFixed64(b.data() + ub);
  return tag_a > tag_b ? -1 : (tag_a < tag_b ? 1 : 0);  // larger tag = newer = first
}

class InternalKeyComparator final : public Comparator {
 public:
  // user_comparator is not owned and must outlive this object (and its copies).
  explicit InternalKeyComparator(const Comparator* user_comparator)
      : user_(user_comparator), user_is_bytewise_(user_comparator == BytewiseComparator()) {}

  const char* Name() const override;
  // REQUIRES (both Compare forms): a and b are internal keys (at least the tag long).
  int Compare(std::string_view a, std::string_view b) const override { return CompareKeys(a, b); }
  int Compare(const InternalKey& a, const InternalKey& b) const;
  // Shortens the user key part when the user comparator can, tagging the result with
  // (kMaxSequenceNumber, kValueTypeForSeek) so it still sorts after *start and before limit.
  void FindShortestSeparator(std::string* start, std::string_view limit) const override;
  void FindShortSuccessor(std::string* key) const override;

  bool IsBytewiseInternal() const override { return user_is_bytewise_; }

  const Comparator* user_comparator() const { return user_; }
  // Whether user keys order bytewise (so equal user keys are equal bytes).
  bool user_is_bytewise() const { return user_is_bytewise_; }

  // The non-virtual core of Compare, for hot loops (memtable, merging) that know their comparator.
  int CompareKeys(std::string_view a, std::string_view b) const {
    int r = CompareUserKeys(ExtractUserKey(a), ExtractUserKey(b));
    if (r != 0) return r;
    uint64_t tag_a = ExtractTag(a);
    uint64_t tag_b = ExtractTag(b);
    return tag_a > tag_b ? -1 : (tag_a < tag_b ? 1 : 0);  // larger tag = newer = first
  }
  // The user comparator, without a virtual call when it is the bytewise one.
  int CompareUserKeys(std::string_view a, std::string_view b) const {
    return user_is_bytewise_ ? a.compare(b) : user_->Compare(a, b);
  }

 private:
  const Comparator* user_;
  bool user_is_bytewise_;
};

// An owned internal key, for file boundaries (smallest/largest key of an SSTable) and the like.
class InternalKey {
 public:
  InternalKey() = default;  // empty: not a valid internal key until set
  InternalKey(std::string_view user_key, SequenceNumber seq, ValueType type) {
    AppendInternalKey(&rep_, ParsedInternalKey(user_key, seq, type));
  }

  // Takes a copy of an encoded internal key; false (and *this cleared) if it does not parse.
  bool DecodeFrom(std::string_view encoded);
  void SetFrom(const ParsedInternalKey& key) {
    rep_.clear();
    AppendInternalKey(&rep_, key);
  }
  void Clear() { rep_.clear(); }
  bool empty() const { return rep_.empty(); }

  // REQUIRES (Encode aside): !empty(). Views live until *this changes.
  std::string_view Encode() const { return rep_; }
  std::string_view user_key() const { return ExtractUserKey(rep_); }
  std::string DebugString() const;

 private:
  std::string rep_;
};

inline int InternalKeyComparator::Compare(const InternalKey& a, const InternalKey& b) const {
  return CompareKeys(a.Encode(), b.Encode());
}

// The key of a point lookup at a snapshot: (user_key, sequence, kValueTypeForSeek), encoded once
// in all three forms the read path needs. Short keys live in an inline buffer (no allocation).
// Views live as long as the LookupKey.
class LookupKey {
 public:
  // REQUIRES: sequence <= kMaxSequenceNumber; user_key.size() + 8 < 2^32.
  LookupKey(std::string_view user_key, SequenceNumber sequence);
  LookupKey(const LookupKey&) = delete;
  LookupKey& operator=(const LookupKey&) = delete;
  ~LookupKey();

  // varint32 length + internal key: what the memtable's skiplist stores.
  std::string_view memtable_key() const { return {start_, static_cast<size_t>(end_ - start_)}; }
  std::string_view internal_key() const {
    return {key_start_, static_cast<size_t>(end_ - key_start_)};
  }
  std::string_view user_key() const {
    return {key_start_, static_cast<size_t>(end_ - key_start_) - kInternalKeyTagSize};
  }

 private:
  const char* start_;
  const char* key_start_;
  const char* end_;
  char inline_buf_[200];
};

// Lets a user-key filter policy (bloom) serve internal keys.
//   CreateFilter receives internal keys and builds the filter over their user keys.
//   KeyMayMatch must be given a USER key (the read path probes with LookupKey::user_key()); it is
//   passed straight to the wrapped policy.
class InternalFilterPolicy final : public FilterPolicy {
 public:
  // user_policy is not owned and must outlive this object.
  explicit InternalFilterPolicy(const FilterPolicy* user_policy) : user_policy_(user_policy) {}
  const char* Name() const override { return user_policy_->Name(); }
  // REQUIRES: key is an internal key. The hash of its user key.
  uint64_t KeyHash(std::string_view key) const override;
  void CreateFilterFromHashes(const std::vector<uint64_t>& key_hashes,
                              std::string* dst) const override {
    user_policy_->CreateFilterFromHashes(key_hashes, dst);
  }
  bool KeyMayMatch(std::string_view user_key, std::string_view filter) const override {
    return user_policy_->KeyMayMatch(user_key, filter);
  }

 private:
  const FilterPolicy* user_policy_;
};

}  // namespace stash
