// Version and VersionSet: which SSTables make up the database, per level.
//
// A Version is an immutable snapshot of the file layout. Readers pin one (through the DB's super
// version) so flush and compaction can install a new Version without pulling files from under
// them; a file is obsolete only when no live Version lists it.
//
// The VersionSet owns the chain of Versions, the MANIFEST (a log of VersionEdits, written with
// the wal/ record format, one edit per batch) and the counters that survive a restart: next file
// number, log number, last sequence, and the per-level compaction pointers.
//
// Thread-safety: every VersionSet method and Version::Ref/Unref need the DB mutex (passed to
// LogAndApply so it can release it during MANIFEST I/O). Version's read methods (Get,
// AddIterators, files) need only a reference held on the Version.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/dbformat.h"
#include "lsm/iterator.h"
#include "lsm/options.h"
#include "lsm/version_edit.h"
#include "util/status.h"

namespace stash {

namespace wal {
class WalWriter;
}

class Compaction;
class TableCache;
class VersionSet;

using FileList = std::vector<std::shared_ptr<const FileMetaData>>;

// Index of the first file in files (sorted, disjoint: a level >= 1) whose largest key is >=
// internal_key; files.size() if there is none.
size_t FindFile(const InternalKeyComparator& icmp, const FileList& files,
                std::string_view internal_key);

// An iterator over the internal keys of files (sorted, disjoint) that opens one table at a time
// through table_cache. Holds its own copy of the list. fill_cache: see Table::NewIterator.
std::unique_ptr<Iterator> NewConcatenatingIterator(const InternalKeyComparator* icmp,
                                                   TableCache* table_cache, FileList files,
                                                   bool fill_cache = true);

class Version {
 public:
  Version(const Version&) = delete;
  Version& operator=(const Version&) = delete;

  // REQUIRES: DB mutex held.
  void Ref() { ++refs_; }
  // REQUIRES: DB mutex held. Deletes the Version when the count drops to zero.
  void Unref();

  // Looks key.user_key() up at key's sequence: L0 newest file first, then one file per level.
  // OK with *value set when a value is found; NotFound when the newest write is a deletion or
  // there is none; another error when a table cannot be read.
  Status Get(const LookupKey& key, std::string* value) const;

  // Appends iterators over internal keys that together cover this Version: one per L0 file and
  // one concatenating iterator per non-empty level >= 1. Each pins the tables it reads (not this
  // Version: the caller keeps a reference for as long as the iterators live).
  void AddIterators(std::vector<std::unique_ptr<Iterator>>* iters) const;

  // Files of one level: L0 in file-number order (oldest first); other levels sorted by key and
  // disjoint.
  const FileList& files(int level) const { return files_[level]; }
  int NumFiles(int level) const { return static_cast<int>(files_[level].size()); }
  uint64_t LevelBytes(int level) const;
  int num_levels() const { return static_cast<int>(files_.size()); }

  // Files of level whose user-key range meets [begin, end] (user keys; nullptr = unbounded).
  // On L0 the range grows to cover every file it picks up, so overlapping L0 files come together.
  FileList GetOverlappingInputs(int level, const std::string_view* begin,
                                const std::string_view* end) const;
  // Whether some file of level meets the user-key range [*smallest, *largest] (nullptr =
  // unbounded).
  bool OverlapInLevel(int level, const std::string_view* smallest,
                      const std::string_view* largest) const;

  // "L0: #12 #15\nL1: #9 ..." for logs and tests.
  std::string DebugString() const;

 private:
  friend class VersionSet;
  friend class VersionBuilder;
  friend class Compaction;

  Version(VersionSet* vset, int num_levels) : vset_(vset), files_(num_levels) {}
  ~Version();

  VersionSet* const vset_;
  Version* next_ = this;  // the VersionSet's circular list of live versions
  Version* prev_ = this;
  int refs_ = 0;
  std::vector<FileList> files_;

  // Set by VersionSet::Finalize: the level most in need of compaction and its score (>= 1 means
  // a compaction is due).
  double compaction_score_ = -1;
  int compaction_level_ = -1;
};

class VersionSet {
 public:
  // options, table_cache and icmp are not owned and must outlive the VersionSet.
  VersionSet(std::string dir, const Options* options, TableCache* table_cache,
             const InternalKeyComparator* icmp);
  VersionSet(const VersionSet&) = delete;
  VersionSet& operator=(const VersionSet&) = delete;
  // REQUIRES: no Version other than current is still referenced.
  ~VersionSet();

