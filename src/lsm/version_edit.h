// VersionEdit: one step from a Version to the next (files added and removed per level, plus the
// counters that must survive a restart). The MANIFEST is a sequence of encoded VersionEdits;
// replaying them from an empty state rebuilds the current Version. See version_edit.cc for the
// encoding.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace stash {

// An SSTable as the version set knows it. Immutable once it is part of a Version; shared by all
// the Versions that contain it.
struct TablePin;  // lsm/table_cache.h

struct FileMetaData {
  uint64_t number = 0;
  uint64_t file_size = 0;
  std::string smallest;  // smallest internal key in the file
  std::string largest;   // largest internal key in the file
  // Set for the files of Versions (VersionSet's builder): where point reads keep the file's
  // open table once they found it (TableCache::GetPinned). Not part of the encoding.
  std::shared_ptr<TablePin> pin;
};

// Levels an edit may name; Options::num_levels must not exceed it.
inline constexpr int kMaxNumLevels = 20;

struct VersionEdit {
  std::optional<std::string> comparator_name;
  // Logs with a smaller number hold nothing that is not in SSTables.
  std::optional<uint64_t> log_number;
  std::optional<uint64_t> next_file_number;
  std::optional<uint64_t> last_sequence;
  // (level, internal key): where the next size compaction of that level starts.
  std::vector<std::pair<int, std::string>> compact_pointers;
  std::set<std::pair<int, uint64_t>> deleted_files;  // (level, file number)
  std::vector<std::pair<int, FileMetaData>> new_files;

  void AddFile(int level, uint64_t number, uint64_t file_size, std::string_view smallest,
               std::string_view largest) {
    new_files.emplace_back(level, FileMetaData{number, file_size, std::string(smallest),
                                               std::string(largest), nullptr});
  }
  void RemoveFile(int level, uint64_t number) { deleted_files.emplace(level, number); }

  void EncodeTo(std::string* dst) const;
  // Replaces *this with the edit encoded in src. Corruption (without a file name; the caller adds
  // it) when src is malformed.
  Status DecodeFrom(std::string_view src);
  // One line per field, for logs and test failures.
  std::string DebugString() const;
};

}  // namespace stash
