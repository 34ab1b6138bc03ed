// COMMAND, COMMAND COUNT | INFO | DOCS | LIST | HELP: what the command table holds.
#include <algorithm>

#include "cmd/command_table.h"
#include "cmd/errors.h"
#include "cmd/reply_util.h"
#include "cmd/server_api.h"
#include "resp/reply_writer.h"
#include "util/glob.h"
#include "util/strings.h"

namespace stash {
namespace {

// Redis 7.0's 10-element command info: name, arity, flags, first key, last key, step, ACL
// categories, tips, key specs, subcommands.
void ReplyCommandInfo(resp::ReplyWriter& out, const CommandEntry& e) {
  const CommandSpec& spec = *e.spec;
  out.ArrayHeader(10);
  out.Bulk(e.fullname);
  out.Integer(spec.arity);
  auto flags = CommandFlagNames(spec.flags);
  out.SetHeader(flags.size());
  for (auto f : flags) out.Simple(f);
  out.Integer(spec.keys.first);
  out.Integer(spec.keys.last);
  out.Integer(spec.keys.step);
  out.SetHeader(0);
  out.SetHeader(0);
  out.ArrayHeader(0);
  std::vector<const CommandEntry*> subs;
  for (auto& [name, sub] : e.subcommands) subs.push_back(sub.get());
  std::sort(subs.begin(), subs.end(), [](auto* a, auto* b) { return a->fullname < b->fullname; });
  out.ArrayHeader(subs.size());
  for (const CommandEntry* sub : subs) ReplyCommandInfo(out, *sub);
}

CommandStatus Command(CommandContext& c) {
  auto all = c.server.commands().All();
  c.out.ArrayHeader(all.size());
  for (const CommandEntry* e : all) ReplyCommandInfo(c.out, *e);
  return {};
}

CommandStatus Count(CommandContext& c) {
  c.out.Integer(static_cast<int64_t>(c.server.commands().size()));
  return {};
}

CommandStatus Info(CommandContext& c) {
  if (c.argv.size() == 2) {
    return Command(c);
  }
  c.out.ArrayHeader(c.argv.size() - 2);
  for (size_t i = 2; i < c.argv.size(); i++) {
    const CommandEntry* e = c.server.commands().Find(AsciiLower(c.argv[i]));
    if (e == nullptr) {
      c.out.NullArray();
    } else {
      ReplyCommandInfo(c.out, *e);
    }
  }
  return {};
}

// Documentation is not kept: an empty map, which redis-cli accepts (it then offers no hints).
CommandStatus Docs(CommandContext& c) {
  c.out.MapHeader(0);
  return {};
}

CommandStatus List(CommandContext& c) {
  std::string pattern;
  if (c.argv.size() != 2) {
    if (c.argv.size() == 5 && EqualsIgnoreCase(c.argv[2], "filterby") &&
        EqualsIgnoreCase(c.argv[3], "pattern")) {
      pattern = c.argv[4];
    } else {
      return Fail(kSyntaxError);
    }
  }
  std::vector<std::string> names;
  for (const CommandEntry* e : c.server.commands().All()) {
    if (pattern.empty() || GlobMatch(pattern, e->fullname, true)) names.push_back(e->fullname);
  }
  c.out.BulkArray(names);
  return {};
}

CommandStatus Help(CommandContext& c) {
  static const std::vector<std::string_view> kLines = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all commands.",
      "COUNT",
      "    Return the total number of commands in this server.",
      "LIST [FILTERBY PATTERN <pattern>]",
      "    Return a list of all commands in this server.",
      "INFO [<command-name> ...]",
      "    Return details about the given commands.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about commands.",
      "HELP",
      "    Print this help."};
  ReplyHelp(c.out, kLines);
  return {};
}

constexpr uint32_t kFlags = kCmdLoading | kCmdStale;

const CommandSpec kSubcommands[] = {
    {.name = "count", .arity = 2, .flags = kFlags, .handler = Count},
    {.name = "info", .arity = -2, .flags = kFlags, .handler = Info},
    {.name = "docs", .arity = -2, .flags = kFlags, .handler = Docs},
    {.name = "list", .arity = -2, .flags = kFlags, .handler = List},
    {.name = "help", .arity = 2, .flags = kFlags, .handler = Help},
};

// COMMAND is a container with a handler of its own: bare COMMAND lists every command.
const CommandSpec kCommands[] = {
    {.name = "command",
     .arity = -1,
     .flags = kFlags,
     .handler = Command,
     .subcommands = kSubcommands},
};

}  // namespace

std::span<const CommandSpec> IntrospectionCommands() { return kCommands; }

}  // namespace stash
