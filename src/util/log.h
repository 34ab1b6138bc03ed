// Server log in Redis's line format: "pid:M 21 Nov 2026 08:00:00.123 * message".
// Levels and their marks: debug '.', verbose '-', notice '*', warning '#'.
// Thread-safe; writes to stdout or to the configured logfile.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "util/status.h"

namespace stash::log {

enum class Level { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

// Parses "debug" | "verbose" | "notice" | "warning".
bool ParseLevel(std::string_view name, Level* level);
std::string_view LevelName(Level level);

void SetLevel(Level level);
Level GetLevel();
// "" = standard output. Opens (appends to) the file; an error leaves the old target in place.
Status SetFile(const std::string& path);

void Write(Level level, std::string_view message);

template <typename... Args>
void Notice(fmt::format_string<Args...> f, Args&&... args) {
  if (GetLevel() <= Level::kNotice)
    Write(Level::kNotice, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Warning(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kWarning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Verbose(fmt::format_string<Args...> f, Args&&... args) {
  if (GetLevel() <= Level::kVerbose)
    Write(Level::kVerbose, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Debug(fmt::format_string<Args...> f, Args&&... args) {
  if (GetLevel() <= Level::kDebug)
    Write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace stash::log
