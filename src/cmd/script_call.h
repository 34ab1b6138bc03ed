// ScriptCaller: what redis.call and redis.pcall run (script::Host). A command of a script runs
// as Redis runs it: looked up, checked (unknown, arity, noscript, a write in a read-only script,
// with Redis's script error texts), then a write command on the script's Txn, a read command
// against the Txn's view through the calling session, so the script sees its own writes and
// nothing else runs in between. SELECT changes the script's database only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cmd/command.h"
#include "script/redis_lib.h"

namespace stash {

// The failure of a script whose error reply text is error, sent as it is (an empty text, or one
// starting with '-', included: ReplyWriter::Error would drop a leading '-').
inline CommandStatus ScriptError(std::string_view error) {
  std::string text;
  if (error.empty() || error.front() == '-') text.push_back('-');
  text.append(error);
  return Fail(std::move(text));
}

// Redis's BUSY errors: while a script (function: a function) runs past busy-reply-threshold.
inline constexpr const char* kBusyScriptError =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
inline constexpr const char* kBusyFunctionError =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

// SCRIPT KILL (function: FUNCTION KILL) on the connection's thread, while the writer runs the
// script: asks the engine to stop it, and replies as Redis does.
CommandStatus KillRunningScript(CommandContext& c, bool function);

class ScriptCaller : public script::Host {
 public:
  // ctx: the EVAL's. read_only: EVAL_RO, EVALSHA_RO, a no-writes script.
  ScriptCaller(WriteContext& ctx, bool read_only) : ctx_(ctx), db_(ctx.db), read_only_(read_only) {}

  void Call(std::vector<std::string>& argv, int proto, std::string* reply) override;
  bool CommandExists(std::string_view name) override;
  void Log(int level, std::string_view message) override;

 private:
  WriteContext& ctx_;
  int db_;  // the script's database (SELECT)
  const bool read_only_;
};

}  // namespace stash
