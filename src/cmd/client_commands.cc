// CLIENT ID | GETNAME | SETNAME | SETINFO | LIST | INFO | KILL | TRACKING | CACHING | GETREDIR |
// TRACKINGINFO | UNBLOCK | HELP. Client classes: a client subscribed to anything is "pubsub", the
// others "normal" (StashDB has no masters or replicas).
#include <fmt/format.h>

#include "cmd/command_table.h"
#include "cmd/errors.h"
#include "cmd/reply_util.h"
#include "cmd/server_api.h"
#include "cmd/session.h"
#include "cmd/tracking.h"
#include "cmd/writer.h"
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

// The class CLIENT LIST / KILL TYPE names a client by.
std::string ClientType(const Session& s) {
  return s.subscriptions().active() ? "pubsub" : "normal";
}

CommandStatus List(CommandContext& c) {
  std::vector<uint64_t> ids;
  std::string type;  // empty: any
  for (size_t i = 2; i < c.argv.size(); i++) {
    if (EqualsIgnoreCase(c.argv[i], "type") && i + 1 < c.argv.size()) {
      const std::string& t = c.argv[++i];
      if (!EqualsIgnoreCase(t, "normal") && !EqualsIgnoreCase(t, "master") &&
          !EqualsIgnoreCase(t, "replica") && !EqualsIgnoreCase(t, "pubsub")) {
        return Fail(fmt::format("ERR Unknown client type '{}'", t));
      }
      type = AsciiLower(t);
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
    if (!type.empty() && ClientType(*client) != type) continue;
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
  std::string type;  // empty: any
  bool skipme = true;
  bool any_filter = false;
};

bool Matches(const KillFilter& f, const Session& client, const Session& self) {
  if (f.id != 0 && client.id() != f.id) return false;
  if (!f.addr.empty() && client.remote_address() != f.addr) return false;
  if (!f.laddr.empty() && client.local_address() != f.laddr) return false;
  if (f.skipme && &client == &self) return false;
  if (!f.type.empty() && ClientType(client) != f.type) return false;
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
        if (EqualsIgnoreCase(val, "master") || EqualsIgnoreCase(val, "replica") ||
            EqualsIgnoreCase(val, "slave")) {
          c.out.Integer(0);  // StashDB has no masters or replicas
          return {};
        }
        if (!EqualsIgnoreCase(val, "normal") && !EqualsIgnoreCase(val, "pubsub")) {
          return Fail(fmt::format("ERR Unknown client type '{}'", val));
        }
        f.type = AsciiLower(val);
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

// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
CommandStatus Tracking(CommandContext& c) {
  TrackingOptions o;
  std::shared_ptr<Mailbox> redirect;
  for (size_t i = 3; i < c.argv.size(); i++) {
    const std::string& a = c.argv[i];
    const bool more = i + 1 < c.argv.size();
    if (EqualsIgnoreCase(a, "redirect") && more) {
      if (o.redirect != 0) return Fail("ERR A client can only redirect to a single other client");
      int64_t id;
      if (!ParseInteger(c.argv[++i], &id)) return Fail(kNotIntegerError);
      for (auto& s : c.server.Sessions()) {
        if (id > 0 && s->id() == static_cast<uint64_t>(id)) redirect = s->subscriptions().mailbox();
      }
      if (redirect == nullptr) return Fail("ERR The client ID you want redirect to does not exist");
      o.redirect = static_cast<uint64_t>(id);
    } else if (EqualsIgnoreCase(a, "bcast")) {
      o.bcast = true;
    } else if (EqualsIgnoreCase(a, "optin")) {
      o.optin = true;
    } else if (EqualsIgnoreCase(a, "optout")) {
      o.optout = true;
    } else if (EqualsIgnoreCase(a, "noloop")) {
      o.noloop = true;
    } else if (EqualsIgnoreCase(a, "prefix") && more) {
      o.prefixes.push_back(c.argv[++i]);
    } else {
      return Fail(kSyntaxError);
    }
  }
  if (EqualsIgnoreCase(c.argv[2], "on")) {
    std::string error = c.session.EnableTracking(o, redirect);
    if (!error.empty()) return Fail(error);
  } else if (EqualsIgnoreCase(c.argv[2], "off")) {
    c.session.DisableTracking();
  } else {
    return Fail(kSyntaxError);
  }
  c.out.Simple("OK");
  return {};
}

// CLIENT CACHING YES|NO: whether the next command's reads are tracked (OPTIN / OPTOUT).
CommandStatus Caching(CommandContext& c) {
  TrackingInfo t = c.server.tracker().Info(c.session.id());
  if (!t.on) {
    return Fail(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
        "OPTOUT mode enabled");
  }
  if (EqualsIgnoreCase(c.argv[2], "yes")) {
    if (!t.options.optin) {
      return Fail("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
    }
  } else if (EqualsIgnoreCase(c.argv[2], "no")) {
    if (!t.options.optout) {
      return Fail("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
    }
  } else {
    return Fail(kSyntaxError);
  }
  c.session.SetCachingGiven(true);
  c.out.Simple("OK");
  return {};
}

CommandStatus GetRedir(CommandContext& c) {
  TrackingInfo t = c.server.tracker().Info(c.session.id());
  c.out.Integer(t.on ? static_cast<int64_t>(t.options.redirect) : -1);
  return {};
}

CommandStatus TrackingInfoReply(CommandContext& c) {
  TrackingInfo t = c.server.tracker().Info(c.session.id());
  const bool caching = c.session.caching_given();
  std::vector<std::string> flags = {t.on ? "on" : "off"};
  if (t.options.bcast) flags.push_back("bcast");
  if (t.options.optin) flags.push_back("optin");
  if (t.options.optin && caching) flags.push_back("caching-yes");
  if (t.options.optout) flags.push_back("optout");
  if (t.options.optout && caching) flags.push_back("caching-no");
  if (t.options.noloop) flags.push_back("noloop");
  if (t.broken_redirect) flags.push_back("broken_redirect");
  c.out.MapHeader(3);
  c.out.Bulk("flags");
  c.out.SetHeader(flags.size());
  for (const std::string& f : flags) c.out.Bulk(f);
  c.out.Bulk("redirect");
  c.out.Integer(t.on ? static_cast<int64_t>(t.options.redirect) : -1);
  c.out.Bulk("prefixes");
  c.out.BulkArray(t.options.prefixes);
  return {};
}

// CLIENT UNBLOCK id [TIMEOUT|ERROR]: a client waiting in a blocking command gets its timeout
// reply or the UNBLOCKED error (cmd/blocking.h); 1 when it was waiting, else 0.
CommandStatus Unblock(CommandContext& c) {
  if (c.argv.size() > 4) {
    return Fail(fmt::format(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
        c.argv[1]));
  }
  BlockedClient::Leave how = BlockedClient::Leave::kTimeout;
  if (c.argv.size() == 4) {
    if (EqualsIgnoreCase(c.argv[3], "error")) {
      how = BlockedClient::Leave::kError;
    } else if (!EqualsIgnoreCase(c.argv[3], "timeout")) {
      return Fail("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  }
  int64_t id;
  if (!ParseInteger(c.argv[2], &id)) return Fail(kNotIntegerError);
  c.out.Integer(c.server.writer().Unblock(static_cast<uint64_t>(id), how) ? 1 : 0);
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
      "    TYPE (NORMAL|PUBSUB), USER default, SKIPME (YES|NO).",
      "LIST [options ...]",
      "    Return information about client connections: TYPE, ID.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "SETINFO <option> <value>",
      "    Set LIB-NAME or LIB-VER of the current connection.",
      "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
      "         [OPTIN] [OPTOUT] [NOLOOP]",
      "    Control server assisted client side caching.",
      "CACHING (YES|NO)",
      "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
      "GETREDIR",
      "    Return the client ID we are redirecting to when tracking is enabled.",
      "TRACKINGINFO",
      "    Report tracking status for the current connection.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    Unblock the specified blocked client.",
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
    {.name = "tracking", .arity = -3, .flags = kFlags, .handler = Tracking},
    {.name = "caching", .arity = 3, .flags = kFlags, .handler = Caching},
    {.name = "getredir", .arity = 2, .flags = kFlags, .handler = GetRedir},
    {.name = "trackinginfo", .arity = 2, .flags = kFlags, .handler = TrackingInfoReply},
    {.name = "unblock", .arity = -3, .flags = kFlags | kCmdAdmin, .handler = Unblock},
    {.name = "help", .arity = 2, .flags = kFlags, .handler = Help},
};

const CommandSpec kCommands[] = {
    {.name = "client", .arity = -2, .flags = kFlags, .subcommands = kSubcommands},
};

}  // namespace

std::span<const CommandSpec> ClientCommands() { return kCommands; }

}  // namespace stash
