// Active expiry: reclaims keys whose TTL has passed and that nobody read, walking each
// database's expiry index (layout.h) from its low-water mark (store.h), so the work per call is
// bounded by the budget plus what is due, not by what was reclaimed before. An index entry whose
// key's record does not carry that expiry (stale) is removed alone; the key is left as it is.
// Thread: the writer thread only (it writes through a Txn).
#pragma once

#include <cstdint>

#include "store/store.h"
#include "store/txn.h"

namespace stash::store {

struct ExpireCycleResult {
  uint64_t reclaimed = 0;
  uint64_t stale = 0;      // stale index entries removed
  bool more = false;       // the budget ran out with expired keys left
  bool committed = false;  // the removals were committed (what hook was told happened)
  Status status;
};

// hook (may be null) is told about every key reclaimed.
ExpireCycleResult ExpireCycle(Store& store, int64_t now_ms, uint64_t budget = 2000,
                              TouchHook* hook = nullptr);

}  // namespace stash::store
