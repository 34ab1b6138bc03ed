// Store: the Redis keyspace on top of the LSM engine (layout.h spells out the encoding).
// Reads (Get, DbSize, iterators) may run on any thread and never wait for the writer; every
// mutation goes through a Txn on the single writer thread (writer.h).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lsm/db.h"
#include "lsm/options.h"
#include "store/key_reader.h"
#include "store/layout.h"
#include "util/status.h"

namespace stash::store {

class Store final : public KeyReader {
 public:
  static constexpr int kMaxDatabases = 1024;

  // Opens the engine in dir and loads the slot map. options.compaction_filter is set by Open.
  static Status Open(Options options, const std::string& dir, int databases,
                     std::unique_ptr<Store>* out);
  ~Store();
  Status Close();

  DB* engine() { return db_.get(); }
  int databases() const { return databases_; }
  // The physical slot database `db` names now.
  uint32_t Slot(int db) const { return slots_[db].load(std::memory_order_acquire); }
  // Whether some database (configured or kept from a larger `databases`) names slot.
  bool SlotInUse(uint32_t slot) const;

  // --- reads: any thread ---
  // The live record of key in db at now_ms; NotFound when absent or expired.
  Status Get(int db, std::string_view key, int64_t now_ms, Record* out) override;
  // The same for the database that names slot, read at snapshot (of engine(); null: latest).
  // Commands that read several keys take the slot and a snapshot once, so that they see one
  // state, as Redis's MGET and EXISTS do.
  Status GetAt(uint32_t slot, const Snapshot* snapshot, std::string_view key, int64_t now_ms,
               Record* out);
  // Exact number of live keys and of live keys with a TTL, read from one snapshot.
  Status DbSize(int db, int64_t now_ms, uint64_t* keys, uint64_t* expires) override;
  std::unique_ptr<Iterator> NewIterator() override { return db_->NewIterator(ReadOptions()); }
  uint32_t SlotOf(int db) const override { return Slot(db); }
  // Mean remaining TTL (ms) over up to `sample` keys with a TTL; 0 when there are none.
  int64_t AverageTtl(int db, int64_t now_ms, int sample);

  // --- writer thread only (used by Txn) ---
  struct Counters {
    uint64_t keys = 0;
    uint64_t expires = 0;
  };
  Counters& counters(int db) { return counters_[db]; }
  uint32_t next_slot() const { return next_slot_; }
  // Installs a new slot map (after the batch holding it is committed).
  void PublishSlots(const std::vector<uint32_t>& slots, uint32_t next_slot);
  std::vector<uint32_t> SlotMap() const;
  static std::string EncodeSlotMap(const std::vector<uint32_t>& slots, uint32_t next_slot);

 private:
  Store() = default;
  Status LoadSlotMap();
  Status LoadCounters();

  std::unique_ptr<DB> db_;
  std::unique_ptr<CompactionFilter> filter_;
  int databases_ = 16;
  std::array<std::atomic<uint32_t>, kMaxDatabases> slots_{};
  std::atomic<uint32_t> next_slot_{0};
  std::vector<uint32_t> extra_slots_;  // slots of databases beyond `databases` (kept, unused)
  // Held while the slot map changes and while the compaction filter asks SlotInUse, so that it
  // never sees a half-published map (SWAPDB would otherwise leave a slot unnamed for a moment).
  mutable std::mutex slots_mu_;
  std::vector<Counters> counters_;
};

}  // namespace stash::store
