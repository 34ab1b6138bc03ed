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
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "script/lua_random.h"
#include "script/redis_lib.h"

struct lua_State;
struct lua_Debug;

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

  // A running script longer than this is busy (default busy-reply-threshold, 5000 ms).
  void SetBusyThreshold(int64_t ms) { busy_threshold_ms_ = ms; }
  // Any thread: a script has run longer than the threshold; other clients get BUSY.
  bool Busy() const { return busy_.load(std::memory_order_acquire) != 0; }
  // Any thread: 0 when not busy, else kBusyScript or kBusyFunction.
  int BusyKind() const { return busy_.load(std::memory_order_acquire); }
  static constexpr int kBusyScript = 1, kBusyFunction = 2;
  // kWrongKind: SCRIPT KILL while a function runs, or FUNCTION KILL while a script does.
  enum class KillResult { kNotBusy, kUnkillable, kWrongKind, kKilling };
  // Any thread (SCRIPT KILL): stops the running script at its next count of instructions with
  // "Script killed by user with SCRIPT KILL...", unless it has written (force: even then, as
  // SHUTDOWN does; what it wrote stays, as after any script error).
  // function: FUNCTION KILL (a running function), else SCRIPT KILL (a running EVAL script).
  KillResult Kill(bool force = false, bool function = false);
  // The writer, before a write command of the running script: false when the script is being
  // killed (the command must not run); else the script counts as having written.
  bool BeginWrite();

  // --- Functions (FUNCTION LOAD, FCALL): libraries of named Lua functions (engine_functions.cc).
  struct Function {
    std::string name;
    std::string library;
    std::optional<std::string> description;
    uint32_t flags = 0;  // ScriptFlag
  };
  struct Library {
    std::string code;
    std::vector<std::string> functions;  // in registration order
  };
  // FUNCTION LOAD: compiles code (a "#!lua name=<library>" line first), runs it to register its
  // functions and keeps the library (replace: in place of the one of that name). Sets *library.
  // False with Redis's error text; then nothing changed.
  bool LoadLibrary(std::string_view code, bool replace, std::string* library, std::string* error);
  bool DeleteLibrary(std::string_view name);
  void FlushLibraries();
  const std::map<std::string, Library, std::less<>>& libraries() const { return libraries_; }
  // Any thread (FUNCTION STATS).
  size_t library_count() const { return library_count_.load(std::memory_order_relaxed); }
  size_t function_count() const { return function_count_.load(std::memory_order_relaxed); }
  // Whether the libraries changed since the last call (the writer reloads them from the store
  // when a group that changed them failed to commit).
  bool TakeLibrariesChanged() { return std::exchange(libraries_changed_, false); }
  const Function* FindFunction(std::string_view name) const;
  // FCALL: runs f's callback with (keys, args); like Run otherwise.
  // argv: the whole FCALL, for FUNCTION STATS.
  bool CallFunction(const Function& f, std::span<const std::string> argv,
                    std::span<const std::string> keys, std::span<const std::string> args,
                    Host& host, resp::ReplyWriter& out, std::string* error);
  // Any thread (FUNCTION STATS): the running script's name, whether it is a function, and for
  // how long it has run.
  struct Running {
    std::string name;
    bool function = false;
    int64_t ms = 0;
    std::vector<std::string> command;  // a function's FCALL
  };
  std::optional<Running> Current() const;

  // Any thread: for INFO memory and INFO scripts-like counters.
  size_t memory() const { return memory_.load(std::memory_order_relaxed); }
  size_t scripts() const { return count_.load(std::memory_order_relaxed); }

 private:
  void Open();
  void Close();
  static void* Alloc(void* ud, void* ptr, size_t osize, size_t nsize);
  static int ErrorHandler(lua_State* L);
  // Every kHookInstructions instructions of a script: marks it busy past the threshold, and
  // raises the kill error once SCRIPT KILL asked for it.
  static void Hook(lua_State* L, lua_Debug* ar);
  // Calls what is on the stack (the error handler, the function, nargs arguments) as the
  // script or function name; the common part of Run and CallFunction.
  bool Invoke(std::string_view name, int nargs, bool function, Host& host, resp::ReplyWriter& out,
              std::string* error);
  // Sets (or removes, nullopt) the globals KEYS and ARGV.
  void SetGlobalArrays(std::optional<std::span<const std::string>> keys,
                       std::optional<std::span<const std::string>> args);
  void PushArray(std::span<const std::string> values);
  // redis.register_function, while a library loads.
  static int RegisterFunction(lua_State* L);
  static constexpr int kHookInstructionsForLoad = 10000;
  void DropCallbacks(const std::vector<std::string>& names);
  struct Pending {
    Function function;
    int ref;  // the callback, in the registry
  };

  const std::string version_;
  lua_State* L_ = nullptr;
  CallState call_;
  Lrand48 rng_;
  std::string running_sha_;                          // for the error text
  std::unordered_map<std::string, uint32_t> flags_;  // sha -> ScriptFlag
  std::map<std::string, Library, std::less<>> libraries_;
  std::unordered_map<std::string, Function> functions_;
  std::vector<Pending>* loading_ = nullptr;  // while a library's code runs
  int64_t load_start_ms_ = 0;
  bool libraries_changed_ = false;
  std::atomic<size_t> library_count_{0};
  std::atomic<size_t> function_count_{0};
  void CountLibraries();
  int64_t busy_threshold_ms_ = 5000;
  int64_t start_ms_ = 0;  // of the running script (steady clock)
  std::atomic<int> busy_{0};
  std::vector<std::string> running_command_;  // FCALL's argv (FUNCTION STATS)
  mutable std::mutex kill_mu_;                // running_, wrote_, kill_ change together
  bool running_ = false;
  bool running_function_ = false;
  bool wrote_ = false;
  std::atomic<bool> kill_{false};
  size_t allocated_ = 0;           // by the Lua state (Alloc, on the writer)
  std::atomic<size_t> memory_{0};  // allocated_ as of the last script or load
  bool globals_set_ = false;       // KEYS and ARGV hold the last EVAL's
  std::atomic<size_t> count_{0};
};

// Parses body's shebang line, if any: sets *flags and *skip (the shebang's length: the body
// compiles from there, keeping its line feed so that line numbers hold). False with Redis's
// error text.
bool ParseShebang(std::string_view body, uint32_t* flags, size_t* skip, std::string* error);
// The words of a shebang line (split at whitespace, as Redis's sdssplitargs does).
std::vector<std::string_view> ShebangWords(std::string_view line);

}  // namespace stash::script
