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
inline CommandStatus ScriptError(std::string error) {
  if (error.empty() || error[0] == '-') error.insert(0, "-");
  return Fail(std::move(error));
}

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