  // Rebuilds the state from CURRENT and the MANIFEST it names. A missing CURRENT is NotFound; a
  // damaged CURRENT or MANIFEST is Corruption naming the file. The next LogAndApply starts a new
  // MANIFEST (with a full snapshot first), so a torn tail of the old one is never appended to.
  Status Recover();

  // Records edit in the MANIFEST (fsynced; CURRENT switched durably when a new MANIFEST is
  // started) and installs current + edit as the current Version. Fills in the edit's next file
  // number and last sequence (and its log number, unless set).
  // REQUIRES: *lock holds the DB mutex; one call at a time. The lock is released during the
  // MANIFEST write and sync and held again on return.
  Status LogAndApply(VersionEdit* edit, std::unique_lock<std::mutex>* lock);

  // REQUIRES for the rest: the DB mutex held.
  Version* current() const { return current_; }
  uint64_t ManifestFileNumber() const { return manifest_file_number_; }
  // True after a failed LogAndApply until the next one succeeds: the failed edit may or may not
  // be durable, so files it added or removed are neither live nor safe to delete.
  bool ManifestUncertain() const { return manifest_uncertain_; }
  uint64_t NewFileNumber() { return next_file_number_++; }
  // The number NewFileNumber would return next (files numbered at or above it are newer than
  // anything the caller has seen).
  uint64_t NextFileNumber() const { return next_file_number_; }
  // Makes sure number is never handed out (a file found on disk during recovery).
  void MarkFileNumberUsed(uint64_t number) {
    if (next_file_number_ <= number) next_file_number_ = number + 1;
  }
  uint64_t LogNumber() const { return log_number_; }
  SequenceNumber LastSequence() const { return last_sequence_; }
  // REQUIRES: seq >= LastSequence().
  void SetLastSequence(SequenceNumber seq) { last_sequence_ = seq; }

  int num_levels() const { return options_->num_levels; }
  // Target size of a level (level >= 1).
  uint64_t MaxBytesForLevel(int level) const;
  // Bytes a compaction would have to move to bring every level back under its target (L0
  // counted when it has reached the trigger). An estimate for stats.
  uint64_t PendingCompactionBytes() const;
  bool NeedsCompaction() const { return current_->compaction_score_ >= 1; }

  // Adds the number of every file of every live Version to *live.
  void AddLiveFiles(std::set<uint64_t>* live) const;

  // The next size-triggered compaction, or nullptr when none is due. The caller owns it; it
  // holds a reference on the current Version until destroyed (under the DB mutex).
  std::unique_ptr<Compaction> PickCompaction();
  // A compaction of the files of level meeting [begin, end] (user keys, nullptr = unbounded;
  // with begin_exclusive, files ending at *begin are skipped) into level + 1, or, with in_place,
  // rewriting them within level (REQUIRES: level >= 1). nullptr when there are none. Ranges of
  // a level >= 1 are cut to a bounded piece; the caller repeats after the piece's largest key.
  std::unique_ptr<Compaction> CompactRange(int level, const std::string_view* begin,
                                           bool begin_exclusive, const std::string_view* end,
                                           bool in_place);

  const Options* options() const { return options_; }
  const InternalKeyComparator* icmp() const { return icmp_; }
  TableCache* table_cache() const { return table_cache_; }
  const std::string& dir() const { return dir_; }

 private:
  friend class Version;
  friend class VersionBuilder;
  friend class Compaction;

  // Computes the compaction score of v.
  void Finalize(Version* v) const;
  void AppendVersion(Version* v);
  // The comparator, compaction pointers and every file of current_, as one encoded edit.
  std::string EncodeSnapshot() const;
  // Fills inputs[1] and grandparents and updates the level's compaction pointer.
  void SetupOtherInputs(Compaction* c);

  const std::string dir_;
  const Options* const options_;
  TableCache* const table_cache_;
  const InternalKeyComparator* const icmp_;

  uint64_t next_file_number_ = 2;
  uint64_t manifest_file_number_ = 0;
  uint64_t log_number_ = 0;
  SequenceNumber last_sequence_ = 0;

  std::unique_ptr<wal::WalWriter> manifest_log_;  // null until the first LogAndApply
  bool manifest_uncertain_ = false;
  Version dummy_versions_;  // head of the circular list of live versions
  Version* current_ = nullptr;
  // Per level: the largest internal key of the last size compaction there (empty: start over).
  std::vector<std::string> compact_pointer_;
};

}  // namespace stash
