// Block reading: restart-array validation and the block iterator. The format is described in
// block_builder.cc. Every length read from an entry is checked against the end of the entries,
// so a malformed block (e.g. read with checksums off) stops the iterator instead of reading out
// of bounds.
#include "lsm/block.h"

#include <cstring>

#include "lsm/dbformat.h"
#include "util/coding.h"

namespace stash {
namespace {

// Decodes an entry header in [p, limit): returns the start of the key suffix, or nullptr when the
// header or the key suffix and value it announces do not fit before limit.
const char* DecodeEntryHeader(const char* p, const char* limit, uint32_t* shared,
                              uint32_t* unshared, uint32_t* value_length) {
  if (limit - p < 3) return nullptr;
  *shared = static_cast<unsigned char>(p[0]);
  *unshared = static_cast<unsigned char>(p[1]);
  *value_length = static_cast<unsigned char>(p[2]);
  if ((*shared | *unshared | *value_length) < 128) {
    p += 3;  // the common case: all three fit in one byte each
  } else {
    if ((p = GetVarint32Ptr(p, limit, shared)) == nullptr) return nullptr;
    if ((p = GetVarint32Ptr(p, limit, unshared)) == nullptr) return nullptr;
    if ((p = GetVarint32Ptr(p, limit, value_length)) == nullptr) return nullptr;
  }
  if (static_cast<uint64_t>(limit - p) < uint64_t{*unshared} + *value_length) return nullptr;
  return p;
}

class BlockIterator final : public Iterator {
 public:
  // key_storage (may be null: the iterator's own) holds key(); a point lookup passes a buffer
  // it reuses, so that a key longer than the short-string buffer costs no allocation.
  BlockIterator(const Comparator* comparator, const char* data, uint32_t restarts_offset,
                uint32_t num_restarts, std::string_view file_name, uint64_t block_offset,
                std::string* key_storage = nullptr)
      : key_(key_storage != nullptr ? *key_storage : own_key_),
        comparator_(comparator),
        data_(data),
        restarts_offset_(restarts_offset),
        num_restarts_(num_restarts),
        current_(restarts_offset),
        next_(restarts_offset),
        file_name_(file_name),
        block_offset_(block_offset) {}

  bool Valid() const override { return current_ < restarts_offset_; }
  Status status() const override { return status_; }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }

  void SeekToFirst() override {
    if (!status_.ok()) return;
    SeekToRestart(0);
    ParseNextEntry();
  }

  void Next() override { ParseNextEntry(); }

  void Seek(std::string_view target) override {
    if (!status_.ok()) return;
    // Find the last restart point whose key is < target; the answer is at or after it.
    uint32_t left = 0;
    uint32_t right = num_restarts_ - 1;
    while (left < right) {
      const uint32_t mid = left + (right - left + 1) / 2;
      std::string_view mid_key;
      if (!RestartKey(mid, &mid_key)) return;
      if (Compare(mid_key, target) < 0) {
        left = mid;
      } else {
        right = mid - 1;
      }
    }
    SeekToRestart(left);
    while (ParseNextEntry()) {
      if (Compare(key_, target) >= 0) return;
    }
  }

 private:
  int Compare(std::string_view a, std::string_view b) const {
    if (bytewise_internal_) {
      // A damaged entry's key may be shorter than a tag (read with checksums off): plain bytes
      // order it, where the comparator would read before the key.
      if (a.size() < kInternalKeyTagSize || b.size() < kInternalKeyTagSize) return a.compare(b);
      return CompareBytewiseInternalKeys(a, b);
    }
    return comparator_->Compare(a, b);
  }

  uint32_t RestartPoint(uint32_t index) const {
    return DecodeFixed32(data_ + restarts_offset_ + index * sizeof(uint32_t));
  }

  void SeekToRestart(uint32_t index) {
    key_.clear();
    next_ = RestartPoint(index);
  }

  // The whole key stored at restart point `index` (a view into the block).
  bool RestartKey(uint32_t index, std::string_view* key) {
    const char* limit = data_ + restarts_offset_;
    uint32_t shared, unshared, value_length;
    const char* p =
        DecodeEntryHeader(data_ + RestartPoint(index), limit, &shared, &unshared, &value_length);
    if (p == nullptr || shared != 0) return MarkCorrupt();
    *key = std::string_view(p, unshared);
    return true;
  }

  // Decodes the entry at next_ into key_/value_; false at the end of the block or on corruption.
  bool ParseNextEntry() {
    current_ = next_;
    if (current_ >= restarts_offset_) {
      current_ = next_ = restarts_offset_;
      return false;
    }
    uint32_t shared, unshared, value_length;
    const char* p = DecodeEntryHeader(data_ + current_, data_ + restarts_offset_, &shared,
                                      &unshared, &value_length);
    if (p == nullptr || shared > key_.size()) return MarkCorrupt();
    key_.resize(shared);
    key_.append(p, unshared);
    value_ = std::string_view(p + unshared, value_length);
    next_ = static_cast<uint32_t>(p + unshared + value_length - data_);
    return true;
  }

  bool MarkCorrupt() {
    status_ = CorruptionAt(file_name_, block_offset_, "bad entry in block");
    current_ = next_ = restarts_offset_;
    key_.clear();
    value_ = {};
    return false;
  }

