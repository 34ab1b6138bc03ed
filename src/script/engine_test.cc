#include "script/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "resp/reply_writer.h"
#include "script/lua_convert.h"
#include "util/sha1.h"

namespace stash::script {
namespace {

// Answers redis.call with canned replies named by the command: "reply <raw RESP>" returns the
// RESP given (with \r\n), "echo x" a bulk x; anything else is an unknown command.
class FakeHost : public Host {
 public:
  void Call(std::vector<std::string>& argv, int proto, std::string* reply) override {
    calls.push_back(argv);
    protos.push_back(proto);
    if (on_call) on_call();
    if (argv[0] == "reply" && argv.size() == 2) {
      *reply = argv[1];
    } else if (argv[0] == "echo" && argv.size() == 2) {
      *reply = "$" + std::to_string(argv[1].size()) + "\r\n" + argv[1] + "\r\n";
    } else {
      *reply = "-ERR Unknown Redis command called from script\r\n";
    }
  }
  bool CommandExists(std::string_view name) override { return name == "echo"; }
  void Log(int level, std::string_view message) override {
    logs.push_back(std::to_string(level) + " " + std::string(message));
  }

  std::vector<std::vector<std::string>> calls;
  std::vector<int> protos;
  std::vector<std::string> logs;
  std::function<void()> on_call;
};

class EngineTest : public ::testing::Test {
 protected:
  // Runs body as EVAL would (numkeys keys first in args); the reply, or "-" + the error.
  std::string Eval(const std::string& body, std::vector<std::string> keys = {},
                   std::vector<std::string> args = {}, int proto = 2) {
    std::string sha, error;
    if (!engine.Load(body, &sha, &error)) return "-" + error;
    std::string out;
    resp::ReplyWriter w(&out);
    w.SetProtocol(proto);
    if (!engine.Run(sha, keys, args, host, w, &error)) return "-" + error;
    return out;
  }

