// Pub/Sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE,
// PUBLISH, SPUBLISH and PUBSUB CHANNELS | NUMSUB | NUMPAT | SHARDCHANNELS | SHARDNUMSUB | HELP.
// The session's side is cmd/subscriptions.h; the channels and delivery are pubsub/hub.h.
#include <fmt/format.h>

#include <span>

#include "cmd/command_table.h"
#include "cmd/keyspace_events.h"
#include "cmd/reply_util.h"
#include "cmd/server_api.h"
#include "cmd/session.h"
#include "pubsub/hub.h"
#include "resp/reply_writer.h"

namespace stash {
namespace {

using pubsub::Kind;

std::span<const std::string> Names(const CommandContext& c, size_t first) {
  return std::span<const std::string>(c.argv).subspan(first);
}

template <Kind kind>
CommandStatus Subscribe(CommandContext& c) {
  c.session.subscriptions().Subscribe(c.server.pubsub(), kind, Names(c, 1), c.out);
  return {};
}

template <Kind kind>
CommandStatus Unsubscribe(CommandContext& c) {
  c.session.subscriptions().Unsubscribe(c.server.pubsub(), kind, Names(c, 1), c.out);
  return {};
}

// PUBLISH / SPUBLISH. Inside EXEC the message waits in the group's outbox, to go out after the
// commit among the keyspace events in the order they happened; the reply counts the receivers
// now.
template <bool shard>
CommandStatus Publish(CommandContext& c) {
  pubsub::Hub& hub = c.server.pubsub();
  size_t n;
  if (c.events != nullptr) {
    n = hub.Receivers(c.argv[1], shard);
    c.events->Publish(c.argv[1], c.argv[2], shard);
  } else {
    n = shard ? hub.PublishShard(c.argv[1], c.argv[2]) : hub.Publish(c.argv[1], c.argv[2]);
  }
  c.out.Integer(static_cast<int64_t>(n));
  return {};
}

template <Kind kind>
CommandStatus Channels(CommandContext& c) {
  if (c.argv.size() > 3) {  // Redis's words for it, naming the subcommand as typed
    return Fail(fmt::format(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
        c.argv[1]));
  }
  const std::string* pattern = c.argv.size() > 2 ? &c.argv[2] : nullptr;
  c.out.BulkArray(c.server.pubsub().Channels(kind, pattern));
  return {};
}

template <Kind kind>
CommandStatus NumSub(CommandContext& c) {
  c.out.ArrayHeader((c.argv.size() - 2) * 2);
  for (const std::string& channel : Names(c, 2)) {
    c.out.Bulk(channel);
    c.out.Integer(static_cast<int64_t>(c.server.pubsub().NumSub(kind, channel)));
  }
  return {};
}

CommandStatus NumPat(CommandContext& c) {
  c.out.Integer(static_cast<int64_t>(c.server.pubsub().Count(Kind::kPattern)));
  return {};
}

CommandStatus PubSubHelp(CommandContext& c) {
  static const std::vector<std::string_view> kLines = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help."};
  ReplyHelp(c.out, kLines);
  return {};
}

// Redis's flags: a subscribing command may run on a subscribed RESP2 connection.
constexpr uint32_t kSub = kCmdPubsub | kCmdNoscript | kCmdLoading | kCmdStale | kCmdSubscribedOk;
constexpr uint32_t kPub = kCmdPubsub | kCmdLoading | kCmdStale | kCmdFast;
constexpr uint32_t kInfo = kCmdPubsub | kCmdLoading | kCmdStale;

const CommandSpec kPubSubSubcommands[] = {
    {.name = "channels", .arity = -2, .flags = kInfo, .handler = Channels<Kind::kChannel>},
    {.name = "numsub", .arity = -2, .flags = kInfo, .handler = NumSub<Kind::kChannel>},
    {.name = "numpat", .arity = 2, .flags = kInfo, .handler = NumPat},
    {.name = "shardchannels", .arity = -2, .flags = kInfo, .handler = Channels<Kind::kShard>},
    {.name = "shardnumsub", .arity = -2, .flags = kInfo, .handler = NumSub<Kind::kShard>},
    {.name = "help", .arity = 2, .flags = kCmdLoading | kCmdStale, .handler = PubSubHelp},
};

const CommandSpec kCommands[] = {
    {.name = "subscribe", .arity = -2, .flags = kSub, .handler = Subscribe<Kind::kChannel>},
    {.name = "unsubscribe", .arity = -1, .flags = kSub, .handler = Unsubscribe<Kind::kChannel>},
    {.name = "psubscribe", .arity = -2, .flags = kSub, .handler = Subscribe<Kind::kPattern>},
    {.name = "punsubscribe", .arity = -1, .flags = kSub, .handler = Unsubscribe<Kind::kPattern>},
    {.name = "ssubscribe",
     .arity = -2,
     .flags = kSub,
     .keys = {1, -1, 1},
     .handler = Subscribe<Kind::kShard>},
    {.name = "sunsubscribe",
     .arity = -1,
     .flags = kSub,
     .keys = {1, -1, 1},
     .handler = Unsubscribe<Kind::kShard>},
    {.name = "publish", .arity = 3, .flags = kPub, .handler = Publish<false>},
    {.name = "spublish", .arity = 3, .flags = kPub, .keys = {1, 1, 1}, .handler = Publish<true>},
    {.name = "pubsub", .arity = -2, .subcommands = kPubSubSubcommands},
};

}  // namespace

std::span<const CommandSpec> PubSubCommands() { return kCommands; }

}  // namespace stash
