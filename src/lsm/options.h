// Options: how a DB is opened and tuned (Options), and per-call knobs (ReadOptions,
// WriteOptions). The server maps its config file (lsm-* options, appendfsync) onto Options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "lsm/comparator.h"
#include "lsm/table_options.h"
#include "util/env.h"
#include "wal/wal_reader.h"

namespace stash {

class Snapshot;

// When the WAL is fsynced (the Redis appendfsync setting).
enum class AppendFsync {
  kAlways,    // every write group is fdatasynced before it is acknowledged
  kEverySec,  // a background thread fdatasyncs the WAL once a second
  kNo,        // never fsync; the OS decides
};

// A hook consulted by compaction for every value it would keep whose sequence number is at or
// below the oldest live snapshot (so every reader already sees this value or a newer one).
// Returning true removes the value: it becomes a deletion marker (or vanishes entirely when no
// deeper level can hold the key), so older versions never come back.
//
// Thread-safety: called from the background compaction thread, concurrently with everything
// else; the object must outlive the DB.
class CompactionFilter {
 public:
  virtual ~CompactionFilter() = default;
  // level: the level the compaction writes to. now_ms: wall-clock time the compaction started.
  // smallest_snapshot: the oldest sequence any reader may still read at (the entry itself is
  // at or below it); a filter whose verdict depends on a commit must wait until that commit is
  // at or below it, or an older snapshot could lose what it still sees.
  virtual bool Drop(int level, std::string_view user_key, std::string_view value, uint64_t now_ms,
                    uint64_t smallest_snapshot) = 0;
  // Whether every key in the user-key range [begin, end) is garbage for good: Drop returns true
  // for every value there, now and for every value written there later, and no reader looks up
  // a key of the range any more (so a deletion there may vanish together with what it hides).
  // True lets DB::ReclaimRanges delete the tables lying inside the range without reading them;
  // false (the default) makes it rewrite them through Drop like any other table.
  virtual bool DropsRange(std::string_view begin, std::string_view end) {
    (void)begin;
    (void)end;
    return false;
  }
};

struct Options {
  // Order of user keys. Must stay the same across opens of one directory.
  const Comparator* comparator = BytewiseComparator();
  // File layer; not owned, must outlive the DB.
  Env* env = Env::Default();
  // Receives one line per startup/recovery/compaction event (no trailing newline). May be empty.
  // Called from the opening thread and from background threads, never concurrently.
  std::function<void(std::string_view)> info_log;
  // Not owned; may be null. See CompactionFilter.
  CompactionFilter* compaction_filter = nullptr;

  bool create_if_missing = true;
  bool error_if_exists = false;

  // lsm-memtable-size: bytes of memtable before it becomes immutable and a new one starts.
  size_t memtable_size = 64 << 20;
  // Immutable memtables waiting for a flush before writes stop.
  int max_immutable_memtables = 2;

  // SSTable layout.
  size_t block_size = 4096;
  int block_restart_interval = 8;
  TableOptions::Compression compression = TableOptions::Compression::kZstd;
  int compression_level = 3;
  // Tables of levels below this one are written without compression whatever `compression` says
  // (as RocksDB's common setting for L0/L1): the recent, often-read and soon-rewritten data costs
  // no compression on every flush and compaction into it, nor decompression on reads.
  int compression_min_level = 2;
  // 0 disables bloom filters.
  int bloom_bits_per_key = 10;
  // Bytes of uncompressed blocks kept in the shared LRU block cache.
  size_t block_cache_size = size_t{256} << 20;
  // When true, block_cache_size also covers the open tables' index blocks and filters (which
  // grow with the data): the block cache gets what they leave, at least an eighth of it. So
  // the memory of blocks and tables together stays within block_cache_size at any data size.
  bool block_cache_includes_tables = false;
  // Size of the table cache (open SSTables).
  int max_open_files = 1000;

  // Leveled compaction shape.
  int l0_compaction_trigger = 4;  // L0 files that start an L0->L1 compaction
  // RocksDB's defaults: room for bursts while one compaction thread catches up, and bigger
  // L0->L1 compactions then (less rewriting of L1 per byte flushed). With LevelDB's 8/12
  // fillrandom of 10M keys ran ~16% slower (stash_bench, same run).
  int l0_slowdown_trigger = 20;  // L0 files at which each write group is delayed ~1 ms
  int l0_stop_trigger = 36;      // L0 files at which writes wait for compaction
  int level_size_multiplier = 10;
  int num_levels = 7;
  uint64_t target_file_size = uint64_t{64} << 20;
  uint64_t max_bytes_for_level_base = uint64_t{256} << 20;  // L1 target size
  // lsm-reclaim-rate: average bytes per second (read + written) that DB::ReclaimRanges spends
  // rewriting tables; it pauses between tables to stay under it. 0 = no limit.
  uint64_t reclaim_bytes_per_second = uint64_t{64} << 20;

  AppendFsync appendfsync = AppendFsync::kEverySec;
  // kStrict: any damaged batch other than a torn tail of the newest log refuses to open.
  // kPointInTime: recovery stops at the first damaged batch and keeps what came before it.
  wal::RecoveryMode wal_recovery = wal::RecoveryMode::kStrict;
  // How often a long log replay at open reports its progress to info_log.
  uint64_t replay_progress_interval_micros = 1000000;
  // Called (if set) on the opening thread after each replayed batch with the bytes of the logs
  // replayed so far and of all the logs to replay, e.g. for INFO's loading fields.
  std::function<void(uint64_t done_bytes, uint64_t total_bytes)> replay_progress;
};

struct ReadOptions {
  // Read at this snapshot (from this DB's GetSnapshot); null reads the latest state.
  const Snapshot* snapshot = nullptr;
};

struct WriteOptions {
  // fdatasync the WAL before acknowledging, whatever appendfsync says.
  bool sync = false;
};

}  // namespace stash
