// COMMAND, COMMAND COUNT | INFO | DOCS | LIST | HELP: what the command table holds.
#include "cmd/command_table.h"
#include "cmd/reply_util.h"
#include "resp/reply_writer.h"
#include "server/server.h"
#include "util/glob.h"

namespace stash {
namespace {

std::string Lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

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
  out.Integer(spec.first_key);
  out.Integer(spec.last_key);
  out.Integer(spec.key_step);
  out.SetHeader(0);
  out.SetHeader(0);
  out.ArrayHeader(0);
  std::vector<const CommandEntry*> subs;
  for (auto& [name, sub] : e.subcommands) subs.push_back(sub.get());
  std::sort(subs.begin(), subs.end(), [](auto* a, auto* b) { return a->fullname < b->fullname; });
  out.ArrayHeader(subs.size());
  for (const CommandEntry* sub : subs) ReplyCommandInfo(out, *sub);
}

void Command(CommandContext& c) {
  auto all = c.server.commands().All();
  c.out.ArrayHeader(all.size());
  for (const CommandEntry* e : all) ReplyCommandInfo(c.out, *e);
}

void Count(CommandContext& c) { c.out.Integer(static_cast<int64_t>(c.server.commands().size())); }

void Info(CommandContext& c) {
  if (c.argv.size() == 2) {
    Command(c);
    return;
  }
  c.out.ArrayHeader(c.argv.size() - 2);
  for (size_t i = 2; i < c.argv.size(); i++) {
    const CommandEntry* e = c.server.commands().Find(Lower(c.argv[i]));
    if (e == nullptr) {
      c.out.NullArray();
    } else {
      ReplyCommandInfo(c.out, *e);
    }
  }
}

// Documentation is not kept: an empty map, which redis-cli accepts (it then offers no hints).
void Docs(CommandContext& c) { c.out.MapHeader(0); }

void List(CommandContext& c) {
  std::string pattern;
  if (c.argv.size() != 2) {
    if (c.argv.size() == 5 && EqualsIgnoreCase(c.argv[2], "filterby") &&
        EqualsIgnoreCase(c.argv[3], "pattern")) {
      pattern = c.argv[4];
    } else {
      c.out.Error("ERR syntax error");
      return;
    }
  }
  std::vector<std::string> names;
  for (const CommandEntry* e : c.server.commands().All()) {
    if (pattern.empty() || GlobMatch(pattern, e->fullname, true)) names.push_back(e->fullname);
  }
  c.out.BulkArray(names);
}

void Help(CommandContext& c) {
  static const std::vector<std::string> kLines = {
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
  c.out.ArrayHeader(kLines.size());
  for (const auto& l : kLines) c.out.Simple(l);
}

constexpr uint32_t kFlags = kCmdLoading | kCmdStale;

const CommandSpec kSubcommands[] = {
    {"count", 2, kFlags, 0, 0, 0, Count}, {"info", -2, kFlags, 0, 0, 0, Info},
    {"docs", -2, kFlags, 0, 0, 0, Docs},  {"list", -2, kFlags, 0, 0, 0, List},
    {"help", 2, kFlags, 0, 0, 0, Help},
};

// COMMAND is a container with a handler of its own: bare COMMAND lists every command.
const CommandSpec kCommands[] = {
    {"command", -1, kFlags, 0, 0, 0, Command, kSubcommands},
};

}  // namespace

std::span<const CommandSpec> IntrospectionCommands() { return kCommands; }

}  // namespace stash
