// Tests of Session (session.h) without sockets: a fake SessionLink collects the reply bytes and
// queues what the session posts to its connection thread (the test's thread runs it), and a
// small ServerApi holds the real command table, stats and a real Store and Writer on tiny
// sizes. The tests feed raw RESP bytes and compare the exact reply bytes.
#include "cmd/session.h"
#include "cmd/tracking.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cmd/command_table.h"
#include "cmd/scan_cursors.h"
#include "cmd/server_api.h"
#include "cmd/stats.h"
#include "cmd/writer.h"
#include "config/config.h"
#include "lsm/db_testutil.h"
#include "store/store.h"

namespace stash {
namespace {

using namespace std::chrono_literals;
using namespace std::string_view_literals;
using ErrorCounts = std::vector<std::pair<std::string, uint64_t>>;

constexpr int kDatabases = 4;
constexpr auto kTimeout = 5s;  // for writer replies, which take milliseconds

class FakeServer final : public ServerApi {
 public:
  FakeServer() : dir_("session") {
    Status s = store::Store::Open(test::TinyOptions(), dir_.path(), kDatabases, &store_);
    EXPECT_TRUE(s.ok()) << s.ToString();
    writer_ = std::make_unique<Writer>(*store_, stats_, this);
    writer_->Start();
  }
  ~FakeServer() override { writer_->Stop(); }

  Config& config() override { return config_; }
  CommandTable& commands() override { return commands_; }
  ServerStats& stats() override { return stats_; }
  ScanCursorTable& scan_cursors() override { return cursors_; }
  int databases() const override { return kDatabases; }
  bool Loading() const override { return false; }
  store::Store& store() override { return *store_; }
  Writer& writer() override { return *writer_; }
  store::KeyReader& keys() override { return *store_; }
  bool AuthRequired() const override { return !password_.empty(); }
  bool CheckPassword(const std::string& password) const override { return password == password_; }
  RequestLimits Limits() const override {
    RequestLimits l;
    l.max_bulk_len = 512ull << 20;
    l.query_buffer_limit = 1ull << 30;
    l.generation = LimitsGeneration();
    return l;
  }
  uint64_t LimitsGeneration() const override { return 1; }
  std::vector<std::shared_ptr<Session>> Sessions() const override { return {}; }
  pubsub::Hub& pubsub() override { return hub_; }
  Tracker& tracker() override { return tracker_; }
  uint32_t NotifyFlags() const override { return 0; }
  std::pair<int64_t, int64_t> ZSetListpackLimits() const override { return {128, 64}; }
  int64_t BusyReplyThresholdMs() const override { return 5000; }
  int ScriptBusy() const override { return 0; }
  void RequestShutdown(const std::string&) override { shutdown_requests_++; }
  std::string Info(const std::vector<std::string>&) override { return ""; }

  std::string password_;  // requirepass; set before creating sessions
  int shutdown_requests_ = 0;

 private:
  test::TempDir dir_;
  pubsub::Hub hub_;
  Tracker tracker_;
  Config config_;
  CommandTable commands_;
  ServerStats stats_;
  ScanCursorTable cursors_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Writer> writer_;
};

// The connection side: the output buffer, and a queue of the functions the session posts to its
// connection thread, which the test runs on its own thread (standing for the I/O thread).
class FakeLink final : public SessionLink {
 public:
  std::string& Output() override { return output_; }
  bool CheckOutputLimit() override { return !killed_; }
  void Flush() override { flushes_++; }
  void CloseAfterReply() override { close_after_reply_ = true; }
  bool Closing() const override { return close_after_reply_ || killed_; }
  void Post(std::function<void()> fn) override {
    // Notified under the lock: once the test thread has taken fn, the writer thread no longer
    // touches this link, which the test may then destroy (TSan saw the late notify race it).
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(fn));
    cv_.notify_one();
  }
  std::shared_ptr<void> KeepAlive() override { return alive_; }
  void Kill(const std::string& why) override {
    killed_ = true;
    std::lock_guard<std::mutex> lock(mu_);
    kill_reason_ = why;
  }
  bool OnOwnThread() const override { return false; }
  LinkFacts Facts() const override {
    LinkFacts f;
    f.local_address = "127.0.0.1:6379";
    f.remote_address = "127.0.0.1:50000";
    f.fd = 9;
    return f;
  }

