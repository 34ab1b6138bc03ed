#include "store/store.h"

#include <algorithm>
#include <thread>

#include "store/txn.h"
#include "util/coding.h"

namespace stash::store {
namespace {

bool SlotKind(char kind) {
  return kind == kMetaPrefix || kind == kExpirePrefix || kind == kCounterPrefix ||
         kind == kElementPrefix;
}

// Drops garbage: the records of slots that no database names any more (after FLUSHDB/FLUSHALL)
// and the elements of collection versions no metadata record names (after DEL, an overwrite,
// expiry). Slots and versions are never reused, so such a record can never become visible
// again once no snapshot from before the commit that made it garbage is left.
class KeyspaceFilter final : public CompactionFilter {
 public:
  explicit KeyspaceFilter(Store* store) : store_(store) {}
  bool Drop(int, std::string_view key, std::string_view, uint64_t,
            uint64_t smallest_snapshot) override {
    if (key.size() < 5 || !SlotKind(key[0])) return false;
    if (store_->SlotDroppable(GetBigEndian32(key.data() + 1), smallest_snapshot)) return true;
    if (key[0] != kElementPrefix) return false;
    uint32_t slot;
    std::string_view user_key, element;
    uint64_t version;
    if (!ParseElementKey(key, &slot, &user_key, &version, &element)) return false;
    // A compaction meets the elements of one collection one after the other: one metadata
    // read per run of them.
    std::lock_guard<std::mutex> lock(mu_);
    if (have_last_ && last_slot_ == slot && last_version_ == version && last_key_ == user_key &&
        last_snapshot_ == smallest_snapshot) {
      return last_verdict_;
    }
    last_verdict_ = store_->ElementsDroppable(slot, user_key, version, smallest_snapshot);
    have_last_ = true;
    last_slot_ = slot;
    last_version_ = version;
    last_key_.assign(user_key);
    last_snapshot_ = smallest_snapshot;
    return last_verdict_;
  }
  // Exactly the range of one kind of record of one orphaned slot (Store::Commit asks for those
  // after the orphaning commit; the engine waits for older snapshots before it asks here), or
  // the elements of one dead collection version (Txn::dead_ranges).
  bool DropsRange(std::string_view begin, std::string_view end) override {
    if (begin.empty() || begin[0] != end[0] || !SlotKind(begin[0])) return false;
    if (begin.size() == 5 && end.size() == 5) {
      uint32_t slot = GetBigEndian32(begin.data() + 1);
      if (slot == UINT32_MAX || GetBigEndian32(end.data() + 1) != slot + 1) return false;
      return slot < store_->next_slot() && !store_->SlotInUse(slot);
    }
    uint32_t slot, end_slot;
    std::string_view key, end_key, element, end_element;
    uint64_t version, end_version;
    if (!ParseElementKey(begin, &slot, &key, &version, &element) ||
        !ParseElementKey(end, &end_slot, &end_key, &end_version, &end_element) ||
        !element.empty() || !end_element.empty() || slot != end_slot || key != end_key ||
        version == UINT64_MAX || end_version != version + 1) {
      return false;
    }
    return store_->ElementsDroppable(slot, key, version, UINT64_MAX);
  }

 private:
  Store* store_;
  std::mutex mu_;
  bool have_last_ = false;
  uint32_t last_slot_ = 0;
  uint64_t last_version_ = 0;
  std::string last_key_;
  uint64_t last_snapshot_ = 0;
  bool last_verdict_ = false;
};

// A read point at a given sequence, for the filter's metadata reads.
class SequenceSnapshot final : public Snapshot {
 public:
  explicit SequenceSnapshot(uint64_t sequence) : sequence_(sequence) {}
  uint64_t sequence() const override { return sequence_; }

