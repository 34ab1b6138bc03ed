// Config: the option table (data: one row per option, config_options.cc) and the live Settings.
// Sources, later wins: built-in defaults < the config file < command-line flags < CONFIG SET.
// Thread-safe: every method may be called from any thread.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/settings.h"
#include "util/status.h"

namespace stash {

struct ConfigOption {
  std::string name;
  bool runtime;  // may be changed by CONFIG SET
  std::string help;
  // Parses args (one or more words) into settings; on failure returns the reason as Redis words
  // it, e.g. "argument couldn't be parsed into an integer".
  std::function<bool(Settings&, const std::vector<std::string>& args, std::string* why)> set;
  // The value as CONFIG GET shows it.
  std::function<std::string(const Settings&)> get;
};

// The table of every option; defined in config_options.cc.
const std::vector<ConfigOption>& ConfigOptions();

class Config {
 public:
  Config() = default;

  // Reads a redis.conf-style file. On error the message names the line and the reason.
  Status LoadFile(const std::string& path);
  // Applies one option at startup (file or flag). args are the value words.
  Status Apply(std::string_view name, const std::vector<std::string>& args);
  // CONFIG SET name value [name value ...]: all or nothing. On error, *error is Redis's reply
  // text (without '-').
  bool SetAtRuntime(const std::vector<std::pair<std::string, std::string>>& pairs,
                    std::string* error);
  // CONFIG GET: (name, value) for every option whose name matches one of the glob patterns.
  std::vector<std::pair<std::string, std::string>> Match(
      const std::vector<std::string>& patterns) const;
  // CONFIG REWRITE: rewrites the file it was loaded from, keeping comments and unknown lines
  // in place; options changed from their defaults and not yet in the file are appended.
  Status Rewrite();

  Settings Snapshot() const;
  std::string file_path() const;
  // Called (outside the lock) after CONFIG SET changes an option; name is the option's name.
  void OnChange(std::function<void(const std::string& name, const Settings&)> fn);

 private:
  const ConfigOption* Find(std::string_view name) const;
  mutable std::shared_mutex mu_;
  Settings settings_;
  std::string file_path_;
  std::vector<std::function<void(const std::string&, const Settings&)>> on_change_;
};

}  // namespace stash