  // Waits up to timeout for a posted function and runs it; false if none came.
  bool RunPosted(std::chrono::milliseconds timeout) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_for(lock, timeout, [&] { return !posted_.empty(); })) return false;
      fn = std::move(posted_.front());
      posted_.pop_front();
    }
    fn();
    return true;
  }
  size_t PostedPending() {
    std::lock_guard<std::mutex> lock(mu_);
    return posted_.size();
  }

  std::string output_;
  int flushes_ = 0;
  bool close_after_reply_ = false;
  std::atomic<bool> killed_{false};
  std::string kill_reason_;

 private:
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> posted_;
};

// One client: a link and its session.
struct TestClient {
  TestClient(FakeServer& server, uint64_t id) : session(server, link, id) {}

  // Feeds input and returns the reply bytes, running the session's posted functions (replies
  // from the writer) until the output is as long as expected or kTimeout passes.
  std::string Send(std::string_view input, std::string_view expected) {
    link.output_.clear();
    session.OnInput(input.data(), input.size());
    return Await(expected);
  }
  // Runs posted functions until the output is as long as expected (or kTimeout passes), then
  // returns and clears the output.
  std::string Await(std::string_view expected) {
    auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (link.output_.size() < expected.size()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms || !link.RunPosted(left)) break;
    }
    while (link.PostedPending() > 0) link.RunPosted(0ms);  // nothing more is due
    return std::exchange(link.output_, "");
  }

  FakeLink link;
  Session session;
};

class SessionTest : public testing::Test {
 protected:
  SessionTest() { client_ = std::make_unique<TestClient>(server_, 1); }
  ~SessionTest() override {
    // The writer finishes its requests (their replies go to the links' queues) before the
    // sessions go.
    server_.writer().Stop();
  }

  // The reply to input, which the test expects to be expected (compared by the caller).
  std::string Send(std::string_view input, std::string_view expected) {
    return client_->Send(input, expected);
  }
  Session& session() { return client_->session; }
  FakeLink& link() { return client_->link; }
  CommandEntry& Command(std::string_view name) { return *server_.commands().Find(name); }

  FakeServer server_;
  std::unique_ptr<TestClient> client_;
};

// Expects the reply to input to be exactly expected.
#define EXPECT_REPLY(input, expected) EXPECT_EQ(Send(input, expected), expected)

TEST_F(SessionTest, PingAndEchoInlineAndMultibulk) {
  EXPECT_REPLY("PING\r\n", "+PONG\r\n");
  EXPECT_REPLY("ping hello\n", "$5\r\nhello\r\n");
  EXPECT_REPLY("ECHO \"a b\"\r\n", "$3\r\na b\r\n");
  EXPECT_REPLY("\r\nPING\r\n", "+PONG\r\n");  // an empty inline line is skipped
  EXPECT_REPLY("*1\r\n$4\r\nPING\r\n", "+PONG\r\n");
  EXPECT_REPLY("*2\r\n$4\r\nPiNg\r\n$2\r\nhi\r\n", "$2\r\nhi\r\n");
  EXPECT_REPLY("*2\r\n$4\r\necho\r\n$3\r\nx\0y\r\n"sv, "$3\r\nx\0y\r\n"sv);
  EXPECT_REPLY("PING\r\nECHO x\r\n*1\r\n$4\r\nPING\r\n", "+PONG\r\n$1\r\nx\r\n+PONG\r\n");
  EXPECT_REPLY("PING a b\r\n", "-ERR wrong number of arguments for 'ping' command\r\n");
  EXPECT_FALSE(link().close_after_reply_);
}

TEST_F(SessionTest, CommandSplitAcrossReadsRunsOnceComplete) {
  const std::string cmd = "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n";
  for (size_t i = 0; i + 1 < cmd.size(); i++) {
    EXPECT_REPLY(cmd.substr(i, 1), "");
  }
  EXPECT_REPLY(cmd.substr(cmd.size() - 1), "$5\r\nhello\r\n");
  EXPECT_EQ(session().QueryBytes(), 0u);
}

TEST_F(SessionTest, PipelineOfWritesAndReadsKeepsReplyOrder) {
  EXPECT_REPLY("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\nGET a\r\nINCR a\r\nGET a\r\n",
               "+OK\r\n$1\r\n1\r\n:2\r\n$1\r\n2\r\n");
  EXPECT_GE(link().flushes_, 2);  // replies that came from the writer were flushed

  std::string input, expected;
  for (int i = 1; i <= 200; i++) {
    input += "INCR n\r\nGET n\r\nPING\r\n";
    std::string v = std::to_string(i);
    expected += ":" + v + "\r\n$" + std::to_string(v.size()) + "\r\n" + v + "\r\n+PONG\r\n";
  }
  EXPECT_REPLY(input, expected);
}

