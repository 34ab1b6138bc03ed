#include "store/stream.h"

#include <algorithm>
#include <optional>

#include "util/coding.h"

namespace stash::store {
namespace {

constexpr char kEntryKind = 0x04;
constexpr char kGroupKind = 0x05;
constexpr char kConsumerKind = 0x06;
constexpr char kPelKind = 0x07;
constexpr char kConsumerPelKind = 0x08;
constexpr uint8_t kNodeStart = 1;

void PutId(std::string* out, StreamId id) {
  PutBigEndian64(out, id.ms);
  PutBigEndian64(out, id.seq);
}
StreamId GetId(const char* p) { return {GetBigEndian64(p), GetBigEndian64(p + 8)}; }

using U128 = unsigned __int128;
U128 To128(StreamId id) { return (U128{id.ms} << 64) | id.seq; }
StreamId From128(U128 v) {
  return StreamId{static_cast<uint64_t>(v >> 64), static_cast<uint64_t>(v)};
}

void PutFixedId(std::string* out, StreamId id) {
  PutFixed64(out, id.ms);
  PutFixed64(out, id.seq);
}
bool GetFixedId(std::string_view* in, StreamId* id) {
  return GetFixed64(in, &id->ms) && GetFixed64(in, &id->seq);
}

Status Damaged(const char* what) { return Status::Corruption(what); }

// The records under prefix, in order, until fn returns false.
Status Scan(Iterator* it, const std::string& prefix, std::string_view from,
            const std::function<bool(std::string_view rest, std::string_view value)>& fn) {
  it->Seek(from.empty() ? prefix : std::string(from));
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (!fn(it->key().substr(prefix.size()), it->value())) break;
  }
  return it->status();
}

Status PointRead(const RawRead& read, const std::string& key, bool* found, std::string* value) {
  Status s = read(key, value);
  *found = s.ok();
  return s.IsNotFound() ? Status::OK() : s;
}

std::string EncodeGroup(const GroupState& g) {
  std::string v;
  PutFixedId(&v, g.last);
  PutFixed64(&v, static_cast<uint64_t>(g.entries_read));
  PutFixed64(&v, g.pending);
  PutFixed64(&v, g.consumers);
  return v;
}
bool DecodeGroup(std::string_view in, GroupState* g) {
  uint64_t read;
  return GetFixedId(&in, &g->last) && GetFixed64(&in, &read) && GetFixed64(&in, &g->pending) &&
         GetFixed64(&in, &g->consumers) && in.empty() &&
         ((g->entries_read = static_cast<int64_t>(read)), true);
}

std::string EncodeConsumer(const ConsumerState& c) {
  std::string v;
  PutFixed64(&v, static_cast<uint64_t>(c.seen_ms));
  PutFixed64(&v, static_cast<uint64_t>(c.active_ms));
  return v;
}
bool DecodeConsumer(std::string_view in, ConsumerState* c) {
  uint64_t seen, active;
  if (!GetFixed64(&in, &seen) || !GetFixed64(&in, &active) || !in.empty()) {
    return false;
  }
  c->seen_ms = static_cast<int64_t>(seen);
  c->active_ms = static_cast<int64_t>(active);
  return true;
}

std::string EncodePending(const PendingEntry& p) {
  std::string v;
  PutFixed64(&v, static_cast<uint64_t>(p.delivery_ms));
  PutFixed64(&v, p.delivery_count);
  v.append(p.consumer);
  return v;
}
bool DecodePending(std::string_view in, PendingEntry* p) {
  uint64_t t;
  if (!GetFixed64(&in, &t) || !GetFixed64(&in, &p->delivery_count)) return false;
  p->delivery_ms = static_cast<int64_t>(t);
  p->consumer.assign(in);
  return true;
}

std::string EncodeEntry(uint8_t flags, std::span<const std::string> fields) {
  std::string v(1, static_cast<char>(flags));
  PutVarint64(&v, fields.size());
  for (const std::string& f : fields) PutLengthPrefixed(&v, f);
  return v;
}

}  // namespace

