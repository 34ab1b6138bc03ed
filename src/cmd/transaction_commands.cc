// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH. Commands after MULTI are queued by the
// session (cmd/session.cc); EXEC sends the queue to the writer, which runs it as one
// atomic batch with no other client's write in between (cmd/writer.cc). WATCH runs on the
// writer so it is ordered with every write (cmd/watch.h).
#include "cmd/command_table.h"
#include "cmd/errors.h"
#include "cmd/server_api.h"
#include "cmd/session.h"
#include "cmd/watch.h"
#include "resp/reply_writer.h"

namespace stash {
namespace {

CommandStatus Multi(CommandContext& c) {
  if (c.session.in_multi()) return Fail("ERR MULTI calls can not be nested");
  c.session.BeginMulti();
  c.out.Simple("OK");
  return {};
}

CommandStatus Exec(CommandContext& c) {
  if (!c.session.in_multi()) return Fail("ERR EXEC without MULTI");
  if (c.session.multi_error()) {
    c.session.DiscardMulti();
    return Fail("EXECABORT Transaction discarded because of previous errors.");
  }
  if (c.server.Loading()) {
    // The writer that runs transactions starts once the data directory is loaded.
    c.session.DiscardMulti();
    return Fail(kLoadingError);
  }
  c.session.SubmitExec();  // the reply comes from the writer
  return {};
}

CommandStatus Discard(CommandContext& c) {
  if (!c.session.in_multi()) return Fail("ERR DISCARD without MULTI");
  c.session.DiscardMulti();
  c.out.Simple("OK");
  return {};
}

CommandStatus Unwatch(CommandContext& c) {
  c.session.Unwatch();
  c.out.Simple("OK");
  return {};
}

CommandStatus Watch(WriteContext& c) {
  for (size_t i = 1; i < c.argv.size(); i++)
    c.watches.Watch(c.watch, c.db, c.argv[i], c.txn, c.now_ms);
  c.out.Simple("OK");
  return {};
}

constexpr uint32_t kFlags = kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdAllowBusy;

const CommandSpec kCommands[] = {
    {.name = "multi", .arity = 1, .flags = kFlags | kCmdNotQueued, .handler = Multi},
    {.name = "exec",
     .arity = 1,
     .flags =
         kCmdNoscript | kCmdLoading | kCmdStale | kCmdSkipSlowlog | kCmdNotQueued | kCmdEndsMulti,
     .handler = Exec},
    {.name = "discard", .arity = 1, .flags = kFlags | kCmdNotQueued, .handler = Discard},
    {.name = "unwatch", .arity = 1, .flags = kFlags, .handler = Unwatch},
    {.name = "watch",
     .arity = -2,
     .flags = kFlags | kCmdWatches,
     .keys = {1, -1, 1},
     .write = Watch},
};

}  // namespace

std::span<const CommandSpec> TransactionCommands() { return kCommands; }

}  // namespace stash
