#include "script/redis_lib.h"

#include <lua.hpp>

#include <cstdio>

#include "script/lua_convert.h"
#include "util/log.h"
#include "util/sha1.h"

namespace stash::script {
namespace {

CallState* State(lua_State* L) {
  return static_cast<CallState*>(lua_touserdata(L, lua_upvalueindex(1)));
}

// Raises the error text (Redis's code is added when it has none). No C++ object may be alive
// in the caller's frame: lua_error does not return.
int Raise(lua_State* L, const char* text) {
  CallState* st = State(L);
  st->raised = ErrorTableText(text);
  lua_pushlstring(L, st->raised.data(), st->raised.size());
  return lua_error(L);
}

void PushErrorTable(lua_State* L, std::string_view text) {
  lua_newtable(L);
  lua_pushlstring(L, text.data(), text.size());
  lua_setfield(L, -2, "err");
}

// redis.call (raise) and redis.pcall: runs the command; its reply is pushed, or its error raised
// (call) or pushed as {err = text} (pcall).
int GenericCall(lua_State* L, bool raise) {
  CallState* st = State(L);
  bool raising = false;
  {
    std::string reply;
    const int argc = lua_gettop(L);
    if (argc == 0) {
      reply = "-ERR Please specify at least one argument for this redis lib call\r\n";
    } else {
      std::vector<std::string> argv;
      argv.reserve(argc);
      for (int i = 1; i <= argc; i++) {
        const int type = lua_type(L, i);
        if (type == LUA_TSTRING) {
          size_t len;
          const char* s = lua_tolstring(L, i, &len);
          argv.emplace_back(s, len);
        } else if (type == LUA_TNUMBER) {
          // Not lua_tolstring: its %.14g loses precision.
          char buf[64];
          const int n = std::snprintf(buf, sizeof(buf), "%.17g", lua_tonumber(L, i));
          argv.emplace_back(buf, n);
        } else {
          argv.clear();
          break;
        }
      }
      if (argv.empty()) {
        reply = "-ERR Lua redis lib command arguments must be strings or integers\r\n";
      } else {
        st->host->Call(argv, st->resp, &reply);
      }
    }
    if (!reply.empty() && reply[0] == '-') {
      std::string text = ErrorTableText(std::string_view(reply).substr(0, reply.find("\r\n")));
      if (raise) {
        st->raised = std::move(text);
        lua_pushlstring(L, st->raised.data(), st->raised.size());
        raising = true;
      } else {
        PushErrorTable(L, text);
      }
    } else if (!PushReply(L, reply)) {
      PushErrorTable(L, "ERR the command's reply could not be read");
    }
  }
  if (raising) return lua_error(L);
  return 1;
}

int Call(lua_State* L) { return GenericCall(L, true); }
int PCall(lua_State* L) { return GenericCall(L, false); }

// redis.error_reply / redis.status_reply: one string argument, or an error table.
bool OneString(lua_State* L) { return lua_gettop(L) == 1 && lua_type(L, 1) == LUA_TSTRING; }

int ErrorReply(lua_State* L) {
  if (!OneString(L)) {
    PushErrorTable(L, "ERR wrong number or type of arguments");
    return 1;
  }
  size_t len;
  const char* s = lua_tolstring(L, 1, &len);
  std::string text(s, len);
  if (text.empty() || text[0] != '-') text.insert(0, "-");
  PushErrorTable(L, ErrorTableText(text));
  return 1;
}

int StatusReply(lua_State* L) {
  if (!OneString(L)) {
    PushErrorTable(L, "ERR wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "ok");
  return 1;
}

int Sha1hex(lua_State* L) {
  if (lua_gettop(L) != 1) return Raise(L, "wrong number of arguments");
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);  // not a string or number: hashes ""
  if (s == nullptr) s = "";
  char hex[41];
  Sha1Hex(std::string_view(s, len)).copy(hex, 40);
  lua_pushlstring(L, hex, 40);
  return 1;
}

int Log(lua_State* L) {
  const int argc = lua_gettop(L);
  if (argc < 2) return Raise(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) return Raise(L, "First argument must be a number (log level).");
  const lua_Number level = lua_tonumber(L, 1);
  if (level < 0 || level > 3) return Raise(L, "Invalid debug level.");
  std::string message;
  for (int i = 2; i <= argc; i++) {
    size_t len;
    const char* s = lua_tolstring(L, i, &len);
    if (s == nullptr) continue;
    if (i > 2) message += ' ';
    message.append(s, len);
  }
  if (State(L)->host != nullptr) {
    State(L)->host->Log(static_cast<int>(level), message);
  } else {  // library code, while it loads
    log::Write(static_cast<log::Level>(static_cast<int>(level)), message);
  }
  return 0;
}

int SetResp(lua_State* L) {
  if (lua_gettop(L) != 1) return Raise(L, "redis.setresp() requires one argument.");
  const lua_Number v = lua_tonumber(L, 1);
  if (v != 2 && v != 3) return Raise(L, "RESP version must be 2 or 3.");
  State(L)->resp = static_cast<int>(v);
  return 0;
}

int SetRepl(lua_State* L) {
  if (lua_gettop(L) != 1) return Raise(L, "redis.set_repl() requires two arguments.");
  const lua_Number flags = lua_tonumber(L, 1);
  if (flags < 0 || flags > 3 || flags != static_cast<int>(flags)) {
    return Raise(L,
                 "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  return 0;  // StashDB has no replication; every write is in the WAL
}

int ReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

int Breakpoint(lua_State* L) {
  lua_pushboolean(L, 0);  // no debugger session
  return 1;
}

int Debug(lua_State*) { return 0; }

int AclCheckCmd(lua_State* L) {
  if (lua_gettop(L) < 1)
    return Raise(L, "Please specify at least one argument for this redis lib call");
  bool exists = false;
  {
    size_t len;
    const char* s = lua_tolstring(L, 1, &len);
    exists = s != nullptr && State(L)->host->CommandExists(std::string_view(s, len));
  }
  if (!exists) return Raise(L, "Invalid command passed to redis.acl_check_cmd()");
  lua_pushboolean(L, 1);  // no ACL users: the default user may run everything
  return 1;
}

}  // namespace

void OpenRedisLib(lua_State* L, CallState* state, std::string_view version, int version_num) {
  static const luaL_Reg kFunctions[] = {
      {"call", Call},
      {"pcall", PCall},
      {"error_reply", ErrorReply},
      {"status_reply", StatusReply},
      {"sha1hex", Sha1hex},
      {"log", Log},
      {"setresp", SetResp},
      {"set_repl", SetRepl},
      {"replicate_commands", ReplicateCommands},
      {"breakpoint", Breakpoint},
      {"debug", Debug},
      {"acl_check_cmd", AclCheckCmd},
  };
  lua_newtable(L);
  for (const luaL_Reg& f : kFunctions) {
    lua_pushlightuserdata(L, state);
    lua_pushcclosure(L, f.func, 1);
    lua_setfield(L, -2, f.name);
  }
  const std::pair<const char*, int> kConstants[] = {
      {"REPL_NONE", 0}, {"REPL_AOF", 1},    {"REPL_SLAVE", 2}, {"REPL_REPLICA", 2}, {"REPL_ALL", 3},
      {"LOG_DEBUG", 0}, {"LOG_VERBOSE", 1}, {"LOG_NOTICE", 2}, {"LOG_WARNING", 3},
  };
  for (const auto& [name, value] : kConstants) {
    lua_pushnumber(L, value);
    lua_setfield(L, -2, name);
  }
  lua_pushlstring(L, version.data(), version.size());
  lua_setfield(L, -2, "REDIS_VERSION");
  lua_pushnumber(L, version_num);
  lua_setfield(L, -2, "REDIS_VERSION_NUM");
  lua_setfield(L, -2, "redis");
}

}  // namespace stash::script