std::string FormatId(StreamId id) { return std::to_string(id.ms) + "-" + std::to_string(id.seq); }

bool IncrId(StreamId* id) {
  if (id->seq != UINT64_MAX) {
    id->seq++;
  } else if (id->ms != UINT64_MAX) {
    id->ms++;
    id->seq = 0;
  } else {
    return false;
  }
  return true;
}

bool DecrId(StreamId* id) {
  if (id->seq != 0) {
    id->seq--;
  } else if (id->ms != 0) {
    id->ms--;
    id->seq = UINT64_MAX;
  } else {
    return false;
  }
  return true;
}

void EncodeStreamMeta(const StreamMeta& m, std::string* out) {
  out->clear();
  PutFixedId(out, m.last);
  PutFixedId(out, m.first);
  PutFixedId(out, m.max_deleted);
  PutFixed64(out, m.entries_added);
  PutFixed64(out, m.groups);
  PutFixed64(out, m.tail_total);
  PutFixed64(out, m.tail_live);
  PutFixedId(out, m.tail_first);
  PutFixed64(out, m.nodes);
}

bool DecodeStreamMeta(std::string_view in, StreamMeta* m) {
  return GetFixedId(&in, &m->last) && GetFixedId(&in, &m->first) &&
         GetFixedId(&in, &m->max_deleted) && GetFixed64(&in, &m->entries_added) &&
         GetFixed64(&in, &m->groups) && GetFixed64(&in, &m->tail_total) &&
         GetFixed64(&in, &m->tail_live) && GetFixedId(&in, &m->tail_first) &&
         GetFixed64(&in, &m->nodes) && in.empty();
}

bool DecodeEntry(std::string_view raw, std::vector<std::string_view>* fields, bool* node_start) {
  if (raw.empty()) return false;
  if (node_start != nullptr) *node_start = (static_cast<uint8_t>(raw[0]) & kNodeStart) != 0;
  raw.remove_prefix(1);
  uint64_t n;
  if (!GetVarint64(&raw, &n) || n > raw.size()) return false;
  fields->clear();
  for (uint64_t i = 0; i < n; i++) {
    std::string_view f;
    if (!GetLengthPrefixed(&raw, &f)) return false;
    fields->push_back(f);
  }
  return raw.empty();
}

Stream::Stream(uint32_t slot, std::string_view key, uint64_t version, const StreamMeta& m)
    : meta(m), prefix_(ElementPrefix(slot, key, version)), version_(version) {}

std::string Stream::Key(char kind) const {
  std::string k = prefix_;
  k.push_back(kind);
  return k;
}

std::string Stream::EntryKey(StreamId id) const {
  std::string k = Key(kEntryKind);
  PutId(&k, id);
  return k;
}

std::string Stream::GroupPrefix(char kind, std::string_view group) const {
  std::string k = Key(kind);
  PutBigEndian32(&k, static_cast<uint32_t>(group.size()));
  k.append(group);
  return k;
}

std::string Stream::ConsumerPelPrefix(std::string_view group, std::string_view consumer) const {
  std::string k = GroupPrefix(kConsumerPelKind, group);
  PutBigEndian32(&k, static_cast<uint32_t>(consumer.size()));
  k.append(consumer);
  return k;
}