  std::string own_key_;
  std::string& key_;
  const Comparator* const comparator_;
  const bool bytewise_internal_ = comparator_->IsBytewiseInternal();
  const char* const data_;
  const uint32_t restarts_offset_;
  const uint32_t num_restarts_;
  uint32_t current_;  // offset of the current entry; restarts_offset_ when not Valid()
  uint32_t next_;     // offset of the entry after it
  std::string_view value_;
  Status status_;
  std::string_view file_name_;
  uint64_t block_offset_;
};

}  // namespace

Status Block::Parse(BlockContents contents, std::string_view file_name, uint64_t offset,
                    std::unique_ptr<Block>* block) {
  const std::string_view data = contents.data;
  if (data.size() < sizeof(uint32_t) || data.size() > UINT32_MAX) {
    return CorruptionAt(file_name, offset, "bad block size");
  }
  const uint32_t num_restarts = DecodeFixed32(data.data() + data.size() - sizeof(uint32_t));
  const uint64_t max_restarts = (data.size() - sizeof(uint32_t)) / sizeof(uint32_t);
  if (num_restarts == 0 || num_restarts > max_restarts) {
    return CorruptionAt(file_name, offset, "bad restart count in block");
  }
  const auto restarts_offset =
      static_cast<uint32_t>(data.size() - (uint64_t{num_restarts} + 1) * sizeof(uint32_t));
  // Restart points must start at 0, increase, and (unless the block is empty) lie inside the
  // entries: binary search relies on their order.
  uint32_t previous = 0;
  for (uint32_t i = 0; i < num_restarts; i++) {
    const uint32_t restart = DecodeFixed32(data.data() + restarts_offset + i * sizeof(uint32_t));
    const bool in_order = i == 0 ? restart == 0 : restart > previous;
    const bool inside = restart < restarts_offset || (restarts_offset == 0 && num_restarts == 1);
    if (!in_order || !inside) return CorruptionAt(file_name, offset, "bad restart array in block");
    previous = restart;
  }
  block->reset(new Block(std::move(contents), restarts_offset, num_restarts, offset));
  return Status::OK();
}

std::unique_ptr<Iterator> Block::NewIterator(const Comparator* comparator,
                                             std::string_view file_name) const {
  return std::make_unique<BlockIterator>(comparator, contents_.data.data(), restarts_offset_,
                                         num_restarts_, file_name, offset_);
}

bool Block::SeekInternalKey(std::string_view target, bool* found, std::string* key,
                            std::string_view* value) const {
  const char* data = contents_.data.data();
  const char* limit = data + restarts_offset_;
  // The last restart point whose key is < target; the answer is at or after it.
  uint32_t left = 0;
  uint32_t right = num_restarts_ - 1;
  while (left < right) {
    const uint32_t mid = left + (right - left + 1) / 2;
    std::string_view mid_key, mid_value;
    uint32_t end = 0;
    if (!EntryAtRestart(mid, &mid_key, &mid_value, &end)) return false;
    if (mid_key.size() < kInternalKeyTagSize) return false;
    if (CompareBytewiseInternalKeys(mid_key, target) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  // Forward from there, each key rebuilt in a stack buffer from the previous one.
  char buf[kMaxFastKey];
  size_t length = 0;
  for (const char* p = data + RestartOffset(left); p < limit;) {
    uint32_t shared, unshared, value_length;
    const char* suffix = DecodeEntryHeader(p, limit, &shared, &unshared, &value_length);
    if (suffix == nullptr || shared > length || size_t{shared} + unshared > sizeof(buf)) {
      return false;
    }
    std::memcpy(buf + shared, suffix, unshared);
    length = shared + unshared;
    if (length < kInternalKeyTagSize) return false;
    if (CompareBytewiseInternalKeys(std::string_view(buf, length), target) >= 0) {
      *found = true;
      key->assign(buf, length);
      *value = std::string_view(suffix + unshared, value_length);
      return true;
    }
    p = suffix + unshared + value_length;
  }
  *found = false;
  return true;
}

Status Block::Seek(const Comparator* comparator, std::string_view file_name,
                   std::string_view target, bool* found, std::string* key,
                   std::string_view* value) const {
  if (comparator->IsBytewiseInternal() && target.size() >= kInternalKeyTagSize &&
      SeekInternalKey(target, found, key, value)) {
    return Status::OK();
  }
  BlockIterator it(comparator, contents_.data.data(), restarts_offset_, num_restarts_, file_name,
                   offset_, key);
  it.Seek(target);
  *found = it.Valid();
  if (*found) *value = it.value();
  return it.status();
}

uint32_t Block::RestartOffset(uint32_t i) const {
  return DecodeFixed32(contents_.data.data() + restarts_offset_ + i * sizeof(uint32_t));
}

bool Block::EntryAtRestart(uint32_t i, std::string_view* key, std::string_view* value,
                           uint32_t* end) const {
  const char* data = contents_.data.data();
  uint32_t shared, unshared, value_length;
  const char* p = DecodeEntryHeader(data + RestartOffset(i), data + restarts_offset_, &shared,
                                    &unshared, &value_length);
  if (p == nullptr || shared != 0) return false;
  *key = std::string_view(p, unshared);
  *value = std::string_view(p + unshared, value_length);
  *end = static_cast<uint32_t>(p + unshared + value_length - data);
  return true;
}

}  // namespace stash
