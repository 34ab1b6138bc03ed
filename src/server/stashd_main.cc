// stashd [CONFIG_FILE] [--name value ...]: every configuration option is also a flag, and a flag
// overrides the file. Multi-word values (bind, client-output-buffer-limit) are one quoted flag
// argument: --bind "127.0.0.1 ::1".
// stashd --check DIR: verifies a data directory offline (exit 0 sound, 1 damaged, 2 not checked).
#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>

#include "cmd/reply_util.h"
#include "config/config.h"
#include "config/config_parse.h"
#include "lsm/db_check.h"
#include "server/open_files.h"
#include "server/server.h"
#include "util/env.h"
#include "util/log.h"

namespace {

int Fatal(const std::string& what) {
  std::fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (StashDB %s) ***\n%s\n", stash::kStashVersion,
               what.c_str());
  return 1;
}

// stashd --check: prints one line per log, SSTable and MANIFEST, then a verdict.
int CheckDirectory(const std::string& dir) {
  stash::Options options;
  stash::CheckReport report;
  stash::Status s = stash::CheckDatabase(
      options, dir,
      [](std::string_view line) {
        std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
      },
      &report);
  if (!s.ok()) {
    std::printf("not checked: %s\n", s.ToString().c_str());
    return 2;
  }
  std::printf("%s: %d tables (%llu entries), %d logs (%llu batches), %d problems\n",
              report.problems == 0 ? "SOUND" : "DAMAGED", report.tables,
              static_cast<unsigned long long>(report.table_entries), report.logs,
              static_cast<unsigned long long>(report.log_batches), report.problems);
  return report.problems == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace stash;
  CLI::App app{"StashDB: a Redis-protocol server that keeps its data in its own LSM tree"};
  app.set_version_flag("--version",
                       fmt::format("stashd {} (Redis protocol {})", kStashVersion, kRedisVersion));
  std::string config_file;
  app.add_option("config_file", config_file, "redis.conf-style configuration file");
  std::string check_dir;
  app.add_option("--check", check_dir,
                 "verify the data directory DIR offline (logs, SSTables, MANIFEST) and exit");
  std::map<std::string, std::string> flags;
  for (const ConfigOption& opt : ConfigOptions()) {
    app.add_option("--" + opt.name, flags[opt.name], opt.help);
  }
  CLI11_PARSE(app, argc, argv);
  if (!check_dir.empty()) return CheckDirectory(check_dir);

  Config config;
  if (!config_file.empty()) {
    Status s = config.LoadFile(config_file);
    if (!s.ok()) return Fatal(s.message());
  }
  for (const ConfigOption& opt : ConfigOptions()) {
    if (app.count("--" + opt.name) == 0) continue;
    std::vector<std::string> words;
    if (!SplitConfigArgs(flags[opt.name], &words) || words.empty()) words = {flags[opt.name]};
    Status s = config.Apply(opt.name, words);
    if (!s.ok()) return Fatal(fmt::format("command line: --{}: {}", opt.name, s.message()));
  }

  Settings settings = config.Snapshot();
  log::Level level;
  if (log::ParseLevel(settings.loglevel, &level)) log::SetLevel(level);
  if (!settings.logfile.empty()) {
    Status s = log::SetFile(settings.logfile);
    if (!s.ok()) return Fatal(s.ToString());
  }
  log::Notice("oO0OoO0OoO0Oo StashDB is starting oO0OoO0OoO0Oo");
  log::Notice("StashDB version={}, redis_version={}, bits=64, pid={}, just started", kStashVersion,
              kRedisVersion, getpid());
  if (config_file.empty()) {
    log::Notice("No config file specified, using the defaults and flags");
  } else {
    log::Notice("Configuration loaded from {}", config_file);
  }

  Status s = AdjustOpenFilesLimit(config);
  if (!s.ok()) {
    log::Warning("{}", s.message());
    return 1;
  }
  s = Env::Default()->CreateDirIfMissing(settings.dir);
  if (!s.ok()) {
    log::Warning("Can't create the data directory {}: {}", settings.dir, s.ToString());
    return 1;
  }
  Server server(config);
  s = server.Start();
  if (!s.ok()) {
    log::Warning("{}", s.message());
    return 1;
  }
  log::Notice("StashDB {} running: port {}, bind {}, dir {}, pid {}, io-threads {}", kStashVersion,
              server.port(), fmt::join(settings.bind, " "), settings.dir, getpid(),
              settings.io_threads);
  return server.Run();
}