Status Stream::Range(Iterator* it, StreamId start, StreamId end, bool rev,
                     const std::function<bool(StreamId, std::string_view raw)>& fn) const {
  if (start > end || length == 0) return Status::OK();
  const std::string prefix = Key(kEntryKind);
  // Nothing lives below the first entry: seeking there skips the tombstones of trimmed ones.
  start = std::max(start, meta.first);
  if (!rev) {
    bool bad = false;
    Status s = Scan(it, prefix, EntryKey(start), [&](std::string_view rest, std::string_view v) {
      if (rest.size() != 16) return !(bad = true);
      StreamId id = GetId(rest.data());
      if (id > end) return false;
      return fn(id, v);
    });
    if (s.ok() && bad) s = Damaged("a stream entry key does not decode");
    return s;
  }
  // Backwards without a reverse iterator: forward scans of windows below hi, each handed out
  // last entry first. A window is a run of sequence numbers within hi's millisecond, or (once
  // a millisecond is done) a run of whole milliseconds; one that found few entries doubles the
  // next, a crowded one halves it. So a walk costs O(entries returned + log(gaps)) seeks,
  // whatever the IDs look like (dense explicit sequences, sparse timestamps).
  if (length == 0) return Status::OK();
  StreamId hi = std::min(end, meta.last);
  const StreamId lowest = std::max(start, meta.first);
  uint64_t dseq = 64, dms = 1;
  std::vector<std::pair<StreamId, std::string>> window;
  while (hi >= lowest) {
    StreamId lo;
    const bool by_ms = hi.seq == UINT64_MAX;
    if (by_ms) {
      lo = StreamId{hi.ms >= dms - 1 ? hi.ms - (dms - 1) : 0, 0};
    } else {
      lo = StreamId{hi.ms, hi.seq >= dseq - 1 ? hi.seq - (dseq - 1) : 0};
    }
    lo = std::max(lo, lowest);
    // A window that holds too many entries (a crowded stretch met after a gap) is narrowed to
    // its upper half until it does not: every scan reads at most kMaxWindow entries.
    constexpr size_t kMaxWindow = 1024;
    bool bad = false, crowded = true;
    while (crowded) {
      window.clear();
      crowded = false;
      Status s = Scan(it, prefix, EntryKey(lo), [&](std::string_view rest, std::string_view v) {
        if (rest.size() != 16) return !(bad = true);
        StreamId id = GetId(rest.data());
        if (id > hi) return false;
        if (window.size() == kMaxWindow) return !(crowded = true);
        window.emplace_back(id, std::string(v));
        return true;
      });
      if (!s.ok()) return s;
      if (bad) return Damaged("a stream entry key does not decode");
      if (crowded) {
        const U128 l = To128(lo), h = To128(hi);
        lo = From128(l + (h - l) / 2 + 1);  // > lo: each retry halves the window
      }
    }
    for (auto i = window.rbegin(); i != window.rend(); ++i) {
      if (!fn(i->first, i->second)) return Status::OK();
    }
    if (lo == lowest) break;
    hi = lo;
    DecrId(&hi);  // lo > lowest >= 0-0
    uint64_t& d = by_ms ? dms : dseq;
    if (window.size() < 32 && d < (uint64_t{1} << 62)) d *= 2;
    if (window.size() > 512 && d > 1) d /= 2;
  }
  return Status::OK();
}

Status Stream::GetEntry(const RawRead& read, StreamId id, bool* found, std::string* raw) const {
  std::string unused;
  return PointRead(read, EntryKey(id), found, raw != nullptr ? raw : &unused);
}

Status Stream::Groups(Iterator* it,
                      const std::function<bool(std::string_view, const GroupState&)>& fn) const {
  bool bad = false;
  Status s = Scan(it, Key(kGroupKind), "", [&](std::string_view name, std::string_view v) {
    GroupState g;
    if (!DecodeGroup(v, &g)) return !(bad = true);
    return fn(name, g);
  });
  return s.ok() && bad ? Damaged("a consumer group record does not decode") : s;
}

Status Stream::GetGroup(const RawRead& read, std::string_view name, bool* found,
                        GroupState* g) const {
  std::string key = Key(kGroupKind);
  key.append(name);
  std::string v;
  STASH_RETURN_IF_ERROR(PointRead(read, key, found, &v));
  if (*found && !DecodeGroup(v, g)) return Damaged("a consumer group record does not decode");
  return Status::OK();
}

Status Stream::Consumers(
    Iterator* it, std::string_view group,
    const std::function<bool(std::string_view, const ConsumerState&)>& fn) const {
  bool bad = false;
  Status s = Scan(it, GroupPrefix(kConsumerKind, group), "",
                  [&](std::string_view name, std::string_view v) {
                    ConsumerState c;
                    if (!DecodeConsumer(v, &c)) return !(bad = true);
                    return fn(name, c);
                  });
  return s.ok() && bad ? Damaged("a consumer record does not decode") : s;
}