 private:
  uint64_t sequence_;
};

}  // namespace

Status Store::Open(Options options, const std::string& dir, int databases,
                   std::unique_ptr<Store>* out) {
  if (databases < 1 || databases > kMaxDatabases) {
    return Status::InvalidArgument("databases must be between 1 and 1024");
  }
  std::unique_ptr<Store> s(new Store());
  s->databases_ = databases;
  s->counters_.resize(databases);
  s->filter_ = std::make_unique<KeyspaceFilter>(s.get());
  // Until the slot map is loaded the filter must drop nothing: next_slot 0 guarantees that.
  options.compaction_filter = s->filter_.get();
  STASH_RETURN_IF_ERROR(DB::Open(options, dir, &s->db_));
  STASH_RETURN_IF_ERROR(s->LoadSlotMap());
  STASH_RETURN_IF_ERROR(s->LoadCounters());
  s->open_.store(true, std::memory_order_release);
  *out = std::move(s);
  return Status::OK();
}

Store::~Store() { Close().IgnoreError(); }  // destructor: Close() reports for callers who ask

Status Store::Close() {
  if (!db_) return Status::OK();
  Status s = db_->Close();
  db_.reset();
  return s;
}

std::string Store::EncodeSlotMap(const std::vector<uint32_t>& slots, uint32_t next_slot) {
  std::string v;
  PutFixed32(&v, next_slot);
  for (uint32_t slot : slots) PutFixed32(&v, slot);
  return v;
}

Status Store::LoadSlotMap() {
  std::string raw;
  Status s = db_->Get(ReadOptions(), kSlotMapKey, &raw);
  std::vector<uint32_t> slots;
  uint32_t next = 0;
  if (s.IsNotFound()) {
    // A new data directory: database i starts in slot i.
    for (int i = 0; i < databases_; i++) slots.push_back(static_cast<uint32_t>(i));
    next = static_cast<uint32_t>(databases_);
    STASH_RETURN_IF_ERROR(
        db_->Put(WriteOptions{.sync = true}, kSlotMapKey, EncodeSlotMap(slots, next)));
  } else {
    STASH_RETURN_IF_ERROR(s);
    std::string_view in(raw);
    if (!GetFixed32(&in, &next)) return Status::Corruption("slot map record is damaged");
    uint32_t slot;
    while (GetFixed32(&in, &slot)) slots.push_back(slot);
    // A directory made with fewer databases gains fresh slots; with more, the extra ones are
    // kept in the map (and on disk) but not reachable until databases is raised again.
    if (static_cast<int>(slots.size()) < databases_) {
      while (static_cast<int>(slots.size()) < databases_) slots.push_back(next++);
      // Persist the grown map: otherwise a later FLUSHDB under fewer databases could hand one
      // of these slots, with the data written to it meanwhile, to another database.
      STASH_RETURN_IF_ERROR(
          db_->Put(WriteOptions{.sync = true}, kSlotMapKey, EncodeSlotMap(slots, next)));
    }
  }
  for (int i = 0; i < databases_; i++) slots_[i].store(slots[i], std::memory_order_release);
  extra_slots_.assign(slots.begin() + databases_, slots.end());
  next_slot_.store(next, std::memory_order_release);
  return Status::OK();
}

Status Store::LoadCounters() {
  std::string version;
  Status vs = db_->Get(ReadOptions(), kVersionKey, &version);
  if (vs.ok()) {
    if (version.size() != 8) return Status::Corruption("collection version record is damaged");
    next_version_ = DecodeFixed64(version.data());
  } else if (!vs.IsNotFound()) {
    return vs;
  }
  for (int db = 0; db < databases_; db++) {
    std::string raw;
    Status s = db_->Get(ReadOptions(), CounterKey(Slot(db)), &raw);
    if (s.IsNotFound()) continue;
    STASH_RETURN_IF_ERROR(s);
    if (raw.size() != 16) return Status::Corruption("key counter record is damaged");
    counters_[db].keys = DecodeFixed64(raw.data());
    counters_[db].expires = DecodeFixed64(raw.data() + 8);
  }
  return Status::OK();
}

bool Store::SlotInUse(uint32_t slot) const {
  std::lock_guard<std::mutex> lock(slots_mu_);
  for (int db = 0; db < databases_; db++) {
    if (Slot(db) == slot) return true;
  }
  for (uint32_t extra : extra_slots_) {
    if (extra == slot) return true;
  }
  return false;
}

bool Store::SlotDroppable(uint32_t slot, uint64_t smallest_snapshot) const {
  // Only slots below next_slot were ever handed out; a higher one may be named any moment.
  if (slot >= next_slot()) return false;
  std::lock_guard<std::mutex> lock(slots_mu_);
  for (int db = 0; db < databases_; db++) {
    if (Slot(db) == slot) return false;
  }
  for (uint32_t extra : extra_slots_) {
    if (extra == slot) return false;
  }
  auto it = orphaned_at_.find(slot);
  return it == orphaned_at_.end() || it->second <= smallest_snapshot;
}

bool Store::ElementsDroppable(uint32_t slot, std::string_view key, uint64_t version,
                              uint64_t smallest_snapshot) {
  if (!open_.load(std::memory_order_acquire)) return false;
  SequenceSnapshot at(smallest_snapshot);
  ReadOptions ro;
  if (smallest_snapshot != UINT64_MAX) ro.snapshot = &at;
  std::string raw;
  Status s = db_->Get(ro, MetaKey(slot, key), &raw);
  if (s.IsNotFound()) return true;
  if (!s.ok()) return false;  // unsure: keep
  ValueType type;
  int64_t expire;
  std::string_view payload;
  if (!DecodeHeader(raw, &type, &expire, &payload)) return false;
  if (!IsCollection(type)) return true;
  CollectionMeta meta;
  if (!DecodeCollectionMeta(payload, &meta)) return false;
  return meta.version != version;
}

std::vector<uint32_t> Store::SlotMap() const {
  std::vector<uint32_t> out;
  for (int i = 0; i < databases_; i++) out.push_back(Slot(i));
  out.insert(out.end(), extra_slots_.begin(), extra_slots_.end());
  return out;
}

void Store::PublishSlots(const std::vector<uint32_t>& slots, uint32_t next_slot) {
  std::lock_guard<std::mutex> lock(slots_mu_);
  // Slots first: a new slot below next_slot must already be named when the filter looks.
  for (int i = 0; i < databases_; i++) slots_[i].store(slots[i], std::memory_order_release);
  next_slot_.store(next_slot, std::memory_order_release);
}

uint64_t Store::GenerationAfterRead() {
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer does not model fences (GCC warns, -Wtsan): under it, a read-modify-write
  // with release order, which keeps the reads before it just as the fence does, and which TSan
  // understands. It would make every read write the generation's cache line, so only here.
  return map_gen_.fetch_add(0, std::memory_order_acq_rel);
#else
  std::atomic_thread_fence(std::memory_order_acquire);
  return map_gen_.load(std::memory_order_relaxed);
#endif
}

template <typename Read>
auto Store::ConsistentRead(Read&& read) -> decltype(read()) {
  while (true) {
    uint64_t gen = map_gen_.load(std::memory_order_acquire);
    if (gen & 1) {  // a group that changes the map is being committed: wait for its publication
      std::this_thread::yield();
      continue;
    }
    auto result = read();
    if (GenerationAfterRead() == gen) return result;
  }
}

Status Store::Get(int db, std::string_view key, int64_t now_ms, Record* out) {
  return ConsistentRead([&] { return GetAt(Slot(db), nullptr, key, now_ms, out); });
}

void Store::ReleaseSnapshot(const Snapshot* snapshot) { db_->ReleaseSnapshot(snapshot); }

Status Store::WriteError() const { return db_->BackgroundError(); }

std::string Store::WriteErrorOrigin() const { return db_->BackgroundErrorOrigin(); }

Status Store::ResumeWrites() { return db_->Resume(); }

uint32_t Store::PinSlot(int db, const Snapshot** snapshot) {
  const Snapshot* snap = nullptr;
  uint32_t slot = ConsistentRead([&] {
    if (snap != nullptr) db_->ReleaseSnapshot(snap);  // an attempt that raced a map change
    snap = db_->GetSnapshot();
    return Slot(db);
  });
  *snapshot = snap;
  return slot;
}

std::unique_ptr<Iterator> Store::NewIterator(int db, uint32_t* slot) {
  std::unique_ptr<Iterator> it;
  *slot = ConsistentRead([&] {
    it = db_->NewIterator(ReadOptions());
    return Slot(db);
  });
  return it;
}

Status Store::GetRaw(const std::string& engine_key, std::string* value) {
  return db_->Get(ReadOptions(), engine_key, value);
}

bool Store::Prefetch(int db, std::string_view key, PrefetchedRead* out) {
  out->engine_key.clear();
  out->engine_key.reserve(1 + sizeof(uint32_t) + key.size());  // MetaKey: one allocation
  AppendMetaKey(&out->engine_key, Slot(db), key);
  Status s = db_->ReadAhead(out->engine_key, &out->value, &out->sequence);
  out->found = s.ok();
  return s.ok() || s.IsNotFound();
}

Status Store::Commit(Txn& txn, WriteBatch* batch) {
  bool remap = txn.slots_changed();
  std::vector<uint32_t> before;
  if (remap) {
    before = SlotMap();
    map_gen_.fetch_add(1, std::memory_order_seq_cst);  // odd: readers wait
  }
  Status s = batch->Count() == 0 ? Status::OK() : db_->Write(WriteOptions(), batch);
  if (after_write_hook_) after_write_hook_();
  if (s.ok()) {
    std::vector<uint32_t> orphaned;
    if (remap) {
      const std::vector<uint32_t>& after = txn.slot_map();
      std::lock_guard<std::mutex> lock(slots_mu_);
      for (uint32_t slot : before) {
        if (std::find(after.begin(), after.end(), slot) == after.end()) {
          orphaned_at_[slot] = batch->Sequence() + batch->Count() - 1;
          orphaned.push_back(slot);
        }
      }
    }
    txn.Publish();
    if (!orphaned.empty()) ReclaimSlots(orphaned);
    // The elements of big collections deleted or overwritten: their space comes back without
    // waiting for compactions to reach them (RunDeferredReclaims).
    deferred_reclaims_.insert(deferred_reclaims_.end(), txn.dead_ranges().begin(),
                              txn.dead_ranges().end());
  }
  if (remap) map_gen_.fetch_add(1, std::memory_order_release);  // even: the new map is out
  return s;
}

void Store::RunDeferredReclaims() {
  if (deferred_reclaims_.empty()) return;
  // Failing to schedule loses nothing: the compaction filter still drops them.
  db_->ReclaimRanges(std::move(deferred_reclaims_)).IgnoreError();
  deferred_reclaims_.clear();
}

void Store::ReclaimSlots(const std::vector<uint32_t>& slots) {
  // The disk space of a flushed database comes back without waiting for some compaction to
  // happen to read it: the engine drops the tables inside these ranges and rewrites the
  // boundary ones, in the background at lsm-reclaim-rate, once no older snapshot is left.
  std::vector<std::pair<std::string, std::string>> ranges;
  for (uint32_t slot : slots) {
    if (slot == UINT32_MAX) continue;
    ranges.emplace_back(MetaPrefix(slot), MetaPrefix(slot + 1));
    ranges.emplace_back(ExpirePrefix(slot), ExpirePrefix(slot + 1));
    ranges.emplace_back(CounterKey(slot), CounterKey(slot + 1));
    ranges.emplace_back(ElementSlotPrefix(slot), ElementSlotPrefix(slot + 1));
  }
  // Failing to schedule loses no data: the filter still drops the records whenever some
  // compaction reads them.
  db_->ReclaimRanges(std::move(ranges)).IgnoreError();
}

std::string Store::WriterExpiryMark(uint32_t slot) const {
  auto it = marks_.find(slot);  // the writer is the only thread that changes marks_
  return it == marks_.end() ? std::string() : it->second.mark;
}

void Store::NoteExpiryEntry(uint32_t slot, int64_t when_ms, std::string_view user_key) {
  auto it = marks_.find(slot);
  if (it == marks_.end()) return;
  std::string pos = ExpiryPosition(when_ms, user_key);
  if (it->second.mark <= pos && it->second.prev_mark <= pos) return;
  std::lock_guard<std::mutex> lock(marks_mu_);
  if (pos < it->second.mark) it->second.mark = pos;
  if (pos < it->second.prev_mark) it->second.prev_mark = pos;
}

void Store::RaiseExpiryMark(uint32_t slot, std::string mark, uint64_t seq) {
  std::lock_guard<std::mutex> lock(marks_mu_);
  ExpiryMark& m = marks_[slot];
  m.prev_mark = std::move(m.mark);
  m.prev_from_seq = m.from_seq;
  m.mark = std::move(mark);
  m.from_seq = seq;
}

std::string Store::ExpiryMarkAt(uint32_t slot, uint64_t seq) const {
  std::lock_guard<std::mutex> lock(marks_mu_);
  auto it = marks_.find(slot);
  if (it == marks_.end()) return {};
  if (seq >= it->second.from_seq) return it->second.mark;
  if (seq >= it->second.prev_from_seq) return it->second.prev_mark;
  return {};  // a snapshot older than both: walk from the start
}

Status Store::GetAt(uint32_t slot, const Snapshot* snapshot, std::string_view key, int64_t now_ms,
                    Record* out) {
  ReadOptions ro;
  ro.snapshot = snapshot;
  thread_local std::string raw;  // keeps its buffer: a read allocates only for its Record
  STASH_RETURN_IF_ERROR(db_->Get(ro, MetaKey(slot, key), &raw));
  if (!DecodeRecord(raw, out)) return Status::Corruption("damaged value of a key");
  if (out->expire_at_ms != 0 && out->expire_at_ms <= now_ms) return Status::NotFound();
  return Status::OK();
}

Status Store::DbSize(int db, int64_t now_ms, uint64_t* keys, uint64_t* expires) {
  const Snapshot* snap;
  uint32_t slot = PinSlot(db, &snap);
  ReadOptions ro;
  ro.snapshot = snap;
  std::string raw;
  Status s = db_->Get(ro, CounterKey(slot), &raw);
  *keys = *expires = 0;
  if (s.ok() && raw.size() == 16) {
    *keys = DecodeFixed64(raw.data());
    *expires = DecodeFixed64(raw.data() + 8);
  } else if (!s.IsNotFound()) {
    db_->ReleaseSnapshot(snap);
    return s.ok() ? Status::Corruption("key counter record is damaged") : s;
  }
  // Keys past their expiry but not yet reclaimed are still counted: subtract them.
  uint64_t pending = 0;
  {
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    ForEachDueExpiry(it.get(), slot, ExpiryMarkAt(slot, snap->sequence()), now_ms,
                     [&](std::string_view, int64_t) {
                       pending++;
                       return true;
                     });
    s = it->status();
  }
  db_->ReleaseSnapshot(snap);
  STASH_RETURN_IF_ERROR(s);
  *keys = *keys >= pending ? *keys - pending : 0;
  *expires = *expires >= pending ? *expires - pending : 0;
  return Status::OK();
}

int64_t Store::AverageTtl(int db, int64_t now_ms, int sample) {
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  uint32_t slot = Slot(db);
  int64_t sum = 0;
  int n = 0;
  for (it->Seek(ExpirePrefix(slot)); it->Valid() && n < sample; it->Next()) {
    uint32_t s2;
    int64_t when;
    std::string_view user_key;
    if (!ParseExpireKey(it->key(), &s2, &when, &user_key) || s2 != slot) break;
    if (when <= now_ms) continue;
    sum += when - now_ms;
    n++;
  }
  return n == 0 ? 0 : sum / n;
}

}  // namespace stash::store
