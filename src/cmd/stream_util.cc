#include "cmd/stream_util.h"

#include <cerrno>
#include <cstdlib>

#include "resp/reply_writer.h"

namespace stash::streams {
namespace {

// Redis's string2ull: a non-negative 64-bit integer, or an unsigned one up to 2^64-1.
bool ParseU64(std::string_view s, uint64_t* out) {
  int64_t v;
  if (ParseInteger(s, &v)) {
    if (v < 0) return false;
    *out = static_cast<uint64_t>(v);
    return true;
  }
  // Then C's strtoull, as Redis: leading spaces and a sign are taken.
  if (s.empty()) return false;
  std::string text(s);
  errno = 0;
  char* end = nullptr;
  *out = std::strtoull(text.c_str(), &end, 10);
  return errno == 0 && end != nullptr && end != text.c_str() && *end == '\0' &&
         text.find('\0') == std::string::npos;
}

}  // namespace

bool ParseId(std::string_view arg, bool strict, uint64_t missing_seq, StreamId* id,
             bool* seq_auto) {
  if (seq_auto != nullptr) *seq_auto = false;
  if (arg.size() > 127) return false;
  if (!strict && arg == "-") {
    *id = StreamId{};
    return true;
  }
  if (!strict && arg == "+") {
    *id = store::kMaxStreamId;
    return true;
  }
  const size_t dash = arg.find('-');
  if (dash == std::string_view::npos) {
    if (!ParseU64(arg, &id->ms)) return false;
    id->seq = missing_seq;
    return true;
  }
  if (!ParseU64(arg.substr(0, dash), &id->ms)) return false;
  std::string_view seq = arg.substr(dash + 1);
  if (seq_auto != nullptr && seq == "*") {
    *seq_auto = true;
    id->seq = 0;
    return true;
  }
  return ParseU64(seq, &id->seq);
}

CommandStatus ParseIdArg(std::string_view arg, bool strict, uint64_t missing_seq, StreamId* id) {
  return ParseId(arg, strict, missing_seq, id) ? CommandStatus() : Fail(kInvalidIdError);
}

CommandStatus OpenStream(CollectionSource& src, std::string_view key, StreamRef* ref) {
  STASH_RETURN_IF_FAILED(OpenCollection(src, key, store::ValueType::kStream, &ref->coll));
  ref->found = ref->coll.found;
  if (!ref->found) return {};
  store::StreamMeta meta;
  if (!store::DecodeStreamMeta(ref->coll.meta.stream, &meta)) {
    return src.Failure(Status::Corruption("damaged metadata of a stream"));
  }
  ref->s.emplace(src.slot(), key, ref->coll.meta.version, meta);
  ref->s->length = ref->coll.meta.count;
  return {};
}

CommandStatus OpenStreamWrite(WriteContext& c, std::string_view key, bool create, StreamWrite* sw,
                              bool* found) {
  STASH_RETURN_IF_FAILED(OpenForWrite(c, key, store::ValueType::kStream, &sw->w));
  *found = sw->w.existed;
  store::StreamMeta meta;
  if (sw->w.existed) {
    if (!store::DecodeStreamMeta(sw->w.meta.stream, &meta)) {
      return ReadFailure(c.txn.Fail(Status::Corruption("damaged metadata of a stream")));
    }
  } else if (create) {
    sw->w.meta.version = c.txn.NewVersion();
  } else {
    return {};
  }
  sw->s.emplace(sw->w.slot, key, sw->w.meta.version, meta);
  sw->s->length = sw->w.meta.count;
  return {};
}

CommandStatus OpenStreamCounted(WriteContext& c, std::string_view key, StreamWrite* sw,
                                bool* found) {
  CommandStatus st = OpenStreamWrite(c, key, false, sw, found);
  if (st.ok() || st.error() == kWrongTypeError) CountLookup(c, key, !st.ok() || *found);
  return st;
}

CommandStatus SaveStream(WriteContext& c, StreamWrite* sw, bool touch) {
  store::CollectionWrite& w = sw->w;
  w.meta.count = sw->s->length;
  store::EncodeStreamMeta(sw->s->meta, &w.meta.stream);
  store::Record r;
  r.type = store::ValueType::kStream;
  r.expire_at_ms = w.expire_at_ms;
  store::EncodeCollectionMeta(w.meta, &r.payload);
  if (w.existed) {
    c.txn.UpdateRecord(w.db, w.key, r, touch);
    return {};
  }
  w.existed = true;
  Status s = c.txn.Put(w.db, w.key, r);
  return s.ok() ? CommandStatus() : ReadFailure(s);
}

Status ReadRange(Iterator* it, const store::Stream& s, StreamId start, StreamId end, bool rev,
                 uint64_t count, Entries* out) {
  return s.Range(it, start, end, rev, [&](StreamId id, std::string_view raw) {
    out->emplace_back(id, std::string(raw));
    return count == 0 || out->size() < count;
  });
}

Status LastEntryId(Iterator* it, const store::RawRead& read, const store::Stream& s, bool* found,
                   StreamId* id) {
  *found = false;
  if (s.length == 0) return Status::OK();
  bool there;
  STASH_RETURN_IF_ERROR(s.GetEntry(read, s.meta.last, &there, nullptr));
  if (there) {
    *found = true;
    *id = s.meta.last;
    return Status::OK();
  }
  return s.Range(it, StreamId{}, s.meta.last, true, [&](StreamId at, std::string_view) {
    *found = true;
    *id = at;
    return false;
  });
}

void ReplyId(resp::ReplyWriter& out, StreamId id) { out.Bulk(store::FormatId(id)); }

Status ReplyEntries(resp::ReplyWriter& out, const Entries& entries) {
  std::vector<std::string_view> fields;
  for (const auto& e : entries) {
    if (!store::DecodeEntry(e.second, &fields)) {
      return Status::Corruption("a stream entry does not decode");
    }
  }
  out.ArrayHeader(entries.size());
  for (const auto& [id, raw] : entries) {
    store::DecodeEntry(raw, &fields);
    out.ArrayHeader(2);
    ReplyId(out, id);
    out.ArrayHeader(fields.size());
    for (std::string_view f : fields) out.Bulk(f);
  }
  return Status::OK();
}

int64_t EstimateEntriesRead(const store::Stream& s, StreamId id) {
  const store::StreamMeta& m = s.meta;
  if (m.entries_added == 0) return 0;
  if (s.length == 0 && id <= m.last) return static_cast<int64_t>(m.entries_added);
  if (id == m.last) return static_cast<int64_t>(m.entries_added);
  if (id > m.last) return store::kInvalidEntriesRead;
  if (m.max_deleted.zero() || m.max_deleted < m.first) {
    if (id < m.first) return static_cast<int64_t>(m.entries_added - s.length);
    if (id == m.first) return static_cast<int64_t>(m.entries_added - s.length + 1);
  }
  return store::kInvalidEntriesRead;
}

bool RangeHasTombstones(const store::Stream& s, StreamId start, StreamId end) {
  const store::StreamMeta& m = s.meta;
  if (s.length == 0 || m.max_deleted.zero()) return false;
  if (m.first > m.max_deleted) return false;
  return start <= m.max_deleted && m.max_deleted <= end;
}

namespace {
// a - b wrapping, as Redis's long long arithmetic does for any ENTRIESREAD.
int64_t Minus(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
}  // namespace

std::optional<int64_t> GroupLag(const store::Stream& s, const store::GroupState& g) {
  const auto added = static_cast<int64_t>(s.meta.entries_added);
  if (added == 0) return 0;
  if (g.entries_read != store::kInvalidEntriesRead &&
      !RangeHasTombstones(s, g.last, store::kMaxStreamId)) {
    return Minus(added, g.entries_read);
  }
  const int64_t read = EstimateEntriesRead(s, g.last);
  if (read == store::kInvalidEntriesRead) return std::nullopt;
  return Minus(added, read);
}

CommandStatus GroupWrite::Consumer(std::string_view name, bool create, store::ConsumerState** out,
                                   bool* created) {
  if (created != nullptr) *created = false;
  auto at = consumers_.find(name);
  if (at != consumers_.end()) {
    *out = &at->second;
    return {};
  }
  bool found;
  store::ConsumerState state;
  Status s = sw_.s->GetConsumer(TxnRead(c_.txn), name_, name, &found, &state);
  if (!s.ok()) return ReadFailure(c_.txn.Fail(s));
  if (!found) {
    if (!create) {
      *out = nullptr;
      return {};
    }
    state.seen_ms = c_.now_ms;
    state.active_ms = -1;
    g_.consumers++;
    if (created != nullptr) *created = true;
  }
  *out = &consumers_.emplace(std::string(name), state).first->second;
  return {};
}

CommandStatus GroupWrite::Deliver(StreamId id, std::string_view consumer, int64_t now_ms) {
  bool found;
  store::PendingEntry p;
  Status s = sw_.s->GetPending(TxnRead(c_.txn), name_, id, &found, &p);
  if (!s.ok()) return ReadFailure(c_.txn.Fail(s));
  std::optional<std::string> old_owner;
  if (found) old_owner = p.consumer;
  if (!found) g_.pending++;
  p.id = id;
  p.consumer.assign(consumer);
  p.delivery_ms = now_ms;
  p.delivery_count = 1;
  sw_.s->PutPending(c_.txn, name_, p, old_owner);
  return {};
}

void GroupWrite::Save() {
  sw_.s->PutGroup(c_.txn, name_, g_);
  for (const auto& [name, state] : consumers_) sw_.s->PutConsumer(c_.txn, name_, name, state);
}

CommandStatus OpenGroup(WriteContext& c, StreamWrite& sw, std::string_view name,
                        std::optional<GroupWrite>* out) {
  out->reset();
  if (!sw.s) return {};
  bool found;
  store::GroupState g;
  Status s = sw.s->GetGroup(TxnRead(c.txn), name, &found, &g);
  if (!s.ok()) return ReadFailure(c.txn.Fail(s));
  if (found) out->emplace(c, sw, std::string(name), g);
  return {};
}

}  // namespace stash::streams