Status Stream::GetConsumer(const RawRead& read, std::string_view group, std::string_view consumer,
                           bool* found, ConsumerState* c) const {
  std::string key = GroupPrefix(kConsumerKind, group);
  key.append(consumer);
  std::string v;
  STASH_RETURN_IF_ERROR(PointRead(read, key, found, &v));
  if (*found && !DecodeConsumer(v, c)) return Damaged("a consumer record does not decode");
  return Status::OK();
}

Status Stream::Pending(Iterator* it, const RawRead& read, std::string_view group,
                       std::optional<std::string_view> consumer, StreamId start, StreamId end,
                       const std::function<bool(const PendingEntry&)>& fn) const {
  if (start > end) return Status::OK();
  bool bad = false;
  if (!consumer) {
    const std::string prefix = GroupPrefix(kPelKind, group);
    std::string from = prefix;
    PutId(&from, start);
    Status s = Scan(it, prefix, from, [&](std::string_view rest, std::string_view v) {
      PendingEntry p;
      if (rest.size() != 16 || !DecodePending(v, &p)) return !(bad = true);
      p.id = GetId(rest.data());
      if (p.id > end) return false;
      return fn(p);
    });
    return s.ok() && bad ? Damaged("a pending entry does not decode") : s;
  }
  // One consumer's: its index gives the IDs in order, the group's PEL their state (read one
  // by one, so that a caller wanting a few reads a few).
  const std::string prefix = ConsumerPelPrefix(group, *consumer);
  std::string from = prefix;
  PutId(&from, start);
  Status lookup;
  Status s = Scan(it, prefix, from, [&](std::string_view rest, std::string_view) {
    if (rest.size() != 16) return !(bad = true);
    const StreamId id = GetId(rest.data());
    if (id > end) return false;
    bool found;
    PendingEntry p;
    lookup = GetPending(read, group, id, &found, &p);
    if (lookup.ok() && !found) lookup = Damaged("a consumer's pending entry is not in its group");
    return lookup.ok() && fn(p);
  });
  if (!s.ok()) return s;
  if (!lookup.ok()) return lookup;
  return bad ? Damaged("a consumer's pending entry does not decode") : Status::OK();
}

Status Stream::GetPending(const RawRead& read, std::string_view group, StreamId id, bool* found,
                          PendingEntry* p) const {
  std::string key = GroupPrefix(kPelKind, group);
  PutId(&key, id);
  std::string v;
  STASH_RETURN_IF_ERROR(PointRead(read, key, found, &v));
  if (!*found) return Status::OK();
  if (!DecodePending(v, p)) return Damaged("a pending entry does not decode");
  p->id = id;
  return Status::OK();
}

Status Stream::CountPending(Iterator* it, std::string_view group, std::string_view consumer,
                            uint64_t* n) const {
  *n = 0;
  return Scan(it, ConsumerPelPrefix(group, consumer), "", [&](std::string_view, std::string_view) {
    ++*n;
    return true;
  });
}

void Stream::Add(Txn& txn, StreamId id, std::span<const std::string> fields_values) {
  uint8_t flags = 0;
  if (meta.tail_total == 0 || meta.tail_total >= kNodeMaxEntries) {
    flags = kNodeStart;
    meta.tail_total = 0;
    meta.tail_live = 0;
    meta.tail_first = id;
    meta.nodes++;
  }
  txn.PutRaw(EntryKey(id), EncodeEntry(flags, fields_values));
  meta.tail_total++;
  meta.tail_live++;
  if (length == 0) meta.first = id;
  length++;
  meta.entries_added++;
  meta.last = id;
}

Status Stream::NextEntry(Txn& txn, StreamId from, bool* found, StreamId* id, std::string* raw) {
  std::unique_ptr<Iterator> it = txn.NewRawIterator();
  const std::string prefix = Key(kEntryKind);
  it->Seek(EntryKey(from));
  *found = it->Valid() && it->key().starts_with(prefix);
  if (*found) {
    std::string_view rest = it->key().substr(prefix.size());
    if (rest.size() != 16) return txn.Fail(Damaged("a stream entry key does not decode"));
    *id = GetId(rest.data());
    raw->assign(it->value());
  }
  Status s = it->status();
  return s.ok() ? s : txn.Fail(s);
}

