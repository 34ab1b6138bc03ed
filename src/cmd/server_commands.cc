// Server commands: INFO, CONFIG GET|SET|RESETSTAT|REWRITE|HELP, TIME, SHUTDOWN.
#include <fmt/format.h>
#include <sys/time.h>

#include "cmd/command_table.h"
#include "cmd/errors.h"
#include "cmd/reply_util.h"
#include "cmd/server_api.h"
#include "cmd/session.h"
#include "cmd/stats.h"
#include "config/config.h"
#include "resp/reply_writer.h"
#include "util/log.h"
#include "util/strings.h"

namespace stash {
namespace {

CommandStatus Info(CommandContext& c) {
  std::vector<std::string> sections;
  for (size_t i = 1; i < c.argv.size(); i++) sections.push_back(AsciiLower(c.argv[i]));
  c.out.Verbatim(c.server.Info(sections));
  return {};
}

CommandStatus ConfigGet(CommandContext& c) {
  std::vector<std::string> patterns(c.argv.begin() + 2, c.argv.end());
  auto matches = c.server.config().Match(patterns);
  c.out.MapHeader(matches.size());
  for (auto& [name, value] : matches) {
    c.out.Bulk(name);
    c.out.Bulk(value);
  }
  return {};
}

CommandStatus ConfigSet(CommandContext& c) {
  if (c.argv.size() % 2 != 0) {  // Redis: a name without a value is a syntax error
    return Fail(kSyntaxError);
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 2; i + 1 < c.argv.size(); i += 2) pairs.emplace_back(c.argv[i], c.argv[i + 1]);
  std::string error;
  if (!c.server.config().SetAtRuntime(pairs, &error)) {
    return Fail(error);
  }
  c.out.Simple("OK");
  return {};
}

CommandStatus ConfigResetStat(CommandContext& c) {
  c.server.stats().Reset();
  c.server.commands().ResetStats();
  c.out.Simple("OK");
  return {};
}

CommandStatus ConfigRewrite(CommandContext& c) {
  Status s = c.server.config().Rewrite();
  if (!s.ok()) {
    if (c.server.config().file_path().empty()) {
      return Fail("ERR The server is running without a config file");
    }
    log::Warning("CONFIG REWRITE failed: {}", s.ToString());
    return Fail(fmt::format("ERR Rewriting config file: {}", s.message()));
  }
  log::Notice("CONFIG REWRITE executed with success.");
  c.out.Simple("OK");
  return {};
}

CommandStatus ConfigHelp(CommandContext& c) {
  static const std::vector<std::string_view> kLines = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Rewrite the configuration file.",
      "HELP",
      "    Print this help."};
  ReplyHelp(c.out, kLines);
  return {};
}

CommandStatus Time(CommandContext& c) {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  c.out.ArrayHeader(2);
  c.out.Bulk(std::to_string(tv.tv_sec));
  c.out.Bulk(std::to_string(tv.tv_usec));
  return {};
}

CommandStatus Shutdown(CommandContext& c) {
  for (size_t i = 1; i < c.argv.size(); i++) {
    const std::string& a = c.argv[i];
    if (EqualsIgnoreCase(a, "abort")) {
      return Fail("ERR No shutdown in progress.");
    }
    if (!EqualsIgnoreCase(a, "nosave") && !EqualsIgnoreCase(a, "save") &&
        !EqualsIgnoreCase(a, "now") && !EqualsIgnoreCase(a, "force")) {
      return Fail(kSyntaxError);
    }
  }
  // Like Redis, a successful SHUTDOWN sends no reply: the connection just closes. SAVE and
  // NOSAVE mean the same here: every acknowledged write is already in the log.
  c.server.RequestShutdown("User requested shutdown");
  c.session.CloseAfterReply();
  return {};
}

constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale;

const CommandSpec kConfigSubcommands[] = {
    {.name = "get", .arity = -3, .flags = kAdmin, .handler = ConfigGet},
    {.name = "set", .arity = -4, .flags = kAdmin, .handler = ConfigSet},
    {.name = "resetstat", .arity = 2, .flags = kAdmin, .handler = ConfigResetStat},
    {.name = "rewrite", .arity = 2, .flags = kAdmin, .handler = ConfigRewrite},
    {.name = "help", .arity = 2, .flags = kCmdLoading | kCmdStale, .handler = ConfigHelp},
};

const CommandSpec kCommands[] = {
    {.name = "info", .arity = -1, .flags = kCmdLoading | kCmdStale, .handler = Info},
    {.name = "config", .arity = -2, .subcommands = kConfigSubcommands},
    {.name = "time", .arity = 1, .flags = kCmdLoading | kCmdStale | kCmdFast, .handler = Time},
    {.name = "shutdown",
     .arity = -1,
     .flags = kAdmin | kCmdAllowBusy | kCmdNoMulti,
     .handler = Shutdown},
};

}  // namespace

std::span<const CommandSpec> ServerCommands() { return kCommands; }

}  // namespace stash
