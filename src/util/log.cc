#include "util/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace stash::log {
namespace {

std::atomic<Level> g_level{Level::kNotice};
std::mutex g_mu;
FILE* g_file = nullptr;  // nullptr = stdout; guarded by g_mu

constexpr std::string_view kNames[] = {"debug", "verbose", "notice", "warning"};
constexpr char kMarks[] = {'.', '-', '*', '#'};

}  // namespace

bool ParseLevel(std::string_view name, Level* level) {
  for (int i = 0; i < 4; i++) {
    if (name == kNames[i]) {
      *level = static_cast<Level>(i);
      return true;
    }
  }
  return false;
}

std::string_view LevelName(Level level) { return kNames[static_cast<int>(level)]; }
void SetLevel(Level level) { g_level.store(level); }
Level GetLevel() { return g_level.load(std::memory_order_relaxed); }

Status SetFile(const std::string& path) {
  FILE* f = nullptr;
  if (!path.empty()) {
    f = std::fopen(path.c_str(), "a");
    if (f == nullptr) return Status::IOError("can't open the log file " + path);
  }
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_file != nullptr) std::fclose(g_file);
  g_file = f;
  return Status::OK();
}

void Write(Level level, std::string_view message) {
  if (level < GetLevel()) return;
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  localtime_r(&tv.tv_sec, &tm);
  char date[64];
  size_t n = std::strftime(date, sizeof(date), "%d %b %Y %H:%M:%S", &tm);
  std::string line =
      fmt::format("{}:M {}.{:03d} {} {}\n", getpid(), std::string_view(date, n),
                  static_cast<int>(tv.tv_usec / 1000), kMarks[static_cast<int>(level)], message);
  std::lock_guard<std::mutex> lock(g_mu);
  FILE* out = g_file != nullptr ? g_file : stdout;
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
}

}  // namespace stash::log
