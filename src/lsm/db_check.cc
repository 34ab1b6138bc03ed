#include "lsm/db_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "lsm/dbformat.h"
#include "lsm/filename.h"
#include "lsm/log_sequence.h"
#include "lsm/table_cache.h"
#include "lsm/version_set.h"
#include "wal/wal_reader.h"

namespace stash {
namespace {

void CheckTables(const VersionSet& versions, TableCache* cache, const InternalKeyComparator& icmp,
                 const std::string& dir, const std::function<void(std::string_view)>& say,
                 CheckReport* report) {
  Version* v = versions.current();
  for (int level = 0; level < v->num_levels(); level++) {
    for (const auto& f : v->files(level)) {
      report->tables++;
      std::string name = TableFileName(dir, f->number);
      std::unique_ptr<Iterator> it = cache->NewIterator(f->number, f->file_size,
                                                        /*fill_cache=*/false);
      std::string prev, first;
      uint64_t n = 0;
      bool ordered = true;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (n == 0) first.assign(it->key());
        if (n > 0 && icmp.Compare(prev, it->key()) >= 0) ordered = false;
        prev.assign(it->key());
        n++;
      }
      report->table_entries += n;
      if (!it->status().ok()) {
        report->problems++;
        say(fmt::format("DAMAGED  {} (level {}): {}", name, level, it->status().ToString()));
      } else if (!ordered) {
        report->problems++;
        say(fmt::format("DAMAGED  {} (level {}): keys out of order", name, level));
      } else if (n > 0 && (first != f->smallest || prev != f->largest)) {
        report->problems++;
        say(fmt::format("DAMAGED  {} (level {}): key range differs from the MANIFEST's", name,
                        level));
      } else {
        say(fmt::format("ok       {} (level {}, {} entries)", name, level, n));
      }
    }
  }
}

void CheckLogs(Env* env, const std::string& dir, uint64_t min_log,
               const std::function<void(std::string_view)>& say, CheckReport* report) {
  std::vector<std::string> children;
  if (!env->GetChildren(dir, &children).ok()) return;
  std::vector<uint64_t> logs;
  for (const std::string& child : children) {
    uint64_t number;
    FileType type;
    if (ParseFileName(child, &number, &type) && type == FileType::kLogFile && number >= min_log) {
      logs.push_back(number);
    }
  }
  std::sort(logs.begin(), logs.end());
  SequenceNumber next_sequence = 0;
  for (size_t i = 0; i < logs.size(); i++) {
    report->logs++;
    std::string name = LogFileName(dir, logs[i]);
    std::unique_ptr<SequentialFile> file;
    Status s = env->NewSequentialFile(name, &file);
    if (!s.ok()) {
      report->problems++;
      say(fmt::format("DAMAGED  {}: {}", name, s.ToString()));
      continue;
    }
    bool newest = i + 1 == logs.size();
    wal::WalReader reader(std::move(file), name, newest, wal::RecoveryMode::kStrict);
    wal::WalBatch batch;
    uint64_t batches = 0;
    Status sequence;
    while (sequence.ok() && reader.ReadBatch(&batch)) {
      batches++;
      sequence = CheckBatchSequence(name, batch, &next_sequence);
    }
    report->log_batches += batches;
    if (!sequence.ok()) {
      report->problems++;
      say(fmt::format("DAMAGED  {}: {}", name, sequence.ToString()));
    } else if (!reader.status().ok()) {
      report->problems++;
      say(fmt::format("DAMAGED  {}: {}", name, reader.status().ToString()));
    } else if (reader.DroppedTornTail()) {
      say(fmt::format(
          "ok       {} ({} batches; torn tail of {} bytes at offset {} will be "
          "dropped: {})",
          name, batches, reader.DroppedBytes(), reader.LastGoodOffset(), reader.DropReason()));
    } else {
      say(fmt::format("ok       {} ({} batches)", name, batches));
    }
  }
}

}  // namespace

Status CheckDatabase(const Options& options, const std::string& dir,
                     const std::function<void(std::string_view)>& say, CheckReport* report) {
  Env* env = options.env;
  std::unique_ptr<FileLock> lock;
  STASH_RETURN_IF_ERROR(env->LockFile(LockFileName(dir), &lock));
  InternalKeyComparator icmp(options.comparator);
  TableOptions topts;
  topts.comparator = &icmp;
  topts.verify_checksums = true;
  TableCache cache(dir, &topts, env, 64);
  VersionSet versions(dir, &options, &cache, &icmp);
  Status s = versions.Recover();
  if (!s.ok()) {
    report->problems++;
    say(fmt::format("DAMAGED  CURRENT/MANIFEST: {}", s.ToString()));
    return Status::OK();
  }
  say(fmt::format("ok       {} (last sequence {}, log number {})",
                  DescriptorFileName(dir, versions.ManifestFileNumber()), versions.LastSequence(),
                  versions.LogNumber()));
  CheckTables(versions, &cache, icmp, dir, say, report);
  CheckLogs(env, dir, versions.LogNumber(), say, report);
  return Status::OK();
}

}  // namespace stash