Status Stream::Delete(Txn& txn, StreamId id, bool tombstone) {
  std::string raw;
  bool found;
  const std::string key = EntryKey(id);
  Status s = txn.ReadRaw(key, &raw);
  if (!s.ok()) return s.IsNotFound() ? Status::OK() : txn.Fail(s);
  txn.DeleteRaw(key);
  length--;
  if (tombstone && id > meta.max_deleted) meta.max_deleted = id;
  const bool in_tail = meta.tail_total > 0 && id >= meta.tail_first;
  if (in_tail && --meta.tail_live == 0) meta.tail_total = 0;  // Redis drops the empty node
  StreamId next_id;
  std::string next_raw;
  StreamId after = id;
  found = false;
  if (IncrId(&after)) STASH_RETURN_IF_ERROR(NextEntry(txn, after, &found, &next_id, &next_raw));
  // The node this entry started goes on at the next entry, unless that starts one itself (or
  // there is none): then the node is gone.
  if (!raw.empty() && (static_cast<uint8_t>(raw[0]) & kNodeStart)) {
    if (found && !next_raw.empty() && !(static_cast<uint8_t>(next_raw[0]) & kNodeStart)) {
      next_raw[0] = static_cast<char>(static_cast<uint8_t>(next_raw[0]) | kNodeStart);
      txn.PutRaw(EntryKey(next_id), next_raw);
    } else if (meta.nodes > 0) {
      meta.nodes--;
    }
  }
  if (length == 0) {
    meta.first = StreamId{};
  } else if (id == meta.first) {
    if (!found) return txn.Fail(Damaged("a stream's entries differ from its length"));
    meta.first = next_id;
  }
  return Status::OK();
}

Status Stream::Trim(Txn& txn, bool by_minid, uint64_t maxlen, StreamId min, bool approx,
                    uint64_t limit, uint64_t* removed) {
  *removed = 0;
  if (length == 0 || (by_minid ? meta.first >= min : length <= maxlen)) return Status::OK();
  // One scan from the first entry, a node at a time (a node: from an entry flagged as its start
  // to the next one), deciding as Redis's streamTrim does; then the deletes.
  struct Entry {
    StreamId id;
    bool node_start;
  };
  std::vector<StreamId> doomed;
  std::optional<Entry> first_left;  // the first entry kept
  uint64_t len = length, whole_nodes = 0;
  std::vector<Entry> node;
  // Takes the node collected: true to go on with the next one.
  auto take = [&]() {
    const uint64_t entries = node.size();
    const bool whole = by_minid ? node.back().id < min : len - entries >= maxlen;
    if ((limit != 0 && *removed + entries > limit) || (!whole && approx)) {
      first_left = node.front();
      return false;
    }
    for (const Entry& e : node) {
      if (!whole && (by_minid ? e.id >= min : len <= maxlen)) {
        first_left = e;
        return false;
      }
      doomed.push_back(e.id);
      len--;
      ++*removed;
    }
    whole_nodes++;
    return true;
  };
  bool bad = false, more = true;
  {
    std::unique_ptr<Iterator> it = txn.NewRawIterator();
    Status s = Scan(it.get(), Key(kEntryKind), EntryKey(meta.first),
                    [&](std::string_view rest, std::string_view v) {
                      if (rest.size() != 16 || v.empty()) return !(bad = true);
                      const bool start = static_cast<uint8_t>(v[0]) & kNodeStart;
                      if (!node.empty() && start) {
                        more = take();
                        node.clear();
                        if (!more) return false;
                      }
                      node.push_back({GetId(rest.data()), start});
                      return true;
                    });
    if (!s.ok()) return txn.Fail(s);
  }
  if (bad) return txn.Fail(Damaged("a stream entry does not decode"));
  if (more && !node.empty()) take();
  for (StreamId id : doomed) {
    txn.DeleteRaw(EntryKey(id));
    if (meta.tail_total > 0 && id >= meta.tail_first && --meta.tail_live == 0) {
      meta.tail_total = 0;  // Redis drops the empty node
    }
  }
  length = len;
  meta.nodes -= std::min(meta.nodes, whole_nodes);
  if (!first_left) {
    meta.first = StreamId{};
    return Status::OK();
  }
  meta.first = first_left->id;
  if (!first_left->node_start) {  // a node cut in the middle goes on from here
    const std::string key = EntryKey(first_left->id);
    std::string raw;
    Status s = txn.ReadRaw(key, &raw);
    if (s.IsNotFound() || (s.ok() && raw.empty())) {
      s = Damaged("a stream entry vanished while trimming");
    }
    if (!s.ok()) return txn.Fail(s);
    raw[0] = static_cast<char>(static_cast<uint8_t>(raw[0]) | kNodeStart);
    txn.PutRaw(key, std::move(raw));
  }
  return Status::OK();
}

