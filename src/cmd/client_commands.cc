// CLIENT ID | GETNAME | SETNAME | SETINFO | LIST | INFO | KILL | HELP.
#include <fmt/format.h>

#include "cmd/command_table.h"
#include "cmd/errors.h"
#include "cmd/reply_util.h"
#include "cmd/server_api.h"
#include "cmd/session.h"
#include "resp/reply_writer.h"

namespace stash {
namespace {

CommandStatus Id(CommandContext& c) {
  c.out.Integer(static_cast<int64_t>(c.session.id()));
  return {};
}

CommandStatus GetName(CommandContext& c) {
  std::string name = c.session.name();
  if (name.empty()) {
    c.out.Null();
  } else {
    c.out.Bulk(name);
  }
  return {};
}

CommandStatus SetName(CommandContext& c) {
  if (!ValidClientName(c.argv[2])) {
    return Fail(kInvalidClientNameError);
  }
  c.session.SetName(c.argv[2]);
  c.out.Simple("OK");
  return {};
}

CommandStatus SetInfo(CommandContext& c) {
  std::string attr = AsciiLower(c.argv[2]);
  if (attr != "lib-name" && attr != "lib-ver") {
    return Fail(fmt::format("ERR Unrecognized option '{}'", c.argv[2]));
  }
  if (!ValidClientName(c.argv[3])) {
    return Fail(fmt::format("ERR {} cannot contain spaces, newlines or special characters.", attr));
  }
  c.session.SetLibInfo(attr, c.argv[3]);
  c.out.Simple("OK");
  return {};
}

CommandStatus List(CommandContext& c) {
  std::vector<uint64_t> ids;
  for (size_t i = 2; i < c.argv.size(); i++) {
    if (EqualsIgnoreCase(c.argv[i], "type") && i + 1 < c.argv.size()) {
      const std::string& t = c.argv[++i];
      if (!EqualsIgnoreCase(t, "normal") && !EqualsIgnoreCase(t, "master") &&
          !EqualsIgnoreCase(t, "replica") && !EqualsIgnoreCase(t, "pubsub")) {
        return Fail(fmt::format("ERR Unknown client type '{}'", t));
      }
      if (!EqualsIgnoreCase(t, "normal")) {  // StashDB has only normal clients
        c.out.Verbatim("");
        return {};
      }
    } else if (EqualsIgnoreCase(c.argv[i], "id") && i + 1 < c.argv.size()) {
      for (i++; i < c.argv.size(); i++) {
        int64_t id;
        if (!ParseInteger(c.argv[i], &id) || id <= 0) {
          return Fail("ERR Invalid client ID");
        }
        ids.push_back(static_cast<uint64_t>(id));
      }
    } else {
      return Fail(kSyntaxError);
    }
  }
  std::string text;
  for (auto& client : c.server.Sessions()) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), client->id()) == ids.end()) continue;
    text += client->Describe();
    text += '\n';
  }
  c.out.Verbatim(text);
  return {};
}

CommandStatus Info(CommandContext& c) {
  c.out.Verbatim(c.session.Describe() + "\n");
  return {};
}

struct KillFilter {
  uint64_t id = 0;
  std::string addr, laddr;
  bool skipme = true;
  bool any_filter = false;
};

bool Matches(const KillFilter& f, const Session& client, const Session& self) {
  if (f.id != 0 && client.id() != f.id) return false;
  if (!f.addr.empty() && client.remote_address() != f.addr) return false;
  if (!f.laddr.empty() && client.local_address() != f.laddr) return false;
  if (f.skipme && &client == &self) return false;
  return true;
}

CommandStatus Kill(CommandContext& c) {
  KillFilter f;
  bool old_form = c.argv.size() == 3;
  if (old_form) {
    f.addr = c.argv[2];
    f.skipme = false;
  } else {
    if (c.argv.size() % 2 != 0) {
      return Fail(kSyntaxError);
    }
    for (size_t i = 2; i < c.argv.size(); i += 2) {
      const std::string& opt = c.argv[i];
      const std::string& val = c.argv[i + 1];
      if (EqualsIgnoreCase(opt, "id")) {
        int64_t id;
        if (!ParseInteger(val, &id) || id <= 0) {
          return Fail("ERR client-id should be greater than 0");
        }
        f.id = static_cast<uint64_t>(id);
      } else if (EqualsIgnoreCase(opt, "addr")) {
        f.addr = val;
      } else if (EqualsIgnoreCase(opt, "laddr")) {
        f.laddr = val;
      } else if (EqualsIgnoreCase(opt, "type")) {
        if (!EqualsIgnoreCase(val, "normal")) {
          if (EqualsIgnoreCase(val, "master") || EqualsIgnoreCase(val, "replica") ||
              EqualsIgnoreCase(val, "slave") || EqualsIgnoreCase(val, "pubsub")) {
            c.out.Integer(0);  // StashDB has only normal clients
            return {};
          }
          return Fail(fmt::format("ERR Unknown client type '{}'", val));
        }
      } else if (EqualsIgnoreCase(opt, "user")) {
        if (val != "default") {
          return Fail(fmt::format("ERR No such user '{}'", val));
        }
      } else if (EqualsIgnoreCase(opt, "skipme")) {
        if (EqualsIgnoreCase(val, "yes")) {
          f.skipme = true;
        } else if (EqualsIgnoreCase(val, "no")) {
          f.skipme = false;
        } else {
          return Fail(kSyntaxError);
        }
      } else {
        return Fail(kSyntaxError);
      }
    }
  }
  int64_t killed = 0;
  for (auto& client : c.server.Sessions()) {
    if (!Matches(f, *client, c.session)) continue;
    killed++;
    if (client.get() == &c.session) {
      c.session.CloseAfterReply();  // killing yourself: the reply still goes out first
    } else {
      client->Kill("CLIENT KILL");
    }
  }
  if (old_form) {
    if (killed == 0) return Fail("ERR No such client");
    c.out.Simple("OK");
  } else {
    c.out.Integer(killed);
  }
  return {};
}

CommandStatus Help(CommandContext& c) {
  static const std::vector<std::string_view> kLines = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are: ID <client-id>, ADDR <ip:port>, LADDR <ip:port>,",
      "    TYPE normal, USER default, SKIPME (YES|NO).",
      "LIST [options ...]",
      "    Return information about client connections: TYPE, ID.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "SETINFO <option> <value>",
      "    Set LIB-NAME or LIB-VER of the current connection.",
      "HELP",
      "    Print this help."};
  ReplyHelp(c.out, kLines);
  return {};
}

constexpr uint32_t kFlags = kCmdNoscript | kCmdLoading | kCmdStale;

const CommandSpec kSubcommands[] = {
    {.name = "id", .arity = 2, .flags = kFlags, .handler = Id},
    {.name = "getname", .arity = 2, .flags = kFlags, .handler = GetName},
    {.name = "setname", .arity = 3, .flags = kFlags, .handler = SetName},
    {.name = "setinfo", .arity = 4, .flags = kFlags, .handler = SetInfo},
    {.name = "list", .arity = -2, .flags = kFlags | kCmdAdmin, .handler = List},
    {.name = "info", .arity = 2, .flags = kFlags, .handler = Info},
    {.name = "kill", .arity = -3, .flags = kFlags | kCmdAdmin, .handler = Kill},
    {.name = "help", .arity = 2, .flags = kFlags, .handler = Help},
};

const CommandSpec kCommands[] = {
    {.name = "client", .arity = -2, .flags = kFlags, .subcommands = kSubcommands},
};

}  // namespace

std::span<const CommandSpec> ClientCommands() { return kCommands; }

}  // namespace stash
