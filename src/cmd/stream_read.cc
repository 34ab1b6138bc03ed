// XREAD and XREADGROUP (Redis 7.0 xreadCommand). Both run on the writer: XREADGROUP changes its
// group (last-delivered ID, pending entries, consumers), and with BLOCK either one waits through
// cmd/blocking.h, woken by XADD (KeyEvents::KeyReady) or by the key coming into being. A
// waiting XREAD's `$` is replaced by the stream's last ID at the time it blocked, so that when
// it runs again it returns what was added since. Served after blocking, a command reads only
// the key that became ready, and at most 1000 entries without COUNT, as Redis does.
#include <optional>

#include "cmd/blocking.h"
#include "cmd/command_table.h"
#include "cmd/stream_util.h"
#include "config/notify_flags.h"
#include "resp/reply_writer.h"

namespace stash {
namespace {

using store::StreamId;

constexpr uint64_t kBlockedDefaultCount = 1000;     // Redis's XREAD_BLOCKED_DEFAULT_COUNT
constexpr StreamId kNewOnly = store::kMaxStreamId;  // XREADGROUP's ">"

struct ReadArgs {
  bool group = false;  // XREADGROUP
  bool have_group = false;
  std::string group_name, consumer;
  bool noack = false;
  int64_t count = 0;
  bool block = false;
  int64_t deadline_ms = 0;
  size_t streams_at = 0;  // argv index of the first key
  size_t n = 0;           // streams
};

CommandStatus ParseReadArgs(WriteContext& c, bool xreadgroup, ReadArgs* a) {
  a->group = xreadgroup;
  const auto& argv = c.argv;
  for (size_t i = 1; i < argv.size(); i++) {
    const size_t more = argv.size() - 1 - i;
    const std::string& o = argv[i];
    if (EqualsIgnoreCase(o, "block") && more > 0) {
      if (c.in_script) {
        return Fail(std::string("ERR ") + (xreadgroup ? "XREADGROUP" : "XREAD") +
                    " command is not allowed with BLOCK option from scripts");
      }
      int64_t ms;
      if (!ParseInteger(argv[++i], &ms))
        return Fail("ERR timeout is not an integer or out of range");
      if (ms < 0) return Fail("ERR timeout is negative");
      a->block = true;
      // (A timeout past the end of time waits forever.)
      a->deadline_ms = ms == 0 || ms > INT64_MAX - c.now_ms ? 0 : c.now_ms + ms;
    } else if (EqualsIgnoreCase(o, "count") && more > 0) {
      if (!ParseInteger(argv[++i], &a->count)) return Fail(kNotIntegerError);
      if (a->count < 0) a->count = 0;
    } else if (EqualsIgnoreCase(o, "streams") && more > 0) {
      a->streams_at = i + 1;
      const size_t rest = argv.size() - a->streams_at;
      if (rest % 2 != 0) {
        // (Redis 7.0 says XREAD and '$' for XREADGROUP too.)
        return Fail(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
      }
      a->n = rest / 2;
      break;
    } else if (EqualsIgnoreCase(o, "group") && more >= 2) {
      if (!xreadgroup) {
        return Fail(
            "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
      }
      a->have_group = true;
      a->group_name = argv[i + 1];
      a->consumer = argv[i + 2];
      i += 2;
    } else if (EqualsIgnoreCase(o, "noack")) {
      if (!xreadgroup) {
        return Fail(
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
      }
      a->noack = true;
    } else {
      return Fail(kSyntaxError);
    }
  }
  if (a->streams_at == 0) return Fail(kSyntaxError);
  if (xreadgroup && !a->have_group) return Fail("ERR Missing GROUP option for XREADGROUP");
  return {};
}

// One stream's part of the reply: entries (a missing one, read from a consumer's history, has
// no record: nil).
struct StreamReply {
  std::string key;
  std::vector<std::pair<StreamId, std::optional<std::string>>> items;
};

void WriteReply(resp::ReplyWriter& out, const std::vector<StreamReply>& served) {
  const bool resp3 = out.protocol() == 3;
  resp3 ? out.MapHeader(served.size()) : out.ArrayHeader(served.size());
  std::vector<std::string_view> fields;
  for (const StreamReply& r : served) {
    if (!resp3) out.ArrayHeader(2);
    out.Bulk(r.key);
    out.ArrayHeader(r.items.size());
    for (const auto& [id, raw] : r.items) {
      out.ArrayHeader(2);
      streams::ReplyId(out, id);
      if (!raw) {
        out.NullArray();
        continue;
      }
      store::DecodeEntry(*raw, &fields);
      out.ArrayHeader(fields.size());
      for (std::string_view f : fields) out.Bulk(f);
    }
  }
}

// Delivers entries, the ones after the group's last ID, to consumer (XREADGROUP >).
CommandStatus DeliverNew(WriteContext& c, streams::GroupWrite& g, const ReadArgs& a,
                         streams::Entries entries, StreamReply* r) {
  store::Stream& s = g.stream();
  std::vector<std::string_view> fields;
  for (auto& [id, raw] : entries) {
    if (!store::DecodeEntry(raw, &fields)) {
      return ReadFailure(c.txn.Fail(Status::Corruption("a stream entry does not decode")));
    }
    store::GroupState& gs = g.state();
    if (id > gs.last) {
      if (gs.entries_read != store::kInvalidEntriesRead &&
          !streams::RangeHasTombstones(s, id, store::kMaxStreamId)) {
        // (wrapping as Redis's long long does past ENTRIESREAD 2^63-1)
        gs.entries_read = static_cast<int64_t>(static_cast<uint64_t>(gs.entries_read) + 1);
      } else if (s.meta.entries_added != 0) {
        gs.entries_read = streams::EstimateEntriesRead(s, id);
      }
      gs.last = id;
    }
    if (!a.noack) STASH_RETURN_IF_FAILED(g.Deliver(id, a.consumer, c.now_ms));
    r->items.emplace_back(id, std::move(raw));
  }
  return {};
}

// Replies consumer's pending entries after `after` (XREADGROUP with an ID): each delivered
// again (count + 1), a deleted one as nil.
CommandStatus DeliverHistory(WriteContext& c, streams::GroupWrite& g, const ReadArgs& a,
                             StreamId after, uint64_t count, StreamReply* r) {
  store::Stream& s = g.stream();
  StreamId start = after;
  if (!store::IncrId(&start)) return {};
  std::vector<store::PendingEntry> pending;
  std::unique_ptr<Iterator> it = c.txn.NewRawIterator();
  Status st = s.Pending(it.get(), streams::TxnRead(c.txn), g.name(), a.consumer, start,
                        store::kMaxStreamId, [&](const store::PendingEntry& p) {
                          pending.push_back(p);
                          return count == 0 || pending.size() < count;
                        });
  for (store::PendingEntry& p : pending) {
    if (!st.ok()) break;
    bool found;
    std::string raw;
    st = s.GetEntry(streams::TxnRead(c.txn), p.id, &found, &raw);
    if (!st.ok()) break;
    if (!found) {
      r->items.emplace_back(p.id, std::nullopt);
      continue;
    }
    p.delivery_ms = c.now_ms;
    p.delivery_count++;
    s.PutPending(c.txn, g.name(), p, p.consumer);
    r->items.emplace_back(p.id, std::move(raw));
  }
  it.reset();
  return st.ok() ? CommandStatus() : ReadFailure(c.txn.Fail(st));
}

CommandStatus XReadGeneric(WriteContext& c, bool xreadgroup) {
  ReadArgs a;
  STASH_RETURN_IF_FAILED(ParseReadArgs(c, xreadgroup, &a));
  const bool serving = Serving(c);
  std::span<const std::string> keys(c.argv.data() + a.streams_at, a.n);
  std::span<const std::string> id_args(c.argv.data() + a.streams_at + a.n, a.n);

  // Open every stream and parse its ID (Redis checks types and groups as it goes).
  struct Source {
    streams::StreamWrite sw;
    std::optional<streams::GroupWrite> group;
    StreamId after;
  };
  std::vector<Source> sources(a.n);
  std::vector<std::string> rewritten;  // argv with `$` resolved, if it blocks
  for (size_t i = 0; i < a.n; i++) {
    if (serving && keys[i] != c.blocking->ready_key) continue;
    Source& src = sources[i];
    bool found;
    // (Redis reads each key twice, here and before serving it: two hits or misses.)
    CommandStatus st = serving ? OpenStreamWrite(c, keys[i], false, &src.sw, &found)
                               : streams::OpenStreamCounted(c, keys[i], &src.sw, &found);
    if (serving && (!st.ok() || !found)) {
      // Deleted, or now another type: XREADGROUP is answered, XREAD waits on (Redis 7.0).
      if (xreadgroup) return Fail("UNBLOCKED the stream key no longer exists");
      return WaitForKeys(c, keys, 0, true);
    }
    STASH_RETURN_IF_FAILED(st);
    if (xreadgroup) {
      STASH_RETURN_IF_FAILED(streams::OpenGroup(c, src.sw, a.group_name, &src.group));
      if (!src.group) {
        if (serving) {
          return Fail("NOGROUP the consumer group this client was blocked on no longer exists");
        }
        return Fail("NOGROUP No such key '" + streams::CString(keys[i]) + "' or consumer group '" +
                    streams::CString(a.group_name) + "' in XREADGROUP with GROUP option");
      }
    }
    const std::string& arg = id_args[i];
    if (arg == "$") {
      if (xreadgroup) {
        return Fail(
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
            "history of this consumer by specifying a proper ID, or use the > ID to get new "
            "messages. The $ ID would just return an empty result set.");
      }
      src.after = found ? src.sw.s->meta.last : StreamId{};
      if (rewritten.empty()) rewritten = c.argv;
      rewritten[a.streams_at + a.n + i] = store::FormatId(src.after);
    } else if (arg == ">") {
      if (!xreadgroup) {
        return Fail(
            "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
            "<consumer> option.");
      }
      src.after = kNewOnly;
    } else {
      STASH_RETURN_IF_FAILED(streams::ParseIdArg(arg, true, 0, &src.after));
    }
  }

  uint64_t count = static_cast<uint64_t>(a.count);
  if (serving && count == 0) count = kBlockedDefaultCount;
  std::vector<StreamReply> served;
  for (size_t i = 0; i < a.n; i++) {
    Source& src = sources[i];
    if (!serving) CountLookup(c, keys[i], src.sw.s.has_value());
    if (!src.sw.s) continue;
    if (xreadgroup && i > 0) {  // what the streams before it changed (the same key twice)
      bool found;
      STASH_RETURN_IF_FAILED(OpenStreamWrite(c, keys[i], false, &src.sw, &found));
      STASH_RETURN_IF_FAILED(streams::OpenGroup(c, src.sw, a.group_name, &src.group));
      if (!src.group) continue;
    }
    store::Stream& s = *src.sw.s;
    // History (XREADGROUP with an ID) is always served; else the entries after `after` (the
    // group's last ID for >) are read, and served when there are any (when serving a waiting
    // client: when the stream's last ID is past `after`, as Redis does, even if they are gone).
    const bool history = xreadgroup && src.after != kNewOnly;
    StreamId after = xreadgroup && !history ? src.group->state().last : src.after;
    streams::Entries entries;
    bool serve = history;
    if (!history) {
      StreamId start = after;
      if (s.length > 0 && store::IncrId(&start)) {
        std::unique_ptr<Iterator> it = c.txn.NewRawIterator();
        Status st =
            streams::ReadRange(it.get(), s, start, store::kMaxStreamId, false, count, &entries);
        if (!st.ok()) return ReadFailure(c.txn.Fail(st));
      }
      serve = serving ? s.meta.last > after : !entries.empty();
    }
    if (!serve) continue;
    StreamReply& r = served.emplace_back();
    r.key = keys[i];
    if (!xreadgroup) {
      for (auto& [id, raw] : entries) r.items.emplace_back(id, std::move(raw));
      continue;
    }
    streams::GroupWrite& g = *src.group;
    store::ConsumerState* consumer;
    bool created;
    STASH_RETURN_IF_FAILED(g.Consumer(a.consumer, true, &consumer, &created));
    if (created) c.Notify(kNotifyStream, "xgroup-createconsumer", keys[i]);
    consumer->seen_ms = c.now_ms;
    if (history) {
      STASH_RETURN_IF_FAILED(DeliverHistory(c, g, a, after, count, &r));
    } else {
      STASH_RETURN_IF_FAILED(DeliverNew(c, g, a, std::move(entries), &r));
      if (!r.items.empty()) consumer->active_ms = c.now_ms;
    }
    g.Save();
  }
  if (!served.empty()) {
    WriteReply(c.out, served);
    return {};
  }
  if (!a.block) {
    c.out.NullArray();
    return {};
  }
  CommandStatus st = WaitForKeys(c, keys, a.deadline_ms, true);
  if (c.blocking != nullptr && c.blocking->blocked && !serving) {
    c.blocking->argv = std::move(rewritten);
  }
  return st;
}

CommandStatus XRead(WriteContext& c) { return XReadGeneric(c, false); }
CommandStatus XReadGroup(WriteContext& c) { return XReadGeneric(c, true); }

const CommandSpec kCommands[] = {
    {.name = "xread",
     .arity = -4,
     .flags = kCmdReadonly | kCmdBlocking,
     .keys = {0, 0, 0},
     .write = XRead},
    {.name = "xreadgroup",
     .arity = -7,
     .flags = kCmdWrite | kCmdBlocking,
     .keys = {0, 0, 0},
     .write = XReadGroup},
};

}  // namespace

std::span<const CommandSpec> StreamReadCommands() { return kCommands; }

}  // namespace stash
