// Txn: the writer thread's view of the keyspace while it runs one commit group.
//
// Every command of the group writes into its own WriteBatch (BeginCommand/EndCommand), so each
// command (or each MULTI/EXEC) is one atomic WAL batch; all of them also land in an overlay that
// later commands of the same group read, so read-modify-write commands see the writes before
// them. Key counters and the slot map change with the batches that change them and are
// published to the Store only after the group is committed (Publish).
//
// Thread: the writer thread only.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "lsm/write_batch.h"
#include "store/layout.h"
#include "store/store.h"

namespace stash::store {

class Txn {
 public:
  explicit Txn(Store& store);

  // Writes that follow go into batch (owned by the caller) until EndCommand.
  void BeginCommand(WriteBatch* batch);
  // Adds the counter and slot-map records that this command changed to its batch.
  void EndCommand();

  // The live record of key; false when absent or expired at now_ms.
  bool Get(int db, std::string_view key, int64_t now_ms, Record* out);
  bool Exists(int db, std::string_view key, int64_t now_ms);
  // Creates or replaces key (keeping counters and the expiry index right).
  void Put(int db, std::string_view key, const Record& record);
  // Removes key if it is there (live or expired); returns true if it was live at now_ms.
  bool Delete(int db, std::string_view key, int64_t now_ms);
  // Empties db (points it at a fresh slot).
  void FlushDb(int db);
  void SwapDb(int a, int b);

  // Applies counters and the slot map after the group's batches are committed.
  void Publish();

  Store& store() { return store_; }
  int databases() const { return store_.databases(); }
  uint32_t Slot(int db) const { return slots_[db]; }

  // Reads an engine key through the overlay: the group's own writes first, then the engine.
  bool ReadRaw(const std::string& engine_key, std::string* value);

 private:
  void WriteRaw(const std::string& key, std::string_view value);
  void DeleteRaw(const std::string& key);

  Store& store_;
  WriteBatch* batch_ = nullptr;
  std::unordered_map<std::string, std::optional<std::string>> overlay_;
  std::vector<uint32_t> slots_;  // the slot map as of the group's writes so far
  uint32_t next_slot_;
  std::vector<Store::Counters> counters_;  // per database, as of the group's writes so far
  std::vector<bool> counters_dirty_;       // per database: changed by the current command
  bool slots_dirty_ = false;
};

}  // namespace stash::store
