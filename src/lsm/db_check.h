// CheckDatabase: the offline check behind `stashd --check DIR`. Without changing anything it
// reads CURRENT and the MANIFEST (as recovery would), every SSTable the current version names
// (every block's checksum, key order, the key range the MANIFEST records), and every log that
// recovery would replay (every record's checksum, complete batches, sequence numbers that
// continue across batches and logs). A torn or unsynced tail of the newest log is reported but
// is not damage: recovery drops it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "lsm/options.h"
#include "util/status.h"

namespace stash {

struct CheckReport {
  int tables = 0;
  uint64_t table_entries = 0;
  int logs = 0;
  uint64_t log_batches = 0;
  int problems = 0;  // damage found; 0 means the directory is sound
};

// say is called with one line per finding. Returns OK when the check ran (the result is in
// report->problems), or the reason it could not (e.g. Busy: a server holds the directory).
Status CheckDatabase(const Options& options, const std::string& dir,
                     const std::function<void(std::string_view)>& say, CheckReport* report);

}  // namespace stash
