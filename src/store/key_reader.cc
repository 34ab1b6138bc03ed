#include "store/key_reader.h"

namespace stash::store {

Status ForEachLiveKey(KeyReader& keys, int db, std::string_view prefix, std::string_view from,
                      int64_t now_ms,
                      const std::function<bool(std::string_view key, const Record& r)>& fn) {
  uint32_t slot;
  std::unique_ptr<Iterator> it = keys.NewIterator(db, &slot);
  std::string start = MetaKey(slot, prefix);
  it->Seek(from.empty() ? start : MetaKey(slot, from));
  for (; it->Valid(); it->Next()) {
    std::string_view k = it->key();
    if (!k.starts_with(start)) break;
    uint32_t key_slot;
    std::string_view user_key;
    Record r;
    if (!ParseMetaKey(k, &key_slot, &user_key) || !DecodeRecord(it->value(), &r)) continue;
    if (r.expire_at_ms != 0 && r.expire_at_ms <= now_ms) continue;
    if (!fn(user_key, r)) break;
  }
  return it->status();
}

}  // namespace stash::store
