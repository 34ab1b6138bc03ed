#include "cmd/dispatch.h"

#include <fmt/format.h>

#include <chrono>

#include "cmd/command_table.h"
#include "cmd/errors.h"
#include "cmd/script_call.h"
#include "cmd/server_api.h"
#include "cmd/session.h"
#include "cmd/stats.h"
#include "resp/reply_writer.h"
#include "script/engine.h"
#include "util/strings.h"

namespace stash {
namespace {

bool ArityOk(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

}  // namespace

std::string UnknownCommandError(const std::vector<std::string>& argv) {
  std::string args;
  for (size_t i = 1; i < argv.size() && args.size() < 128; i++) {
    size_t room = 128 - args.size();
    args += fmt::format("'{}' ", std::string_view(argv[i]).substr(0, room));
  }
  return fmt::format("ERR unknown command '{}', with args beginning with: {}",
                     std::string_view(argv[0]).substr(0, 128), args);
}

int64_t MonotonicNanos() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

int64_t MicrosSince(int64_t start_ns) { return (MonotonicNanos() - start_ns) / 1000; }

CommandEntry* Resolve(ServerApi& server, const Session& session,
                      const std::vector<std::string>& argv, std::string* error) {
  error->clear();
  thread_local std::string name;
  // The last name this thread resolved, as sent, and its entry: a pipeline repeats its command,
  // and the table never changes while the server runs.
  thread_local std::string last_sent;
  thread_local uint64_t last_table = 0;
  thread_local CommandEntry* last_entry = nullptr;
  CommandEntry* entry;
  if (last_entry != nullptr && last_table == server.commands().id() && argv[0] == last_sent) {
    entry = last_entry;
  } else {
    name.assign(argv[0]);
    AsciiLowerInPlace(&name);
    entry = server.commands().Find(name);
    if (entry == nullptr) {
      *error = UnknownCommandError(argv);
      return nullptr;
    }
    last_sent.assign(argv[0]);
    last_table = server.commands().id();
    last_entry = entry;
  }
  if (!entry->spec->subcommands.empty() && argv.size() >= 2) {
    name.assign(argv[1]);
    AsciiLowerInPlace(&name);
    auto it = entry->subcommands.find(name);
    if (it == entry->subcommands.end()) {
      *error = UnknownSubcommandError(argv[1], entry->fullname);
      return nullptr;
    }
    entry = it->second.get();
  }
  const CommandSpec& spec = *entry->spec;
  if (!ArityOk(spec.arity, argv.size()) || (spec.handler == nullptr && spec.write == nullptr)) {
    *error = WrongArityError(entry->fullname);
  } else if (!session.authenticated() && !(spec.flags & kCmdNoAuth) && server.AuthRequired()) {
    *error = kNoAuthError;
  } else if (session.InPubSubContext() && !(spec.flags & kCmdSubscribedOk)) {
    *error = fmt::format(
        "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
        "allowed in this context",
        entry->fullname);
  } else if (server.Loading() && (!(spec.flags & kCmdLoading) || spec.write != nullptr)) {
    // While the data directory loads only `loading` commands run, and of those not the ones
    // that go through the writer (WATCH), which starts once loading is done.
    *error = kLoadingError;
  } else if (int busy = (spec.flags & kCmdAllowBusy) ? 0 : server.ScriptBusy(); busy != 0) {
    // A script has run past busy-reply-threshold (script_commands.cc): as Redis, everything
    // but the few allow-busy commands (SCRIPT KILL, SHUTDOWN, ...) is refused until it ends.
    *error = busy == script::Engine::kBusyFunction ? kBusyFunctionError : kBusyScriptError;
  }
  return entry;
}

void ReplyError(ServerStats& stats, std::string_view error, resp::ReplyWriter& out) {
  out.Error(error);
  stats.CountErrorReply(error);
}

void Reject(ServerStats& stats, CommandEntry* entry, std::string_view error,
            resp::ReplyWriter& out) {
  if (entry != nullptr) entry->rejected_calls.fetch_add(1, std::memory_order_relaxed);
  ReplyError(stats, error, out);
}

void Finish(ServerStats& stats, CommandEntry& entry, int64_t usec, const CommandStatus& status,
            resp::ReplyWriter& out) {
  if (entry.spec->flags & kCmdUncounted) return;  // internal: no reply, counted nowhere
  entry.calls.fetch_add(1, std::memory_order_relaxed);
  entry.usec.fetch_add(static_cast<uint64_t>(usec), std::memory_order_relaxed);
  stats.total_commands_processed.fetch_add(1, std::memory_order_relaxed);
  if (status.ok()) return;
  entry.failed_calls.fetch_add(1, std::memory_order_relaxed);
  ReplyError(stats, status.error(), out);
}

void FinishUnblocked(ServerStats& stats, CommandEntry& entry, int64_t usec,
                     const CommandStatus& status, resp::ReplyWriter& out) {
  entry.usec.fetch_add(static_cast<uint64_t>(usec), std::memory_order_relaxed);
  if (status.ok()) return;
  entry.failed_calls.fetch_add(1, std::memory_order_relaxed);
  ReplyError(stats, status.error(), out);
}

void Run(ServerApi& server, Session& session, CommandEntry& entry,
         const std::vector<std::string>& argv, resp::ReplyWriter& out, store::KeyReader& keys) {
  session.SetLastCommand(&entry);
  int64_t start = MonotonicNanos();
  CommandContext ctx{server, session, argv, out, keys};
  CommandStatus status = entry.spec->handler(ctx);
  Finish(server.stats(), entry, MicrosSince(start), status, out);
}

}  // namespace stash
