// Engine's function libraries (FUNCTION LOAD, FCALL), as Redis 7.0 has them. A library is
// "#!lua name=<library>" then Lua code that calls redis.register_function for each of its
// functions; the code runs once, when loaded, in load globals (sandbox.h) where nothing but that
// registration is possible, and its functions then run as scripts do, with (keys, args) as
// their arguments instead of the KEYS and ARGV globals.
#include <lua.hpp>

#include <algorithm>
#include <chrono>

#include "script/engine.h"
#include "script/engine_keys.h"
#include "script/lua_convert.h"
#include "script/sandbox.h"
#include "util/strings.h"

namespace stash::script {
namespace {

constexpr const char* kBadName =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one "
    "character long";

bool ValidName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The library's first line: "#!lua name=<library>". Sets *name and *skip (the line's length).
bool ParseLibraryShebang(std::string_view code, std::string* name, size_t* skip,
                         std::string* error) {
  if (!code.starts_with("#!")) {
    *error = "ERR Missing library metadata";
    return false;
  }
  const size_t eol = code.find('\n');
  if (eol == std::string_view::npos) {
    *error = "ERR Invalid library metadata";
    return false;
  }
  *skip = eol;
  std::vector<std::string_view> parts = ShebangWords(code.substr(0, eol));
  if (!EqualsIgnoreCase(parts[0], "#!lua")) {
    *error = "ERR Engine '" + std::string(parts[0].substr(2)) + "' not found";
    return false;
  }
  bool named = false;
  for (size_t i = 1; i < parts.size(); i++) {
    if (parts[i].size() < 5 || !EqualsIgnoreCase(parts[i].substr(0, 5), "name=")) {
      *error = "ERR Invalid metadata value given: " + std::string(parts[i]);
      return false;
    }
    if (named) {
      *error = "ERR Invalid metadata value, name argument was given multiple times";
      return false;
    }
    named = true;
    name->assign(parts[i].substr(5));
  }
  if (!named) {
    *error = "ERR Library name was not given";
    return false;
  }
  if (!ValidName(*name)) {
    *error = std::string("ERR ") + kBadName;
    return false;
  }
  return true;
}

int64_t SteadyMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

Engine* EngineOf(lua_State* L) {
  return static_cast<Engine*>(lua_touserdata(L, lua_upvalueindex(1)));
}

}  // namespace

// Raises text (with the ERR code) as a registration error. No C++ object may be alive in the
// caller's frame.
#define STASH_REGISTER_FAIL(e, text)                                        \
  do {                                                                      \
    (e)->call_.raised = ErrorTableText(text);                               \
    lua_pushlstring(L, (e)->call_.raised.data(), (e)->call_.raised.size()); \
    return lua_error(L);                                                    \
  } while (0)

