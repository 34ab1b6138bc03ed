#include "server/info.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "cmd/command_table.h"
#include "cmd/reply_util.h"
#include "cmd/session.h"
#include "server/server.h"
#include "util/clock.h"
#include "util/memory.h"

namespace stash {
namespace {

using Lines = std::string;

void Add(Lines* out, std::string_view key, const auto& value) {
  fmt::format_to(std::back_inserter(*out), "{}:{}\r\n", key, value);
}

// Redis's bytesToHuman: 1.50K, 2.00M ...
std::string Human(uint64_t n) {
  const char* units = "BKMGTP";
  double d = static_cast<double>(n);
  int u = 0;
  while (d >= 1024 && u < 5) {
    d /= 1024;
    u++;
  }
  if (u == 0) return fmt::format("{}B", n);
  return fmt::format("{:.2f}{}", d, units[u]);
}

const std::string& RunId() {
  static const std::string id = [] {
    std::string s;
    uint64_t x =
        static_cast<uint64_t>(getpid()) * 0x9e3779b97f4a7c15ull ^ static_cast<uint64_t>(NowMs());
    for (int i = 0; i < 40; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      s.push_back("0123456789abcdef"[x & 15]);
    }
    return s;
  }();
  return id;
}

void ServerSection(Server& srv, Lines* o) {
  struct utsname u;
  uname(&u);
  int64_t now = NowMs();
  int64_t up = (now - srv.start_time_ms()) / 1000;
  Add(o, "redis_version", kRedisVersion);
  Add(o, "stashd_version", kStashVersion);
  Add(o, "redis_git_sha1", "00000000");
  Add(o, "redis_mode", "standalone");
  Add(o, "os", fmt::format("{} {} {}", u.sysname, u.release, u.machine));
  Add(o, "arch_bits", 64);
  Add(o, "multiplexing_api", "epoll");
  Add(o, "process_id", getpid());
  Add(o, "run_id", RunId());
  Add(o, "tcp_port", srv.port());
  Add(o, "server_time_usec", now * 1000);
  Add(o, "uptime_in_seconds", up);
  Add(o, "uptime_in_days", up / 86400);
  Add(o, "hz", 10);
  Add(o, "io_threads_active", srv.config().Snapshot().io_threads > 1 ? 1 : 0);
  Add(o, "config_file", srv.config().file_path());
}

void ClientsSection(Server& srv, Lines* o) {
  Add(o, "connected_clients", srv.ClientCount());
  Add(o, "maxclients", srv.config().Snapshot().maxclients);
  Add(o, "blocked_clients", srv.Loading() ? 0 : srv.writer().blocking().count());
}

// Bytes the clients' buffers hold: replies not yet sent, read buffers, unparsed requests.
uint64_t ClientBytes(Server& srv) {
  uint64_t bytes = 0;
  for (const auto& c : srv.Connections())
    bytes += c->OutputBytes() + net::Connection::kReadBufferBytes;
  for (const auto& s : srv.Sessions()) bytes += s->QueryBytes();
  return bytes;
}

// Redis's fields (used_memory is what the allocator handed out), then where StashDB's memory
// goes: the parts memory-budget bounds (memtables, block cache, open tables) and the clients.
void MemorySection(Server& srv, Lines* o) {
  const AllocatorStats a = ReadAllocatorStats();
  const uint64_t rss = ProcessRssBytes();
  Add(o, "used_memory", a.allocated);
  Add(o, "used_memory_human", Human(a.allocated));
  Add(o, "used_memory_rss", rss);
  Add(o, "used_memory_rss_human", Human(rss));
  Add(o, "maxmemory", 0);
  Add(o, "maxmemory_human", "0B");
  Add(o, "allocator_allocated", a.allocated);
  Add(o, "allocator_active", a.active);
  Add(o, "allocator_resident", a.resident);
  Add(o, "allocator_retained", a.retained);
  Add(o, "mem_fragmentation_ratio",
      fmt::format("{:.2f}", a.allocated ? static_cast<double>(rss) / a.allocated : 0.0));
  Add(o, "mem_allocator", a.name);
  const uint64_t budget = static_cast<uint64_t>(srv.config().Snapshot().memory_budget);
  Add(o, "memory_budget", budget);
  Add(o, "memory_budget_human", Human(budget));
  Add(o, "used_memory_clients", ClientBytes(srv));
  if (srv.Loading()) return;  // the engine is not open yet
  const DbStats st = srv.store().engine()->GetStats();
  Add(o, "used_memory_memtables", st.memtable_bytes);
  Add(o, "used_memory_block_cache", st.block_cache_usage);
  Add(o, "block_cache_capacity", st.block_cache_capacity);
  Add(o, "used_memory_tables", st.table_memory);
  // Scripts: one Lua state for EVAL scripts and functions (script/engine.h).
  const script::Engine& lua = srv.writer().scripts();
  Add(o, "used_memory_lua", lua.memory());
  Add(o, "used_memory_lua_human", Human(lua.memory()));
  Add(o, "number_of_cached_scripts", lua.scripts());
  Add(o, "number_of_functions", lua.function_count());
  Add(o, "number_of_libraries", lua.library_count());
}

// While loading: Redis's loading_* fields, from the log replay's progress.
void LoadingFields(Server& srv, Lines* o) {
  Server::LoadingProgress p = srv.Progress();
  const int64_t now = NowMs();
  const double elapsed_s = std::max<int64_t>(now - p.start_time_ms, 1) / 1000.0;
  const double perc = p.total_bytes ? 100.0 * p.loaded_bytes / p.total_bytes : 0;
  const double rate = p.loaded_bytes / elapsed_s;
  const uint64_t left = p.total_bytes > p.loaded_bytes ? p.total_bytes - p.loaded_bytes : 0;
  Add(o, "loading", 1);
  Add(o, "async_loading", 0);
  Add(o, "loading_start_time", p.start_time_ms / 1000);
  Add(o, "loading_total_bytes", p.total_bytes);
  Add(o, "loading_loaded_bytes", p.loaded_bytes);
  Add(o, "loading_loaded_perc", fmt::format("{:.2f}", perc));
  Add(o, "loading_eta_seconds", rate > 0 ? static_cast<int64_t>(left / rate) : 1);
}

void PersistenceSection(Server& srv, Lines* o) {
  if (srv.Loading()) return LoadingFields(srv, o);
  DB* engine = srv.store().engine();
  DbStats st = engine->GetStats();
  Status bg = engine->BackgroundError();
  Add(o, "loading", 0);
  Add(o, "async_loading", 0);
  Add(o, "aof_enabled", 1);
  Add(o, "aof_rewrite_in_progress", 0);
  Add(o, "aof_last_write_status", bg.ok() ? "ok" : "err");
  Add(o, "aof_current_size", st.wal_live_bytes);
  Add(o, "stashd_appendfsync", srv.config().Snapshot().appendfsync);
  // The error refusing writes now ("" while writes are accepted), then the latest one ever,
  // kept after writes resumed.
  Add(o, "stashd_last_write_error", bg.ok() ? std::string() : bg.ToString());
  // What failed: "write-ahead log write", "table read (compaction)", ...
  // (DB::BackgroundErrorOrigin)
  Add(o, "stashd_last_write_error_origin",
      bg.ok() ? std::string() : engine->BackgroundErrorOrigin());
  Add(o, "stashd_write_errors", st.background_errors);
  Add(o, "stashd_last_io_error", st.last_background_error);
  Add(o, "stashd_last_io_error_origin", st.last_background_error_origin);
  Add(o, "stashd_last_io_error_time", st.last_background_error_micros / 1000000);
  Add(o, "stashd_write_resumes", st.resumes);
  Add(o, "stashd_wal_bytes_written", st.wal_bytes_written);
  Add(o, "stashd_wal_syncs", st.wal_syncs);
  Add(o, "stashd_last_recovery_time_ms", st.recovery_micros / 1000);
  Add(o, "stashd_recovered_logs", st.recovered_logs);
  Add(o, "stashd_recovered_batches", st.recovered_batches);
  Add(o, "stashd_recovered_bytes", st.recovered_bytes);
  Add(o, "stashd_torn_tail_dropped_bytes", st.torn_tail_dropped_bytes);
  Add(o, "stashd_last_sequence", st.last_sequence);
  Add(o, "rdb_changes_since_last_save", 0);
  Add(o, "rdb_bgsave_in_progress", 0);
  Add(o, "rdb_last_bgsave_status", "ok");
}

void StatsSection(Server& srv, Lines* o) {
  ServerStats& s = srv.stats();
  Add(o, "total_connections_received", s.total_connections_received.load());
  Add(o, "total_commands_processed", s.total_commands_processed.load());
  Add(o, "instantaneous_ops_per_sec", static_cast<int64_t>(s.InstantaneousOpsPerSec()));
  Add(o, "total_net_input_bytes", s.net_input_bytes.load());
  Add(o, "total_net_output_bytes", s.net_output_bytes.load());
  Add(o, "rejected_connections", s.rejected_connections.load());
  Add(o, "expired_keys", s.expired_keys.load());
  Add(o, "evicted_keys", 0);
  Add(o, "keyspace_hits", s.keyspace_hits.load());
  Add(o, "keyspace_misses", s.keyspace_misses.load());
  Add(o, "pubsub_channels", srv.pubsub().Count(pubsub::Kind::kChannel));
  Add(o, "pubsub_patterns", srv.pubsub().Count(pubsub::Kind::kPattern));
  Add(o, "pubsubshard_channels", srv.pubsub().Count(pubsub::Kind::kShard));
  Add(o, "total_error_replies", s.total_error_replies.load());
  Add(o, "client_output_buffer_limit_disconnections", s.client_output_limit_disconnections.load());
}

void ReplicationSection(Server&, Lines* o) {
  Add(o, "role", "master");
  Add(o, "connected_slaves", 0);
  Add(o, "master_replid", RunId());
  Add(o, "master_repl_offset", 0);
}

void CpuSection(Server&, Lines* o) {
  struct rusage self, children;
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  auto secs = [](const timeval& tv) { return fmt::format("{:.6f}", tv.tv_sec + tv.tv_usec / 1e6); };
  Add(o, "used_cpu_sys", secs(self.ru_stime));
  Add(o, "used_cpu_user", secs(self.ru_utime));
  Add(o, "used_cpu_sys_children", secs(children.ru_stime));
  Add(o, "used_cpu_user_children", secs(children.ru_utime));
}

void CommandStat(const CommandEntry& e, Lines* o) {
  uint64_t calls = e.calls.load(), usec = e.usec.load();
  if (calls == 0 && e.rejected_calls.load() == 0) return;
  Add(o, "cmdstat_" + e.fullname,
      fmt::format("calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}", calls,
                  usec, calls ? static_cast<double>(usec) / calls : 0.0, e.rejected_calls.load(),
                  e.failed_calls.load()));
}

void CommandstatsSection(Server& srv, Lines* o) {
  for (CommandEntry* e : srv.commands().All()) {
    CommandStat(*e, o);
    std::vector<const CommandEntry*> subs;
    for (auto& [name, sub] : e->subcommands) subs.push_back(sub.get());
    std::sort(subs.begin(), subs.end(), [](auto* a, auto* b) { return a->fullname < b->fullname; });
    for (const CommandEntry* sub : subs) CommandStat(*sub, o);
  }
}

// One line per error code replied since the last CONFIG RESETSTAT (cmd/stats.h), as Redis 7.0
// prints them: in byte order, with '#', ':', CR and LF in a code shown as '_'.
void ErrorstatsSection(Server& srv, Lines* o) {
  for (auto& [code, count] : srv.stats().ErrorCounts()) {
    std::string name = code;
    for (char& ch : name) {
      if (ch == '#' || ch == ':' || ch == '\r' || ch == '\n') ch = '_';
    }
    Add(o, "errorstat_" + name, fmt::format("count={}", count));
  }
}

void ClusterSection(Server&, Lines* o) { Add(o, "cluster_enabled", 0); }

// The engine's shape and work, for operators: memtable, files and bytes per level, compaction.
void EngineSection(Server& srv, Lines* o) {
  if (srv.Loading()) return;
  DbStats st = srv.store().engine()->GetStats();
  Add(o, "memtable_bytes", st.memtable_bytes);
  Add(o, "immutable_memtables", st.immutable_memtables);
  for (size_t level = 0; level < st.levels.size(); level++) {
    Add(o, fmt::format("level{}", level),
        fmt::format("files={},bytes={}", st.levels[level].files, st.levels[level].bytes));
  }
  Add(o, "pending_compaction_bytes", st.pending_compaction_bytes);
  Add(o, "flushes", st.flushes);
  Add(o, "compactions", st.compactions);
  Add(o, "compaction_bytes_read", st.compaction_bytes_read);
  Add(o, "compaction_bytes_written", st.compaction_bytes_written);
  // Disk space of flushed databases given back (FLUSHDB/FLUSHALL/SWAPDB, DB::ReclaimRanges).
  Add(o, "reclaim_pending", st.pending_reclaims);
  Add(o, "reclaimed_files", st.reclaimed_files);
  Add(o, "reclaimed_bytes", st.reclaimed_bytes);
  Add(o, "user_bytes_written", st.user_bytes_written);
  Add(o, "write_amplification", fmt::format("{:.2f}", st.write_amplification));
  Add(o, "stall_micros", st.stall_micros);
  Add(o, "block_cache_hits", st.block_cache_hits);
  Add(o, "block_cache_misses", st.block_cache_misses);
  Add(o, "block_cache_usage", st.block_cache_usage);
}
void EmptySection(Server&, Lines*) {}

// One line per database that holds keys, as Redis prints them.
void KeyspaceSection(Server& srv, Lines* o) {
  if (srv.Loading()) return;
  int64_t now = NowMs();
  for (int db = 0; db < srv.databases(); db++) {
    uint64_t keys, expires;
    if (!srv.store().DbSize(db, now, &keys, &expires).ok() || keys == 0) continue;
    Add(o, fmt::format("db{}", db),
        fmt::format("keys={},expires={},avg_ttl={}", keys, expires,
                    expires ? srv.store().AverageTtl(db, now, 64) : 0));
  }
}

struct Section {
  const char* name;   // lowercase, as INFO takes it
  const char* title;  // as printed
  void (*fn)(Server&, Lines*);
  bool in_default;
};

constexpr Section kSections[] = {
    {"server", "Server", ServerSection, true},
    {"clients", "Clients", ClientsSection, true},
    {"memory", "Memory", MemorySection, true},
    {"persistence", "Persistence", PersistenceSection, true},
    {"stats", "Stats", StatsSection, true},
    {"replication", "Replication", ReplicationSection, true},
    {"cpu", "CPU", CpuSection, true},
    {"modules", "Modules", EmptySection, true},
    {"commandstats", "Commandstats", CommandstatsSection, false},
    {"errorstats", "Errorstats", ErrorstatsSection, true},
    {"cluster", "Cluster", ClusterSection, true},
    {"engine", "Engine", EngineSection, false},
    {"keyspace", "Keyspace", KeyspaceSection, true},
};

}  // namespace

std::string BuildInfo(Server& server, const std::vector<std::string>& sections) {
  bool all = false, everything = false, defaults = sections.empty();
  for (const std::string& s : sections) {
    if (s == "all") all = true;
    if (s == "everything") everything = true;
    if (s == "default") defaults = true;
  }
  std::string out;
  for (const Section& sec : kSections) {
    bool wanted = everything || (all && std::string_view(sec.name) != "modules") ||
                  (defaults && sec.in_default) ||
                  std::find(sections.begin(), sections.end(), sec.name) != sections.end();
    if (!wanted) continue;
    if (!out.empty()) out += "\r\n";
    out += fmt::format("# {}\r\n", sec.title);
    sec.fn(server, &out);
  }
  return out;
}

}  // namespace stash
