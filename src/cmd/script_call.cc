#include "cmd/script_call.h"

#include "cmd/command_table.h"
#include "cmd/dispatch.h"
#include "cmd/errors.h"
#include "cmd/keyspace_util.h"
#include "cmd/server_api.h"
#include "cmd/session.h"
#include "cmd/writer.h"
#include "resp/reply_writer.h"
#include "script/engine.h"
#include "store/txn.h"
#include "util/log.h"
#include "util/strings.h"

namespace stash {
namespace {

CommandEntry* Lookup(ServerApi& server, const std::vector<std::string>& argv) {
  CommandEntry* entry = server.commands().Find(AsciiLower(argv[0]));
  if (entry == nullptr || entry->spec->subcommands.empty() || argv.size() < 2) return entry;
  auto it = entry->subcommands.find(AsciiLower(argv[1]));
  return it == entry->subcommands.end() ? nullptr : it->second.get();
}

bool ArityOk(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

}  // namespace

void ScriptCaller::Call(std::vector<std::string>& argv, int proto, std::string* reply) {
  resp::ReplyWriter out(reply);
  out.SetProtocol(proto);
  ServerApi& server = *ctx_.server;
  CommandEntry* entry = Lookup(server, argv);
  if (entry == nullptr) return out.Error("ERR Unknown Redis command called from script");
  const CommandSpec& spec = *entry->spec;
  if (!ArityOk(spec.arity, argv.size()) || (spec.handler == nullptr && spec.write == nullptr)) {
    return out.Error("ERR Wrong number of args calling Redis command from script");
  }
  if ((spec.flags & kCmdNoscript) || (spec.write == nullptr && ctx_.session == nullptr)) {
    return out.Error("ERR This Redis command is not allowed from script");
  }
  if (read_only_ && (spec.flags & kCmdWrite)) {
    return out.Error("ERR Write commands are not allowed from read-only scripts.");
  }
  if ((spec.flags & kCmdWrite) && !ctx_.scripts->BeginWrite()) {
    return out.Error("ERR Script killed by user with SCRIPT KILL...");
  }
  const int64_t start = MonotonicNanos();
  CommandStatus status;
  if (entry->fullname == "select") {
    // The script's database only: the caller's stays.
    int db;
    status = ParseDbIndex(argv[1], server.databases(), &db);
    if (status.ok()) {
      db_ = db;
      out.Simple("OK");
    }
  } else if (spec.write != nullptr) {
    WriteContext sub{ctx_.txn,   db_,          argv,       out,        ctx_.now_ms,
                     ctx_.stats, ctx_.watches, ctx_.watch, ctx_.events};
    sub.zset_listpack = ctx_.zset_listpack;  // blocking stays null: nothing blocks in a script
    sub.server = ctx_.server;
    sub.session = ctx_.session;
    sub.in_script = true;
    status = spec.write(sub);
  } else {
    Session& session = *ctx_.session;
    const int caller_db = session.db();
    session.SetDb(db_);
    CommandContext read{server, session, argv, out, ctx_.txn.reader(), &ctx_.events};
    status = spec.handler(read);
    if (status.ok()) session.TrackReads(*entry, argv, &ctx_.events);
    session.SetDb(caller_db);
  }
  Finish(ctx_.stats, *entry, MicrosSince(start), status, out);
}

CommandStatus KillRunningScript(CommandContext& c, bool function) {
  switch (c.server.writer().KillScript(false, function)) {
    case script::Engine::KillResult::kNotBusy:
      return Fail("NOTBUSY No scripts in execution right now.");
    case script::Engine::KillResult::kUnkillable:
      return Fail(
          "UNKILLABLE Sorry the script already executed write commands against the dataset. You "
          "can either wait the script termination or kill the server in a hard way using the "
          "SHUTDOWN NOSAVE command.");
    case script::Engine::KillResult::kWrongKind:
      return Fail(function ? kBusyScriptError : kBusyFunctionError);
    case script::Engine::KillResult::kKilling:
      break;
  }
  c.out.Simple("OK");
  return {};
}

bool ScriptCaller::CommandExists(std::string_view name) {
  return ctx_.server != nullptr && ctx_.server->commands().Find(AsciiLower(name)) != nullptr;
}

void ScriptCaller::Log(int level, std::string_view message) {
  log::Write(static_cast<log::Level>(level), message);
}

}  // namespace stash
