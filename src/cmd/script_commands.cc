// Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD | EXISTS | FLUSH |
// KILL | HELP. Every one runs on the writer thread, which owns the Lua engine
// (script/engine.h): a script runs between two other commands with nothing in between, its
// writes go into the group's Txn like any command's, and the group commits them as one WAL
// batch, so after a crash a script's writes are all there or none are. The read-only forms run
// there too (a script is short, and one engine is simpler than one per I/O thread); they refuse
// write commands with Redis's error.
#include <span>
#include <string>

#include "cmd/command.h"
#include "cmd/errors.h"
#include "cmd/reply_util.h"
#include "cmd/script_call.h"
#include "cmd/server_api.h"
#include "cmd/writer.h"
#include "resp/reply_writer.h"
#include "script/engine.h"
#include "util/strings.h"

namespace stash {
namespace {

constexpr const char* kNoScriptError = "NOSCRIPT No matching script. Please use EVAL.";

// EVAL script numkeys [key ...] [arg ...] and its forms (by_sha: argv[1] is a SHA-1).
CommandStatus RunScript(WriteContext& c, bool by_sha, bool read_only) {
  if (by_sha && c.argv[1].size() != 40) return Fail(kNoScriptError);
  int64_t numkeys;
  if (!ParseInteger(c.argv[2], &numkeys)) return Fail(kNotIntegerError);
  if (numkeys > static_cast<int64_t>(c.argv.size()) - 3) {
    return Fail("ERR Number of keys can't be greater than number of args");
  }
  if (numkeys < 0) return Fail("ERR Number of keys can't be negative");
  if (c.scripts == nullptr || c.server == nullptr) return Fail("ERR scripting is not available");
  std::string sha = c.argv[1];
  std::string error;
  if (!by_sha && !c.scripts->Load(c.argv[1], &sha, &error)) return Fail(error);
  uint32_t flags = 0;
  if (!c.scripts->Find(sha, &flags)) return Fail(kNoScriptError);
  const bool no_writes = flags & script::kScriptNoWrites;
  if (read_only && (flags & script::kScriptShebang) && !no_writes) {
    return Fail("ERR Can not execute a script with write flag using *_ro command.");
  }
  ScriptCaller host(c, read_only || no_writes);
  c.scripts->SetBusyThreshold(c.server->BusyReplyThresholdMs());
  std::span<const std::string> args(c.argv);
  if (!c.scripts->Run(sha, args.subspan(3, numkeys), args.subspan(3 + numkeys), host, c.out,
                      &error)) {
    return ScriptError(error);
  }
  return {};
}

CommandStatus Eval(WriteContext& c) { return RunScript(c, false, false); }
CommandStatus EvalSha(WriteContext& c) { return RunScript(c, true, false); }
CommandStatus EvalRo(WriteContext& c) { return RunScript(c, false, true); }
CommandStatus EvalShaRo(WriteContext& c) { return RunScript(c, true, true); }

CommandStatus ScriptLoad(WriteContext& c) {
  if (c.scripts == nullptr) return Fail("ERR scripting is not available");
  std::string sha, error;
  if (!c.scripts->Load(c.argv[2], &sha, &error)) return Fail(error);
  c.out.Bulk(sha);
  return {};
}

CommandStatus ScriptExists(WriteContext& c) {
  if (c.scripts == nullptr) return Fail("ERR scripting is not available");
  c.out.ArrayHeader(c.argv.size() - 2);
  for (size_t i = 2; i < c.argv.size(); i++) c.out.Integer(c.scripts->Find(c.argv[i]) ? 1 : 0);
  return {};
}

CommandStatus ScriptFlush(WriteContext& c) {
  if (c.argv.size() > 3 || (c.argv.size() == 3 && !EqualsIgnoreCase(c.argv[2], "sync") &&
                            !EqualsIgnoreCase(c.argv[2], "async"))) {
    return Fail("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  }
  if (c.scripts == nullptr) return Fail("ERR scripting is not available");
  c.scripts->Flush();
  c.out.Simple("OK");
  return {};
}

CommandStatus ScriptKill(CommandContext& c) { return KillRunningScript(c, false); }

CommandStatus ScriptHelp(CommandContext& c) {
  static constexpr std::string_view kLines[] = {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help."};
  ReplyHelp(c.out, kLines);
  return {};
}

constexpr uint32_t kEvalFlags = kCmdNoscript | kCmdSkipMonitor | kCmdStale;

const CommandSpec kScriptSubcommands[] = {
    {.name = "load", .arity = 3, .flags = kCmdNoscript | kCmdStale, .write = ScriptLoad},
    {.name = "exists", .arity = -3, .flags = kCmdNoscript | kCmdStale, .write = ScriptExists},
    {.name = "flush", .arity = -2, .flags = kCmdNoscript, .write = ScriptFlush},
    {.name = "kill", .arity = 2, .flags = kCmdNoscript | kCmdAllowBusy, .handler = ScriptKill},
    {.name = "help", .arity = 2, .flags = kCmdLoading | kCmdStale, .handler = ScriptHelp},
};

const CommandSpec kCommands[] = {
    {.name = "eval", .arity = -3, .flags = kEvalFlags, .write = Eval},
    {.name = "evalsha", .arity = -3, .flags = kEvalFlags, .write = EvalSha},
    {.name = "eval_ro", .arity = -3, .flags = kEvalFlags | kCmdReadonly, .write = EvalRo},
    {.name = "evalsha_ro", .arity = -3, .flags = kEvalFlags | kCmdReadonly, .write = EvalShaRo},
    {.name = "script", .arity = -2, .subcommands = kScriptSubcommands},
};

}  // namespace

std::span<const CommandSpec> ScriptCommands() { return kCommands; }

}  // namespace stash
