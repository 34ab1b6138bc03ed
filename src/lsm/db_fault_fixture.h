// FaultEnvDBTest: a GoogleTest fixture running a DB on FaultInjectionEnv, for the crash, error
// and Resume tests: options with an info log it keeps, Open, a simulated power loss, and helpers
// that look at the log and the directory.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/db_testutil.h"
#include "lsm/filename.h"
#include "util/fault_env.h"

namespace stash::test {

class FaultEnvDBTest : public ::testing::Test {
 protected:
  // The DB's background thread logs into log_: close it before the members it writes to go.
  // (Regression: TSan saw the fixture's log_ destroyed while a compaction still logged.)
  void TearDown() override { db_.reset(); }

  Options Opts(AppendFsync mode) {
    Options o = TinyOptions();
    o.env = &env_;
    o.appendfsync = mode;
    o.info_log = [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.emplace_back(line);
    };
    return o;
  }
  Status Open(const Options& o) {
    db_.reset();
    return DB::Open(o, dir_.path(), &db_);
  }
  // Kills the DB as a power loss would: nothing it does from now on reaches the disk, and what
  // was not synced is gone.
  void Crash() {
    env_.CrashAfterOps(0);
    db_.reset();
    ASSERT_TRUE(env_.SimulateCrash().ok());
  }
  bool LogMentions(std::string_view text) {
    std::lock_guard<std::mutex> lock(log_mu_);
    for (const auto& line : log_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }
  // The names in the DB directory, sorted.
  std::vector<std::string> Files() {
    std::vector<std::string> names;
    EXPECT_TRUE(Env::Default()->GetChildren(dir_.path(), &names).ok());
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string NewestLog() {
    std::vector<std::string> names;
    EXPECT_TRUE(Env::Default()->GetChildren(dir_.path(), &names).ok());
    uint64_t best = 0;
    for (const auto& name : names) {
      uint64_t n;
      FileType t;
      if (ParseFileName(name, &n, &t) && t == FileType::kLogFile && n > best) best = n;
    }
    return LogFileName(dir_.path(), best);
  }

  TempDir dir_{"dbr"};
  // Durability is what FaultInjectionEnv tracks; the real fsyncs underneath would only be slow.
  FaultInjectionEnv env_{SyncFreeEnv::Get()};
  std::unique_ptr<DB> db_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

}  // namespace stash::test
