#include "script/engine.h"

#include <lua.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <vector>

#include "script/engine_keys.h"
#include "script/lua_cmsgpack.h"
#include "script/lua_convert.h"
#include "script/lua_struct.h"
#include "script/sandbox.h"
#include "util/log.h"
#include "util/sha1.h"
#include "util/strings.h"

extern "C" {
int luaopen_cjson(lua_State* L);
int luaopen_bit(lua_State* L);
}

namespace stash::script {
namespace {

constexpr int kHookInstructions = 100000;
constexpr int64_t kLoadTimeoutMs = 500;
constexpr const char* kKilledError = "Script killed by user with SCRIPT KILL...";

int64_t SteadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// "7.0.0" -> 0x070000, as REDIS_VERSION_NUM.
int VersionNum(std::string_view v) {
  int parts[3] = {0, 0, 0};
  for (int i = 0; i < 3 && !v.empty(); i++) {
    parts[i] = std::atoi(std::string(v.substr(0, v.find('.'))).c_str());
    const size_t dot = v.find('.');
    v = dot == std::string_view::npos ? std::string_view() : v.substr(dot + 1);
  }
  return parts[0] << 16 | parts[1] << 8 | parts[2];
}

void OpenLibrary(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  if (lua_istable(L, -1)) {
    lua_setglobal(L, name);
  } else {
    lua_pop(L, 1);
  }
}

}  // namespace

std::vector<std::string_view> ShebangWords(std::string_view line) {
  std::vector<std::string_view> words;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
  for (size_t i = 0; i < line.size();) {
    while (i < line.size() && space(line[i])) i++;
    size_t j = i;
    while (j < line.size() && !space(line[j])) j++;
    if (j > i) words.push_back(line.substr(i, j - i));
    i = j;
  }
  return words;
}

bool ParseShebang(std::string_view body, uint32_t* flags, size_t* skip, std::string* error) {
  *flags = 0;
  *skip = 0;
  if (!body.starts_with("#!")) return true;
  const size_t eol = body.find('\n');
  if (eol == std::string_view::npos) {
    *error = "ERR Invalid script shebang";
    return false;
  }
  *skip = eol;
  std::vector<std::string_view> parts = ShebangWords(body.substr(0, eol));
  if (parts[0] != "#!lua") {
    *error = "ERR Unexpected engine in script shebang: " + std::string(parts[0]);
    return false;
  }
  *flags = kScriptShebang;
  for (size_t i = 1; i < parts.size(); i++) {
    if (!parts[i].starts_with("flags=")) {
      *error = "ERR Unknown lua shebang option: " + std::string(parts[i]);
      return false;
    }
    std::string_view list = parts[i].substr(6);
    // "flags=" has none; "flags=a," has an empty second one.
    for (size_t start = 0; !list.empty() && start <= list.size();) {
      const size_t comma = std::min(list.find(',', start), list.size());
      std::string_view f = list.substr(start, comma - start);
      start = comma + 1;
      if (f == "no-writes") {
        *flags |= kScriptNoWrites;
      } else if (f == "allow-oom") {
        *flags |= kScriptAllowOom;
      } else if (f == "allow-stale") {
        *flags |= kScriptAllowStale;
      } else if (f == "no-cluster") {
        *flags |= kScriptNoCluster;
      } else if (f == "allow-cross-slot-keys") {
        *flags |= kScriptAllowCrossSlot;
      } else {
        *error = "ERR Unexpected flag in script shebang: " + std::string(f);
        return false;
      }
    }
  }
  return true;
}

Engine::Engine(std::string_view redis_version) : version_(redis_version) { Open(); }

Engine::~Engine() { Close(); }

void* Engine::Alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* e = static_cast<Engine*>(ud);
  if (nsize == 0) {
    e->allocated_ -= ptr != nullptr ? osize : 0;
    std::free(ptr);
    return nullptr;
  }
  void* p = std::realloc(ptr, nsize);
  if (p != nullptr) e->allocated_ += nsize - (ptr != nullptr ? osize : 0);
  return p;
}

