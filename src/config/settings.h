// Settings: the typed values of every configuration option (conf/stashd.conf documents each).
// Config (config.h) owns the one live copy and guards it; code reads a snapshot.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace stash {

// client-output-buffer-limit for one client class: disconnect when pending output exceeds hard
// bytes, or stays above soft bytes for soft_seconds. 0 disables a limit.
struct OutputBufferLimit {
  int64_t hard_bytes = 0;
  int64_t soft_bytes = 0;
  int64_t soft_seconds = 0;
};

struct Settings {
  // Network and clients.
  int64_t port = 6379;
  std::vector<std::string> bind = {"127.0.0.1"};
  int64_t maxclients = 10000;
  int64_t timeout = 0;  // seconds idle before a client is closed; 0 = never
  int64_t tcp_keepalive = 300;
  int64_t io_threads = 1;
  std::string requirepass;
  // Protocol limits.
  int64_t proto_max_bulk_len = 512ll << 20;
  int64_t client_query_buffer_limit = 1ll << 30;
  OutputBufferLimit output_limit_normal;
  OutputBufferLimit output_limit_replica{256ll << 20, 64ll << 20, 60};
  OutputBufferLimit output_limit_pubsub{32ll << 20, 8ll << 20, 60};
  // Keyspace notifications: NotifyFlag bits (config/notify_flags.h); 0 = none.
  uint32_t notify_keyspace_events = 0;
  // Logging.
  std::string loglevel = "notice";
  std::string logfile;  // "" = standard output
  // Data.
  std::string dir = "./data";
  int64_t databases = 16;
  std::string appendfsync = "everysec";  // always | everysec | no
  // Memory: the engine's memtables, block cache and open tables stay within this (0 = no
  // budget; the lsm sizes below then default to 64mb memtables and a 256mb block cache).
  int64_t memory_budget = 256ll << 20;
  // Engine (lsm-*). A size of 0 is derived from memory-budget (engine_memory.h).
  int64_t lsm_memtable_size = 0;
  int64_t lsm_max_immutable_memtables = 1;
  int64_t lsm_block_size = 4096;
  std::string lsm_compression = "zstd";  // zstd | none
  int64_t lsm_compression_level = 3;
  int64_t lsm_compression_min_level = 2;
  int64_t lsm_bloom_bits_per_key = 10;
  int64_t lsm_block_cache_size = 0;
  int64_t lsm_max_open_files = 1000;
  int64_t lsm_target_file_size = 64ll << 20;
  int64_t lsm_l1_size = 256ll << 20;
  int64_t lsm_reclaim_rate = 64ll << 20;    // bytes per second; 0 = unlimited
  std::string lsm_wal_recovery = "strict";  // strict | point-in-time
  // Redis's persistence and encoding parameters: kept and reported for tools and test suites
  // that set them; StashDB's layout and durability do not depend on them (OBJECT ENCODING
  // reports Redis's encoding name for a collection's size with these thresholds).
  std::string save;  // "" or "seconds changes ..." pairs
  int64_t hash_max_listpack_entries = 512;
  int64_t hash_max_listpack_value = 64;
  int64_t set_max_intset_entries = 512;
  int64_t set_max_listpack_entries = 128;
  int64_t set_max_listpack_value = 64;
  int64_t list_max_listpack_size = -2;
  int64_t list_compress_depth = 0;
  int64_t zset_max_listpack_entries = 128;
  int64_t zset_max_listpack_value = 64;
  // A script running longer makes other clients get BUSY (cmd/script_commands.cc).
  int64_t busy_reply_threshold = 5000;
};

}  // namespace stash
