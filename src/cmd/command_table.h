// CommandTable: every command StashDB knows, built from the groups' CommandSpec tables, with
// per-command statistics for INFO commandstats. Built once at startup; lookups are lock-free.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <span>

#include "cmd/command.h"

namespace stash {

struct CommandEntry {
  const CommandSpec* spec;
  std::string fullname;  // "get", or "client|setname" for a subcommand
  std::unordered_map<std::string, std::unique_ptr<CommandEntry>> subcommands;
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> usec{0};
  std::atomic<uint64_t> rejected_calls{0};
  std::atomic<uint64_t> failed_calls{0};
};

class CommandTable {
 public:
  CommandTable();
  // name must be lowercase.
  CommandEntry* Find(std::string_view lower_name) const;
  // Every top-level command, sorted by name.
  std::vector<CommandEntry*> All() const;
  size_t size() const { return commands_.size(); }
  void ResetStats();
  // Different for every table the process makes (a later table may reuse an earlier's address).
  uint64_t id() const { return id_; }

 private:
  const uint64_t id_;
  void Add(std::span<const CommandSpec> group);
  std::unordered_map<std::string, std::unique_ptr<CommandEntry>> commands_;
};

// The groups (cmd/command_groups.h); each is defined at the bottom of its own file.
#define STASH_COMMAND_GROUP(F) std::span<const CommandSpec> F();
#include "cmd/command_groups.h"
#undef STASH_COMMAND_GROUP

}  // namespace stash
