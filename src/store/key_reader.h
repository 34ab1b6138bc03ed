// KeyReader: how read commands see the keyspace. On a connection's thread that is the Store's
// committed state; inside MULTI/EXEC, on the writer, it is the transaction's Txn, so commands see
// the writes queued before them in the same transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "lsm/iterator.h"
#include "store/layout.h"
#include "util/status.h"

namespace stash::store {

class KeyReader {
 public:
  virtual ~KeyReader() = default;
  // The live record of key in db; NotFound when absent or expired at now_ms.
  virtual Status Get(int db, std::string_view key, int64_t now_ms, Record* out) = 0;
  // An iterator over engine keys (layout.h) as this reader sees them, and in *slot the physical
  // slot that database db names at the iterator's read point (the two always agree: a SWAPDB or
  // FLUSHDB is seen by both or by neither).
  virtual std::unique_ptr<Iterator> NewIterator(int db, uint32_t* slot) = 0;
  // An engine key (layout.h) as this reader sees it: OK, NotFound or the engine's error.
  virtual Status GetRaw(const std::string& engine_key, std::string* value) = 0;
  // Exact number of live keys and of live keys with a TTL.
  virtual Status DbSize(int db, int64_t now_ms, uint64_t* keys, uint64_t* expires) = 0;
};

// Calls fn(user_key, record) for each key of database db live at now_ms that starts with prefix
// and is >= from (from empty: from the start of prefix), in key order, until fn returns false.
// Returns the iterator's status (a read error is never the end of the keys).
Status ForEachLiveKey(KeyReader& keys, int db, std::string_view prefix, std::string_view from,
                      int64_t now_ms,
                      const std::function<bool(std::string_view key, const Record& r)>& fn);

}  // namespace stash::store
