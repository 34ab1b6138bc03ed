#include "store/txn.h"

#include <algorithm>

#include "util/coding.h"

namespace stash::store {

Txn::Txn(Store& store, TouchHook* hook) : store_(store), hook_(hook) {
  st_.slots = store.SlotMap();
  st_.next_slot = store.next_slot();
  for (int db = 0; db < store.databases(); db++) st_.counters.push_back(store.counters(db));
  st_.counters_dirty.assign(store.databases(), false);
  next_version_ = first_version_ = store.next_version();
}

uint64_t Txn::NewVersion() {
  version_dirty_ = true;
  return next_version_++;
}

std::unique_ptr<Iterator> Txn::NewRawIterator() {
  return NewOverlayIterator(&overlay_, store_.engine()->NewIterator(ReadOptions()));
}

void Txn::NoteReplaced(uint32_t slot, std::string_view key, std::string_view old_payload,
                       ValueType old_type, const ValueType* new_type,
                       std::string_view new_payload) {
  if (!IsCollection(old_type)) return;
  CollectionMeta old_meta;
  if (!DecodeCollectionMeta(old_payload, &old_meta)) return;
  if (new_type != nullptr && *new_type == old_type) {
    CollectionMeta new_meta;
    if (DecodeCollectionMeta(new_payload, &new_meta) && new_meta.version == old_meta.version) {
      return;  // the same collection, changed
    }
  }
  if (old_meta.count < kReclaimElements || FreshVersion(old_meta.version)) return;
  dead_ranges_.emplace_back(ElementPrefix(slot, key, old_meta.version),
                            ElementPrefix(slot, key, old_meta.version + 1));
}

const std::string& Txn::Meta(uint32_t slot, std::string_view key) {
  meta_.clear();
  AppendMetaKey(&meta_, slot, key);
  return meta_;
}

void Txn::BeginCommand(WriteBatch* batch) { batch_ = batch; }

void Txn::EndCommand() {
  for (int db = 0; db < databases(); db++) {
    if (!st_.counters_dirty[db]) continue;
    std::string v;
    PutFixed64(&v, st_.counters[db].keys);
    PutFixed64(&v, st_.counters[db].expires);
    WriteRaw(CounterKey(st_.slots[db]), v);
    st_.counters_dirty[db] = false;
  }
  if (version_dirty_) {
    std::string v;
    PutFixed64(&v, next_version_);
    WriteRaw(kVersionKey, v);
    version_dirty_ = false;
  }
  if (st_.slots_dirty) {
    WriteRaw(kSlotMapKey, Store::EncodeSlotMap(st_.slots, st_.next_slot));
    st_.slots_dirty = false;
  }
  // Map iterators are stable: equal iterators are the same key.
  auto by_node = [](Overlay::iterator a, Overlay::iterator b) { return &*a < &*b; };
  std::sort(pending_.begin(), pending_.end(), by_node);
  pending_.erase(std::unique(pending_.begin(), pending_.end()), pending_.end());
  for (Overlay::iterator it : pending_) {
    if (it->second) {
      batch_->Put(it->first, *it->second);
    } else {
      batch_->Delete(it->first);
    }
  }
  pending_.clear();
  batch_ = nullptr;
}

void Txn::BeginOp() {
  if (hook_ != nullptr) hook_->OpBegun();
  op_open_ = true;
  op_error_ = Status::OK();
  undo_.clear();
  op_pending_mark_ = pending_.size();
  op_saved_ = false;
  counter_undo_.clear();
  op_dead_mark_ = dead_ranges_.size();
}

void Txn::EndOp() {
  op_open_ = false;
  undo_.clear();
}

void Txn::AbortOp() {
  if (hook_ != nullptr) hook_->OpAborted();
  // Newest first, so a key written twice by the command gets its value from before both.
  for (auto u = undo_.rbegin(); u != undo_.rend(); ++u) {
    if (u->inserted) {
      overlay_.erase(u->it);
    } else {
      u->it->second = std::move(u->value);
    }
  }
  pending_.resize(op_pending_mark_);
  dead_ranges_.resize(op_dead_mark_);
  if (op_saved_) st_ = std::move(saved_);
  // Each entry holds db's counters from before the command's first change of them.
  for (const CounterUndo& u : counter_undo_) {
    st_.counters[u.db] = u.counters;
    st_.counters_dirty[u.db] = u.dirty;
  }
  EndOp();
}

void Txn::SaveForUndo() {
  if (!op_open_ || op_saved_) return;
  op_saved_ = true;
  saved_ = st_;
}

void Txn::SaveCountersForUndo(int db) {
  // After a full save, AbortOp restores every counter from it.
  if (!op_open_ || op_saved_) return;
  for (const CounterUndo& u : counter_undo_) {
    if (u.db == db) return;
  }
  counter_undo_.push_back({db, st_.counters[db], st_.counters_dirty[db]});
}

void Txn::RunDbHook(int db, int other) {
  if (hook_ == nullptr) return;
  // The hook's reads are bookkeeping (WATCH): one that fails is taken as a change there, and
  // must not fail the FLUSHDB or SWAPDB (a way out of a damaged database).
  Status saved = op_error_;
  hook_->DbChanging(db, other, *this);
  op_error_ = saved;
}

Status Txn::Fail(Status s) {
  if (op_error_.ok()) op_error_ = s;
  return s;
}

Status Txn::ReadRaw(const std::string& engine_key, std::string* value, bool overlay_only) {
  auto it = overlay_.find(engine_key);
  if (it != overlay_.end()) {
    if (!it->second) return Status::NotFound();
    *value = *it->second;
    return Status::OK();
  }
  if (overlay_only) return Status::NotFound();
  if (last_read_valid_ && last_read_key_ == engine_key) {
    if (last_read_status_.ok()) *value = last_read_value_;
    return last_read_status_;
  }
  Status s;
  if (!TakePrefetched(engine_key, &s, value)) {
    s = store_.engine()->Get(ReadOptions(), engine_key, value);
  }
  if (!s.ok() && !s.IsNotFound()) return Fail(std::move(s));
  last_read_valid_ = !s.ok() || value->size() <= kMaxCachedRead;
  if (last_read_valid_) {
    last_read_key_ = engine_key;
    last_read_status_ = s;
    if (s.ok()) last_read_value_ = *value;
  }
  return s;
}

bool Txn::TakePrefetched(const std::string& engine_key, Status* s, std::string* value) {
  if (prefetched_ == nullptr) return false;
  for (PrefetchedRead& r : *prefetched_) {
    if (r.engine_key != engine_key) continue;
    if (!store_.engine()->UnchangedSince(engine_key, r.sequence)) return false;
    if (r.found) {
      value->swap(r.value);
    } else {
      *s = Status::NotFound();
    }
    r.engine_key.clear();  // its value is gone: a second read of the key goes to the engine
    return true;
  }
  return false;
}

void Txn::WriteRaw(const std::string& key, std::optional<std::string> value) {
  auto [it, inserted] = overlay_.try_emplace(key);
  if (op_open_) {
    undo_.push_back({it, inserted, inserted ? std::nullopt : std::move(it->second)});
  }
  it->second = std::move(value);
  pending_.push_back(it);
}

namespace {

Status DamagedRecord() { return Status::Corruption("damaged value of a key"); }

}  // namespace

Status Txn::Get(int db, std::string_view key, int64_t now_ms, Record* out) {
  std::string raw;
  STASH_RETURN_IF_ERROR(ReadRaw(Meta(st_.slots[db], key), &raw));
  if (!DecodeRecord(raw, out)) return Fail(DamagedRecord());
  if (out->expire_at_ms != 0 && out->expire_at_ms <= now_ms) {
    // A write command that looks at a key past its TTL removes it first, as Redis's
    // lookupKeyWrite does (the hook hears of it as an expired reclaim).
    STASH_RETURN_IF_ERROR(Delete(db, key, now_ms));
    return Status::NotFound();
  }
  return Status::OK();
}

Status Txn::Exists(int db, std::string_view key, int64_t now_ms) {
  Record r;
  return Get(db, key, now_ms, &r);
}

Status Txn::ExistsExpired(int db, std::string_view key, int64_t now_ms) {
  std::string raw;
  STASH_RETURN_IF_ERROR(ReadRaw(Meta(st_.slots[db], key), &raw));
  ValueType type;
  int64_t expire;
  std::string_view payload;
  if (!DecodeHeader(raw, &type, &expire, &payload)) return Fail(DamagedRecord());
  return expire != 0 && expire <= now_ms ? Status::OK() : Status::NotFound();
}

Status Txn::Put(int db, std::string_view key, const Record& record) {
  return Put(db, key, record.type, record.expire_at_ms, record.payload);
}

Status Txn::Put(int db, std::string_view key, ValueType new_type, int64_t expire_at_ms,
                std::string_view new_payload) {
  if (hook_ != nullptr) hook_->KeyTouched(db, key, false);
  uint32_t slot = st_.slots[db];
  const std::string& meta = Meta(slot, key);
  Status s = ReadRaw(meta, &raw_);
  if (!s.ok() && !s.IsNotFound()) return s;
  int64_t old_expire = 0;
  if (s.ok()) {
    ValueType type;
    std::string_view payload;
    if (!DecodeHeader(raw_, &type, &old_expire, &payload)) return Fail(DamagedRecord());
    NoteReplaced(slot, key, payload, type, &new_type, new_payload);
  }
  if (hook_ != nullptr) {
    bool over_expired = s.ok() && old_expire != 0 && old_expire <= now_ms_;
    if (s.IsNotFound() || over_expired) hook_->KeyAdded(db, key, over_expired);
  }
  SaveCountersForUndo(db);
  Store::Counters& c = st_.counters[db];
  if (s.IsNotFound()) c.keys++;
  if (old_expire != 0 && old_expire != expire_at_ms) {
    WriteRaw(ExpireKey(slot, old_expire, key), std::nullopt);
  }
  if (old_expire != 0 && expire_at_ms == 0) c.expires--;
  if (old_expire == 0 && expire_at_ms != 0) c.expires++;
  if (expire_at_ms != 0) {
    WriteRaw(ExpireKey(slot, expire_at_ms, key), "");
    store_.NoteExpiryEntry(slot, expire_at_ms, key);
  }
  std::string encoded;
  EncodeRecord(new_type, expire_at_ms, new_payload, &encoded);
  WriteRaw(meta, std::move(encoded));
  st_.counters_dirty[db] = true;
  return Status::OK();
}

void Txn::UpdateRecord(int db, std::string_view key, const Record& record, bool touch) {
  if (hook_ != nullptr && touch) hook_->KeyTouched(db, key, false);
  std::string encoded;
  EncodeRecord(record, &encoded);
  WriteRaw(Meta(st_.slots[db], key), std::move(encoded));
}

Status Txn::Delete(int db, std::string_view key, int64_t now_ms, bool* live) {
  if (live != nullptr) *live = false;
  uint32_t slot = st_.slots[db];
  const std::string& meta = Meta(slot, key);
  STASH_RETURN_IF_ERROR(ReadRaw(meta, &raw_));
  ValueType type;
  int64_t expire;
  std::string_view payload;
  if (!DecodeHeader(raw_, &type, &expire, &payload)) return Fail(DamagedRecord());
  NoteReplaced(slot, key, payload, type, nullptr, {});
  SaveCountersForUndo(db);
  Store::Counters& c = st_.counters[db];
  if (expire != 0) {
    WriteRaw(ExpireKey(slot, expire, key), std::nullopt);
    c.expires--;
  }
  WriteRaw(meta, std::nullopt);
  c.keys--;
  st_.counters_dirty[db] = true;
  bool was_live = expire == 0 || expire > now_ms;
  if (hook_ != nullptr) hook_->KeyTouched(db, key, !was_live);
  if (live != nullptr) *live = was_live;
  return Status::OK();
}

Status Txn::DeleteStaleExpiry(int db, std::string_view key, int64_t when_ms) {
  uint32_t slot = st_.slots[db];
  std::string raw;
  Status s = ReadRaw(Meta(slot, key), &raw);
  if (!s.ok() && !s.IsNotFound()) return s;
  if (s.ok()) {
    ValueType type;
    int64_t expire;
    std::string_view payload;
    if (!DecodeHeader(raw, &type, &expire, &payload)) return Fail(DamagedRecord());
    if (expire == when_ms) return Status::NotFound();  // not stale
  }
  WriteRaw(ExpireKey(slot, when_ms, key), std::nullopt);
  return Status::OK();
}

void Txn::FlushDb(int db) {
  RunDbHook(db, -1);
  SaveForUndo();
  st_.slots[db] = st_.next_slot++;
  st_.counters[db] = {};
  st_.counters_dirty[db] = true;
  st_.slots_dirty = true;
  st_.map_changed = true;
}

void Txn::SwapDb(int a, int b) {
  RunDbHook(a, b);
  RunDbHook(b, a);
  SaveForUndo();
  std::swap(st_.slots[a], st_.slots[b]);
  std::swap(st_.counters[a], st_.counters[b]);
  // Counter records are per slot: a change not yet written follows its slot.
  bool dirty_a = st_.counters_dirty[a];
  st_.counters_dirty[a] = st_.counters_dirty[b];
  st_.counters_dirty[b] = dirty_a;
  st_.slots_dirty = true;
  st_.map_changed = true;
}

Status Txn::Reader::Get(int db, std::string_view key, int64_t now_ms, Record* out) {
  return txn_->Get(db, key, now_ms, out);
}

std::unique_ptr<Iterator> Txn::Reader::NewIterator(int db, uint32_t* slot) {
  *slot = txn_->st_.slots[db];
  return NewOverlayIterator(&txn_->overlay_, txn_->store_.engine()->NewIterator(ReadOptions()));
}

Status Txn::Reader::DbSize(int db, int64_t now_ms, uint64_t* keys, uint64_t* expires) {
  const Store::Counters& c = txn_->st_.counters[db];
  uint64_t pending = 0;
  uint32_t slot;
  std::unique_ptr<Iterator> it = NewIterator(db, &slot);
  // The writer's marks already account for index entries this group wrote below them.
  ForEachDueExpiry(it.get(), slot, txn_->store_.WriterExpiryMark(slot), now_ms,
                   [&](std::string_view, int64_t) {
                     pending++;
                     return true;
                   });
  *keys = c.keys >= pending ? c.keys - pending : 0;
  *expires = c.expires >= pending ? c.expires - pending : 0;
  return it->status();
}

void Txn::Publish() {
  store_.PublishSlots(st_.slots, st_.next_slot);
  store_.set_next_version(next_version_);
  for (int db = 0; db < databases(); db++) store_.counters(db) = st_.counters[db];
}

}  // namespace stash::store
