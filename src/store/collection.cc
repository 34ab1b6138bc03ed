#include "store/collection.h"

#include "util/strings.h"

namespace stash::store {

Status OpenCollection(Txn& txn, int db, std::string_view key, ValueType type, int64_t now_ms,
                      CollectionWrite* w, bool* wrong_type) {
  *wrong_type = false;
  w->db = db;
  w->key.assign(key);
  w->slot = txn.Slot(db);
  w->type = type;
  Record r;
  Status s = txn.Get(db, key, now_ms, &r);
  if (ReadFailed(s)) return s;
  if (s.ok()) {
    if (r.type != type) {
      *wrong_type = true;
      return Status::OK();
    }
    if (!DecodeCollectionMeta(r.payload, &w->meta)) {
      return txn.Fail(Status::Corruption("damaged metadata of a collection"));
    }
    w->existed = true;
    w->expire_at_ms = r.expire_at_ms;
    return Status::OK();
  }
  w->existed = false;
  w->expire_at_ms = 0;
  w->meta = CollectionMeta{};  // version 0: handed out by the first WriteElement
  return Status::OK();
}

Status FindElement(Txn& txn, const CollectionWrite& w, std::string_view element, ElementRead* out) {
  out->found = false;
  if (w.meta.version == 0) return Status::OK();
  std::string raw;
  Status s = txn.ReadRaw(ElementKey(w.slot, w.key, w.meta.version, element), &raw,
                         /*overlay_only=*/txn.FreshVersion(w.meta.version));
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  std::string_view value;
  if (!DecodeElementValue(raw, &out->position, &value)) {
    return txn.Fail(Status::Corruption("damaged element of a collection"));
  }
  out->found = true;
  out->value.assign(value);
  return Status::OK();
}

void WriteElement(Txn& txn, CollectionWrite* w, std::string_view element, std::string_view value,
                  const ElementRead& before) {
  if (w->meta.version == 0) w->meta.version = txn.NewVersion();
  w->changed = true;
  const uint64_t position = before.found ? before.position : w->meta.count;
  txn.PutRaw(ElementKey(w->slot, w->key, w->meta.version, element),
             EncodeElementValue(position, value));
  if (before.found) return;
  txn.PutRaw(PositionKey(w->slot, w->key, w->meta.version, position), std::string(element));
  w->meta.count++;
  if (w->type == ValueType::kSet && !IsIntegerMember(element)) w->meta.non_integers++;
}

Status RemoveElement(Txn& txn, CollectionWrite* w, std::string_view element,
                     const ElementRead& before) {
  w->changed = true;
  const uint64_t last = w->meta.count - 1;
  const std::string last_key = PositionKey(w->slot, w->key, w->meta.version, last);
  if (before.position != last) {
    // The last element takes the removed one's position.
    std::string moved;
    STASH_RETURN_IF_ERROR(txn.ReadRaw(last_key, &moved));
    ElementRead m;
    STASH_RETURN_IF_ERROR(FindElement(txn, *w, moved, &m));
    if (!m.found || m.position != last) {
      return txn.Fail(Status::Corruption("a collection's positions differ from its elements"));
    }
    txn.PutRaw(ElementKey(w->slot, w->key, w->meta.version, moved),
               EncodeElementValue(before.position, m.value));
    txn.PutRaw(PositionKey(w->slot, w->key, w->meta.version, before.position), moved);
  }
  txn.DeleteRaw(last_key);
  txn.DeleteRaw(ElementKey(w->slot, w->key, w->meta.version, element));
  w->meta.count--;
  if (w->type == ValueType::kSet && !IsIntegerMember(element)) w->meta.non_integers--;
  return Status::OK();
}

Status SaveCollection(Txn& txn, CollectionWrite* w, int64_t now_ms) {
  if (!w->changed) return Status::OK();
  w->changed = false;
  if (w->meta.count == 0) {
    // An empty collection does not exist.
    if (!w->existed) return Status::OK();
    w->existed = false;
    return txn.Delete(w->db, w->key, now_ms);
  }
  Record r;
  r.type = w->type;
  r.expire_at_ms = w->expire_at_ms;
  EncodeCollectionMeta(w->meta, &r.payload);
  if (w->existed) {
    txn.UpdateRecord(w->db, w->key, r);
    return Status::OK();
  }
  w->existed = true;
  return txn.Put(w->db, w->key, r);
}

Status ForEachElement(
    Iterator* it, uint32_t slot, std::string_view key, uint64_t version, std::string_view from,
    const std::function<bool(std::string_view element, std::string_view value)>& fn) {
  const std::string prefix = ElementsStart(slot, key, version);
  it->Seek(from.empty() ? prefix : prefix + std::string(from));
  for (; it->Valid(); it->Next()) {
    std::string_view k = it->key();
    if (!k.starts_with(prefix)) break;
    uint64_t position;
    std::string_view value;
    if (!DecodeElementValue(it->value(), &position, &value)) {
      return Status::Corruption("damaged element of a collection");
    }
    if (!fn(k.substr(prefix.size()), value)) break;
  }
  return it->status();
}

Status CloneElements(Txn& txn, uint32_t src_slot, std::string_view src_key, uint32_t dst_slot,
                     std::string_view dst_key, Record* record) {
  if (!IsCollection(record->type)) return Status::OK();
  CollectionMeta meta;
  if (!DecodeCollectionMeta(record->payload, &meta)) {
    return txn.Fail(Status::Corruption("damaged metadata of a collection"));
  }
  const uint64_t version = txn.NewVersion();
  // Every record of the version (elements and positions) as it is, under the new prefix.
  // Collect first: the copies go into the overlay the iterator reads.
  const std::string src = ElementPrefix(src_slot, src_key, meta.version);
  const std::string dst = ElementPrefix(dst_slot, dst_key, version);
  std::vector<std::pair<std::string, std::string>> records;
  std::unique_ptr<Iterator> it = txn.NewRawIterator();
  for (it->Seek(src); it->Valid() && it->key().starts_with(src); it->Next()) {
    records.emplace_back(it->key().substr(src.size()), it->value());
  }
  Status s = it->status();
  it.reset();
  if (!s.ok()) return txn.Fail(s);
  // A hash's or set's element has two records (element, position), a list's one, a sorted
  // set's four (and its two index entries: zset.h).
  const uint64_t per_element =
      record->type == ValueType::kList ? 1 : (record->type == ValueType::kZSet ? 4 : 2);
  // (A stream has groups, consumers and pending entries besides its entries: not counted.)
  if (record->type != ValueType::kStream && records.size() != per_element * meta.count) {
    return txn.Fail(Status::Corruption("a collection's count differs from its elements"));
  }
  for (auto& [rest, value] : records) txn.PutRaw(dst + rest, std::move(value));
  meta.version = version;
  EncodeCollectionMeta(meta, &record->payload);
  return Status::OK();
}

bool IsIntegerMember(std::string_view member) {
  int64_t v;  // Redis's string2ll: the canonical decimal form of a 64-bit integer
  return ParseInteger(member, &v);
}

}  // namespace stash::store
