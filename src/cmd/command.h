// The shape of a command (docs/adding-a-command.md). A command is declared once, beside its
// handlers, as a CommandSpec row with named fields in its group's table, e.g.
//
//   const CommandSpec kCommands[] = {
//       {.name = "get", .arity = 2, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
//        .handler = Get},
//   };
//
// A handler replies through c.out and returns OK, or returns Fail(text) (text is Redis's error
// reply, e.g. kSyntaxError from cmd/errors.h) and writes nothing: the framework (dispatch.cc,
// writer.cc) writes the error reply and counts it in INFO errorstats and failed_calls.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stash {

class KeyEvents;
struct BlockingOp;
class ServerApi;
class Session;
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
namespace script {
class Engine;
}

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
  // StashDB's own, not shown by COMMAND INFO: how a session treats the command.
  kCmdNotQueued = 1u << 24,     // inside MULTI it runs at once (MULTI, EXEC, DISCARD, QUIT, RESET)
  kCmdEndsMulti = 1u << 25,     // refused, it ends the transaction with EXECABORT (EXEC)
  kCmdWatches = 1u << 26,       // adds to the session's WATCH set; refused inside MULTI (WATCH)
  kCmdSubscribedOk = 1u << 27,  // runs on a RESP2 connection that subscribes (PING, QUIT, ...)
  kCmdUncounted = 1u << 28,     // internal (lazy expiry): no reply, not in INFO's counts
};

// Names of the COMMAND INFO flags set in flags, in COMMAND INFO's order.
std::vector<std::string_view> CommandFlagNames(uint32_t flags);

// What a handler returns: OK, or the error reply the framework sends for it.
class [[nodiscard]] CommandStatus {
 public:
  CommandStatus() = default;
  static CommandStatus Error(std::string text) {
    CommandStatus s;
    s.error_ = std::move(text);
    return s;
  }
  bool ok() const { return error_.empty(); }
  // The whole error reply without the leading '-', e.g. "ERR syntax error".
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

inline CommandStatus Fail(std::string text) { return CommandStatus::Error(std::move(text)); }

// Returns from the calling handler when expr, a CommandStatus, is an error.
#define STASH_RETURN_IF_FAILED(expr)                                                  \
  do {                                                                                \
    if (::stash::CommandStatus stash_st_ = (expr); !stash_st_.ok()) return stash_st_; \
  } while (0)

// What a handler sees on its connection's thread: the server, the calling session, its
// arguments, where to reply, and the keyspace as this command reads it (committed state;
// inside EXEC, the transaction's).
struct CommandContext {
  ServerApi& server;
  Session& session;
  const std::vector<std::string>& argv;
  resp::ReplyWriter& out;
  store::KeyReader& keys;
  // Inside EXEC (on the writer): the group's outbox, where PUBLISH and keyspace events wait for
  // the commit (cmd/keyspace_events.h). Null on the connection's thread.
  KeyEvents* events = nullptr;
};

using CommandHandler = CommandStatus (*)(CommandContext&);

// What a write command sees on the writer thread: the group's Txn (reads see earlier writes of
// the group), the request's database, its arguments and where to reply. It never touches the
// session, which lives on another thread. A handler whose Txn read failed returns at once: the
// writer takes its writes back and replies the read error (docs/errors.md).
struct WriteContext {
  store::Txn& txn;
  int db;
  const std::vector<std::string>& argv;
  resp::ReplyWriter& out;
  int64_t now_ms;
  ServerStats& stats;
  WatchRegistry& watches;
  const std::shared_ptr<WatchState>& watch;  // the session's (WATCH adds keys to it)
  KeyEvents& events;                         // keyspace notifications (cmd/keyspace_events.h)
  // A blocking command's exchange with the writer (cmd/blocking.h); null: it may not block.
  BlockingOp* blocking = nullptr;
  // zset-max-listpack-entries / -value as the group began (zset_commands.cc).
  std::pair<int64_t, int64_t> zset_listpack = {128, 64};
  // For scripts (script_commands.cc): the Lua engine, the server, and the calling session,
  // which waits for this reply (its read commands run against the Txn). Null in engine tests.
  script::Engine* scripts = nullptr;
  ServerApi* server = nullptr;
  Session* session = nullptr;
  bool in_script = false;  // called by a script (redis.call)

  // Reports Redis's keyspace event (class cls: config/notify_flags.h) on key in db (default:
  // the request's database).
  void Notify(uint32_t cls, std::string_view event, std::string_view key, int in_db = -1);
};

using WriteHandler = CommandStatus (*)(WriteContext&);

// Which arguments are keys, as COMMAND INFO reports them: first, last (-1: the last argument),
// step. All 0 when the command takes no keys.
struct KeyPositions {
  int first = 0, last = 0, step = 0;
};

struct CommandSpec {
  std::string_view name;  // lowercase
  int arity = 0;          // n: exactly n arguments (name included); -n: at least n
  uint32_t flags = 0;
  KeyPositions keys = {};
  CommandHandler handler = nullptr;  // runs on the connection's thread
  WriteHandler write = nullptr;      // runs on the writer thread (commands that may write)
  std::span<const CommandSpec> subcommands = {};
};

}  // namespace stash
