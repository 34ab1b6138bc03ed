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
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lsm/write_batch.h"
#include "store/key_reader.h"
#include "store/layout.h"
#include "store/overlay_iterator.h"
#include "store/store.h"

namespace stash::store {

class Txn;

// A read of one engine key made ahead of the writer, on the thread that queued the command
// (Store::Prefetch): the writer takes it instead of reading the engine itself when the engine
// confirms that nothing wrote the key since (DB::UnchangedSince). Only answers (a value or
// NotFound) are kept; a failed read is left for the writer to make and report.
struct PrefetchedRead {
  std::string engine_key;
  bool found = false;
  std::string value;
  uint64_t sequence = 0;  // what the read saw: the engine's state at this sequence
};

// Whether a read failed (an engine error; NotFound is an answer, not a failure).
inline bool ReadFailed(const Status& s) { return !s.ok() && !s.IsNotFound(); }

// Told about every change a Txn makes to a key or a whole database (WATCH uses it).
class TouchHook {
 public:
  virtual ~TouchHook() = default;
  // key in db was written or deleted; expired_reclaim: it was deleted after it had expired.
  virtual void KeyTouched(int db, std::string_view key, bool expired_reclaim) = 0;
  // db is about to be emptied (other == -1: FLUSHDB) or swapped with other (SWAPDB); txn still
  // shows the state before the change.
  virtual void DbChanging(int db, int other, Txn& txn) = 0;
  // key in db comes into being: written where it had no record, or where its record was past
  // its expiry at the command's time (over_expired; see Txn::SetNow).
  virtual void KeyAdded(int /*db*/, std::string_view /*key*/, bool /*over_expired*/) {}
  // A command began (BeginOp), or was taken back (AbortOp): what it reported did not happen.
  virtual void OpBegun() {}
  virtual void OpAborted() {}
};

class Txn {
 public:
  explicit Txn(Store& store, TouchHook* hook = nullptr);

  // Writes that follow go into batch (owned by the caller) at EndCommand.
  void BeginCommand(WriteBatch* batch);
  // Adds the keys, counters and slot map that this command changed to its batch.
  void EndCommand();

  // One command of the group. Between BeginOp and EndOp/AbortOp every change is also logged so
  // that AbortOp can take the command back out of the group (overlay, counters, slot map);
  // op_error() is the first failed read of the command (see Reads below).
  void BeginOp();
  void EndOp();
  void AbortOp();
  const Status& op_error() const { return op_error_; }
  // The running command's time: Put over a record past its expiry at now_ms tells the hook.
  void SetNow(int64_t now_ms) { now_ms_ = now_ms; }
  // Records s as the running command's failure (the first one counts) and returns it: the
  // writer then takes the command back whatever the handler makes of it.
  Status Fail(Status s);

  // Reads answer OK, NotFound (absent, or expired at now_ms) or the engine's error (an I/O
  // error, a damaged block or record). An error is never "absent": it is also recorded in
  // op_error(), and the writer then aborts the command whatever the handler did with it.
  // A key found past its expiry is removed (Delete), as a write's lookup does in Redis; with
  // now_ms 0 nothing counts as expired.
  Status Get(int db, std::string_view key, int64_t now_ms, Record* out);
  // OK when key is live at now_ms, NotFound when not.
  Status Exists(int db, std::string_view key, int64_t now_ms);
  // OK when key is present but past its expiry (not yet reclaimed), NotFound when not.
  Status ExistsExpired(int db, std::string_view key, int64_t now_ms);
  // Creates or replaces key (keeping counters and the expiry index right). Fails (changing
  // nothing) when the old record cannot be read.
  Status Put(int db, std::string_view key, const Record& record);
  // The same from the record's parts (no Record to build: SET's value goes in as a view).
  Status Put(int db, std::string_view key, ValueType type, int64_t expire_at_ms,
             std::string_view payload);
  // Rewrites key's record when the live one has the same type, version and expiry (a
  // collection whose count changed): no counter or expiry index changes, no read.
  // touch false: the hook is not told (a change Redis does not signal: stream groups).
  void UpdateRecord(int db, std::string_view key, const Record& record, bool touch = true);
  // Removes key if it is there (live or expired); *live (may be null): it was live at now_ms.
  Status Delete(int db, std::string_view key, int64_t now_ms, bool* live = nullptr);
  // Removes the expiry-index entry of key at when_ms, only if the key's record does not carry
  // that expiry (a stale entry): fixes nothing else. OK when the entry was stale and removed,
  // NotFound when the record does carry it.
  Status DeleteStaleExpiry(int db, std::string_view key, int64_t when_ms);
  // Empties db (points it at a fresh slot).
  void FlushDb(int db);
  void SwapDb(int a, int b);

  // Applies counters and the slot map after the group's batches are committed.
  void Publish();
  // Whether the group changed the slot map (FLUSHDB, FLUSHALL, SWAPDB).
  bool slots_changed() const { return st_.map_changed; }
  const std::vector<uint32_t>& slot_map() const { return st_.slots; }

  Store& store() { return store_; }
  int databases() const { return store_.databases(); }
  uint32_t Slot(int db) const { return st_.slots[db]; }

  // The running command's reads made ahead (null: none); ReadRaw takes those still valid.
  // The caller keeps them alive until it sets another (or null).
  void SetPrefetched(std::vector<PrefetchedRead>* reads) { prefetched_ = reads; }