int Engine::RegisterFunction(lua_State* L) {
  Engine* e = EngineOf(L);
  if (e->loading_ == nullptr) STASH_REGISTER_FAIL(e, "redis.register_function is not available");
  const int argc = lua_gettop(L);
  const char* problem = nullptr;
  {
    Pending p;
    p.ref = LUA_NOREF;
    bool have_name = false, have_callback = false;
    if (argc == 1) {
      if (!lua_istable(L, 1)) {
        problem =
            "calling redis.register_function with a single argument is only applicable to Lua "
            "table (representing named arguments).";
      }
      lua_settop(L, 2);  // index 2 keeps the callback
      lua_pushnil(L);
      while (problem == nullptr && lua_next(L, 1) != 0) {
        const char* key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
        const std::string_view k(key);
        if (k == "function_name" && lua_type(L, -1) == LUA_TSTRING) {
          p.function.name = lua_tostring(L, -1);
          have_name = true;
        } else if (k == "function_name") {
          problem = "function_name argument given to redis.register_function must be a string";
        } else if (k == "callback" && lua_isfunction(L, -1)) {
          lua_pushvalue(L, -1);
          lua_replace(L, 2);  // kept at index 2 until registered
          have_callback = true;
        } else if (k == "callback") {
          problem = "callback argument given to redis.register_function must be a function";
        } else if (k == "description" && lua_type(L, -1) == LUA_TSTRING) {
          p.function.description = lua_tostring(L, -1);
        } else if (k == "description") {
          problem = "description argument given to redis.register_function must be a string";
        } else if (k == "flags" && lua_istable(L, -1)) {
          for (int i = 1; problem == nullptr; i++) {
            lua_rawgeti(L, -1, i);
            if (lua_isnil(L, -1)) {
              lua_pop(L, 1);
              break;
            }
            const std::string_view f = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
            if (f == "no-writes") {
              p.function.flags |= kScriptNoWrites;
            } else if (f == "allow-oom") {
              p.function.flags |= kScriptAllowOom;
            } else if (f == "allow-stale") {
              p.function.flags |= kScriptAllowStale;
            } else if (f == "no-cluster") {
              p.function.flags |= kScriptNoCluster;
            } else if (f == "allow-cross-slot-keys") {
              p.function.flags |= kScriptAllowCrossSlot;
            } else {
              problem = "unknown flag given";
            }
            lua_pop(L, 1);
          }
        } else if (k == "flags") {
          problem =
              "flags argument to redis.register_function must be a table representing "
              "function flags";
        } else {
          problem = "unknown argument given to redis.register_function";
        }
        lua_pop(L, 1);
      }
      if (problem == nullptr && !have_name) {
        problem = "redis.register_function must get a function name argument";
      } else if (problem == nullptr && !have_callback) {
        problem = "redis.register_function must get a callback argument";
      }
    } else if (argc == 2) {
      const char* name = lua_tostring(L, 1);
      if (name == nullptr) {
        problem = "first argument to redis.register_function must be a string";
      } else if (!lua_isfunction(L, 2)) {
        problem = "second argument to redis.register_function must be a function";
      } else {
        p.function.name = name;
      }
    } else {
      problem = "wrong number of arguments to redis.register_function";
    }
    if (problem == nullptr && !ValidName(p.function.name)) problem = kBadName;
    if (problem == nullptr) {
      for (const Pending& other : *e->loading_) {
        if (EqualsIgnoreCase(other.function.name, p.function.name))
          problem = "Function already exists in the library";
      }
    }
    if (problem == nullptr) {
      lua_pushvalue(L, 2);
      p.ref = luaL_ref(L, LUA_REGISTRYINDEX);
      e->loading_->push_back(std::move(p));
    }
  }
  if (problem != nullptr) STASH_REGISTER_FAIL(e, problem);
  return 0;
}

bool Engine::LoadLibrary(std::string_view code, bool replace, std::string* library,
                         std::string* error) {
  error->clear();
  size_t skip;
  if (!ParseLibraryShebang(code, library, &skip, error)) return false;
  auto existing = libraries_.find(*library);
  if (existing != libraries_.end() && !replace) {
    *error = "ERR Library '" + *library + "' already exists";
    return false;
  }
  if (luaL_loadbuffer(L_, code.data() + skip, code.size() - skip, "@user_function") != 0) {
    const char* msg = lua_tostring(L_, -1);
    *error = "ERR Error compiling function: " + std::string(msg ? msg : "?");
    lua_settop(L_, 0);
    return false;
  }
  PushLibraryEnv(L_);
  const int env = lua_gettop(L_);
  lua_pushvalue(L_, env);
  lua_setfenv(L_, env - 1);
  std::vector<Pending> pending;
  loading_ = &pending;
  call_.raised.clear();
  load_start_ms_ = SteadyMillis();
  lua_sethook(L_, Hook, LUA_MASKCOUNT, kHookInstructionsForLoad);
  lua_pushvalue(L_, env - 1);
  const int rc = lua_pcall(L_, 0, 0, 0);
  lua_sethook(L_, nullptr, 0, 0);
  loading_ = nullptr;
  if (rc != 0) {
    const char* msg = lua_tostring(L_, -1);
    std::string text = msg != nullptr ? msg : "unknown error";
    if (text != call_.raised) text.insert(0, "ERR ");
    *error = "ERR Error registering functions: " + text;
  } else if (pending.empty()) {
    *error = "ERR No functions registered";
  } else {
    for (const Pending& p : pending) {
      auto it = functions_.find(AsciiLower(p.function.name));
      if (it != functions_.end() && it->second.library != *library) {
        *error = "ERR Function " + p.function.name + " already exists";
        break;
      }
    }
  }
  if (!error->empty()) {
    for (const Pending& p : pending) luaL_unref(L_, LUA_REGISTRYINDEX, p.ref);
    lua_settop(L_, 0);
    return false;
  }
  ActivateLibraryEnv(L_, env);
  lua_settop(L_, 0);
  if (existing != libraries_.end()) DeleteLibrary(*library);
  Library lib;
  lib.code.assign(code);
  lua_getfield(L_, LUA_REGISTRYINDEX, kCallbacksKey);
  for (Pending& p : pending) {
    lib.functions.push_back(p.function.name);
    const std::string key = AsciiLower(p.function.name);  // function names are case-insensitive
    lua_pushlstring(L_, key.data(), key.size());
    lua_rawgeti(L_, LUA_REGISTRYINDEX, p.ref);
    lua_rawset(L_, -3);
    luaL_unref(L_, LUA_REGISTRYINDEX, p.ref);
    p.function.library = *library;
    functions_[key] = std::move(p.function);
  }
  lua_pop(L_, 1);
  libraries_[*library] = std::move(lib);
  CountLibraries();
  memory_.store(allocated_, std::memory_order_relaxed);
  return true;
}