  Engine engine;
  FakeHost host;
};

TEST_F(EngineTest, ConvertsLuaValuesToReplies) {
  EXPECT_EQ(Eval("return 1"), ":1\r\n");
  EXPECT_EQ(Eval("return 3.99"), ":3\r\n");
  EXPECT_EQ(Eval("return -3.99"), ":-3\r\n");
  EXPECT_EQ(Eval("return 'x'"), "$1\r\nx\r\n");
  EXPECT_EQ(Eval("return true"), ":1\r\n");
  EXPECT_EQ(Eval("return false"), "$-1\r\n");
  EXPECT_EQ(Eval("return nil"), "$-1\r\n");
  EXPECT_EQ(Eval("return {1, 'a', {2}, nil, 3}"), "*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n");
  EXPECT_EQ(Eval("return {err = 'My Error'}"), "-My Error");
  EXPECT_EQ(Eval("return {ok = 'fine'}"), "+fine\r\n");
  EXPECT_EQ(Eval("return {1, {err = 'e'}, {ok = 'o'}}"), "*3\r\n:1\r\n-e\r\n+o\r\n");
  EXPECT_EQ(Eval("return {double = 3.5}"), "$3\r\n3.5\r\n");
  EXPECT_EQ(Eval("return {double = 3.5}", {}, {}, 3), ",3.5\r\n");
  EXPECT_EQ(Eval("return {map = {a = 1}}", {}, {}, 3), "%1\r\n$1\r\na\r\n:1\r\n");
  EXPECT_EQ(Eval("return {set = {a = true}}", {}, {}, 3), "~1\r\n$1\r\na\r\n");
  EXPECT_EQ(Eval("return {big_number = '123'}", {}, {}, 3), "(123\r\n");
  EXPECT_EQ(Eval("return {verbatim_string = {format = 'txt', string = 'hi'}}", {}, {}, 3),
            "=6\r\ntxt:hi\r\n");
  // Booleans follow the script's protocol (redis.setresp), nil the caller's.
  EXPECT_EQ(Eval("redis.setresp(3) return false"), ":0\r\n");
  EXPECT_EQ(Eval("redis.setresp(3) return true", {}, {}, 3), "#t\r\n");
  EXPECT_EQ(Eval("return false", {}, {}, 3), "_\r\n");
}

TEST_F(EngineTest, ConvertsRepliesToLuaValues) {
  EXPECT_EQ(Eval("return type(redis.call('reply', ARGV[1]))", {}, {":5\r\n"}), "$6\r\nnumber\r\n");
  EXPECT_EQ(Eval("return redis.call('reply', ARGV[1]) == false", {}, {"$-1\r\n"}), ":1\r\n");
  EXPECT_EQ(Eval("return redis.call('reply', ARGV[1]) == false", {}, {"*-1\r\n"}), ":1\r\n");
  EXPECT_EQ(Eval("return redis.call('reply', ARGV[1]).ok", {}, {"+PONG\r\n"}), "$4\r\nPONG\r\n");
  EXPECT_EQ(Eval("return redis.call('reply', ARGV[1])", {}, {"*2\r\n$1\r\na\r\n$-1\r\n"}),
            "*2\r\n$1\r\na\r\n$-1\r\n");
  EXPECT_EQ(Eval("redis.setresp(3) return redis.call('reply', ARGV[1]) == nil", {}, {"_\r\n"}),
            ":1\r\n");
  EXPECT_EQ(Eval("redis.setresp(3) return redis.call('reply', ARGV[1]).map.a", {},
                 {"%1\r\n$1\r\na\r\n:7\r\n"}),
            ":7\r\n");
  EXPECT_EQ(
      Eval("redis.setresp(3) return redis.call('reply', ARGV[1]).set.m", {}, {"~1\r\n$1\r\nm\r\n"}),
      ":1\r\n");
  EXPECT_EQ(Eval("redis.setresp(3) return tostring(redis.call('reply', ARGV[1]).double)", {},
                 {",1.5\r\n"}),
            "$3\r\n1.5\r\n");
  EXPECT_EQ(Eval("redis.setresp(3) return redis.call('reply', ARGV[1])", {}, {"#f\r\n"}), ":0\r\n");
  // The script's protocol is what the host is asked to reply in.
  host.protos.clear();
  Eval("redis.setresp(3) redis.call('echo', 'x') redis.setresp(2) redis.call('echo', 'y')");
  EXPECT_EQ(host.protos, (std::vector<int>{3, 2}));
}

TEST_F(EngineTest, CallRaisesAndPcallReturnsCommandErrors) {
  const std::string sha = Sha1Hex("return redis.call('nosuch')");
  EXPECT_EQ(
      Eval("return redis.call('nosuch')"),
      "-ERR Unknown Redis command called from script script: " + sha + ", on @user_script:1.");
  EXPECT_EQ(Eval("return redis.pcall('nosuch')"), "-ERR Unknown Redis command called from script");
  EXPECT_EQ(Eval("local ok, e = pcall(function() redis.call('nosuch') end) return e"),
            "$44\r\nERR Unknown Redis command called from script\r\n");
  EXPECT_EQ(Eval("return redis.pcall()"),
            "-ERR Please specify at least one argument for this redis lib call");
  EXPECT_EQ(Eval("return redis.pcall('echo', {})"),
            "-ERR Lua redis lib command arguments must be strings or integers");
  // Numbers are sent with 17 significant digits.
  Eval("redis.call('echo', 0.1) redis.call('echo', 5)");
  EXPECT_EQ(host.calls.back()[1], "5");
  EXPECT_EQ(host.calls[host.calls.size() - 2][1], "0.10000000000000001");
}

TEST_F(EngineTest, ErrorsNameTheScriptAndTheLine) {
  const std::string body = "local x = 1\nerror('boom')";
  EXPECT_EQ(Eval(body),
            "-ERR user_script:2: boom script: " + Sha1Hex(body) + ", on @user_script:2.");
  const std::string table = "error({err = 'MYCODE custom'})";
  EXPECT_EQ(Eval(table), "-MYCODE custom script: " + Sha1Hex(table) + ", on @user_script:1.");
  EXPECT_EQ(Eval("return 'x' .. "),
            "-ERR Error compiling script (new function): user_script:1: unexpected symbol near "
            "'<eof>'");
  EXPECT_EQ(Eval("return redis.error_reply('boom')"), "-ERR boom");
  EXPECT_EQ(Eval("return redis.error_reply('-CODE boom')"), "-CODE boom");
  EXPECT_EQ(Eval("return redis.error_reply(1)"), "-ERR wrong number or type of arguments");
  EXPECT_EQ(Eval("return redis.status_reply('fine')"), "+fine\r\n");
}

TEST_F(EngineTest, SandboxIsReadOnlyAndHasOnlyAllowedGlobals) {
  auto error_of = [&](const std::string& body) {
    std::string r = Eval(body);
    return r.substr(0, r.find(" script: "));
  };
  EXPECT_EQ(error_of("x = 1"), "-ERR user_script:1: Attempt to modify a readonly table");
  EXPECT_EQ(error_of("redis.call = 1"), "-ERR user_script:1: Attempt to modify a readonly table");
  EXPECT_EQ(error_of("string.x = 1"), "-ERR user_script:1: Attempt to modify a readonly table");
  EXPECT_EQ(error_of("rawset(_G, 'x', 1)"), "-ERR Attempt to modify a readonly table");
  EXPECT_EQ(error_of("setmetatable(_G, {})"), "-ERR Attempt to modify a readonly table");
  EXPECT_EQ(error_of("loadstring('y = 5')()"),
            "-ERR [string \"y = 5\"]:1: Attempt to modify a readonly table");
  for (const char* name : {"os", "io", "print", "require", "loadfile", "dofile", "setfenv",
                           "getfenv", "module", "newproxy", "debug", "package"}) {
    EXPECT_EQ(error_of(std::string("return ") + name),
              std::string("-ERR user_script:1: Script attempted to access nonexistent global "
                          "variable '") +
                  name + "'")
        << name;
  }
  for (const char* name : {"cjson", "bit", "string", "table", "math", "coroutine", "redis"}) {
    EXPECT_EQ(Eval(std::string("return type(") + name + ")"), "$5\r\ntable\r\n") << name;
  }
  EXPECT_EQ(Eval("local t = {} setmetatable(t, {}) t.x = 1 return t.x"), ":1\r\n");
  EXPECT_EQ(Eval("return ('abc'):upper()"), "$3\r\nABC\r\n");
  EXPECT_EQ(Eval("return cjson.encode({1, 2, 'a'})"), "$9\r\n[1,2,\"a\"]\r\n");
  EXPECT_EQ(Eval("return bit.band(7, 3)"), ":3\r\n");
}

TEST_F(EngineTest, KeysArgvAndRandomAreResetForEveryRun) {
  EXPECT_EQ(Eval("KEYS[1] = 'z' return {KEYS[1], ARGV[1], #KEYS, #ARGV}", {"k"}, {"a", "b"}),
            "*4\r\n$1\r\nz\r\n$1\r\na\r\n:1\r\n:2\r\n");
  EXPECT_EQ(Eval("return #KEYS", {}, {}), ":0\r\n");
  const std::string r = "return {math.random(1000000), math.random(1000000)}";
  EXPECT_EQ(Eval(r), Eval(r));
  EXPECT_EQ(Eval("math.randomseed(7) return math.random(1000000)"),
            Eval("math.randomseed(7) return math.random(1000000)"));
}

TEST_F(EngineTest, CacheIsKeyedBySha1AndFlushForgetsIt) {
  std::string sha, error;
  ASSERT_TRUE(engine.Load("return 'hi'", &sha, &error));
  EXPECT_EQ(sha, "2f31ba2bb6d6a0f42cc159d2e2dad55440778de3");
  EXPECT_TRUE(engine.Find("2F31BA2BB6D6A0F42CC159D2E2DAD55440778DE3"));
  EXPECT_EQ(engine.scripts(), 1u);
  EXPECT_GT(engine.memory(), 0u);
  engine.Flush();
  EXPECT_FALSE(engine.Find(sha));
  EXPECT_EQ(engine.scripts(), 0u);
  EXPECT_EQ(Eval("return 2"), ":2\r\n");
}

TEST(ShebangTest, ParsesEngineAndFlags) {
  uint32_t flags;
  size_t skip;
  std::string error;
  ASSERT_TRUE(ParseShebang("return 1", &flags, &skip, &error));
  EXPECT_EQ(flags, 0u);
  ASSERT_TRUE(ParseShebang("#!lua flags=no-writes,allow-oom\nreturn 1", &flags, &skip, &error));
  EXPECT_EQ(flags, kScriptShebang | kScriptNoWrites | kScriptAllowOom);
  EXPECT_EQ(skip, 31u);
  ASSERT_TRUE(ParseShebang("#!lua flags=\nreturn 1", &flags, &skip, &error));
  EXPECT_EQ(flags, kScriptShebang);
  EXPECT_FALSE(ParseShebang("#!luax\n", &flags, &skip, &error));
  EXPECT_EQ(error, "ERR Unexpected engine in script shebang: #!luax");
  EXPECT_FALSE(ParseShebang("#!lua flags=no-writes,\n", &flags, &skip, &error));
  EXPECT_EQ(error, "ERR Unexpected flag in script shebang: ");
  EXPECT_FALSE(ParseShebang("#!lua name=x\n", &flags, &skip, &error));
  EXPECT_EQ(error, "ERR Unknown lua shebang option: name=x");
  EXPECT_FALSE(ParseShebang("#!lua", &flags, &skip, &error));
  EXPECT_EQ(error, "ERR Invalid script shebang");
}

TEST(ErrorTableTextTest, KeepsACodeOrAddsErr) {
  EXPECT_EQ(ErrorTableText("-WRONGTYPE Operation\r\n"), "WRONGTYPE Operation");
  EXPECT_EQ(ErrorTableText("-boom"), "ERR boom");
  EXPECT_EQ(ErrorTableText("plain text"), "ERR plain text");
}

TEST_F(EngineTest, KillStopsAScriptThatHasNotWritten) {
  EXPECT_EQ(engine.Kill(), Engine::KillResult::kNotBusy);
  engine.SetBusyThreshold(0);
  std::atomic<bool> started{false};
  host.on_call = [&] { started = true; };
  std::thread killer([&] {
    while (!started) std::this_thread::yield();
    while (!engine.Busy()) std::this_thread::yield();
    EXPECT_EQ(engine.Kill(), Engine::KillResult::kKilling);
  });
  const std::string body = "redis.call('echo', 'x') while true do pcall(function() end) end";
  EXPECT_EQ(Eval(body), "-ERR Script killed by user with SCRIPT KILL... script: " + Sha1Hex(body) +
                            ", on @user_script:1.");
  killer.join();
  EXPECT_FALSE(engine.Busy());
  EXPECT_EQ(engine.Kill(), Engine::KillResult::kNotBusy);
}

TEST_F(EngineTest, KillRefusesAScriptThatWroteUnlessForced) {
  std::atomic<bool> wrote{false};
  host.on_call = [&] {
    ASSERT_TRUE(engine.BeginWrite());
    wrote = true;
  };
  std::thread killer([&] {
    while (!wrote) std::this_thread::yield();
    EXPECT_EQ(engine.Kill(), Engine::KillResult::kUnkillable);
    EXPECT_EQ(engine.Kill(true), Engine::KillResult::kKilling);
  });
  const std::string r = Eval("redis.call('echo', 'x') while true do end");
  EXPECT_TRUE(r.starts_with("-ERR Script killed by user with SCRIPT KILL...")) << r;
  killer.join();
}

}  // namespace
}  // namespace stash::script
