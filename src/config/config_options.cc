// The option table: one row per option, in the order CONFIG GET * lists them. conf/stashd.conf
// documents each one; keep the two in step.
#include <fmt/format.h>

#include <cctype>

#include "config/config.h"
#include "config/config_parse.h"
#include "config/notify_flags.h"
#include "util/strings.h"

namespace stash {
namespace {

using Words = std::vector<std::string>;

bool OneWord(const Words& a, std::string* why) {
  if (a.size() == 1) return true;
  *why = "wrong number of arguments";
  return false;
}

// A number option: parse reads the word (plain integer or memory units), bad_format is Redis's
// reason when it cannot.
ConfigOption Number(const char* name, int64_t Settings::*field, int64_t min, int64_t max,
                    bool runtime, const char* help, bool (*parse)(std::string_view, int64_t*),
                    const char* bad_format) {
  return {name, runtime, help,
          [=](Settings& s, const Words& a, std::string* why) {
            if (!OneWord(a, why)) return false;
            int64_t v;
            if (!parse(a[0], &v)) {
              *why = bad_format;
              return false;
            }
            if (v < min || v > max) {
              *why = fmt::format("argument must be between {} and {} inclusive", min, max);
              return false;
            }
            s.*field = v;
            return true;
          },
          [=](const Settings& s) { return std::to_string(s.*field); }};
}

ConfigOption Int(const char* name, int64_t Settings::*field, int64_t min, int64_t max, bool runtime,
                 const char* help) {
  return Number(name, field, min, max, runtime, help, ParseInt64,
                "argument couldn't be parsed into an integer");
}

ConfigOption Memory(const char* name, int64_t Settings::*field, int64_t min, int64_t max,
                    bool runtime, const char* help) {
  return Number(name, field, min, max, runtime, help, ParseMemory,
                "argument must be a memory value");
}

ConfigOption String(const char* name, std::string Settings::*field, bool runtime,
                    const char* help) {
  return {name, runtime, help,
          [=](Settings& s, const Words& a, std::string* why) {
            if (!OneWord(a, why)) return false;
            s.*field = a[0];
            return true;
          },
          [=](const Settings& s) { return s.*field; }};
}

ConfigOption Enum(const char* name, std::string Settings::*field, std::vector<std::string> values,
                  bool runtime, const char* help) {
  return {name, runtime, help,
          [=](Settings& s, const Words& a, std::string* why) {
            if (!OneWord(a, why)) return false;
            std::string v = a[0];
            AsciiLowerInPlace(&v);
            for (const std::string& allowed : values) {
              if (v == allowed) {
                s.*field = v;
                return true;
              }
            }
            *why = fmt::format("argument(s) must be one of the following: {}",
                               fmt::join(values, ", "));
            return false;
          },
          [=](const Settings& s) { return s.*field; }};
}

// A fixed value StashDB reports for clients that ask (redis-benchmark asks for save and
// appendonly); setting it to anything else is refused.
ConfigOption Fixed(const char* name, const char* value, const char* help) {
  return {name, false, help,
          [=](Settings&, const Words& a, std::string* why) {
            std::string joined = fmt::format("{}", fmt::join(a, " "));
            if (joined == value) return true;
            *why = fmt::format("StashDB supports only '{}' here", value);
            return false;
          },
          [=](const Settings&) { return std::string(value); }};
}

bool ParseLimitClass(const Words& a, size_t at, OutputBufferLimit* limit, std::string* why) {
  int64_t hard, soft, secs;
  if (!ParseMemory(a[at + 1], &hard) || !ParseMemory(a[at + 2], &soft) ||
      !ParseInt64(a[at + 3], &secs) || hard < 0 || soft < 0 || secs < 0) {
    *why = "Wrong client output buffer limit value";
    return false;
  }
  *limit = {hard, soft, secs};
  return true;
}

ConfigOption OutputLimits() {
  return {"client-output-buffer-limit", true,
          "<class> <hard> <soft> <soft-seconds> ...; classes normal, replica, pubsub",
          [](Settings& s, const Words& a, std::string* why) {
            if (a.empty() || a.size() % 4 != 0) {
              *why = "Wrong number of arguments in buffer limit configuration.";
              return false;
            }
            Settings next = s;
            for (size_t i = 0; i < a.size(); i += 4) {
              std::string cls = a[i];
              OutputBufferLimit* target = nullptr;
              if (cls == "normal")
                target = &next.output_limit_normal;
              else if (cls == "replica" || cls == "slave")
                target = &next.output_limit_replica;
              else if (cls == "pubsub")
                target = &next.output_limit_pubsub;
              if (target == nullptr) {
                *why = "Invalid client class specified in buffer limit configuration.";
                return false;
              }
              if (!ParseLimitClass(a, i, target, why)) return false;
            }
            s = next;
            return true;
          },
          [](const Settings& s) {
            auto f = [](const char* cls, const OutputBufferLimit& l) {
              return fmt::format("{} {} {} {}", cls, l.hard_bytes, l.soft_bytes, l.soft_seconds);
            };
            return fmt::format("{} {} {}", f("normal", s.output_limit_normal),
                               f("slave", s.output_limit_replica),
                               f("pubsub", s.output_limit_pubsub));
          }};
}

ConfigOption NotifyKeyspaceEvents() {
  return {"notify-keyspace-events", true,
          "keyspace notification classes (letters K E g $ l s h z x e t m d n A)",
          [](Settings& s, const Words& a, std::string* why) {
            if (!OneWord(a, why)) return false;
            if (!ParseNotifyFlags(a[0], &s.notify_keyspace_events)) {
              *why = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
              return false;
            }
            return true;
          },
          [](const Settings& s) { return FormatNotifyFlags(s.notify_keyspace_events); }};
}

ConfigOption Bind() {
  return {"bind", false, "addresses to listen on",
          [](Settings& s, const Words& a, std::string* why) {
            if (a.empty()) {
              *why = "at least one address is needed";
              return false;
            }
            s.bind = a;
            return true;
          },
          [](const Settings& s) { return fmt::format("{}", fmt::join(s.bind, " ")); }};
}

// save: Redis's RDB schedule ("" or pairs of seconds and changes), kept and reported.
ConfigOption SaveOption() {
  return {"save", true, "RDB schedule: kept and reported; StashDB logs every write",
          [](Settings& s, const Words& a, std::string* why) {
            bool valid = a.size() % 2 == 0;
            for (const std::string& w : a) {
              int64_t v;
              valid = valid && ParseInteger(w, &v) && v >= 0;
            }
            if (a.size() == 1 && a[0].empty()) valid = true;
            if (!valid) {
              *why = "Invalid save parameters";
              return false;
            }
            s.save = a.size() == 1 ? a[0] : fmt::format("{}", fmt::join(a, " "));
            return true;
          },
          [](const Settings& s) { return s.save; }};
}

constexpr int64_t kMaxInt = 2147483647;
constexpr int64_t kMaxLong = INT64_MAX;

}  // namespace

const std::vector<ConfigOption>& ConfigOptions() {
  static const std::vector<ConfigOption> table = {
      Int("port", &Settings::port, 0, 65535, false, "TCP port"),
      Bind(),
      String("dir", &Settings::dir, false, "data directory"),
      Int("databases", &Settings::databases, 1, 1024, false, "number of databases"),
      String("requirepass", &Settings::requirepass, true, "password for AUTH; empty = none"),
      Int("maxclients", &Settings::maxclients, 1, 1000000, true, "max connected clients"),
      Int("timeout", &Settings::timeout, 0, kMaxInt, true, "idle seconds before close; 0 = never"),
      Int("tcp-keepalive", &Settings::tcp_keepalive, 0, kMaxInt, true, "SO_KEEPALIVE seconds"),
      Int("io-threads", &Settings::io_threads, 1, 128, false, "network I/O threads"),
      Memory("proto-max-bulk-len", &Settings::proto_max_bulk_len, 1024 * 1024, kMaxLong, true,
             "largest bulk string accepted"),
      Memory("client-query-buffer-limit", &Settings::client_query_buffer_limit, 1024 * 1024,
             kMaxLong, true, "largest unfinished command buffered"),
      OutputLimits(),
      NotifyKeyspaceEvents(),
      Enum("loglevel", &Settings::loglevel, {"debug", "verbose", "notice", "warning"}, true,
           "log verbosity"),
      String("logfile", &Settings::logfile, false, "log file; empty = standard output"),
      Enum("appendfsync", &Settings::appendfsync, {"always", "everysec", "no"}, false,
           "WAL fsync policy"),
      Fixed("appendonly", "yes", "StashDB always writes its log"),
      SaveOption(),
      Memory("memory-budget", &Settings::memory_budget, 0, kMaxLong, false,
             "memtables + block cache + open tables; 0 = no budget"),
      Memory("lsm-memtable-size", &Settings::lsm_memtable_size, 0, kMaxLong, false,
             "memtable size before it is flushed; 0 = an eighth of memory-budget"),
      Int("lsm-max-immutable-memtables", &Settings::lsm_max_immutable_memtables, 1, 64, false,
          "memtables waiting for flush before writes stall"),
      Memory("lsm-block-size", &Settings::lsm_block_size, 64, 1 << 30, false, "SSTable block size"),
      Enum("lsm-compression", &Settings::lsm_compression, {"zstd", "none"}, false,
           "block compression"),
      Int("lsm-compression-level", &Settings::lsm_compression_level, -7, 22, false, "zstd level"),
      Int("lsm-compression-min-level", &Settings::lsm_compression_min_level, 0, 7, false,
          "levels below this one are written uncompressed"),
      Int("lsm-bloom-bits-per-key", &Settings::lsm_bloom_bits_per_key, 0, 64, false,
          "bloom filter bits per key; 0 = no filter"),
      Memory("lsm-block-cache-size", &Settings::lsm_block_cache_size, 0, kMaxLong, false,
             "block cache capacity; 0 = what memory-budget leaves"),
      Int("lsm-max-open-files", &Settings::lsm_max_open_files, 16, 1000000, false,
          "SSTables kept open"),
      Memory("lsm-target-file-size", &Settings::lsm_target_file_size, 1024, kMaxLong, false,
             "SSTable target size"),
      Memory("lsm-l1-size", &Settings::lsm_l1_size, 1024, kMaxLong, false, "level 1 target size"),
      Memory("lsm-reclaim-rate", &Settings::lsm_reclaim_rate, 0, kMaxLong, false,
             "bytes per second spent rewriting tables of flushed databases; 0 = no limit"),
      Int("hash-max-listpack-entries", &Settings::hash_max_listpack_entries, 0, kMaxLong, true,
          "OBJECT ENCODING's listpack bound for hashes (no effect on the layout)"),
      Int("hash-max-ziplist-entries", &Settings::hash_max_listpack_entries, 0, kMaxLong, true,
          "alias of hash-max-listpack-entries"),
      Int("hash-max-listpack-value", &Settings::hash_max_listpack_value, 0, kMaxLong, true,
          "kept for Redis tools (no effect on the layout)"),
      Int("hash-max-ziplist-value", &Settings::hash_max_listpack_value, 0, kMaxLong, true,
          "alias of hash-max-listpack-value"),
      Int("set-max-intset-entries", &Settings::set_max_intset_entries, 0, kMaxLong, true,
          "OBJECT ENCODING's intset bound for sets (no effect on the layout)"),
      Int("set-max-listpack-entries", &Settings::set_max_listpack_entries, 0, kMaxLong, true,
          "kept for Redis tools (no effect on the layout)"),
      Int("set-max-listpack-value", &Settings::set_max_listpack_value, 0, kMaxLong, true,
          "kept for Redis tools (no effect on the layout)"),
      Int("list-max-listpack-size", &Settings::list_max_listpack_size, INT32_MIN, INT32_MAX, true,
          "kept for Redis tools (no effect on the layout: store/list.h)"),
      Int("list-max-ziplist-size", &Settings::list_max_listpack_size, INT32_MIN, INT32_MAX, true,
          "alias of list-max-listpack-size"),
      Int("list-compress-depth", &Settings::list_compress_depth, 0, INT32_MAX, true,
          "kept for Redis tools (no effect on the layout)"),
      Int("zset-max-listpack-entries", &Settings::zset_max_listpack_entries, 0, kMaxLong, true,
          "kept for Redis tools (no effect on the layout)"),
      Int("zset-max-ziplist-entries", &Settings::zset_max_listpack_entries, 0, kMaxLong, true,
          "alias of zset-max-listpack-entries"),
      Int("zset-max-listpack-value", &Settings::zset_max_listpack_value, 0, kMaxLong, true,
          "kept for Redis tools (no effect on the layout)"),
      Int("zset-max-ziplist-value", &Settings::zset_max_listpack_value, 0, kMaxLong, true,
          "alias of zset-max-listpack-value"),
      Int("busy-reply-threshold", &Settings::busy_reply_threshold, 0, kMaxLong, true,
          "ms a script runs before other clients get BUSY and SCRIPT KILL may stop it"),
      Int("lua-time-limit", &Settings::busy_reply_threshold, 0, kMaxLong, true,
          "alias of busy-reply-threshold"),
      Enum("lsm-wal-recovery", &Settings::lsm_wal_recovery, {"strict", "point-in-time"}, false,
           "strict = refuse to start on a corrupt log; point-in-time = keep the good prefix"),
  };
  return table;
}

}  // namespace stash
