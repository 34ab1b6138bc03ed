// A command is declared once, beside its handler, as a CommandSpec row in its group's table
// (e.g. the end of connection_commands.cc); CommandTable builds the lookup from those rows.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace stash {

class Server;
class Connection;
struct ServerStats;
struct WatchState;
class WatchRegistry;
namespace resp {
class ReplyWriter;
}
namespace store {
class Txn;
class KeyReader;
}  // namespace store

// Flags as COMMAND INFO names them.
enum CommandFlag : uint32_t {
  kCmdWrite = 1u << 0,
  kCmdReadonly = 1u << 1,
  kCmdDenyOom = 1u << 2,
  kCmdAdmin = 1u << 3,
  kCmdPubsub = 1u << 4,
  kCmdNoscript = 1u << 5,
  kCmdBlocking = 1u << 6,
  kCmdLoading = 1u << 7,  // allowed while loading
  kCmdStale = 1u << 8,
  kCmdSkipMonitor = 1u << 9,
  kCmdSkipSlowlog = 1u << 10,
  kCmdFast = 1u << 11,
  kCmdNoAuth = 1u << 12,  // allowed before AUTH
  kCmdNoMulti = 1u << 13,
  kCmdAllowBusy = 1u << 14,
};

// Names of the set flags, in COMMAND INFO's order.
std::vector<std::string_view> CommandFlagNames(uint32_t flags);

// What a handler sees: the calling connection, the server, its arguments, where to reply, and
// the keyspace as this command reads it (committed state; inside EXEC, the transaction's).
struct CommandContext {
  Server& server;
  Connection& conn;
  const std::vector<std::string>& argv;
  resp::ReplyWriter& out;
  store::KeyReader& keys;
};

using CommandHandler = void (*)(CommandContext&);

// What a write command sees on the writer thread: the group's Txn (reads see earlier writes of
// the group), the request's database, its arguments and where to reply. It never touches the
// connection, which lives on another thread.
struct WriteContext {
  store::Txn& txn;
  int db;
  const std::vector<std::string>& argv;
  resp::ReplyWriter& out;
  int64_t now_ms;
  ServerStats& stats;
  WatchRegistry& watches;
  const std::shared_ptr<WatchState>& watch;  // the connection's (WATCH adds keys to it)
};

using WriteHandler = void (*)(WriteContext&);

struct CommandSpec {
  std::string_view name;  // lowercase
  int arity;              // n: exactly n arguments (name included); -n: at least n
  uint32_t flags;
  int first_key, last_key, key_step;  // 0 0 0 when the command takes no keys
  CommandHandler handler;             // runs on the connection's thread; or nullptr
  std::span<const CommandSpec> subcommands = {};
  WriteHandler write = nullptr;  // runs on the writer thread (commands that may write)
};

}  // namespace stash
