// Compaction: one unit of leveled compaction work, picked by VersionSet::PickCompaction (size
// triggered: L0 file count or a level over its byte target) or VersionSet::CompactRange
// (manual). It merges inputs[0] (files of level()) with inputs[1] (the files of level() + 1 they
// overlap) into new files of level() + 1. A manual compaction of the bottom of a range may
// instead rewrite files of level() in place (output_level() == level(), no inputs[1]), which is
// how CompactRange drops garbage that no level below would ever merge away. The merge itself
// runs in DBImpl::DoCompactionWork.
//
// Lifetime and threads: created and destroyed under the DB mutex (it holds a reference on the
// Version it was picked from); the background thread uses the const methods and the stateful
// helpers (IsBaseLevelForKey, ShouldStopBefore) without the mutex.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "lsm/version_edit.h"
#include "lsm/version_set.h"

namespace stash {

class Compaction {
 public:
  Compaction(const Compaction&) = delete;
  Compaction& operator=(const Compaction&) = delete;
  ~Compaction();

  int level() const { return level_; }
  int output_level() const { return output_level_; }
  // The edit this compaction will apply (compaction pointer already set; inputs and outputs are
  // added by the caller).
  VersionEdit* edit() { return &edit_; }
  // which: 0 = files of level(), 1 = files of output_level() (empty when it is level()).
  const FileList& inputs(int which) const { return inputs_[which]; }
  int num_input_files(int which) const { return static_cast<int>(inputs_[which].size()); }
  uint64_t InputBytes() const;
  Version* input_version() const { return input_version_; }
  uint64_t MaxOutputFileSize() const { return max_output_file_size_; }
  bool is_manual() const { return is_manual_; }

  // True when the compaction can simply move its one input file down a level: nothing to merge
  // with in level() + 1 and not too much overlap with level() + 2. Never for in-place ones.
  bool IsTrivialMove() const;

  // Adds the deletion of every input file to edit.
  void AddInputDeletions(VersionEdit* edit) const;

  // True when no level below output_level() has a file whose range holds user_key, so a deletion
  // of it (visible to every snapshot) can be dropped. Calls must come in increasing key order.
  bool IsBaseLevelForKey(std::string_view user_key);

  // True when the output file should be closed before internal_key because the output so far
  // overlaps too much of output_level() + 1 (keeps later compactions of the output small). Calls
  // must come in increasing key order. The caller still never splits one user key.
  bool ShouldStopBefore(std::string_view internal_key);

  // A one-line summary for the info log: "L1 #3 #4 + L2 #7 (1234 bytes)".
  std::string Describe() const;

 private:
  friend class VersionSet;

  Compaction(const Options& options, Version* input_version, int level, int output_level);

  const int level_;
  const int output_level_;
  const uint64_t max_output_file_size_;
  const uint64_t max_grandparent_overlap_bytes_;
  Version* const input_version_;
  VersionEdit edit_;
  bool is_manual_ = false;
  FileList inputs_[2];
  FileList grandparents_;  // files of output_level() + 1 overlapping the inputs

  // ShouldStopBefore state.
  size_t grandparent_index_ = 0;
  bool seen_key_ = false;
  uint64_t overlapped_bytes_ = 0;

  // IsBaseLevelForKey state: per level, the first file that may still hold a later key.
  std::vector<size_t> level_ptrs_;
};

}  // namespace stash