  // Reads an engine key through the overlay: the group's own writes first, then the engine.
  // overlay_only: the engine is known to hold nothing there (a fresh collection version).
  Status ReadRaw(const std::string& engine_key, std::string* value, bool overlay_only = false);
  // Writes or deletes one engine key through the overlay (collection elements: collection.h).
  void PutRaw(const std::string& engine_key, std::string value) {
    WriteRaw(engine_key, std::move(value));
  }
  void DeleteRaw(const std::string& engine_key) { WriteRaw(engine_key, std::nullopt); }
  // An iterator over engine keys as the group sees them (its writes over the engine).
  std::unique_ptr<Iterator> NewRawIterator();

  // A collection version never handed out before (layout.h); written with the group.
  uint64_t NewVersion();
  // Whether version was handed out by this group: the engine holds no element of it yet.
  bool FreshVersion(uint64_t version) const { return version >= first_version_; }
  // Element ranges of big collections this group made garbage (deleted, overwritten), for
  // Store::Commit to reclaim at once; smaller ones are left to compaction.
  const std::vector<std::pair<std::string, std::string>>& dead_ranges() const {
    return dead_ranges_;
  }
  static constexpr uint64_t kReclaimElements = 10000;

  // Read commands inside MULTI/EXEC read through this: they see the group's writes so far.
  KeyReader& reader() { return reader_; }

 private:
  void WriteRaw(const std::string& key, std::optional<std::string> value);
  // The record raw of key in slot is being replaced or deleted: when it was a collection and
  // the new record (if any, raw too) is not the same version of it, its elements are garbage.
  void NoteReplaced(uint32_t slot, std::string_view key, std::string_view old_payload,
                    ValueType old_type, const ValueType* new_type, std::string_view new_payload);
  // key's metadata key in slot, built in a buffer the Txn reuses (valid until the next call).
  // No Txn method holds it across a call that builds another key's.
  const std::string& Meta(uint32_t slot, std::string_view key);
  // Tells the hook that db is being emptied (other -1) or swapped with other.
  void RunDbHook(int db, int other);
  // Saves the whole slot map and every counter before the running command first changes the
  // map (FLUSHDB, SWAPDB: rare, so a full copy).
  void SaveForUndo();
  // Saves db's counters before the running command first changes them (every write: cheap).
  void SaveCountersForUndo(int db);

  Store& store_;
  TouchHook* hook_;
  WriteBatch* batch_ = nullptr;
  class Reader final : public KeyReader {
   public:
    explicit Reader(Txn* txn) : txn_(txn) {}
    Status Get(int db, std::string_view key, int64_t now_ms, Record* out) override;
    std::unique_ptr<Iterator> NewIterator(int db, uint32_t* slot) override;
    Status GetRaw(const std::string& engine_key, std::string* value) override {
      return txn_->ReadRaw(engine_key, value);
    }
    Status DbSize(int db, int64_t now_ms, uint64_t* keys, uint64_t* expires) override;

   private:
    Txn* txn_;
  };

  std::string meta_;  // Meta's buffer
  std::string raw_;   // Put's and Delete's read of the old record (keeps its capacity)
  Overlay overlay_;
  // Overlay entries written since BeginCommand (repeats included; EndCommand dedupes).
  std::vector<Overlay::iterator> pending_;
  Reader reader_{this};
  // The slot map and key counters as of the group's writes so far (AbortOp restores a copy).
  struct MapState {
    std::vector<uint32_t> slots;
    uint32_t next_slot = 0;
    std::vector<Store::Counters> counters;  // per database
    std::vector<bool> counters_dirty;       // per database: changed since the last EndCommand
    bool slots_dirty = false;               // the map changed since the last EndCommand
    bool map_changed = false;               // FlushDb or SwapDb ran in this group
  };
  MapState st_;

  // The running command (BeginOp): its first read error and what AbortOp restores.
  struct Undo {
    Overlay::iterator it;
    bool inserted;                     // the key was not in the overlay before
    std::optional<std::string> value;  // else its value then
  };
  uint64_t next_version_ = 0;
  uint64_t first_version_ = 0;
  bool version_dirty_ = false;
  std::vector<std::pair<std::string, std::string>> dead_ranges_;
  size_t op_dead_mark_ = 0;

  bool op_open_ = false;
  int64_t now_ms_ = 0;  // 0: unknown (Put then sees no record as expired)
  Status op_error_;
  std::vector<Undo> undo_;
  size_t op_pending_mark_ = 0;
  bool op_saved_ = false;
  MapState saved_;
  struct CounterUndo {
    int db;
    Store::Counters counters;
    bool dirty;
  };
  std::vector<CounterUndo> counter_undo_;  // per database changed by the running command

  // The engine's answer to the last ReadRaw that went to the engine. The engine does not change
  // while a group runs (its writes wait in the overlay until Commit), so a command that reads a
  // key and then writes it (SET: the read for the reply, then Put's read for the counters) asks
  // the engine once. Values above kMaxCachedRead are not kept.
  static constexpr size_t kMaxCachedRead = 4096;
  std::string last_read_key_;
  Status last_read_status_;
  std::string last_read_value_;
  bool last_read_valid_ = false;
  std::vector<PrefetchedRead>* prefetched_ = nullptr;
  // The engine's answer for engine_key from prefetched_, when one is there and still valid.
  bool TakePrefetched(const std::string& engine_key, Status* s, std::string* value);
};

}  // namespace stash::store
