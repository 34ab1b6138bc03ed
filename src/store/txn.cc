#include "store/txn.h"

#include <algorithm>

#include "util/coding.h"

namespace stash::store {

Txn::Txn(Store& store, TouchHook* hook)
    : store_(store),
      hook_(hook), slots_(store.SlotMap()), next_slot_(store.next_slot()) {
  for (int db = 0; db < store.databases(); db++) counters_.push_back(store.counters(db));
  counters_dirty_.assign(store.databases(), false);
}

void Txn::BeginCommand(WriteBatch* batch) { batch_ = batch; }

void Txn::EndCommand() {
  for (int db = 0; db < databases(); db++) {
    if (!counters_dirty_[db]) continue;
    std::string v;
    PutFixed64(&v, counters_[db].keys);
    PutFixed64(&v, counters_[db].expires);
    WriteRaw(CounterKey(slots_[db]), v);
    counters_dirty_[db] = false;
  }
  if (slots_dirty_) {
    WriteRaw(kSlotMapKey, Store::EncodeSlotMap(slots_, next_slot_));
    slots_dirty_ = false;
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

bool Txn::ReadRaw(const std::string& engine_key, std::string* value) {
  auto it = overlay_.find(engine_key);
  if (it != overlay_.end()) {
    if (!it->second) return false;
    *value = *it->second;
    return true;
  }
  Status s = store_.engine()->Get(ReadOptions(), engine_key, value);
  return s.ok();  // a read error reads as absent; the engine's error state stops the commit
}

void Txn::WriteRaw(const std::string& key, std::string_view value) {
  pending_.push_back(overlay_.insert_or_assign(key, std::string(value)).first);
}

void Txn::DeleteRaw(const std::string& key) {
  pending_.push_back(overlay_.insert_or_assign(key, std::nullopt).first);
}

bool Txn::Get(int db, std::string_view key, int64_t now_ms, Record* out) {
  std::string raw;
  if (!ReadRaw(MetaKey(slots_[db], key), &raw) || !DecodeRecord(raw, out)) return false;
  return out->expire_at_ms == 0 || out->expire_at_ms > now_ms;
}

bool Txn::Exists(int db, std::string_view key, int64_t now_ms) {
  Record r;
  return Get(db, key, now_ms, &r);
}

bool Txn::ExistsExpired(int db, std::string_view key, int64_t now_ms) {
  std::string raw;
  ValueType type;
  int64_t expire;
  std::string_view payload;
  return ReadRaw(MetaKey(slots_[db], key), &raw) && DecodeHeader(raw, &type, &expire, &payload) &&
         expire != 0 && expire <= now_ms;
}

void Txn::Put(int db, std::string_view key, const Record& record) {
  if (hook_ != nullptr) hook_->KeyTouched(db, key, false);
  uint32_t slot = slots_[db];
  std::string meta = MetaKey(slot, key);
  std::string raw;
  Store::Counters& c = counters_[db];
  if (ReadRaw(meta, &raw)) {
    ValueType type;
    int64_t old_expire;
    std::string_view payload;
    if (DecodeHeader(raw, &type, &old_expire, &payload) && old_expire != 0) {
      if (old_expire != record.expire_at_ms) DeleteRaw(ExpireKey(slot, old_expire, key));
      if (record.expire_at_ms == 0) c.expires--;
    } else if (record.expire_at_ms != 0) {
      c.expires++;
    }
  } else {
    c.keys++;
    if (record.expire_at_ms != 0) c.expires++;
  }
  if (record.expire_at_ms != 0) WriteRaw(ExpireKey(slot, record.expire_at_ms, key), "");
  std::string encoded;
  EncodeRecord(record, &encoded);
  WriteRaw(meta, encoded);
  counters_dirty_[db] = true;
}

bool Txn::Delete(int db, std::string_view key, int64_t now_ms) {
  uint32_t slot = slots_[db];
  std::string meta = MetaKey(slot, key);
  std::string raw;
  if (!ReadRaw(meta, &raw)) return false;
  ValueType type;
  int64_t expire;
  std::string_view payload;
  Store::Counters& c = counters_[db];
  bool live = true;
  if (DecodeHeader(raw, &type, &expire, &payload) && expire != 0) {
    DeleteRaw(ExpireKey(slot, expire, key));
    c.expires--;
    live = expire > now_ms;
  }
  DeleteRaw(meta);
  c.keys--;
  counters_dirty_[db] = true;
  if (hook_ != nullptr) hook_->KeyTouched(db, key, !live);
  return live;
}

void Txn::FlushDb(int db) {
  if (hook_ != nullptr) hook_->DbChanging(db, -1, *this);
  slots_[db] = next_slot_++;
  counters_[db] = {};
  counters_dirty_[db] = true;
  slots_dirty_ = true;
}

void Txn::SwapDb(int a, int b) {
  if (hook_ != nullptr) {
    hook_->DbChanging(a, b, *this);
    hook_->DbChanging(b, a, *this);
  }
  std::swap(slots_[a], slots_[b]);
  std::swap(counters_[a], counters_[b]);
  // Counter records are per slot: a change not yet written follows its slot.
  bool dirty_a = counters_dirty_[a];
  counters_dirty_[a] = counters_dirty_[b];
  counters_dirty_[b] = dirty_a;
  slots_dirty_ = true;
}

Status Txn::Reader::Get(int db, std::string_view key, int64_t now_ms, Record* out) {
  return txn_->Get(db, key, now_ms, out) ? Status::OK() : Status::NotFound();
}

std::unique_ptr<Iterator> Txn::Reader::NewIterator() {
  return NewOverlayIterator(&txn_->overlay_, txn_->store_.engine()->NewIterator(ReadOptions()));
}

Status Txn::Reader::DbSize(int db, int64_t now_ms, uint64_t* keys, uint64_t* expires) {
  const Store::Counters& c = txn_->counters_[db];
  uint64_t pending = 0;
  uint32_t slot = txn_->slots_[db];
  std::unique_ptr<Iterator> it = NewIterator();
  ForEachDueExpiry(it.get(), slot, now_ms, [&](std::string_view) {
    pending++;
    return true;
  });
  *keys = c.keys >= pending ? c.keys - pending : 0;
  *expires = c.expires >= pending ? c.expires - pending : 0;
  return it->status();
}

void Txn::Publish() {
  store_.PublishSlots(slots_, next_slot_);
  for (int db = 0; db < databases(); db++) store_.counters(db) = counters_[db];
}

}  // namespace stash::store
