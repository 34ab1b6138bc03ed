#include "config/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "config/config_parse.h"
#include "util/env.h"
#include "util/glob.h"
#include "util/strings.h"

namespace stash {
namespace {

// Quotes a value for the config file when it is empty or has blanks or quotes in it.
std::string QuoteForFile(const std::string& v) {
  bool plain = !v.empty() && std::none_of(v.begin(), v.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '\\';
  });
  if (plain) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Options whose value is several words keep them as separate words in the file.
bool IsMultiWord(const std::string& name) {
  return name == "bind" || name == "client-output-buffer-limit" || name == "save";
}

std::string FileLine(const ConfigOption& opt, const Settings& s) {
  std::string value = opt.get(s);
  if (IsMultiWord(opt.name) && !value.empty()) return opt.name + " " + value;
  return opt.name + " " + QuoteForFile(value);
}

}  // namespace

const ConfigOption* Config::Find(std::string_view name) const {
  std::string lower = AsciiLower(name);
  for (const ConfigOption& opt : ConfigOptions()) {
    if (opt.name == lower) return &opt;
  }
  return nullptr;
}

Status Config::Apply(std::string_view name, const std::vector<std::string>& args) {
  const ConfigOption* opt = Find(name);
  if (opt == nullptr) return Status::InvalidArgument(fmt::format("unknown option '{}'", name));
  if (args.empty()) return Status::InvalidArgument(fmt::format("option '{}' needs a value", name));
  std::string why;
  std::unique_lock lock(mu_);
  if (!opt->set(settings_, args, &why)) {
    return Status::InvalidArgument(fmt::format("bad value for '{}': {}", opt->name, why));
  }
  return Status::OK();
}

Status Config::LoadFile(const std::string& path) {
  std::string text;
  Status s = ReadFileToString(Env::Default(), path, &text);
  if (!s.ok()) return Status::InvalidArgument("can't read the config file: " + s.ToString());
  {
    std::unique_lock lock(mu_);
    file_path_ = path;
  }
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    line_no++;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front())))
      line.remove_prefix(1);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> args;
    Status st;
    if (!SplitConfigArgs(line, &args)) {
      st = Status::InvalidArgument("unbalanced quotes in configuration line");
    } else if (!args.empty()) {
      std::string name = args[0];
      args.erase(args.begin());
      st = Apply(name, args);
    }
    if (!st.ok()) {
      return Status::InvalidArgument(
          fmt::format("{}, at line {}: '{}': {}", path, line_no, line, st.message()));
    }
  }
  return Status::OK();
}

bool Config::SetAtRuntime(const std::vector<std::pair<std::string, std::string>>& pairs,
                          std::string* error) {
  std::vector<const ConfigOption*> opts;
  for (const auto& pair : pairs) {
    const std::string& name = pair.first;  // a plain reference: clang 14 cannot capture a binding
    const ConfigOption* opt = Find(name);
    if (opt == nullptr) {
      *error = fmt::format("ERR Unknown option or number of arguments for CONFIG SET - '{}'", name);
      return false;
    }
    auto fail = [&](std::string_view why) {
      *error =
          fmt::format("ERR CONFIG SET failed (possibly related to argument '{}') - {}", name, why);
      return false;
    };
    if (!opt->runtime) return fail("can't set immutable config");
    if (std::find(opts.begin(), opts.end(), opt) != opts.end()) return fail("duplicate parameter");
    opts.push_back(opt);
  }
  Settings after;
  {
    std::unique_lock lock(mu_);
    Settings candidate = settings_;
    for (size_t i = 0; i < pairs.size(); i++) {
      const std::string& value = pairs[i].second;
      std::vector<std::string> args;
      if (!IsMultiWord(opts[i]->name) || !SplitConfigArgs(value, &args)) args = {value};
      std::string why;
      if (!opts[i]->set(candidate, args, &why)) {
        *error = fmt::format("ERR CONFIG SET failed (possibly related to argument '{}') - {}",
                             pairs[i].first, why);
        return false;
      }
    }
    settings_ = candidate;
    after = settings_;
  }
  for (const ConfigOption* opt : opts) {
    for (auto& fn : on_change_) fn(opt->name, after);
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> Config::Match(
    const std::vector<std::string>& patterns) const {
  std::shared_lock lock(mu_);
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  for (const ConfigOption& opt : ConfigOptions()) {
    for (const std::string& p : patterns) {
      if (GlobMatch(p, opt.name, true) && seen.insert(opt.name).second) {
        out.emplace_back(opt.name, opt.get(settings_));
      }
    }
  }
  return out;
}

Status Config::Rewrite() {
  Settings s = Snapshot();
  std::string path = file_path();
  if (path.empty()) return Status::InvalidArgument("The server is running without a config file");
  std::string old_text;
  STASH_RETURN_IF_ERROR(ReadFileToString(Env::Default(), path, &old_text));
  Settings defaults;
  std::set<std::string> written;
  std::string out;
  size_t pos = 0;
  while (pos < old_text.size()) {
    size_t eol = old_text.find('\n', pos);
    if (eol == std::string::npos) eol = old_text.size();
    std::string line = old_text.substr(pos, eol - pos);
    pos = eol + 1;
    std::vector<std::string> args;
    std::string_view trimmed(line);
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front())))
      trimmed.remove_prefix(1);
    const ConfigOption* opt = nullptr;
    if (!trimmed.empty() && trimmed[0] != '#' && SplitConfigArgs(trimmed, &args) && !args.empty()) {
      opt = Find(args[0]);
    }
    if (opt == nullptr) {
      out += line + "\n";
    } else if (written.insert(opt->name).second) {
      out += FileLine(*opt, s) + "\n";  // first occurrence carries the current value
    }
  }
  bool header = false;
  for (const ConfigOption& opt : ConfigOptions()) {
    if (written.count(opt.name) || opt.get(s) == opt.get(defaults)) continue;
    if (!header) {
      if (!out.empty() && out.back() != '\n') out += "\n";
      out += "# Generated by CONFIG REWRITE\n";
      header = true;
    }
    out += FileLine(opt, s) + "\n";
  }
  Env* env = Env::Default();
  std::string tmp = path + ".rewrite.tmp";
  STASH_RETURN_IF_ERROR(WriteStringToFile(env, out, tmp, /*sync=*/true));
  STASH_RETURN_IF_ERROR(env->RenameFile(tmp, path));
  size_t slash = path.rfind('/');
  return env->SyncDir(slash == std::string::npos ? "." : path.substr(0, slash + 1));
}

Settings Config::Snapshot() const {
  std::shared_lock lock(mu_);
  return settings_;
}

std::string Config::file_path() const {
  std::shared_lock lock(mu_);
  return file_path_;
}

void Config::OnChange(std::function<void(const std::string&, const Settings&)> fn) {
  std::unique_lock lock(mu_);
  on_change_.push_back(std::move(fn));
}

}  // namespace stash
