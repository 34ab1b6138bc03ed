#include "store/layout.h"

#include "util/coding.h"

namespace stash::store {

std::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kList:
      return "list";
    case ValueType::kSet:
      return "set";
    case ValueType::kZSet:
      return "zset";
    case ValueType::kHash:
      return "hash";
    case ValueType::kStream:
      return "stream";
  }
  return "none";
}

void PutBigEndian32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out->append(b, 4);
}

void PutBigEndian64(std::string* out, uint64_t v) {
  PutBigEndian32(out, static_cast<uint32_t>(v >> 32));
  PutBigEndian32(out, static_cast<uint32_t>(v));
}

uint32_t GetBigEndian32(const char* p) {
  auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}

uint64_t GetBigEndian64(const char* p) {
  return (uint64_t{GetBigEndian32(p)} << 32) | GetBigEndian32(p + 4);
}

std::string MetaPrefix(uint32_t slot) {
  std::string k(1, kMetaPrefix);
  PutBigEndian32(&k, slot);
  return k;
}

std::string MetaKey(uint32_t slot, std::string_view user_key) {
  std::string k;
  k.reserve(5 + user_key.size());  // one allocation (the hot paths build one of these per key)
  AppendMetaKey(&k, slot, user_key);
  return k;
}

void AppendMetaKey(std::string* out, uint32_t slot, std::string_view user_key) {
  out->push_back(kMetaPrefix);
  PutBigEndian32(out, slot);
  out->append(user_key);
}

std::string ExpirePrefix(uint32_t slot) {
  std::string k(1, kExpirePrefix);
  PutBigEndian32(&k, slot);
  return k;
}

std::string ExpireKey(uint32_t slot, int64_t when_ms, std::string_view user_key) {
  std::string k = ExpirePrefix(slot);
  PutBigEndian64(&k, static_cast<uint64_t>(when_ms));
  k.append(user_key);
  return k;
}

std::string CounterKey(uint32_t slot) {
  std::string k(1, kCounterPrefix);
  PutBigEndian32(&k, slot);
  return k;
}

std::string ElementSlotPrefix(uint32_t slot) {
  std::string k(1, kElementPrefix);
  PutBigEndian32(&k, slot);
  return k;
}

std::string ElementPrefix(uint32_t slot, std::string_view user_key, uint64_t version) {
  std::string k = ElementSlotPrefix(slot);
  k.reserve(17 + user_key.size());
  PutBigEndian32(&k, static_cast<uint32_t>(user_key.size()));
  k.append(user_key);
  PutBigEndian64(&k, version);
  return k;
}

std::string ElementKey(uint32_t slot, std::string_view user_key, uint64_t version,
                       std::string_view element) {
  std::string k = ElementPrefix(slot, user_key, version);
  k.push_back('\x01');
  k.append(element);
  return k;
}

std::string ElementsStart(uint32_t slot, std::string_view user_key, uint64_t version) {
  return ElementKey(slot, user_key, version, "");
}

std::string PositionKey(uint32_t slot, std::string_view user_key, uint64_t version,
                        uint64_t position) {
  std::string k = ElementPrefix(slot, user_key, version);
  k.push_back('\x00');
  PutBigEndian64(&k, position);
  return k;
}

std::string EncodeElementValue(uint64_t position, std::string_view value) {
  std::string v;
  v.reserve(8 + value.size());
  PutFixed64(&v, position);
  v.append(value);
  return v;
}

bool DecodeElementValue(std::string_view raw, uint64_t* position, std::string_view* value) {
  if (raw.size() < 8) return false;
  *position = DecodeFixed64(raw.data());
  *value = raw.substr(8);
  return true;
}

bool ParseElementKey(std::string_view key, uint32_t* slot, std::string_view* user_key,
                     uint64_t* version, std::string_view* rest) {
  if (key.size() < 17 || key[0] != kElementPrefix) return false;
  *slot = GetBigEndian32(key.data() + 1);
  uint32_t len = GetBigEndian32(key.data() + 5);
  if (key.size() < 17 + static_cast<size_t>(len)) return false;
  *user_key = key.substr(9, len);
  *version = GetBigEndian64(key.data() + 9 + len);
  *rest = key.substr(17 + len);
  return true;
}

void EncodeCollectionMeta(const CollectionMeta& m, std::string* payload) {
  payload->clear();
  PutFixed64(payload, m.version);
  PutFixed64(payload, m.count);
  PutFixed64(payload, m.non_integers);
  if (m.head != 0) PutFixed64(payload, m.head);
  if (!m.floor[0].empty() || !m.floor[1].empty()) {
    payload->push_back('Z');
    for (const std::string& f : m.floor) {
      PutFixed32(payload, static_cast<uint32_t>(f.size()));
      payload->append(f);
    }
  }
  if (!m.stream.empty()) {
    payload->push_back('S');
    payload->append(m.stream);
  }
}

