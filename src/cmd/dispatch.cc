#include "cmd/dispatch.h"

#include <fmt/format.h>

#include <chrono>

#include "cmd/command_table.h"
#include "net/connection.h"
#include "resp/reply_writer.h"
#include "server/server.h"

namespace stash {
namespace {

void Lowercase(const std::string& in, std::string* out) {
  out->assign(in);
  for (char& c : *out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
}

bool ArityOk(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

std::string Uppercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - ('a' - 'A'));
  }
  return out;
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

CommandEntry* Resolve(Server& server, Connection& conn, const std::vector<std::string>& argv,
                      std::string* error) {
  thread_local std::string name;
  Lowercase(argv[0], &name);
  CommandEntry* entry = server.commands().Find(name);
  if (entry == nullptr) {
    *error = UnknownCommandError(argv);
    return nullptr;
  }
  if (!entry->spec->subcommands.empty() && argv.size() >= 2) {
    Lowercase(argv[1], &name);
    auto it = entry->subcommands.find(name);
    if (it == entry->subcommands.end()) {
      *error = fmt::format("ERR unknown subcommand '{}'. Try {} HELP.",
                           std::string_view(argv[1]).substr(0, 128), Uppercase(entry->fullname));
      return nullptr;
    }
    entry = it->second.get();
  }
  const CommandSpec& spec = *entry->spec;
  if (!ArityOk(spec.arity, argv.size()) || (spec.handler == nullptr && spec.write == nullptr)) {
    *error = fmt::format("ERR wrong number of arguments for '{}' command", entry->fullname);
    entry->rejected_calls.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  if (!conn.authenticated() && !(spec.flags & kCmdNoAuth) && server.AuthRequired()) {
    *error = "NOAUTH Authentication required.";
    entry->rejected_calls.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  // While the data directory loads only `loading` commands run, and of those not the ones that
  // go through the writer (WATCH), which starts once loading is done.
  if (server.Loading() && (!(spec.flags & kCmdLoading) || spec.write != nullptr)) {
    *error = "LOADING Redis is loading the dataset in memory";
    entry->rejected_calls.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  return entry;
}

void Reject(Server& server, CommandEntry*, const std::string& error, resp::ReplyWriter& writer) {
  writer.Error(error);
  server.stats().total_error_replies.fetch_add(1, std::memory_order_relaxed);
}

void Run(Server& server, Connection& conn, CommandEntry* entry,
         const std::vector<std::string>& argv, resp::ReplyWriter& writer, const std::string& out,
         store::KeyReader& keys) {
  ServerStats& stats = server.stats();
  conn.SetLastCommand(entry);
  size_t before = out.size();
  auto start = std::chrono::steady_clock::now();
  CommandContext ctx{server, conn, argv, writer, keys};
  entry->spec->handler(ctx);
  auto usec = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
  entry->calls.fetch_add(1, std::memory_order_relaxed);
  entry->usec.fetch_add(static_cast<uint64_t>(usec), std::memory_order_relaxed);
  stats.total_commands_processed.fetch_add(1, std::memory_order_relaxed);
  // A reply that starts with an error marker means the command failed (RESP2 '-', RESP3 '!').
  if (out.size() > before && (out[before] == '-' || out[before] == '!')) {
    entry->failed_calls.fetch_add(1, std::memory_order_relaxed);
    stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace stash
