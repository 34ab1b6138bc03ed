// Compaction picking (VersionSet::PickCompaction, CompactRange, SetupOtherInputs) and the
// Compaction object's helpers. The merge loop lives in db_impl_compaction.cc.
#include "lsm/compaction.h"

#include <algorithm>
#include <cassert>

namespace stash {
namespace {

uint64_t TotalFileBytes(const FileList& files) {
  uint64_t sum = 0;
  for (const auto& f : files) sum += f->file_size;
  return sum;
}

// Smallest and largest internal keys over the files. REQUIRES: !files.empty().
void GetRange(const InternalKeyComparator& icmp, const FileList& files, std::string_view* smallest,
              std::string_view* largest) {
  *smallest = files[0]->smallest;
  *largest = files[0]->largest;
  for (const auto& f : files) {
    if (icmp.Compare(f->smallest, *smallest) < 0) *smallest = f->smallest;
    if (icmp.Compare(f->largest, *largest) > 0) *largest = f->largest;
  }
}

void GetRange2(const InternalKeyComparator& icmp, const FileList& a, const FileList& b,
               std::string_view* smallest, std::string_view* largest) {
  FileList all = a;
  all.insert(all.end(), b.begin(), b.end());
  GetRange(icmp, all, smallest, largest);
}

}  // namespace

Compaction::Compaction(const Options& options, Version* input_version, int level, int output_level)
    : level_(level),
      output_level_(output_level),
      max_output_file_size_(options.target_file_size),
      max_grandparent_overlap_bytes_(10 * options.target_file_size),
      input_version_(input_version),
      level_ptrs_(input_version->num_levels(), 0) {
  input_version_->Ref();
}

Compaction::~Compaction() { input_version_->Unref(); }

uint64_t Compaction::InputBytes() const {
  return TotalFileBytes(inputs_[0]) + TotalFileBytes(inputs_[1]);
}

bool Compaction::IsTrivialMove() const {
  return output_level_ != level_ && num_input_files(0) == 1 && num_input_files(1) == 0 &&
         TotalFileBytes(grandparents_) <= max_grandparent_overlap_bytes_;
}

void Compaction::AddInputDeletions(VersionEdit* edit) const {
  for (int which = 0; which < 2; which++) {
    for (const auto& f : inputs_[which]) {
      edit->RemoveFile(which == 0 ? level_ : output_level_, f->number);
    }
  }
}

bool Compaction::IsBaseLevelForKey(std::string_view user_key) {
  const InternalKeyComparator* icmp = input_version_->vset_->icmp();
  for (int lvl = output_level_ + 1; lvl < input_version_->num_levels(); lvl++) {
    const FileList& files = input_version_->files_[lvl];
    size_t& i = level_ptrs_[lvl];
    while (i < files.size()) {
      const FileMetaData& f = *files[i];
      if (icmp->CompareUserKeys(user_key, ExtractUserKey(f.largest)) <= 0) {
        // Keys come in increasing order, so files before i never matter again.
        if (icmp->CompareUserKeys(user_key, ExtractUserKey(f.smallest)) >= 0) return false;
        break;
      }
      i++;
    }
  }
  return true;
}

bool Compaction::ShouldStopBefore(std::string_view internal_key) {
  const InternalKeyComparator* icmp = input_version_->vset_->icmp();
  while (grandparent_index_ < grandparents_.size() &&
         icmp->Compare(internal_key, grandparents_[grandparent_index_]->largest) > 0) {
    if (seen_key_) overlapped_bytes_ += grandparents_[grandparent_index_]->file_size;
    grandparent_index_++;
  }
  seen_key_ = true;
  if (overlapped_bytes_ > max_grandparent_overlap_bytes_) {
    overlapped_bytes_ = 0;
    return true;
  }
  return false;
}

std::string Compaction::Describe() const {
  std::string r;
  for (int which = 0; which < 2; which++) {
    if (which == 1 && inputs_[1].empty()) break;
    if (which == 1) r += " + ";
    r += "L" + std::to_string(which == 0 ? level_ : output_level_);
    for (const auto& f : inputs_[which]) r += " #" + std::to_string(f->number);
  }
  if (output_level_ == level_) r += " in place";
  r += " (" + std::to_string(InputBytes()) + " bytes)";
  return r;
}

std::unique_ptr<Compaction> VersionSet::PickCompaction() {
  Version* v = current_;
  if (v->compaction_score_ < 1) return nullptr;
  const int level = v->compaction_level_;
  std::unique_ptr<Compaction> c(new Compaction(*options_, v, level, level + 1));

  // Round robin: the first file past where the last compaction of this level stopped.
  const std::string& pointer = compact_pointer_[level];
  for (const auto& f : v->files_[level]) {
    if (pointer.empty() || icmp_->Compare(f->largest, pointer) > 0) {
      c->inputs_[0].push_back(f);
      break;
    }
  }
  if (c->inputs_[0].empty()) c->inputs_[0].push_back(v->files_[level][0]);  // wrap around

  if (level == 0) {
    // L0 files overlap each other: take every one that overlaps the pick, so that no older
    // version of a key stays behind in L0 while a newer one moves down.
    std::string_view smallest, largest;
    GetRange(*icmp_, c->inputs_[0], &smallest, &largest);
    std::string_view lo = ExtractUserKey(smallest), hi = ExtractUserKey(largest);
    c->inputs_[0] = v->GetOverlappingInputs(0, &lo, &hi);
  }
  SetupOtherInputs(c.get());
  return c;
}

std::unique_ptr<Compaction> VersionSet::CompactRange(int level, const std::string_view* begin,
                                                     bool begin_exclusive,
                                                     const std::string_view* end, bool in_place) {
  assert(level > 0 || !in_place);
  Version* v = current_;
  FileList inputs = v->GetOverlappingInputs(level, begin, end);
  if (begin != nullptr && begin_exclusive && level > 0) {
    // Sorted by key: the files ending at *begin come first.
    size_t skip = 0;
    while (skip < inputs.size() &&
           icmp_->CompareUserKeys(ExtractUserKey(inputs[skip]->largest), *begin) <= 0) {
      skip++;
    }
    inputs.erase(inputs.begin(), inputs.begin() + static_cast<long>(skip));
  }
  if (inputs.empty()) return nullptr;
  // Cut a big range into pieces of about one output file's worth of input. Not on L0: its files
  // overlap, and leaving a newer file behind while an older one moves down would be wrong.
  if (level > 0) {
    uint64_t total = 0;
    for (size_t i = 0; i < inputs.size(); i++) {
      total += inputs[i]->file_size;
      if (total >= options_->target_file_size) {
        inputs.resize(i + 1);
        break;
      }
    }
  }
  std::unique_ptr<Compaction> c(new Compaction(*options_, v, level, in_place ? level : level + 1));
  c->is_manual_ = true;
  c->inputs_[0] = std::move(inputs);
  SetupOtherInputs(c.get());
  return c;
}

void VersionSet::SetupOtherInputs(Compaction* c) {
  const int level = c->level();
  Version* v = current_;
  std::string_view smallest, largest;
  GetRange(*icmp_, c->inputs_[0], &smallest, &largest);
  if (c->output_level() == level) {
    // In place: the pieces of a level >= 1 are disjoint, so rewriting some of its files cannot
    // overlap the others. (L0 is never compacted in place.)
    if (level + 1 < num_levels()) {
      std::string_view lo = ExtractUserKey(smallest), hi = ExtractUserKey(largest);
      c->grandparents_ = v->GetOverlappingInputs(level + 1, &lo, &hi);
    }
    return;
  }
  std::string_view lo = ExtractUserKey(smallest), hi = ExtractUserKey(largest);
  c->inputs_[1] = v->GetOverlappingInputs(level + 1, &lo, &hi);

  std::string_view all_start, all_limit;
  GetRange2(*icmp_, c->inputs_[0], c->inputs_[1], &all_start, &all_limit);

  // Pull in more files of `level` when that does not add any file of level + 1 (the expensive
  // side) and keeps the compaction bounded.
  if (!c->inputs_[1].empty()) {
    std::string_view a = ExtractUserKey(all_start), b = ExtractUserKey(all_limit);
    FileList expanded0 = v->GetOverlappingInputs(level, &a, &b);
    const uint64_t limit = 25 * options_->target_file_size;
    if (expanded0.size() > c->inputs_[0].size() &&
        TotalFileBytes(expanded0) + TotalFileBytes(c->inputs_[1]) < limit) {
      std::string_view new_start, new_limit;
      GetRange(*icmp_, expanded0, &new_start, &new_limit);
      std::string_view ns = ExtractUserKey(new_start), nl = ExtractUserKey(new_limit);
      FileList expanded1 = v->GetOverlappingInputs(level + 1, &ns, &nl);
      if (expanded1.size() == c->inputs_[1].size()) {
        c->inputs_[0] = std::move(expanded0);
        c->inputs_[1] = std::move(expanded1);
        GetRange(*icmp_, c->inputs_[0], &smallest, &largest);
        GetRange2(*icmp_, c->inputs_[0], c->inputs_[1], &all_start, &all_limit);
      }
    }
  }

  if (level + 2 < num_levels()) {
    std::string_view a = ExtractUserKey(all_start), b = ExtractUserKey(all_limit);
    c->grandparents_ = v->GetOverlappingInputs(level + 2, &a, &b);
  }

  // The next size compaction of this level starts after this one (kept even when this
  // compaction fails: a retry then moves on rather than hitting the same files again).
  compact_pointer_[level].assign(largest);
  c->edit_.compact_pointers.emplace_back(level, std::string(largest));
}

}  // namespace stash
