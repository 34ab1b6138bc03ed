// Version: lookups, iterators and overlap queries over one immutable file layout.
#include <algorithm>
#include <cassert>

#include "lsm/table_cache.h"
#include "lsm/two_level_iterator.h"
#include "lsm/version_set.h"
#include "util/coding.h"

namespace stash {
namespace {

// The index level of a concatenating level iterator: one entry per file, keyed by the file's
// largest internal key; the value is fixed64 number | fixed64 size.
class LevelFileIterator final : public Iterator {
 public:
  LevelFileIterator(const InternalKeyComparator* icmp, FileList files)
      : icmp_(icmp), files_(std::move(files)), index_(files_.size()) {}

  bool Valid() const override { return index_ < files_.size(); }
  void SeekToFirst() override { Position(0); }
  void Seek(std::string_view target) override { Position(FindFile(*icmp_, files_, target)); }
  void Next() override {
    assert(Valid());
    Position(index_ + 1);
  }
  std::string_view key() const override { return files_[index_]->largest; }
  std::string_view value() const override { return {value_buf_, sizeof(value_buf_)}; }
  Status status() const override { return Status::OK(); }

 private:
  void Position(size_t index) {
    index_ = index;
    if (Valid()) {
      EncodeFixed64(value_buf_, files_[index_]->number);
      EncodeFixed64(value_buf_ + 8, files_[index_]->file_size);
    }
  }

