// The `redis` table scripts see: call, pcall, error_reply, status_reply, sha1hex, log, setresp,
// set_repl, replicate_commands, breakpoint, debug, acl_check_cmd, the REPL_* and LOG_* constants
// and REDIS_VERSION(_NUM), with Redis 7.0's argument checks and error texts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

struct lua_State;

namespace stash::script {

// The server's side of a script: what redis.call runs. cmd implements it.
class Host {
 public:
  virtual ~Host() = default;
  // Runs argv as a command of the script and writes its whole reply, in RESP version proto (the
  // script's redis.setresp), to *reply. An error reply is the command's failure: redis.call
  // raises it, redis.pcall returns it.
  virtual void Call(std::vector<std::string>& argv, int proto, std::string* reply) = 0;
  // Whether name (any case) is a command a script may check (redis.acl_check_cmd).
  virtual bool CommandExists(std::string_view name) = 0;
  // redis.log; level is 0 (debug) .. 3 (warning).
  virtual void Log(int level, std::string_view message) = 0;
};

// What the library knows of the running script.
struct CallState {
  Host* host = nullptr;
  int resp = 2;  // redis.setresp
  // The text of the last error redis.call raised: the error handler passes it on as it is
  // (an error the script raises itself gets "ERR " in front).
  std::string raised;
};

// Sets the global `redis` (in the table at the top of the stack) to the library, whose
// functions act on state.
void OpenRedisLib(lua_State* L, CallState* state, std::string_view version, int version_num);

}  // namespace stash::script