// A command refused before it runs (unknown, wrong arity) answers in its turn too: after the
// replies of the writes before it, which come from the writer.
TEST_F(SessionTest, RefusedCommandAfterPipelinedWritesKeepsReplyOrder) {
  EXPECT_REPLY("SET a 1\r\nNOSUCH\r\nGET a\r\n",
               "+OK\r\n-ERR unknown command 'NOSUCH', with args beginning with: \r\n$1\r\n1\r\n");
  EXPECT_REPLY("INCR a\r\nGET\r\nINCR a\r\nMULTI x\r\nGET a\r\n",
               ":2\r\n-ERR wrong number of arguments for 'get' command\r\n:3\r\n"
               "-ERR wrong number of arguments for 'multi' command\r\n$1\r\n3\r\n");
  EXPECT_EQ(Command("get").rejected_calls, 1u);
  EXPECT_EQ(Command("multi").rejected_calls, 1u);
}

TEST_F(SessionTest, MultiQueuesAndExecRepliesOneArray) {
  EXPECT_REPLY("MULTI\r\nSET a 1\r\nGET a\r\nINCR a\r\nPING\r\n",
               "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n");
  EXPECT_TRUE(session().in_multi());
  EXPECT_NE(session().Describe().find(" flags=x "), std::string::npos);
  EXPECT_NE(session().Describe().find(" multi=4 "), std::string::npos);
  EXPECT_REPLY("EXEC\r\n", "*4\r\n+OK\r\n$1\r\n1\r\n:2\r\n+PONG\r\n");
  EXPECT_FALSE(session().in_multi());
  EXPECT_NE(session().Describe().find(" multi=-1 "), std::string::npos);

  EXPECT_REPLY("MULTI\r\nEXEC\r\n", "+OK\r\n*0\r\n");
  EXPECT_REPLY("EXEC\r\n", "-ERR EXEC without MULTI\r\n");
  EXPECT_REPLY("DISCARD\r\n", "-ERR DISCARD without MULTI\r\n");
  EXPECT_REPLY("MULTI\r\nMULTI\r\nINCR a\r\nDISCARD\r\nGET a\r\n",
               "+OK\r\n-ERR MULTI calls can not be nested\r\n+QUEUED\r\n+OK\r\n$1\r\n2\r\n");
  // An error while EXEC runs fails that command only.
  EXPECT_REPLY("MULTI\r\nSET s x\r\nINCR s\r\nSET t 1\r\nEXEC\r\n",
               "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n"
               "-ERR value is not an integer or out of range\r\n+OK\r\n");
  // Writes pipelined before MULTI run before it; the EXEC reply comes after theirs.
  EXPECT_REPLY("SET p 1\r\nMULTI\r\nINCR p\r\nEXEC\r\nGET p\r\n",
               "+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n:2\r\n$1\r\n2\r\n");
}

