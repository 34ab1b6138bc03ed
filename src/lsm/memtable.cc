// MemTable entry, one arena allocation right behind its skiplist node:
//
//   entry := varint32(internal key length) | internal key | varint32(value length) | value
//   internal key := user key | fixed64(sequence << 8 | type)        (dbformat.h)
//
// The skiplist key is a pointer to the entry; the memtable key of a LookupKey has the same prefix
// (varint32 length + internal key), so a lookup seeks with it directly, without re-encoding.
#include "lsm/memtable.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <new>

#include "util/coding.h"

namespace stash {
namespace {

// The bytes of the varint32-length-prefixed string at p.
// REQUIRES: p points at a well-formed prefix (entries are written by Add, so they are).
inline std::string_view DecodeLengthPrefixed(const char* p) {
  uint32_t len = static_cast<unsigned char>(*p);
  if (len < 128) return {p + 1, len};  // one-byte length: by far the common case
  const char* data = GetVarint32Ptr(p, p + 5, &len);
  assert(data != nullptr);
  return {data, len};
}

inline char* CopyBytes(char* dst, std::string_view bytes) {
  if (!bytes.empty()) std::memcpy(dst, bytes.data(), bytes.size());
  return dst + bytes.size();
}

}  // namespace

int MemTable::EntryComparator::operator()(const char* a, const char* b) const {
  const std::string_view ka = DecodeLengthPrefixed(a);
  const std::string_view kb = DecodeLengthPrefixed(b);
  return icmp.user_is_bytewise() ? CompareBytewiseInternalKeys(ka, kb) : icmp.CompareKeys(ka, kb);
}

MemTable::MemTable(const InternalKeyComparator& cmp, size_t arena_block_size)
    : cmp_{cmp}, arena_(arena_block_size), table_(cmp_, &arena_) {
  if (!cmp.user_is_bytewise()) return;
  const size_t buckets = std::bit_ceil(std::max<size_t>(arena_block_size / 32, 64));
  char* mem = arena_.AllocateAligned(buckets * sizeof(std::atomic<const IndexNode*>));
  buckets_ = reinterpret_cast<std::atomic<const IndexNode*>*>(mem);
  for (size_t i = 0; i < buckets; i++) new (&buckets_[i]) std::atomic<const IndexNode*>(nullptr);
  bucket_mask_ = buckets - 1;
  index_usable_.store(true, std::memory_order_relaxed);
}

std::string_view MemTable::IndexFind(std::string_view user_key) const {
  const size_t hash = std::hash<std::string_view>{}(user_key);
  for (const IndexNode* n = buckets_[hash & bucket_mask_].load(std::memory_order_acquire);
       n != nullptr; n = n->next) {
    if (n->hash != hash) continue;
    const std::string_view internal_key = DecodeLengthPrefixed(n->entry);
    if (ExtractUserKey(internal_key) == user_key) return internal_key;
  }
  return {};
}

void MemTable::IndexAdd(std::string_view user_key, const char* entry) {
  const size_t hash = std::hash<std::string_view>{}(user_key);
  std::atomic<const IndexNode*>& bucket = buckets_[hash & bucket_mask_];
  const auto* node = new (arena_.AllocateAligned(sizeof(IndexNode)))
      IndexNode{bucket.load(std::memory_order_relaxed), entry, hash};
  bucket.store(node, std::memory_order_release);  // publishes node and its fields
}

size_t MemTable::ArenaBlockSize(size_t memtable_size) {
  const size_t eighth = memtable_size / 8;
  if (eighth < Arena::kHugePageSize) return std::max(eighth, Arena::kDefaultBlockSize);
  return std::min(eighth / Arena::kHugePageSize, size_t{16}) * Arena::kHugePageSize;
}

void MemTable::Unref() {
  int previous = refs_.fetch_sub(1, std::memory_order_acq_rel);
  assert(previous > 0);
  if (previous == 1) delete this;
}

void MemTable::Add(SequenceNumber seq, ValueType type, std::string_view user_key,
                   std::string_view value) {
  const size_t internal_size = user_key.size() + kInternalKeyTagSize;
  assert(internal_size < (1ull << 32) && value.size() < (1ull << 32));
  const size_t entry_size =
      VarintLength(internal_size) + internal_size + VarintLength(value.size()) + value.size();
  const char* added = nullptr;
  table_.InsertWithPayload(entry_size, [&](char* entry) -> const char* {
    char* p = EncodeVarint32(entry, static_cast<uint32_t>(internal_size));
    p = CopyBytes(p, user_key);
    EncodeFixed64(p, PackSequenceAndType(seq, type));
    p = EncodeVarint32(p + kInternalKeyTagSize, static_cast<uint32_t>(value.size()));
    CopyBytes(p, value);
    added = entry;
    return entry;
  });
  const uint64_t n = num_entries_.load(std::memory_order_relaxed);
  if (buckets_ != nullptr) {
    if (n > 0 && seq < largest_seq_.load(std::memory_order_relaxed)) {
      index_usable_.store(false, std::memory_order_relaxed);
    }
    IndexAdd(user_key, added);
  }
  if (n == 0 || seq < smallest_seq_.load(std::memory_order_relaxed)) {
    smallest_seq_.store(seq, std::memory_order_relaxed);
  }
  if (seq > largest_seq_.load(std::memory_order_relaxed)) {
    largest_seq_.store(seq, std::memory_order_relaxed);
  }
  if (type == kTypeDeletion) {
    num_deletions_.store(num_deletions_.load(std::memory_order_relaxed) + 1,
                         std::memory_order_relaxed);
  }
  num_entries_.store(n + 1, std::memory_order_relaxed);
}

std::optional<bool> MemTable::WrittenAfter(std::string_view user_key, SequenceNumber seq) const {
  if (buckets_ == nullptr || !index_usable_.load(std::memory_order_relaxed)) return std::nullopt;
  std::string_view newest = IndexFind(user_key);
  return newest.data() != nullptr && (ExtractTag(newest) >> 8) > seq;
}

bool MemTable::Get(const LookupKey& key, std::string* value, Status* s) const {
  const bool indexed = buckets_ != nullptr && index_usable_.load(std::memory_order_relaxed);
  std::string_view internal_key = indexed ? IndexFind(key.user_key()) : std::string_view();
  if (indexed && internal_key.data() == nullptr) return false;  // no write of the key here
  // When the newest write is visible it is the answer; otherwise search the skiplist.
  if (!indexed || (ExtractTag(internal_key) >> 8) > (ExtractTag(key.internal_key()) >> 8)) {
    // The first entry at or after (user key, sequence) is the newest visible write of that user
    // key, if it is of that user key at all.
    Table::Iterator iter(&table_);
    iter.Seek(key.memtable_key().data());
    if (!iter.Valid()) return false;
    internal_key = DecodeLengthPrefixed(iter.key());
    if (cmp_.icmp.CompareUserKeys(ExtractUserKey(internal_key), key.user_key()) != 0) return false;
  }
  switch (static_cast<ValueType>(ExtractTag(internal_key) & 0xff)) {
    case kTypeValue:
      value->assign(DecodeLengthPrefixed(internal_key.data() + internal_key.size()));
      return true;
    case kTypeDeletion:
      *s = Status::NotFound();
      return true;
  }
  assert(false && "entries are written by Add with a known type");
  return false;
}

class MemTable::MemTableIterator final : public Iterator {
 public:
  explicit MemTableIterator(MemTable* mem) : mem_(mem), iter_(&mem->table_) { mem_->Ref(); }
  ~MemTableIterator() override { mem_->Unref(); }

  bool Valid() const override { return iter_.Valid(); }
  void SeekToFirst() override { iter_.SeekToFirst(); }
  void Seek(std::string_view target) override {
    // The skiplist compares entries, so give the target the entry's length prefix.
    seek_buf_.clear();
    PutVarint32(&seek_buf_, static_cast<uint32_t>(target.size()));
    seek_buf_.append(target);
    iter_.Seek(seek_buf_.data());
  }
  void Next() override { iter_.Next(); }
  std::string_view key() const override { return DecodeLengthPrefixed(iter_.key()); }
  std::string_view value() const override {
    std::string_view k = key();
    return DecodeLengthPrefixed(k.data() + k.size());
  }
  Status status() const override { return Status::OK(); }

 private:
  MemTable* const mem_;
  Table::Iterator iter_;
  std::string seek_buf_;  // reused across Seeks
};

std::unique_ptr<Iterator> MemTable::NewIterator() {
  return std::make_unique<MemTableIterator>(this);
}

}  // namespace stash
