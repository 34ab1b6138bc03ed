// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH. Commands after MULTI are queued by the
// connection (net/connection.cc); EXEC sends the queue to the writer, which runs it as one
// atomic batch with no other client's write in between (cmd/writer.cc). WATCH runs on the
// writer so it is ordered with every write (cmd/watch.h).
#include "cmd/command_table.h"
#include "cmd/watch.h"
#include "net/connection.h"
#include "resp/reply_writer.h"
#include "server/server.h"

namespace stash {
namespace {

void Multi(CommandContext& c) {
  if (c.conn.in_multi()) return c.out.Error("ERR MULTI calls can not be nested");
  c.conn.BeginMulti();
  c.out.Simple("OK");
}

void Exec(CommandContext& c) {
  if (!c.conn.in_multi()) return c.out.Error("ERR EXEC without MULTI");
  if (c.conn.multi_error()) {
    c.conn.DiscardMulti();
    return c.out.Error("EXECABORT Transaction discarded because of previous errors.");
  }
  if (c.server.Loading()) {
    // The writer that runs transactions starts once the data directory is loaded.
    c.conn.DiscardMulti();
    return c.out.Error("LOADING Redis is loading the dataset in memory");
  }
  c.conn.SubmitExec();  // the reply comes from the writer
}

void Discard(CommandContext& c) {
  if (!c.conn.in_multi()) return c.out.Error("ERR DISCARD without MULTI");
  c.conn.DiscardMulti();
  c.out.Simple("OK");
}

void Unwatch(CommandContext& c) {
  c.conn.Unwatch();
  c.out.Simple("OK");
}

void Watch(WriteContext& c) {
  for (size_t i = 1; i < c.argv.size(); i++)
    c.watches.Watch(c.watch, c.db, c.argv[i], c.txn, c.now_ms);
  c.out.Simple("OK");
}

constexpr uint32_t kFlags = kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdAllowBusy;

const CommandSpec kCommands[] = {
    {"multi", 1, kFlags, 0, 0, 0, Multi},
    {"exec", 1, kCmdNoscript | kCmdLoading | kCmdStale | kCmdSkipSlowlog, 0, 0, 0, Exec},
    {"discard", 1, kFlags, 0, 0, 0, Discard},
    {"unwatch", 1, kFlags, 0, 0, 0, Unwatch},
    {"watch", -2, kFlags, 1, -1, 1, nullptr, {}, Watch},
};

}  // namespace

std::span<const CommandSpec> TransactionCommands() { return kCommands; }

}  // namespace stash
