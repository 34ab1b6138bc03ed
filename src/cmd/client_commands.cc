// CLIENT ID | GETNAME | SETNAME | SETINFO | LIST | INFO | KILL | HELP.
#include <fmt/format.h>

#include "cmd/command_table.h"
#include "cmd/reply_util.h"
#include "net/connection.h"
#include "resp/reply_writer.h"
#include "server/server.h"

namespace stash {
namespace {

void Id(CommandContext& c) { c.out.Integer(static_cast<int64_t>(c.conn.id())); }

void GetName(CommandContext& c) {
  std::string name = c.conn.name();
  if (name.empty()) {
    c.out.Null();
  } else {
    c.out.Bulk(name);
  }
}

void SetName(CommandContext& c) {
  if (!ValidClientName(c.argv[2])) {
    c.out.Error("ERR Client names cannot contain spaces, newlines or special characters.");
    return;
  }
  c.conn.SetName(c.argv[2]);
  c.out.Simple("OK");
}

void SetInfo(CommandContext& c) {
  std::string attr = c.argv[2];
  for (char& ch : attr) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (attr != "lib-name" && attr != "lib-ver") {
    c.out.Error(fmt::format("ERR Unrecognized option '{}'", c.argv[2]));
    return;
  }
  if (!ValidClientName(c.argv[3])) {
    c.out.Error(fmt::format("ERR {} cannot contain spaces, newlines or special characters.", attr));
    return;
  }
  c.conn.SetLibInfo(attr, c.argv[3]);
  c.out.Simple("OK");
}

void List(CommandContext& c) {
  std::vector<uint64_t> ids;
  for (size_t i = 2; i < c.argv.size(); i++) {
    if (EqualsIgnoreCase(c.argv[i], "type") && i + 1 < c.argv.size()) {
      const std::string& t = c.argv[++i];
      if (!EqualsIgnoreCase(t, "normal") && !EqualsIgnoreCase(t, "master") &&
          !EqualsIgnoreCase(t, "replica") && !EqualsIgnoreCase(t, "pubsub")) {
        c.out.Error(fmt::format("ERR Unknown client type '{}'", t));
        return;
      }
      if (!EqualsIgnoreCase(t, "normal")) {  // StashDB has only normal clients
        c.out.Verbatim("");
        return;
      }
    } else if (EqualsIgnoreCase(c.argv[i], "id") && i + 1 < c.argv.size()) {
      for (i++; i < c.argv.size(); i++) {
        int64_t id;
        if (!ParseInteger(c.argv[i], &id) || id <= 0) {
          c.out.Error("ERR Invalid client ID");
          return;
        }
        ids.push_back(static_cast<uint64_t>(id));
      }
    } else {
      c.out.Error("ERR syntax error");
      return;
    }
  }
  std::string text;
  for (auto& client : c.server.Clients()) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), client->id()) == ids.end()) continue;
    text += client->Describe();
    text += '\n';
  }
  c.out.Verbatim(text);
}

void Info(CommandContext& c) { c.out.Verbatim(c.conn.Describe() + "\n"); }

struct KillFilter {
  uint64_t id = 0;
  std::string addr, laddr;
  bool skipme = true;
  bool any_filter = false;
};

bool Matches(const KillFilter& f, const Connection& client, const Connection& self) {
  if (f.id != 0 && client.id() != f.id) return false;
  if (!f.addr.empty() && client.remote_address() != f.addr) return false;
  if (!f.laddr.empty() && client.local_address() != f.laddr) return false;
  if (f.skipme && &client == &self) return false;
  return true;
}

void Kill(CommandContext& c) {
  KillFilter f;
  bool old_form = c.argv.size() == 3;
  if (old_form) {
    f.addr = c.argv[2];
    f.skipme = false;
  } else {
    if (c.argv.size() % 2 != 0) {
      c.out.Error("ERR syntax error");
      return;
    }
    for (size_t i = 2; i < c.argv.size(); i += 2) {
      const std::string& opt = c.argv[i];
      const std::string& val = c.argv[i + 1];
      if (EqualsIgnoreCase(opt, "id")) {
        int64_t id;
        if (!ParseInteger(val, &id) || id <= 0) {
          c.out.Error("ERR client-id should be greater than 0");
          return;
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
          } else {
            c.out.Error(fmt::format("ERR Unknown client type '{}'", val));
          }
          return;
        }
      } else if (EqualsIgnoreCase(opt, "user")) {
        if (val != "default") {
          c.out.Error(fmt::format("ERR No such user '{}'", val));
          return;
        }
      } else if (EqualsIgnoreCase(opt, "skipme")) {
        if (EqualsIgnoreCase(val, "yes")) {
          f.skipme = true;
        } else if (EqualsIgnoreCase(val, "no")) {
          f.skipme = false;
        } else {
          c.out.Error("ERR syntax error");
          return;
        }
      } else {
        c.out.Error("ERR syntax error");
        return;
      }
    }
  }
  int64_t killed = 0;
  for (auto& client : c.server.Clients()) {
    if (!Matches(f, *client, c.conn)) continue;
    killed++;
    if (client.get() == &c.conn) {
      c.conn.CloseAfterReply();  // killing yourself: the reply still goes out first
    } else {
      client->Kill("CLIENT KILL");
    }
  }
  if (old_form) {
    if (killed == 0) {
      c.out.Error("ERR No such client");
    } else {
      c.out.Simple("OK");
    }
  } else {
    c.out.Integer(killed);
  }
}

void Help(CommandContext& c) {
  static const std::vector<std::string> kLines = {
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
  c.out.ArrayHeader(kLines.size());
  for (const auto& l : kLines) c.out.Simple(l);
}

constexpr uint32_t kFlags = kCmdNoscript | kCmdLoading | kCmdStale;

const CommandSpec kSubcommands[] = {
    {"id", 2, kFlags, 0, 0, 0, Id},
    {"getname", 2, kFlags, 0, 0, 0, GetName},
    {"setname", 3, kFlags, 0, 0, 0, SetName},
    {"setinfo", 4, kFlags, 0, 0, 0, SetInfo},
    {"list", -2, kFlags | kCmdAdmin, 0, 0, 0, List},
    {"info", 2, kFlags, 0, 0, 0, Info},
    {"kill", -3, kFlags | kCmdAdmin, 0, 0, 0, Kill},
    {"help", 2, kFlags, 0, 0, 0, Help},
};

const CommandSpec kCommands[] = {
    {"client", -2, kFlags, 0, 0, 0, nullptr, kSubcommands},
};

}  // namespace

std::span<const CommandSpec> ClientCommands() { return kCommands; }

}  // namespace stash