TEST_F(SessionTest, ErrorWhileQueueingMakesExecAbort) {
  EXPECT_REPLY("MULTI\r\nSET a\r\nNOSUCH x\r\nSET b 1\r\nEXEC\r\n",
               "+OK\r\n-ERR wrong number of arguments for 'set' command\r\n"
               "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n+QUEUED\r\n"
               "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_FALSE(session().in_multi());
  EXPECT_REPLY("GET b\r\n", "$-1\r\n");  // nothing of it ran
  EXPECT_EQ(Command("set").rejected_calls, 1u);
  EXPECT_EQ(Command("set").calls, 0u);

  // EXEC itself refused (wrong arity) ends the transaction with EXECABORT and the reason.
  EXPECT_REPLY("MULTI\r\nSET b 1\r\nEXEC x\r\n",
               "+OK\r\n+QUEUED\r\n-EXECABORT Transaction discarded because of: wrong number of "
               "arguments for 'exec' command\r\n");
  EXPECT_FALSE(session().in_multi());
  EXPECT_REPLY("GET b\r\n", "$-1\r\n");
}

TEST_F(SessionTest, WatchInsideMultiIsRefusedWithoutAbortingIt) {
  EXPECT_REPLY("MULTI\r\nWATCH k\r\nSET k 1\r\nEXEC\r\n",
               "+OK\r\n-ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n*1\r\n+OK\r\n");
  EXPECT_EQ(Command("watch").failed_calls, 1u);
  EXPECT_EQ(Command("watch").rejected_calls, 0u);
  EXPECT_REPLY("GET k\r\n", "$1\r\n1\r\n");
}

TEST_F(SessionTest, WatchedKeyChangedByAnotherClientMakesExecReplyNull) {
  TestClient other(server_, 2);
  EXPECT_REPLY("WATCH k\r\n", "+OK\r\n");
  EXPECT_EQ(other.Send("SET k 2\r\n", "+OK\r\n"), "+OK\r\n");
  EXPECT_REPLY("MULTI\r\nSET x 1\r\nEXEC\r\n", "+OK\r\n+QUEUED\r\n*-1\r\n");
  EXPECT_REPLY("GET x\r\n", "$-1\r\n");
  // EXEC unwatched: the next transaction runs.
  EXPECT_EQ(other.Send("SET k 3\r\n", "+OK\r\n"), "+OK\r\n");
  EXPECT_REPLY("MULTI\r\nSET x 1\r\nEXEC\r\n", "+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n");
}

TEST_F(SessionTest, ProtocolErrorIsRepliedThenTheLinkClosesAfterTheReply) {
  EXPECT_REPLY("PING\r\n*1\r\n$foo\r\nPING\r\n",
               "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_TRUE(link().close_after_reply_);
  EXPECT_REPLY("PING\r\n", "");  // nothing runs on a closing connection
  EXPECT_EQ(server_.stats().ErrorCounts(), (ErrorCounts{{"ERR", 1}}));
}

// The error is replied after the replies of the commands before it, which were at the writer.
TEST_F(SessionTest, ProtocolErrorAfterPipelinedWritesKeepsReplyOrder) {
  const std::string_view input = "SET a 1\r\nGET a\r\n*x\r\n";
  const std::string_view expected =
      "+OK\r\n$1\r\n1\r\n-ERR Protocol error: invalid multibulk length\r\n";
  session().OnInput(input.data(), input.size());
  EXPECT_FALSE(link().close_after_reply_);  // the writes before the error are not answered yet
  EXPECT_EQ(link().output_, "");
  EXPECT_EQ(client_->Await(expected), expected);
  EXPECT_TRUE(link().close_after_reply_);
}

TEST_F(SessionTest, QuitRepliesOkAndRunsNothingAfterIt) {
  EXPECT_REPLY("QUIT\r\nSET a 1\r\n", "+OK\r\n");
  EXPECT_TRUE(link().close_after_reply_);
  client_ = std::make_unique<TestClient>(server_, 2);
  EXPECT_REPLY("GET a\r\n", "$-1\r\n");
}

TEST_F(SessionTest, RequirePassRefusesCommandsUntilAuth) {
  server_.password_ = "secret";
  client_ = std::make_unique<TestClient>(server_, 2);
  const std::string noauth = "-NOAUTH Authentication required.\r\n";
  EXPECT_FALSE(session().authenticated());
  EXPECT_REPLY("GET a\r\n", noauth);
  EXPECT_REPLY("SET a 1\r\n", noauth);
  EXPECT_REPLY("PING\r\n", noauth);
  EXPECT_REPLY("AUTH wrong\r\n",
               "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_REPLY("AUTH someone secret\r\n",
               "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_FALSE(session().authenticated());
  EXPECT_EQ(Command("get").rejected_calls, 1u);
  EXPECT_EQ(Command("auth").failed_calls, 2u);

  EXPECT_REPLY("AUTH secret\r\n", "+OK\r\n");
  EXPECT_TRUE(session().authenticated());
  EXPECT_REPLY("SET a 1\r\nGET a\r\nAUTH default secret\r\n", "+OK\r\n$1\r\n1\r\n+OK\r\n");
  // RESET forgets the authentication when a password is required.
  EXPECT_REPLY("RESET\r\nGET a\r\n", "+RESET\r\n" + noauth);
  EXPECT_EQ(server_.stats().ErrorCounts(), (ErrorCounts{{"NOAUTH", 4}, {"WRONGPASS", 2}}));
}

// Before AUTH, Redis refuses requests of more than 10 arguments (a stranger cannot make it
// buffer much); after AUTH they run.
TEST_F(SessionTest, RequirePassLimitsRequestSizeUntilAuth) {
  server_.password_ = "secret";
  const std::string mset = "MSET k1 v k2 v k3 v k4 v k5 v\r\n";  // 11 arguments
  client_ = std::make_unique<TestClient>(server_, 2);
  EXPECT_REPLY("AUTH secret\r\n" + mset, "+OK\r\n+OK\r\n");

  client_ = std::make_unique<TestClient>(server_, 3);
  EXPECT_REPLY("*11\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n");
  EXPECT_TRUE(link().close_after_reply_);
}

TEST_F(SessionTest, ResetReturnsToDbZeroAndResp2) {
  EXPECT_REPLY("SELECT 2\r\nSET k v\r\nCLIENT SETNAME app\r\n", "+OK\r\n+OK\r\n+OK\r\n");
  EXPECT_EQ(session().db(), 2);
  EXPECT_EQ(session().name(), "app");
  std::string hello = Send("HELLO 3\r\n", "%7\r\n");
  EXPECT_TRUE(hello.starts_with("%7\r\n$6\r\nserver\r\n")) << hello;
  EXPECT_EQ(session().protocol(), 3);
  EXPECT_REPLY("GET nokey\r\nGET k\r\n", "_\r\n$1\r\nv\r\n");
  EXPECT_REPLY("MULTI\r\nSET k w\r\n", "+OK\r\n+QUEUED\r\n");

  EXPECT_REPLY("RESET\r\n", "+RESET\r\n");
  EXPECT_EQ(session().db(), 0);
  EXPECT_EQ(session().protocol(), 2);
  EXPECT_EQ(session().name(), "");
  EXPECT_FALSE(session().in_multi());
  EXPECT_TRUE(session().authenticated());
  EXPECT_NE(session().Describe().find(" db=0 "), std::string::npos);
  EXPECT_NE(session().Describe().find(" resp=2 "), std::string::npos);
  EXPECT_REPLY("GET nokey\r\nGET k\r\n", "$-1\r\n$-1\r\n");     // db 0, RESP2
  EXPECT_REPLY("SELECT 2\r\nGET k\r\n", "+OK\r\n$1\r\nv\r\n");  // the queued SET never ran
}

// INFO errorstats and commandstats as Redis 7.0 counts them: an error reply counts under its
// code; a command refused before it ran (arity, unknown) is a rejected call, one whose handler
// failed is a failed call (and a call).
TEST_F(SessionTest, ErrorStatsCountRejectedAndFailedCalls) {
  EXPECT_REPLY("NOSUCHCMD\r\n", "-ERR unknown command 'NOSUCHCMD', with args beginning with: \r\n");
  EXPECT_REPLY("SET a b badopt\r\n", "-ERR syntax error\r\n");  // fails on the writer
  EXPECT_EQ(server_.stats().ErrorCounts(), (ErrorCounts{{"ERR", 2}}));
  EXPECT_EQ(server_.stats().total_error_replies, 2u);
  CommandEntry& set = Command("set");
  EXPECT_EQ(set.calls, 1u);
  EXPECT_EQ(set.failed_calls, 1u);
  EXPECT_EQ(set.rejected_calls, 0u);

  EXPECT_REPLY("SET a\r\n", "-ERR wrong number of arguments for 'set' command\r\n");
  EXPECT_EQ(set.calls, 1u);
  EXPECT_EQ(set.failed_calls, 1u);
  EXPECT_EQ(set.rejected_calls, 1u);

  EXPECT_REPLY("SET a b\r\nGET a\r\n", "+OK\r\n$1\r\nb\r\n");
  EXPECT_EQ(set.calls, 2u);
  EXPECT_EQ(set.failed_calls, 1u);

  // The same on the connection thread: SELECT's handler fails, GET's arity is refused.
  EXPECT_REPLY("SELECT 99\r\nGET a b\r\n",
               "-ERR DB index is out of range\r\n"
               "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(Command("select").failed_calls, 1u);
  EXPECT_EQ(Command("select").calls, 1u);
  EXPECT_EQ(Command("get").rejected_calls, 1u);
  EXPECT_EQ(Command("get").calls, 1u);
  EXPECT_EQ(Command("get").failed_calls, 0u);

  EXPECT_REPLY("INCR a\r\n", "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Command("incr").failed_calls, 1u);
  EXPECT_EQ(server_.stats().ErrorCounts(), (ErrorCounts{{"ERR", 6}}));
  EXPECT_EQ(server_.stats().total_error_replies, 6u);
}

TEST_F(SessionTest, KillGoesToTheLinkAndStopsCommands) {
  session().Kill("test");
  EXPECT_TRUE(link().killed_);
  EXPECT_EQ(link().kill_reason_, "test");
  EXPECT_REPLY("PING\r\n", "");
}

}  // namespace
}  // namespace stash
