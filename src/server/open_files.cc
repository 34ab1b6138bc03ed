#include "server/open_files.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "util/log.h"

namespace stash {
namespace {

// The most descriptors a process may have on Linux (fs.nr_open); 0 when unknown.
uint64_t SystemMaxFds() {
  std::ifstream in("/proc/sys/fs/nr_open");
  uint64_t n = 0;
  if (in >> n) return n;
  return 0;
}

bool TrySoftLimit(uint64_t soft, const rlimit& now, int* err) {
  rlimit want = now;
  want.rlim_cur = soft;
  if (now.rlim_max != RLIM_INFINITY && now.rlim_max < soft) want.rlim_max = soft;
  if (setrlimit(RLIMIT_NOFILE, &want) == 0) return true;
  *err = errno;
  return false;
}

}  // namespace

uint64_t FdsNeeded(const FdBudget& b) {
  return static_cast<uint64_t>(b.maxclients) + static_cast<uint64_t>(b.table_cache) + kReservedFds;
}

bool FitFdBudget(uint64_t limit, FdBudget* b) {
  if (limit >= FdsNeeded(*b)) return true;
  if (limit < kReservedFds + kMinTableCache + 1) return false;
  int64_t room = static_cast<int64_t>(limit - kReservedFds);
  int64_t cache = std::max(room - b->maxclients, room / 2);
  cache = std::max(kMinTableCache, std::min(cache, b->table_cache));
  b->table_cache = cache;
  b->maxclients = std::min(b->maxclients, room - cache);
  return true;
}

uint64_t RaiseOpenFilesLimit(uint64_t wanted, std::string* error) {
  rlimit now;
  if (getrlimit(RLIMIT_NOFILE, &now) != 0) {
    *error = std::strerror(errno);
    return 0;
  }
  if (now.rlim_cur == RLIM_INFINITY || now.rlim_cur >= wanted) return wanted;
  // Wanted first; then, when it was refused, the most the OS and the hard limit allow.
  std::vector<uint64_t> tries = {wanted};
  if (uint64_t sys = SystemMaxFds(); sys != 0 && sys < wanted) tries.push_back(sys);
  if (now.rlim_max != RLIM_INFINITY && now.rlim_max < wanted) tries.push_back(now.rlim_max);
  for (size_t i = 0; i < tries.size(); i++) {
    if (tries[i] <= now.rlim_cur) continue;
    int err = 0;
    if (TrySoftLimit(tries[i], now, &err)) return tries[i];
    if (i == 0) *error = std::strerror(err);
  }
  return now.rlim_cur;
}

Status AdjustOpenFilesLimit(Config& config) {
  Settings s = config.Snapshot();
  FdBudget budget{s.maxclients, s.lsm_max_open_files};
  uint64_t wanted = FdsNeeded(budget);
  rlimit before{};
  getrlimit(RLIMIT_NOFILE, &before);
  std::string error;
  uint64_t limit = RaiseOpenFilesLimit(wanted, &error);
  if (limit >= wanted) {
    if (before.rlim_cur < wanted) {
      log::Notice("Increased maximum number of open files to {} (it was originally set to {}).",
                  wanted, static_cast<uint64_t>(before.rlim_cur));
    }
    return Status::OK();
  }
  log::Warning("You requested maxclients of {} requiring at least {} max file descriptors.",
               s.maxclients, wanted);
  log::Warning("Server can't set maximum open files to {} because of OS error: {}.", wanted,
               error.empty() ? "unknown" : error);
  if (!FitFdBudget(limit, &budget)) {
    return Status::InvalidArgument(fmt::format(
        "Your current 'ulimit -n' of {} is not enough for the server to start. Please increase "
        "your open file limit to at least {}. Exiting.",
        limit, kReservedFds + kMinTableCache + 1));
  }
  if (budget.table_cache < s.lsm_max_open_files) {
    STASH_RETURN_IF_ERROR(config.Apply("lsm-max-open-files", {std::to_string(budget.table_cache)}));
    log::Warning(
        "Current maximum open files is {}. lsm-max-open-files has been reduced to {} to "
        "compensate for low ulimit.",
        limit, budget.table_cache);
  }
  if (budget.maxclients == s.maxclients) return Status::OK();
  STASH_RETURN_IF_ERROR(config.Apply("maxclients", {std::to_string(budget.maxclients)}));
  log::Warning(
      "Current maximum open files is {}. maxclients has been reduced to {} to compensate "
      "for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
      limit, budget.maxclients);
  return Status::OK();
}

void RaiseOpenFilesLimitForClients(const Settings& s) {
  uint64_t wanted = FdsNeeded({s.maxclients, s.lsm_max_open_files});
  std::string error;
  uint64_t limit = RaiseOpenFilesLimit(wanted, &error);
  if (limit < wanted) {
    log::Warning(
        "maxclients {} needs {} file descriptors but the limit stays at {} ({}); "
        "connections beyond it will fail. Increase 'ulimit -n'.",
        s.maxclients, wanted, limit, error);
  }
}

}  // namespace stash
