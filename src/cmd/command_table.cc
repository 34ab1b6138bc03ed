#include "cmd/command_table.h"

#include <algorithm>
#include <atomic>

namespace stash {

std::vector<std::string_view> CommandFlagNames(uint32_t flags) {
  // StashDB's own flags (kCmdNotQueued ...) are not in this list, so COMMAND INFO never shows
  // them.
  static constexpr std::pair<CommandFlag, std::string_view> kNames[] = {
      {kCmdWrite, "write"},
      {kCmdReadonly, "readonly"},
      {kCmdDenyOom, "denyoom"},
      {kCmdAdmin, "admin"},
      {kCmdPubsub, "pubsub"},
      {kCmdNoscript, "noscript"},
      {kCmdBlocking, "blocking"},
      {kCmdLoading, "loading"},
      {kCmdStale, "stale"},
      {kCmdSkipMonitor, "skip_monitor"},
      {kCmdSkipSlowlog, "skip_slowlog"},
      {kCmdFast, "fast"},
      {kCmdNoAuth, "no_auth"},
      {kCmdNoMulti, "no_multi"},
      {kCmdAllowBusy, "allow_busy"},
  };
  std::vector<std::string_view> out;
  for (auto& [flag, name] : kNames) {
    if (flags & flag) out.push_back(name);
  }
  return out;
}

namespace {
std::atomic<uint64_t> g_next_table_id{1};
}  // namespace

CommandTable::CommandTable() : id_(g_next_table_id.fetch_add(1, std::memory_order_relaxed)) {
#define STASH_COMMAND_GROUP(F) Add(F());
#include "cmd/command_groups.h"
#undef STASH_COMMAND_GROUP
}

void CommandTable::Add(std::span<const CommandSpec> group) {
  for (const CommandSpec& spec : group) {
    auto entry = std::make_unique<CommandEntry>();
    entry->spec = &spec;
    entry->fullname = std::string(spec.name);
    for (const CommandSpec& sub : spec.subcommands) {
      auto child = std::make_unique<CommandEntry>();
      child->spec = &sub;
      child->fullname = entry->fullname + "|" + std::string(sub.name);
      entry->subcommands.emplace(std::string(sub.name), std::move(child));
    }
    commands_.emplace(std::string(spec.name), std::move(entry));
  }
}

CommandEntry* CommandTable::Find(std::string_view lower_name) const {
  auto it = commands_.find(std::string(lower_name));
  return it == commands_.end() ? nullptr : it->second.get();
}

std::vector<CommandEntry*> CommandTable::All() const {
  std::vector<CommandEntry*> out;
  for (auto& [name, entry] : commands_) out.push_back(entry.get());
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->fullname < b->fullname; });
  return out;
}

void CommandTable::ResetStats() {
  auto reset = [](CommandEntry* e) {
    e->calls = 0;
    e->usec = 0;
    e->rejected_calls = 0;
    e->failed_calls = 0;
  };
  for (auto& [name, entry] : commands_) {
    reset(entry.get());
    for (auto& [sub, child] : entry->subcommands) reset(child.get());
  }
}

}  // namespace stash
