// WriterTest: the fixture of tests that run commands through the real Writer (writer.h): a
// Store on tiny sizes over a FaultInjectionEnv, the command table, and Submit/Run of one request
// (a pipeline of writes, or a queued transaction) with its replies.
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "cmd/command_table.h"
#include "cmd/stats.h"
#include "cmd/watch.h"
#include "cmd/writer.h"
#include "lsm/db_testutil.h"
#include "store/store.h"
#include "util/fault_env.h"

namespace stash {

using Commands = std::vector<std::vector<std::string>>;

class WriterTest : public testing::Test {
 protected:
  // Opens the store (TinyOptions on env_, adjusted by the caller) and makes a writer; Start()
  // is left to the test, so that requests submitted before it form one group.
  WriterTest(const std::string& tag, Options options = test::TinyOptions()) : dir_(tag) {
    options.env = &env_;
    Status s = store::Store::Open(options, dir_.path(), 4, &store_);
    EXPECT_TRUE(s.ok()) << s.ToString();
    writer_ = std::make_unique<Writer>(*store_, stats_);
  }
  ~WriterTest() override {
    env_.ClearErrors();
    writer_->Stop();
  }

  std::future<std::string> Submit(const Commands& commands, bool exec = false,
                                  std::shared_ptr<WatchState> watch = nullptr, int proto = 2) {
    auto req = std::make_unique<WriteRequest>();
    req->proto = proto;
    req->exec = exec;
    req->watch = std::move(watch);
    for (const auto& argv : commands) req->ops.push_back({argv, table_.Find(argv[0])});
    auto replies = std::make_shared<std::promise<std::string>>();
    req->done = [replies](std::string r) { replies->set_value(std::move(r)); };
    writer_->Submit(std::move(req));
    return replies->get_future();
  }
  std::string Run(const Commands& commands, bool exec = false,
                  std::shared_ptr<WatchState> watch = nullptr, int proto = 2) {
    return Submit(commands, exec, std::move(watch), proto).get();
  }

  test::TempDir dir_;
  FaultInjectionEnv env_;
  std::unique_ptr<store::Store> store_;
  CommandTable table_;
  ServerStats stats_;
  std::unique_ptr<Writer> writer_;
};

}  // namespace stash