bool DecodeCollectionMeta(std::string_view payload, CollectionMeta* m) {
  const bool floors = payload.size() > 32 && payload[24] == 'Z';
  const bool stream = payload.size() > 32 && payload[24] == 'S';
  if (payload.size() != 24 && payload.size() != 32 && !floors && !stream) return false;
  m->version = DecodeFixed64(payload.data());
  m->count = DecodeFixed64(payload.data() + 8);
  m->non_integers = DecodeFixed64(payload.data() + 16);
  m->head = payload.size() == 32 ? DecodeFixed64(payload.data() + 24) : 0;
  m->floor[0].clear();
  m->floor[1].clear();
  m->stream.clear();
  if (stream) {
    m->stream.assign(payload.substr(25));
    return true;
  }
  if (floors) {
    std::string_view rest = payload.substr(25);
    for (std::string& f : m->floor) {
      if (rest.size() < 4) return false;
      const uint32_t n = DecodeFixed32(rest.data());
      if (rest.size() - 4 < n) return false;
      f.assign(rest.substr(4, n));
      rest.remove_prefix(4 + n);
    }
    if (!rest.empty()) return false;
  }
  return true;
}

bool ParseMetaKey(std::string_view key, uint32_t* slot, std::string_view* user_key) {
  if (key.size() < 5 || key[0] != kMetaPrefix) return false;
  *slot = GetBigEndian32(key.data() + 1);
  *user_key = key.substr(5);
  return true;
}

bool ParseExpireKey(std::string_view key, uint32_t* slot, int64_t* when_ms,
                    std::string_view* user_key) {
  if (key.size() < 13 || key[0] != kExpirePrefix) return false;
  *slot = GetBigEndian32(key.data() + 1);
  *when_ms = static_cast<int64_t>(GetBigEndian64(key.data() + 5));
  *user_key = key.substr(13);
  return true;
}

void EncodeRecord(const Record& r, std::string* out) {
  EncodeRecord(r.type, r.expire_at_ms, r.payload, out);
}

void EncodeRecord(ValueType type, int64_t expire_at_ms, std::string_view payload,
                  std::string* out) {
  out->clear();
  out->reserve(10 + payload.size());
  out->push_back(static_cast<char>(type));
  out->push_back(static_cast<char>(expire_at_ms != 0 ? kHasExpire : 0));
  if (expire_at_ms != 0) PutFixed64(out, static_cast<uint64_t>(expire_at_ms));
  out->append(payload);
}

bool DecodeHeader(std::string_view raw, ValueType* type, int64_t* expire_at_ms,
                  std::string_view* payload) {
  if (raw.size() < 2 || static_cast<uint8_t>(raw[0]) > static_cast<uint8_t>(ValueType::kStream)) {
    return false;
  }
  *type = static_cast<ValueType>(raw[0]);
  uint8_t flags = static_cast<uint8_t>(raw[1]);
  raw.remove_prefix(2);
  *expire_at_ms = 0;
  if (flags & kHasExpire) {
    if (raw.size() < 8) return false;
    *expire_at_ms = static_cast<int64_t>(DecodeFixed64(raw.data()));
    raw.remove_prefix(8);
  }
  *payload = raw;
  return true;
}

bool DecodeRecord(std::string_view raw, Record* r) {
  std::string_view payload;
  if (!DecodeHeader(raw, &r->type, &r->expire_at_ms, &payload)) return false;
  r->payload.assign(payload);
  return true;
}

std::string ExpiryPosition(int64_t when_ms, std::string_view user_key) {
  std::string pos;
  PutBigEndian64(&pos, static_cast<uint64_t>(when_ms));
  pos.append(user_key);
  return pos;
}

void ForEachDueExpiry(Iterator* it, uint32_t slot, std::string_view from, int64_t now_ms,
                      const std::function<bool(std::string_view user_key, int64_t when_ms)>& fn) {
  std::string start = ExpirePrefix(slot);
  start.append(from);
  for (it->Seek(start); it->Valid(); it->Next()) {
    uint32_t entry_slot;
    int64_t when;
    std::string_view user_key;
    if (!ParseExpireKey(it->key(), &entry_slot, &when, &user_key) || entry_slot != slot ||
        when > now_ms || !fn(user_key, when)) {
      return;
    }
  }
}

}  // namespace stash::store
