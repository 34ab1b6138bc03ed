// Txn: the writer thread's view of the keyspace while it runs one commit group.
//
// Writes go into an overlay that later commands of the same group read, so read-modify-write
// commands see the writes before them. EndCommand adds the key counters and the slot map changed
// since BeginCommand, then every engine key written since BeginCommand, once each with its last
// value, to the WriteBatch given to BeginCommand (the writer gives one batch to a whole group;
// one per command works as well). A key rewritten within one batch (a pipeline of SETs of one
// key, MSET k v k v) is one batch entry: the batch is atomic, so its earlier values were never
// visible to anyone. Counter records are per slot (a pending change follows its slot through
// SWAPDB); they are published to the Store only after the batch is committed (Publish).
//
// Thread: the writer thread only.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "lsm/write_batch.h"
#include "store/key_reader.h"
#include "store/layout.h"
#include "store/overlay_iterator.h"
#include "store/store.h"

namespace stash::store {

class Txn;

// Told about every change a Txn makes to a key or a whole database (WATCH uses it).
class TouchHook {
 public:
  virtual ~TouchHook() = default;
  // key in db was written or deleted; expired_reclaim: it was deleted after it had expired.
  virtual void KeyTouched(int db, std::string_view key, bool expired_reclaim) = 0;
  // db is about to be emptied (other == -1: FLUSHDB) or swapped with other (SWAPDB); txn still
  // shows the state before the change.
  virtual void DbChanging(int db, int other, Txn& txn) = 0;
};

class Txn {
 public:
  explicit Txn(Store& store, TouchHook* hook = nullptr);

  // Writes that follow go into batch (owned by the caller) at EndCommand.
  void BeginCommand(WriteBatch* batch);
  // Adds the keys, counters and slot map that this command changed to its batch.
  void EndCommand();

  // The live record of key; false when absent or expired at now_ms.
  bool Get(int db, std::string_view key, int64_t now_ms, Record* out);
  bool Exists(int db, std::string_view key, int64_t now_ms);
  // Whether key is present but past its expiry (not yet reclaimed).
  bool ExistsExpired(int db, std::string_view key, int64_t now_ms);
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

  // Read commands inside MULTI/EXEC read through this: they see the group's writes so far.
  KeyReader& reader() { return reader_; }

 private:
  void WriteRaw(const std::string& key, std::string_view value);
  void DeleteRaw(const std::string& key);

  Store& store_;
  TouchHook* hook_;
  WriteBatch* batch_ = nullptr;
  class Reader final : public KeyReader {
   public:
    explicit Reader(Txn* txn) : txn_(txn) {}
    Status Get(int db, std::string_view key, int64_t now_ms, Record* out) override;
    std::unique_ptr<Iterator> NewIterator() override;
    uint32_t SlotOf(int db) const override { return txn_->slots_[db]; }
    Status DbSize(int db, int64_t now_ms, uint64_t* keys, uint64_t* expires) override;

   private:
    Txn* txn_;
  };

  Overlay overlay_;
  // Overlay entries written since BeginCommand (repeats included; EndCommand dedupes).
  std::vector<Overlay::iterator> pending_;
  Reader reader_{this};
  std::vector<uint32_t> slots_;  // the slot map as of the group's writes so far
  uint32_t next_slot_;
  std::vector<Store::Counters> counters_;  // per database, as of the group's writes so far
  std::vector<bool> counters_dirty_;       // per database: changed by the current command
  bool slots_dirty_ = false;
};

}  // namespace stash::store