void Engine::Open() {
  L_ = lua_newstate(Alloc, this);
  const std::pair<lua_CFunction, const char*> kBase[] = {{luaopen_base, ""},
                                                         {luaopen_table, LUA_TABLIBNAME},
                                                         {luaopen_string, LUA_STRLIBNAME},
                                                         {luaopen_math, LUA_MATHLIBNAME}};
  for (auto [open, name] : kBase) {
    lua_pushcfunction(L_, open);
    lua_pushstring(L_, name);
    lua_call(L_, 1, 0);
  }
  OpenLibrary(L_, luaopen_cjson, "cjson");
  OpenLibrary(L_, luaopen_bit, "bit");
  OpenLibrary(L_, OpenStruct, "struct");
  OpenLibrary(L_, OpenCmsgpack, "cmsgpack");
  lua_getglobal(L_, "math");
  InstallRandom(L_, &rng_);
  lua_pop(L_, 1);
  lua_pushvalue(L_, LUA_GLOBALSINDEX);
  OpenRedisLib(L_, &call_, version_, VersionNum(version_));
  lua_pop(L_, 1);

  lua_pushlightuserdata(L_, this);
  lua_pushcclosure(L_, ErrorHandler, 1);
  lua_pushvalue(L_, -1);
  lua_setfield(L_, LUA_REGISTRYINDEX, kHandlerKey);
  lua_setglobal(L_, "__redis__err__handler");
  lua_newtable(L_);
  lua_setfield(L_, LUA_REGISTRYINDEX, kFunctionsKey);

  lua_pushlightuserdata(L_, this);
  lua_setfield(L_, LUA_REGISTRYINDEX, kEngineKey);
  lua_newtable(L_);
  lua_setfield(L_, LUA_REGISTRYINDEX, kCallbacksKey);
  Sandbox(L_);
  lua_pushlightuserdata(L_, this);
  lua_pushcclosure(L_, RegisterFunction, 1);
  BuildLoadGlobals(L_);
  // The handler is a global scripts may read, like Redis's.
  lua_getfield(L_, LUA_REGISTRYINDEX, kGlobalsKey);
  lua_getfield(L_, LUA_REGISTRYINDEX, kHandlerKey);
  lua_setfield(L_, -2, "__redis__err__handler");
  lua_pop(L_, 1);
  memory_.store(allocated_, std::memory_order_relaxed);
}

void Engine::Close() {
  if (L_ != nullptr) lua_close(L_);
  L_ = nullptr;
  flags_.clear();
  libraries_.clear();
  functions_.clear();
  CountLibraries();
  count_.store(0, std::memory_order_relaxed);
}

void Engine::Flush() {
  // A fresh state forgets every script; the function libraries are loaded into it again.
  std::vector<std::string> codes;
  for (const auto& [name, lib] : libraries_) codes.push_back(lib.code);
  Close();
  Open();
  for (const std::string& code : codes) {
    std::string library, error;
    if (!LoadLibrary(code, false, &library, &error))
      log::Warning("Function library lost: {}", error);
  }
}

bool Engine::Load(std::string_view body, std::string* sha, std::string* error) {
  *sha = Sha1Hex(body);
  if (flags_.contains(*sha)) return true;
  uint32_t flags;
  size_t skip;
  if (!ParseShebang(body, &flags, &skip, error)) return false;
  if (luaL_loadbuffer(L_, body.data() + skip, body.size() - skip, "@user_script") != 0) {
    const char* msg = lua_tostring(L_, -1);
    *error = "ERR Error compiling script (new function): " + std::string(msg ? msg : "?");
    lua_pop(L_, 1);
    return false;
  }
  lua_getfield(L_, LUA_REGISTRYINDEX, kFunctionsKey);
  lua_pushlstring(L_, sha->data(), sha->size());
  lua_pushvalue(L_, -3);
  lua_rawset(L_, -3);
  lua_pop(L_, 2);
  flags_.emplace(*sha, flags);
  count_.store(flags_.size(), std::memory_order_relaxed);
  memory_.store(allocated_, std::memory_order_relaxed);
  return true;
}

