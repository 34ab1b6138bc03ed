// Connection commands: PING, ECHO, QUIT, HELLO, AUTH, SELECT, RESET.
#include <fmt/format.h>

#include "cmd/command_table.h"
#include "cmd/reply_util.h"
#include "net/connection.h"
#include "resp/reply_writer.h"
#include "server/server.h"

namespace stash {
namespace {

constexpr const char* kWrongPass = "WRONGPASS invalid username-password pair or user is disabled.";

void Ping(CommandContext& c) {
  if (c.argv.size() > 2) {
    c.out.Error("ERR wrong number of arguments for 'ping' command");
  } else if (c.argv.size() == 2) {
    c.out.Bulk(c.argv[1]);
  } else {
    c.out.Simple("PONG");
  }
}

void Echo(CommandContext& c) { c.out.Bulk(c.argv[1]); }

void Quit(CommandContext& c) {
  c.out.Simple("OK");
  c.conn.CloseAfterReply();
}

// Checks user/password against the default user (requirepass). A user other than "default" does
// not exist in StashDB.
bool Authenticate(CommandContext& c, const std::string& user, const std::string& password) {
  if (user != "default") return false;
  if (!c.server.AuthRequired()) return true;  // default user with no password: any password
  return c.server.CheckPassword(password);
}

void Auth(CommandContext& c) {
  if (c.argv.size() > 3) {
    c.out.Error("ERR syntax error");
    return;
  }
  if (c.argv.size() == 2 && !c.server.AuthRequired()) {
    c.out.Error(
        "ERR AUTH <password> called without any password configured for the default user. Are "
        "you sure your configuration is correct?");
    return;
  }
  const std::string& user = c.argv.size() == 3 ? c.argv[1] : std::string("default");
  const std::string& password = c.argv.back();
  if (!Authenticate(c, user, password)) {
    c.out.Error(kWrongPass);
    return;
  }
  c.conn.SetAuthenticated(true);
  c.out.Simple("OK");
}

void Hello(CommandContext& c) {
  int64_t ver = 0;
  if (c.argv.size() >= 2) {
    if (!ParseInteger(c.argv[1], &ver)) {
      c.out.Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (ver < 2 || ver > 3) {
      c.out.Error("NOPROTO unsupported protocol version");
      return;
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
      c.out.Error(fmt::format("ERR Syntax error in HELLO option '{}'", c.argv[j]));
      return;
    }
  }
  if (user != nullptr) {
    if (!Authenticate(c, *user, *pass)) {
      c.out.Error(kWrongPass);
      return;
    }
    c.conn.SetAuthenticated(true);
  }
  if (!c.conn.authenticated() && c.server.AuthRequired()) {
    c.out.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
        "<proto> AUTH <user> <pass> option can be used to authenticate the client and select the "
        "RESP protocol version at the same time");
    return;
  }
  if (name != nullptr) {
    if (!ValidClientName(*name)) {
      c.out.Error("ERR Client names cannot contain spaces, newlines or special characters.");
      return;
    }
    c.conn.SetName(*name);
  }
  if (ver != 0) {
    c.conn.SetProtocol(static_cast<int>(ver));
    c.out.SetProtocol(static_cast<int>(ver));  // inside EXEC, out is the transaction's writer
  }
  c.out.MapHeader(7);
  c.out.Bulk("server");
  c.out.Bulk("redis");
  c.out.Bulk("version");
  c.out.Bulk(kRedisVersion);
  c.out.Bulk("proto");
  c.out.Integer(c.conn.protocol());
  c.out.Bulk("id");
  c.out.Integer(static_cast<int64_t>(c.conn.id()));
  c.out.Bulk("mode");
  c.out.Bulk("standalone");
  c.out.Bulk("role");
  c.out.Bulk("master");
  c.out.Bulk("modules");
  c.out.ArrayHeader(0);
}

void Select(CommandContext& c) {
  int64_t db;
  if (!ParseInteger(c.argv[1], &db)) {
    c.out.Error("ERR value is not an integer or out of range");
    return;
  }
  if (db < INT32_MIN || db > INT32_MAX) {  // Redis parses the index as an int first
    c.out.Error("ERR value is out of range, value must between -2147483648 and 2147483647");
    return;
  }
  if (db < 0 || db >= c.server.databases()) {
    c.out.Error("ERR DB index is out of range");
    return;
  }
  c.conn.SetDb(static_cast<int>(db));
  c.out.Simple("OK");
}

void Reset(CommandContext& c) {
  c.conn.Reset();
  c.out.Simple("RESET");
}

constexpr uint32_t kConn = kCmdFast | kCmdLoading | kCmdStale;

const CommandSpec kCommands[] = {
    {"ping", -1, kCmdFast, 0, 0, 0, Ping},  // as Redis: no `loading` (a probe for readiness)
    {"echo", 2, kConn, 0, 0, 0, Echo},
    {"quit", -1, kConn | kCmdNoAuth | kCmdNoscript | kCmdAllowBusy, 0, 0, 0, Quit},
    {"hello", -1, kConn | kCmdNoAuth | kCmdNoscript | kCmdAllowBusy, 0, 0, 0, Hello},
    {"auth", -2, kConn | kCmdNoAuth | kCmdNoscript | kCmdAllowBusy, 0, 0, 0, Auth},
    {"select", 2, kConn, 0, 0, 0, Select},
    {"reset", 1, kConn | kCmdNoAuth | kCmdNoscript | kCmdAllowBusy, 0, 0, 0, Reset},
};

}  // namespace

std::span<const CommandSpec> ConnectionCommands() { return kCommands; }

}  // namespace stash
