// The open-file budget. Every client holds a socket and every table in the engine's table cache
// holds a file, so the server needs maxclients + lsm-max-open-files descriptors plus a few of its
// own. At startup it raises RLIMIT_NOFILE to that (up to what the OS allows); when that is not
// possible it lowers maxclients, as Redis does, and when not even the table cache fits, the table
// cache too (docs: README "Configuration", conf/stashd.conf).
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "util/status.h"

namespace stash {

// Descriptors neither clients nor tables use: stdio, the listeners, the I/O threads' epoll and
// wake-up descriptors, the log file (Redis reserves 32 for these), and the engine's own files:
// LOCK, MANIFEST and the one that replaces it, the WAL and the one being retired, a flush output,
// a compaction output, a directory being synced. Tables that iterators keep open after the cache
// dropped them come out of the Redis part.
constexpr uint64_t kReservedFds = 32 + 8;
// The smallest table cache the server runs with (lsm-max-open-files's minimum).
constexpr int64_t kMinTableCache = 16;

struct FdBudget {
  int64_t maxclients = 0;
  int64_t table_cache = 0;  // lsm-max-open-files
};

// Descriptors the budget needs.
uint64_t FdsNeeded(const FdBudget& b);

// Fits b into limit descriptors. When both fit, b is unchanged. Otherwise the table cache keeps
// what the requested clients leave, or half of what the reserve leaves, whichever is more (but no
// more than requested, and at least kMinTableCache), and maxclients gets the rest. False (b
// unchanged) when not even one client and kMinTableCache tables fit.
bool FitFdBudget(uint64_t limit, FdBudget* b);

// Raises the soft RLIMIT_NOFILE to `wanted` (the hard limit too, if that is allowed) or as close
// to it as the OS allows; never lowers it. Returns the soft limit in force afterwards. When
// `wanted` could not be set, *error is the OS's reason for that first attempt.
uint64_t RaiseOpenFilesLimit(uint64_t wanted, std::string* error);

// At startup, before the server opens anything: raises the limit for config's maxclients and
// lsm-max-open-files, logging Redis's lines, and lowers those options in config when the limit
// stays too low. Fails when the limit is too low to start at all.
Status AdjustOpenFilesLimit(Config& config);

// After CONFIG SET maxclients: raises the limit for the new value if it can, else logs a warning
// (the connections beyond the limit then fail to be accepted).
void RaiseOpenFilesLimitForClients(const Settings& s);

}  // namespace stash