bool Engine::Find(std::string_view sha, uint32_t* flags) const {
  std::string lower(sha);
  AsciiLowerInPlace(&lower);
  auto it = flags_.find(lower);
  if (it == flags_.end()) return false;
  if (flags != nullptr) *flags = it->second;
  return true;
}

int Engine::ErrorHandler(lua_State* L) {
  auto* e = static_cast<Engine*>(lua_touserdata(L, lua_upvalueindex(1)));
  std::string text;
  if (lua_type(L, 1) == LUA_TSTRING) {
    size_t len;
    const char* s = lua_tolstring(L, 1, &len);
    text.assign(s, len);
    if (text != e->call_.raised) text.insert(0, "ERR ");
  } else if (lua_istable(L, 1)) {
    lua_pushstring(L, "err");
    lua_rawget(L, 1);
    size_t len;
    const char* s = lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER
                        ? lua_tolstring(L, -1, &len)
                        : nullptr;
    text = s != nullptr ? std::string(s, len) : "ERR unknown error";
    lua_pop(L, 1);
  } else if (lua_isnil(L, 1)) {
    text = "ERR nil";
  } else {
    text = std::string("ERR ") +
           (lua_isboolean(L, 1) ? (lua_toboolean(L, 1) ? "true" : "false") : luaL_typename(L, 1));
  }
  // Where: the function that raised it, or the one that called it when that is a C function
  // (error(), redis.call, a metamethod).
  lua_Debug ar;
  bool where = false;
  for (int level = 1; level <= 2; level++) {
    if (lua_getstack(L, level, &ar) == 0 || lua_getinfo(L, "Sl", &ar) == 0) break;
    if (std::string_view(ar.what) != "C") {
      where = ar.currentline >= 0 || ar.source != nullptr;
      break;
    }
  }
  if (where) {
    text += " script: " + e->running_sha_ + ", on " + std::string(ar.source) + ":" +
            std::to_string(ar.currentline) + ".";
  }
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

Engine::KillResult Engine::Kill(bool force, bool function) {
  std::lock_guard<std::mutex> lock(kill_mu_);
  if (!running_) return KillResult::kNotBusy;
  if (wrote_ && !force) return KillResult::kUnkillable;
  if (!force && running_function_ != function) return KillResult::kWrongKind;
  kill_.store(true, std::memory_order_release);
  return KillResult::kKilling;
}

bool Engine::BeginWrite() {
  std::lock_guard<std::mutex> lock(kill_mu_);
  if (kill_.load(std::memory_order_relaxed)) return false;
  wrote_ = true;
  return true;
}

void Engine::Hook(lua_State* L, lua_Debug*) {
  lua_getfield(L, LUA_REGISTRYINDEX, kEngineKey);
  auto* e = static_cast<Engine*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  if (e->loading_ != nullptr) {
    // Library code registers functions; it does not get to run for long (Redis: 500 ms).
    if (SteadyMs() - e->load_start_ms_ < kLoadTimeoutMs) return;
    e->call_.raised = ErrorTableText("FUNCTION LOAD timeout");
    lua_pushlstring(L, e->call_.raised.data(), e->call_.raised.size());
    lua_error(L);
  }
  if (e->busy_.load(std::memory_order_relaxed) == 0 &&
      SteadyMs() - e->start_ms_ >= e->busy_threshold_ms_) {
    e->busy_.store(e->running_function_ ? kBusyFunction : kBusyScript, std::memory_order_release);
    log::Warning(
        "Slow script detected: still in execution after {} milliseconds. You can try killing the "
        "script using the SCRIPT KILL command. Script name is: {}.",
        SteadyMs() - e->start_ms_, e->running_sha_);
  }
  if (!e->kill_.load(std::memory_order_acquire)) return;
  // From now on every line raises again, so that a pcall in the script cannot go on.
  lua_sethook(L, Hook, LUA_MASKLINE, 0);
  e->call_.raised = ErrorTableText(kKilledError);
  lua_pushlstring(L, e->call_.raised.data(), e->call_.raised.size());
  lua_error(L);
}

bool Engine::Run(std::string_view sha, std::span<const std::string> keys,
                 std::span<const std::string> args, Host& host, resp::ReplyWriter& out,
                 std::string* error) {
  std::string lower(sha);
  AsciiLowerInPlace(&lower);
  SetGlobalArrays(keys, args);
  lua_getfield(L_, LUA_REGISTRYINDEX, kHandlerKey);
  lua_getfield(L_, LUA_REGISTRYINDEX, kFunctionsKey);
  lua_pushlstring(L_, lower.data(), lower.size());
  lua_rawget(L_, -2);
  lua_remove(L_, -2);
  return Invoke(lower, 0, false, host, out, error);
}

void Engine::SetGlobalArrays(std::optional<std::span<const std::string>> keys,
                             std::optional<std::span<const std::string>> args) {
  globals_set_ = keys.has_value();
  lua_getfield(L_, LUA_REGISTRYINDEX, kGlobalsKey);
  for (auto [name, values] : {std::pair{"KEYS", keys}, {"ARGV", args}}) {
    lua_pushstring(L_, name);
    if (values) {
      PushArray(*values);
    } else {
      lua_pushnil(L_);
    }
    lua_rawset(L_, -3);
  }
  lua_pop(L_, 1);
}

void Engine::PushArray(std::span<const std::string> values) {
  lua_createtable(L_, static_cast<int>(values.size()), 0);
  for (size_t i = 0; i < values.size(); i++) {
    lua_pushlstring(L_, values[i].data(), values[i].size());
    lua_rawseti(L_, -2, static_cast<int>(i + 1));
  }
}

bool Engine::Invoke(std::string_view name, int nargs, bool function, Host& host,
                    resp::ReplyWriter& out, std::string* error) {
  call_.host = &host;
  call_.resp = 2;
  call_.raised.clear();
  rng_.Seed(0);
  {
    std::lock_guard<std::mutex> lock(kill_mu_);
    running_sha_.assign(name);
    start_ms_ = SteadyMs();
    running_ = true;
    running_function_ = function;
    wrote_ = false;
    kill_.store(false, std::memory_order_relaxed);
  }
  lua_sethook(L_, Hook, LUA_MASKCOUNT, kHookInstructions);
  bool ok = true;
  if (lua_pcall(L_, nargs, 1, -(nargs + 2)) != 0) {
    const char* msg = lua_tostring(L_, -1);
    *error = msg != nullptr ? msg : "ERR unknown error";
    ok = false;
  } else if (lua_istable(L_, -1)) {
    lua_pushstring(L_, "err");
    lua_rawget(L_, -2);
    if (lua_type(L_, -1) == LUA_TSTRING) {
      size_t len;
      const char* s = lua_tolstring(L_, -1, &len);
      error->assign(s, len);
      ok = false;
    } else {
      lua_pop(L_, 1);
      WriteValue(L_, -1, call_.resp, out);
    }
  } else {
    WriteValue(L_, -1, call_.resp, out);
  }
  lua_settop(L_, 0);
  lua_sethook(L_, nullptr, 0, 0);
  {
    std::lock_guard<std::mutex> lock(kill_mu_);
    running_ = false;
    running_command_.clear();
    kill_.store(false, std::memory_order_relaxed);
  }
  busy_.store(0, std::memory_order_release);
  call_.host = nullptr;
  // Lua's incremental collector paces itself by allocation; an explicit step per script cost a
  // quarter of EVALSHA's instructions (measured with callgrind).
  memory_.store(allocated_, std::memory_order_relaxed);
  return ok;
}

}  // namespace stash::script