  const InternalKeyComparator* const icmp_;
  const FileList files_;
  size_t index_;
  char value_buf_[16];
};

// user_key lies within f's user-key range.
bool FileHoldsUserKey(const InternalKeyComparator& icmp, const FileMetaData& f,
                      std::string_view user_key) {
  return icmp.CompareUserKeys(user_key, ExtractUserKey(f.smallest)) >= 0 &&
         icmp.CompareUserKeys(user_key, ExtractUserKey(f.largest)) <= 0;
}

}  // namespace

size_t FindFile(const InternalKeyComparator& icmp, const FileList& files,
                std::string_view internal_key) {
  auto it = std::partition_point(files.begin(), files.end(), [&](const auto& f) {
    return icmp.Compare(f->largest, internal_key) < 0;
  });
  return static_cast<size_t>(it - files.begin());
}

std::unique_ptr<Iterator> NewConcatenatingIterator(const InternalKeyComparator* icmp,
                                                   TableCache* table_cache, FileList files,
                                                   bool fill_cache) {
  auto index = std::make_unique<LevelFileIterator>(icmp, std::move(files));
  return NewTwoLevelIterator(std::move(index), [table_cache, fill_cache](std::string_view v) {
    return table_cache->NewIterator(DecodeFixed64(v.data()), DecodeFixed64(v.data() + 8),
                                    fill_cache);
  });
}

Version::~Version() {
  assert(refs_ == 0);
  prev_->next_ = next_;
  next_->prev_ = prev_;
}

void Version::Unref() {
  assert(refs_ > 0);
  if (--refs_ == 0) delete this;
}

uint64_t Version::LevelBytes(int level) const {
  uint64_t sum = 0;
  for (const auto& f : files_[level]) sum += f->file_size;
  return sum;
}

Status Version::Get(const LookupKey& key, std::string* value) const {
  const InternalKeyComparator& icmp = *vset_->icmp();
  TableCache* cache = vset_->table_cache();
  const std::string_view user_key = key.user_key();
  const std::string_view ikey = key.internal_key();

  enum class State { kNotFound, kFound, kDeleted, kCorrupt };
  // Point reads keep the tables they open in the files' pins while this Version's files fit in
  // the table cache's pin slots (so that pins and cache together stay within max_open_files).
  size_t files = 0;
  for (const FileList& level : files_) files += level.size();
  const bool may_pin = files <= static_cast<size_t>(cache->pin_slots());
  auto search = [&](const FileMetaData& f, State* state) -> Status {
    *state = State::kNotFound;
    return cache->GetPinned(f.pin.get(), may_pin, f.number, f.file_size, ikey, user_key,
                            [&](std::string_view found_key, std::string_view found_value) {
                              ParsedInternalKey parsed;
                              if (!ParseInternalKey(found_key, &parsed)) {
                                *state = State::kCorrupt;
                              } else if (icmp.CompareUserKeys(parsed.user_key, user_key) == 0) {
                                if (parsed.type == kTypeValue) {
                                  *state = State::kFound;
                                  value->assign(found_value);
                                } else {
                                  *state = State::kDeleted;
                                }
                              }
                            });
  };
  // Returns true when f settled the lookup (*result holds the answer).
  auto settle = [&](const FileMetaData& f, Status* result) -> bool {
    State state;
    Status s = search(f, &state);
    if (!s.ok()) {
      *result = s;
      return true;
    }
    switch (state) {
      case State::kNotFound:
        return false;
      case State::kFound:
        *result = Status::OK();
        return true;
      case State::kDeleted:
        *result = Status::NotFound();
        return true;
      case State::kCorrupt:
        *result = Status::Corruption("bad internal key in table " + std::to_string(f.number));
        return true;
    }
    return false;
  };

  Status result;
  // L0 files may overlap: newest (largest number) first.
  const FileList& l0 = files_[0];
  for (auto it = l0.rbegin(); it != l0.rend(); ++it) {
    if (FileHoldsUserKey(icmp, **it, user_key) && settle(**it, &result)) return result;
  }
  for (int level = 1; level < num_levels(); level++) {
    const FileList& files = files_[level];
    size_t i = FindFile(icmp, files, ikey);
    if (i < files.size() &&
        icmp.CompareUserKeys(user_key, ExtractUserKey(files[i]->smallest)) >= 0 &&
        settle(*files[i], &result)) {
      return result;
    }
  }
  return Status::NotFound();
}

void Version::AddIterators(std::vector<std::unique_ptr<Iterator>>* iters) const {
  TableCache* cache = vset_->table_cache();
  // Newest L0 file first, so equal internal keys (there are none in practice) favour it.
  for (auto it = files_[0].rbegin(); it != files_[0].rend(); ++it) {
    iters->push_back(cache->NewIterator((*it)->number, (*it)->file_size));
  }
  for (int level = 1; level < num_levels(); level++) {
    if (!files_[level].empty()) {
      iters->push_back(NewConcatenatingIterator(vset_->icmp(), cache, files_[level]));
    }
  }
}

FileList Version::GetOverlappingInputs(int level, const std::string_view* begin,
                                       const std::string_view* end) const {
  const InternalKeyComparator& icmp = *vset_->icmp();
  std::string user_begin, user_end;  // owned copies: the range may grow below (L0)
  if (begin != nullptr) user_begin.assign(*begin);
  if (end != nullptr) user_end.assign(*end);
  bool has_begin = begin != nullptr, has_end = end != nullptr;

  FileList inputs;
  const FileList& files = files_[level];
  for (size_t i = 0; i < files.size();) {
    const auto& f = files[i++];
    std::string_view file_start = ExtractUserKey(f->smallest);
    std::string_view file_limit = ExtractUserKey(f->largest);
    if (has_begin && icmp.CompareUserKeys(file_limit, user_begin) < 0) continue;
    if (has_end && icmp.CompareUserKeys(file_start, user_end) > 0) continue;
    inputs.push_back(f);
    if (level == 0) {
      // A file reaching past the range widens it; start over so earlier files that overlap the
      // wider range are picked up too.
      if (has_begin && icmp.CompareUserKeys(file_start, user_begin) < 0) {
        user_begin.assign(file_start);
        inputs.clear();
        i = 0;
      } else if (has_end && icmp.CompareUserKeys(file_limit, user_end) > 0) {
        user_end.assign(file_limit);
        inputs.clear();
        i = 0;
      }
    }
  }
  return inputs;
}

bool Version::OverlapInLevel(int level, const std::string_view* smallest,
                             const std::string_view* largest) const {
  const InternalKeyComparator& icmp = *vset_->icmp();
  const FileList& files = files_[level];
  if (level == 0) {
    for (const auto& f : files) {
      bool before =
          largest != nullptr && icmp.CompareUserKeys(*largest, ExtractUserKey(f->smallest)) < 0;
      bool after =
          smallest != nullptr && icmp.CompareUserKeys(*smallest, ExtractUserKey(f->largest)) > 0;
      if (!before && !after) return true;
    }
    return false;
  }
  size_t i = 0;
  if (smallest != nullptr) {
    // The earliest possible internal key of *smallest.
    std::string probe;
    AppendInternalKey(&probe, ParsedInternalKey(*smallest, kMaxSequenceNumber, kValueTypeForSeek));
    i = FindFile(icmp, files, probe);
  }
  if (i >= files.size()) return false;
  return largest == nullptr ||
         icmp.CompareUserKeys(*largest, ExtractUserKey(files[i]->smallest)) >= 0;
}

std::string Version::DebugString() const {
  std::string r;
  for (int level = 0; level < num_levels(); level++) {
    r += "L" + std::to_string(level) + ":";
    for (const auto& f : files_[level]) {
      r += " #" + std::to_string(f->number) + "(" + std::to_string(f->file_size) + ")";
    }
    r += "\n";
  }
  return r;
}

}  // namespace stash