void Stream::PutGroup(Txn& txn, std::string_view name, const GroupState& g) {
  std::string key = Key(kGroupKind);
  key.append(name);
  txn.PutRaw(key, EncodeGroup(g));
}

Status Stream::DeleteGroup(Txn& txn, std::string_view name) {
  std::vector<std::string> keys;
  {
    std::unique_ptr<Iterator> it = txn.NewRawIterator();
    for (char kind : {kConsumerKind, kPelKind, kConsumerPelKind}) {
      const std::string prefix = GroupPrefix(kind, name);
      Status s = Scan(it.get(), prefix, "", [&](std::string_view rest, std::string_view) {
        keys.push_back(prefix + std::string(rest));
        return true;
      });
      if (!s.ok()) return txn.Fail(s);
    }
  }
  for (const std::string& k : keys) txn.DeleteRaw(k);
  std::string key = Key(kGroupKind);
  key.append(name);
  txn.DeleteRaw(key);
  return Status::OK();
}

void Stream::PutConsumer(Txn& txn, std::string_view group, std::string_view consumer,
                         const ConsumerState& c) {
  std::string key = GroupPrefix(kConsumerKind, group);
  key.append(consumer);
  txn.PutRaw(key, EncodeConsumer(c));
}

Status Stream::DeleteConsumer(Txn& txn, std::string_view group, std::string_view consumer,
                              uint64_t* pending_removed) {
  *pending_removed = 0;
  const std::string prefix = ConsumerPelPrefix(group, consumer);
  std::vector<StreamId> ids;
  {
    std::unique_ptr<Iterator> it = txn.NewRawIterator();
    Status s = Scan(it.get(), prefix, "", [&](std::string_view rest, std::string_view) {
      if (rest.size() == 16) ids.push_back(GetId(rest.data()));
      return true;
    });
    if (!s.ok()) return txn.Fail(s);
  }
  for (StreamId id : ids) DeletePending(txn, group, id, consumer);
  *pending_removed = ids.size();
  std::string key = GroupPrefix(kConsumerKind, group);
  key.append(consumer);
  txn.DeleteRaw(key);
  return Status::OK();
}

void Stream::PutPending(Txn& txn, std::string_view group, const PendingEntry& p,
                        std::optional<std::string_view> old_owner) {
  std::string key = GroupPrefix(kPelKind, group);
  PutId(&key, p.id);
  txn.PutRaw(key, EncodePending(p));
  if (old_owner == p.consumer) return;
  if (old_owner) {
    std::string old = ConsumerPelPrefix(group, *old_owner);
    PutId(&old, p.id);
    txn.DeleteRaw(old);
  }
  std::string index = ConsumerPelPrefix(group, p.consumer);
  PutId(&index, p.id);
  txn.PutRaw(index, "");
}

void Stream::DeletePending(Txn& txn, std::string_view group, StreamId id, std::string_view owner) {
  std::string key = GroupPrefix(kPelKind, group);
  PutId(&key, id);
  txn.DeleteRaw(key);
  std::string index = ConsumerPelPrefix(group, owner);
  PutId(&index, id);
  txn.DeleteRaw(index);
}

}  // namespace stash::store
