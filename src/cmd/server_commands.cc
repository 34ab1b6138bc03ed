// Server commands: INFO, CONFIG GET|SET|RESETSTAT|REWRITE|HELP, TIME, SHUTDOWN.
#include <fmt/format.h>
#include <sys/time.h>

#include "cmd/command_table.h"
#include "cmd/reply_util.h"
#include "net/connection.h"
#include "resp/reply_writer.h"
#include "server/info.h"
#include "server/log.h"
#include "server/server.h"

namespace stash {
namespace {

void Info(CommandContext& c) {
  std::vector<std::string> sections;
  for (size_t i = 1; i < c.argv.size(); i++) {
    std::string s = c.argv[i];
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    sections.push_back(std::move(s));
  }
  c.out.Verbatim(BuildInfo(c.server, sections));
}

void ConfigGet(CommandContext& c) {
  std::vector<std::string> patterns(c.argv.begin() + 2, c.argv.end());
  auto matches = c.server.config().Match(patterns);
  c.out.MapHeader(matches.size());
  for (auto& [name, value] : matches) {
    c.out.Bulk(name);
    c.out.Bulk(value);
  }
}

void ConfigSet(CommandContext& c) {
  if (c.argv.size() % 2 != 0) {  // Redis: a name without a value is a syntax error
    c.out.Error("ERR syntax error");
    return;
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 2; i + 1 < c.argv.size(); i += 2) pairs.emplace_back(c.argv[i], c.argv[i + 1]);
  std::string error;
  if (!c.server.config().SetAtRuntime(pairs, &error)) {
    c.out.Error(error);
    return;
  }
  c.out.Simple("OK");
}

void ConfigResetStat(CommandContext& c) {
  c.server.stats().Reset();
  const_cast<CommandTable&>(c.server.commands()).ResetStats();
  c.out.Simple("OK");
}

void ConfigRewrite(CommandContext& c) {
  Status s = c.server.config().Rewrite();
  if (!s.ok()) {
    if (c.server.config().file_path().empty()) {
      c.out.Error("ERR The server is running without a config file");
    } else {
      log::Warning("CONFIG REWRITE failed: {}", s.ToString());
      c.out.Error(fmt::format("ERR Rewriting config file: {}", s.message()));
    }
    return;
  }
  log::Notice("CONFIG REWRITE executed with success.");
  c.out.Simple("OK");
}

void ConfigHelp(CommandContext& c) {
  static const std::vector<std::string> kLines = {
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
  c.out.ArrayHeader(kLines.size());
  for (const auto& l : kLines) c.out.Simple(l);
}

void Time(CommandContext& c) {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  c.out.ArrayHeader(2);
  c.out.Bulk(std::to_string(tv.tv_sec));
  c.out.Bulk(std::to_string(tv.tv_usec));
}

void Shutdown(CommandContext& c) {
  for (size_t i = 1; i < c.argv.size(); i++) {
    const std::string& a = c.argv[i];
    if (EqualsIgnoreCase(a, "abort")) {
      c.out.Error("ERR No shutdown in progress.");
      return;
    }
    if (!EqualsIgnoreCase(a, "nosave") && !EqualsIgnoreCase(a, "save") &&
        !EqualsIgnoreCase(a, "now") && !EqualsIgnoreCase(a, "force")) {
      c.out.Error("ERR syntax error");
      return;
    }
  }
  // Like Redis, a successful SHUTDOWN sends no reply: the connection just closes. SAVE and
  // NOSAVE mean the same here: every acknowledged write is already in the log.
  c.server.RequestShutdown("User requested shutdown");
  c.conn.CloseAfterReply();
}

constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale;

const CommandSpec kConfigSubcommands[] = {
    {"get", -3, kAdmin, 0, 0, 0, ConfigGet},
    {"set", -4, kAdmin, 0, 0, 0, ConfigSet},
    {"resetstat", 2, kAdmin, 0, 0, 0, ConfigResetStat},
    {"rewrite", 2, kAdmin, 0, 0, 0, ConfigRewrite},
    {"help", 2, kCmdLoading | kCmdStale, 0, 0, 0, ConfigHelp},
};

const CommandSpec kCommands[] = {
    {"info", -1, kCmdLoading | kCmdStale, 0, 0, 0, Info},
    {"config", -2, 0, 0, 0, 0, nullptr, kConfigSubcommands},
    {"time", 1, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0, Time},
    {"shutdown", -1, kAdmin | kCmdAllowBusy | kCmdNoMulti, 0, 0, 0, Shutdown},
};

}  // namespace

std::span<const CommandSpec> ServerCommands() { return kCommands; }

}  // namespace stash