void Engine::DropCallbacks(const std::vector<std::string>& names) {
  lua_getfield(L_, LUA_REGISTRYINDEX, kCallbacksKey);
  for (const std::string& name : names) {
    const std::string key = AsciiLower(name);
    lua_pushlstring(L_, key.data(), key.size());
    lua_pushnil(L_);
    lua_rawset(L_, -3);
    functions_.erase(key);
  }
  lua_pop(L_, 1);
}

bool Engine::DeleteLibrary(std::string_view name) {
  auto it = libraries_.find(name);
  if (it == libraries_.end()) return false;
  DropCallbacks(it->second.functions);
  libraries_.erase(it);
  CountLibraries();
  return true;
}

void Engine::FlushLibraries() {
  while (!libraries_.empty()) DeleteLibrary(libraries_.begin()->first);
  lua_gc(L_, LUA_GCCOLLECT, 0);
}

const Engine::Function* Engine::FindFunction(std::string_view name) const {
  auto it = functions_.find(AsciiLower(name));
  return it == functions_.end() ? nullptr : &it->second;
}

bool Engine::CallFunction(const Function& f, std::span<const std::string> argv,
                          std::span<const std::string> keys, std::span<const std::string> args,
                          Host& host, resp::ReplyWriter& out, std::string* error) {
  {
    std::lock_guard<std::mutex> lock(kill_mu_);
    running_command_.assign(argv.begin(), argv.end());
  }
  if (globals_set_) SetGlobalArrays(std::nullopt, std::nullopt);  // functions see no KEYS, ARGV
  lua_getfield(L_, LUA_REGISTRYINDEX, kHandlerKey);
  lua_getfield(L_, LUA_REGISTRYINDEX, kCallbacksKey);
  const std::string key = AsciiLower(f.name);
  lua_pushlstring(L_, key.data(), key.size());
  lua_rawget(L_, -2);
  lua_remove(L_, -2);
  PushArray(keys);
  PushArray(args);
  return Invoke(f.name, 2, true, host, out, error);
}

void Engine::CountLibraries() {
  libraries_changed_ = true;
  library_count_.store(libraries_.size(), std::memory_order_relaxed);
  function_count_.store(functions_.size(), std::memory_order_relaxed);
}

std::optional<Engine::Running> Engine::Current() const {
  std::lock_guard<std::mutex> lock(kill_mu_);
  if (!running_) return std::nullopt;
  return Running{running_sha_, running_function_, SteadyMillis() - start_ms_, running_command_};
}

}  // namespace stash::script
