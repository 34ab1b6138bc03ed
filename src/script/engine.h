// Engine: the Lua 5.1 state Redis scripts run in, and the script cache. Used by one thread at a
// time (the writer: scripts run there, atomically, between other writes).
//
// A script is cached under the SHA-1 of its body (EVAL caches what it runs; SCRIPT LOAD only
// caches) as a compiled function in the registry; the cache lives until SCRIPT FLUSH, which
// starts a fresh state, as Redis's does. Before each run the state is reset to what every run
// sees: KEYS and ARGV, redis.setresp(2), math.random seeded with 0.
//
// An error a script raises comes back as Redis 7.0 words it: the error's text ("ERR " in front
// of a plain string, a redis.call error as the command replied it, the err field of a table),
// then " script: <sha>, on <source>:<line>." for the Lua line that raised it.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "script/lua_random.h"
#include "script/redis_lib.h"

struct lua_State;

namespace stash::resp {
class ReplyWriter;
}

namespace stash::script {

// Flags of a script's shebang (#!lua flags=...).
enum ScriptFlag : uint32_t {
  kScriptNoWrites = 1u << 0,
  kScriptAllowOom = 1u << 1,
  kScriptAllowStale = 1u << 2,
  kScriptNoCluster = 1u << 3,
  kScriptAllowCrossSlot = 1u << 4,
  kScriptShebang = 1u << 5,  // it has a shebang (else: Redis's "eval compatibility mode")
};

class Engine {
 public:
  explicit Engine(std::string_view redis_version = "7.0.0");
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Caches body, compiling it unless it is cached, and sets *sha. False with Redis's error
  // text in *error (a bad shebang, a compile error).
  bool Load(std::string_view body, std::string* sha, std::string* error);
  // The cached script's flags; false when sha (any case) is not cached.
  bool Find(std::string_view sha, uint32_t* flags = nullptr) const;
  // Runs the cached script sha (from Find) with host running its commands. Writes its result
  // to out and returns true, or returns false with the error reply (without '-') in *error,
  // out untouched.
  bool Run(std::string_view sha, std::span<const std::string> keys,
           std::span<const std::string> args, Host& host, resp::ReplyWriter& out,
           std::string* error);
  // Forgets every script.
  void Flush();

  // Any thread: for INFO memory and INFO scripts-like counters.
  size_t memory() const { return memory_.load(std::memory_order_relaxed); }
  size_t scripts() const { return count_.load(std::memory_order_relaxed); }

 private:
  void Open();
  void Close();
  static void* Alloc(void* ud, void* ptr, size_t osize, size_t nsize);
  static int ErrorHandler(lua_State* L);

  const std::string version_;
  lua_State* L_ = nullptr;
  CallState call_;
  Lrand48 rng_;
  std::string running_sha_;                          // for the error text
  std::unordered_map<std::string, uint32_t> flags_;  // sha -> ScriptFlag
  std::atomic<size_t> memory_{0};
  std::atomic<size_t> count_{0};
};

// Parses body's shebang line, if any: sets *flags and *skip (the shebang's length: the body
// compiles from there, keeping its line feed so that line numbers hold). False with Redis's
// error text.
bool ParseShebang(std::string_view body, uint32_t* flags, size_t* skip, std::string* error);

}  // namespace stash::script
