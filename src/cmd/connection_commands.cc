// Connection commands: PING, ECHO, QUIT, HELLO, AUTH, SELECT, RESET.
#include <fmt/format.h>

#include "cmd/command_table.h"
#include "cmd/errors.h"
#include "cmd/keyspace_util.h"
#include "cmd/reply_util.h"
#include "cmd/server_api.h"
#include "cmd/session.h"
#include "resp/reply_writer.h"

namespace stash {
namespace {

CommandStatus Ping(CommandContext& c) {
  if (c.argv.size() > 2) return Fail(WrongArityError("ping"));
  if (c.session.InPubSubContext()) {  // RESP2 subscribed: Redis answers as a Pub/Sub frame
    c.out.ArrayHeader(2);
    c.out.Bulk("pong");
    c.out.Bulk(c.argv.size() == 2 ? std::string_view(c.argv[1]) : std::string_view());
    return {};
  }
  if (c.argv.size() == 2) {
    c.out.Bulk(c.argv[1]);
  } else {
    c.out.Simple("PONG");
  }
  return {};
}

CommandStatus Echo(CommandContext& c) {
  c.out.Bulk(c.argv[1]);
  return {};
}

CommandStatus Quit(CommandContext& c) {
  c.out.Simple("OK");
  c.session.CloseAfterReply();
  return {};
}

// Checks user/password against the default user (requirepass). A user other than "default" does
// not exist in StashDB.
bool Authenticate(CommandContext& c, const std::string& user, const std::string& password) {
  if (user != "default") return false;
  if (!c.server.AuthRequired()) return true;  // default user with no password: any password
  return c.server.CheckPassword(password);
}

CommandStatus Auth(CommandContext& c) {
  if (c.argv.size() > 3) {
    return Fail(kSyntaxError);
  }
  if (c.argv.size() == 2 && !c.server.AuthRequired()) {
    return Fail(
        "ERR AUTH <password> called without any password configured for the default user. Are "
        "you sure your configuration is correct?");
  }
  const std::string& user = c.argv.size() == 3 ? c.argv[1] : std::string("default");
  const std::string& password = c.argv.back();
  if (!Authenticate(c, user, password)) {
    return Fail(kWrongPassError);
  }
  c.session.SetAuthenticated(true);
  c.out.Simple("OK");
  return {};
}

CommandStatus Hello(CommandContext& c) {
  int64_t ver = 0;
  if (c.argv.size() >= 2) {
    if (!ParseInteger(c.argv[1], &ver)) {
      return Fail("ERR Protocol version is not an integer or out of range");
    }
    if (ver < 2 || ver > 3) {
      return Fail("NOPROTO unsupported protocol version");
    }
  }
  const std::string* user = nullptr;
  const std::string* pass = nullptr;
  const std::string* name = nullptr;
  for (size_t j = 2; j < c.argv.size(); j++) {
    size_t more = c.argv.size() - 1 - j;
    if (EqualsIgnoreCase(c.argv[j], "auth") && more >= 2) {
      user = &c.argv[j + 1];
      pass = &c.argv[j + 2];
      j += 2;
    } else if (EqualsIgnoreCase(c.argv[j], "setname") && more >= 1) {
      name = &c.argv[j + 1];
      j++;
    } else {
      return Fail(fmt::format("ERR Syntax error in HELLO option '{}'", c.argv[j]));
    }
  }
  if (user != nullptr) {
    if (!Authenticate(c, *user, *pass)) {
      return Fail(kWrongPassError);
    }
    c.session.SetAuthenticated(true);
  }
  if (!c.session.authenticated() && c.server.AuthRequired()) {
    return Fail(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
        "<proto> AUTH <user> <pass> option can be used to authenticate the client and select the "
        "RESP protocol version at the same time");
  }
  if (name != nullptr) {
    if (!ValidClientName(*name)) {
      return Fail(kInvalidClientNameError);
    }
    c.session.SetName(*name);
  }
  if (ver != 0) {
    c.session.SetProtocol(static_cast<int>(ver));
    c.out.SetProtocol(static_cast<int>(ver));  // inside EXEC, out is the transaction's writer
  }
  c.out.MapHeader(7);
  c.out.Bulk("server");
  c.out.Bulk("redis");
  c.out.Bulk("version");
  c.out.Bulk(kRedisVersion);
  c.out.Bulk("proto");
  c.out.Integer(c.session.protocol());
  c.out.Bulk("id");
  c.out.Integer(static_cast<int64_t>(c.session.id()));
  c.out.Bulk("mode");
  c.out.Bulk("standalone");
  c.out.Bulk("role");
  c.out.Bulk("master");
  c.out.Bulk("modules");
  c.out.ArrayHeader(0);
  return {};
}

CommandStatus Select(CommandContext& c) {
  int db;
  STASH_RETURN_IF_FAILED(ParseDbIndex(c.argv[1], c.server.databases(), &db));
  c.session.SetDb(db);
  c.out.Simple("OK");
  return {};
}

CommandStatus Reset(CommandContext& c) {
  c.session.Reset();
  c.out.Simple("RESET");
  return {};
}

constexpr uint32_t kConn = kCmdFast | kCmdLoading | kCmdStale;

const CommandSpec kCommands[] = {
    {.name = "ping",
     .arity = -1,
     .flags = kCmdFast | kCmdSubscribedOk,
     .handler = Ping},  // as Redis: no `loading` (a probe for readiness)
    {.name = "echo", .arity = 2, .flags = kConn, .handler = Echo},
    {.name = "quit",
     .arity = -1,
     .flags = kConn | kCmdNoAuth | kCmdNoscript | kCmdAllowBusy | kCmdNotQueued | kCmdSubscribedOk,
     .handler = Quit},
    {.name = "hello",
     .arity = -1,
     .flags = kConn | kCmdNoAuth | kCmdNoscript | kCmdAllowBusy,
     .handler = Hello},
    {.name = "auth",
     .arity = -2,
     .flags = kConn | kCmdNoAuth | kCmdNoscript | kCmdAllowBusy,
     .handler = Auth},
    {.name = "select", .arity = 2, .flags = kConn, .handler = Select},
    {.name = "reset",
     .arity = 1,
     .flags = kConn | kCmdNoAuth | kCmdNoscript | kCmdAllowBusy | kCmdNotQueued | kCmdSubscribedOk,
     .handler = Reset},
};

}  // namespace

std::span<const CommandSpec> ConnectionCommands() { return kCommands; }

}  // namespace stash
