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

Status ReadElement(Txn& txn, const CollectionWrite& w, std::string_view element,
                   std::string* value) {
  if (w.meta.version == 0) return Status::NotFound();
  std::string k = ElementKey(w.slot, w.key, w.meta.version, element);
  return txn.ReadRaw(k, value, /*overlay_only=*/txn.FreshVersion(w.meta.version));
}

void WriteElement(Txn& txn, CollectionWrite* w, std::string_view element, std::string value,
                  bool existed) {
  if (w->meta.version == 0) w->meta.version = txn.NewVersion();
  txn.PutRaw(ElementKey(w->slot, w->key, w->meta.version, element), std::move(value));
  if (existed) return;
  w->meta.count++;
  if (w->type == ValueType::kSet && !IsIntegerMember(element)) w->meta.non_integers++;
}

void RemoveElement(Txn& txn, CollectionWrite* w, std::string_view element) {
  txn.DeleteRaw(ElementKey(w->slot, w->key, w->meta.version, element));
  w->meta.count--;
  if (w->type == ValueType::kSet && !IsIntegerMember(element)) w->meta.non_integers--;
}

Status SaveCollection(Txn& txn, CollectionWrite* w, int64_t now_ms) {
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
  const std::string prefix = ElementPrefix(slot, key, version);
  it->Seek(from.empty() ? prefix : prefix + std::string(from));
  for (; it->Valid(); it->Next()) {
    std::string_view k = it->key();
    if (!k.starts_with(prefix)) break;
    if (!fn(k.substr(prefix.size()), it->value())) break;
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
  // Collect first: the copies go into the overlay the iterator reads.
  std::vector<std::pair<std::string, std::string>> elements;
  std::unique_ptr<Iterator> it = txn.NewRawIterator();
  Status s = ForEachElement(it.get(), src_slot, src_key, meta.version, "",
                            [&](std::string_view e, std::string_view v) {
                              elements.emplace_back(e, v);
                              return true;
                            });
  if (!s.ok()) return txn.Fail(s);
  it.reset();
  if (elements.size() != meta.count) {
    return txn.Fail(Status::Corruption("a collection's count differs from its elements"));
  }
  for (auto& [e, v] : elements) txn.PutRaw(ElementKey(dst_slot, dst_key, version, e), std::move(v));
  meta.version = version;
  EncodeCollectionMeta(meta, &record->payload);
  return Status::OK();
}

bool IsIntegerMember(std::string_view member) {
  int64_t v;  // Redis's string2ll: the canonical decimal form of a 64-bit integer
  return ParseInteger(member, &v);
}

}  // namespace stash::store
