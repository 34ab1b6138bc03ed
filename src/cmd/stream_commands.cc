// Stream commands without consumer groups (Redis 7.0 t_stream.c): reads (XLEN XRANGE XREVRANGE)
// on the connection's thread at one read point; writes (XADD XDEL XTRIM XSETID) on the writer,
// each one batch. XREAD and the group commands: stream_read.cc, stream_groups.cc; XINFO:
// stream_info.cc. Storage and costs: store/stream.h.
#include "cmd/command_table.h"
#include "cmd/keyspace_events.h"
#include "cmd/stream_util.h"
#include "config/notify_flags.h"
#include "resp/reply_writer.h"
#include "util/clock.h"

namespace stash {
namespace {

using store::StreamId;
using streams::ParseId;
using streams::ParseIdArg;

// XADD's and XTRIM's options (Redis's streamParseAddOrTrimArgsOrReply).
struct TrimArgs {
  enum class Strategy { kNone, kMaxLen, kMinId } strategy = Strategy::kNone;
  bool approx = false;
  int64_t maxlen = 0;
  StreamId minid;
  int64_t limit = 0;
  bool no_mkstream = false;
  bool id_given = false;  // XADD: an ID other than *
  bool seq_given = true;  // XADD: not ms-*
  StreamId id;
};

// Parses from argv[2]; *next: the ID's position (XADD) or where the options ended (XTRIM).
CommandStatus ParseTrimArgs(const std::vector<std::string>& argv, bool xadd, TrimArgs* a,
                            size_t* next) {
  bool limit_given = false;
  size_t i = 2;
  for (; i < argv.size(); i++) {
    const size_t more = argv.size() - 1 - i;
    const std::string& opt = argv[i];
    if (xadd && opt == "*") break;
    const bool maxlen = EqualsIgnoreCase(opt, "maxlen");
    if ((maxlen || EqualsIgnoreCase(opt, "minid")) && more > 0) {
      if (a->strategy != TrimArgs::Strategy::kNone) {
        return Fail(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
      }
      a->approx = false;
      if (more >= 2 && (argv[i + 1] == "~" || argv[i + 1] == "=")) {
        a->approx = argv[i + 1] == "~";
        i++;
      }
      if (maxlen) {
        if (!ParseInteger(argv[i + 1], &a->maxlen)) return Fail(kNotIntegerError);
        if (a->maxlen < 0) return Fail("ERR The MAXLEN argument must be >= 0.");
        a->strategy = TrimArgs::Strategy::kMaxLen;
      } else {
        STASH_RETURN_IF_FAILED(ParseIdArg(argv[i + 1], true, 0, &a->minid));
        a->strategy = TrimArgs::Strategy::kMinId;
      }
      i++;
    } else if (EqualsIgnoreCase(opt, "limit") && more > 0) {
      if (!ParseInteger(argv[i + 1], &a->limit)) return Fail(kNotIntegerError);
      if (a->limit < 0) return Fail("ERR The LIMIT argument must be >= 0.");
      limit_given = true;
      i++;
    } else if (xadd && EqualsIgnoreCase(opt, "nomkstream")) {
      a->no_mkstream = true;
    } else if (xadd) {
      bool seq_auto;
      if (!ParseId(opt, true, 0, &a->id, &seq_auto)) return Fail(streams::kInvalidIdError);
      a->id_given = true;
      a->seq_given = !seq_auto;
      break;
    } else {
      return Fail(kSyntaxError);
    }
  }
  if (a->limit != 0 && a->strategy == TrimArgs::Strategy::kNone) {
    return Fail("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
  }
  if (!xadd && a->strategy == TrimArgs::Strategy::kNone) {
    return Fail("ERR syntax error, XTRIM must be called with a trimming strategy");
  }
  if (limit_given) {
    if (!a->approx) {
      return Fail("ERR syntax error, LIMIT cannot be used without the special ~ option");
    }
  } else {
    a->limit = a->approx ? static_cast<int64_t>(100 * store::kNodeMaxEntries) : 0;
  }
  *next = i;
  return {};
}

// Trims as the options say; *removed: how many entries went.
CommandStatus TrimStream(WriteContext& c, streams::StreamWrite& sw, const TrimArgs& a,
                         uint64_t* removed) {
  *removed = 0;
  if (a.strategy == TrimArgs::Strategy::kNone) return {};
  Status s =
      sw.s->Trim(c.txn, a.strategy == TrimArgs::Strategy::kMinId, static_cast<uint64_t>(a.maxlen),
                 a.minid, a.approx, static_cast<uint64_t>(a.limit), removed);
  return s.ok() ? CommandStatus() : ReadFailure(s);
}

// The ID XADD gives the entry (Redis's streamAppendItem); false: not above the top item.
bool NextId(const store::StreamMeta& m, const TrimArgs& a, int64_t now_ms, StreamId* id,
            bool* too_large) {
  *too_large = false;
  if (!a.id_given) {
    const auto ms = static_cast<uint64_t>(now_ms);
    if (ms > m.last.ms) {
      *id = StreamId{ms, 0};
    } else {
      *id = m.last;
      store::IncrId(id);
    }
    return *id > m.last;
  }
  *id = a.id;
  if (!a.seq_given && m.last.ms == a.id.ms) {
    if (m.last.seq == UINT64_MAX) {
      *too_large = true;  // Redis 7.0's reply for this case
      return false;
    }
    *id = StreamId{m.last.ms, m.last.seq + 1};
  }
  return *id > m.last;
}

CommandStatus XAdd(WriteContext& c) {
  TrimArgs a;
  size_t id_pos;
  STASH_RETURN_IF_FAILED(ParseTrimArgs(c.argv, true, &a, &id_pos));
  const size_t field_pos = id_pos + 1;
  if (c.argv.size() < field_pos + 2 || (c.argv.size() - field_pos) % 2 == 1) {
    return Fail(WrongArityError("xadd"));
  }
  if (a.id_given && a.seq_given && a.id.zero()) {
    return Fail("ERR The ID specified in XADD must be greater than 0-0");
  }
  streams::StreamWrite sw;
  bool found;
  STASH_RETURN_IF_FAILED(OpenStreamWrite(c, c.argv[1], !a.no_mkstream, &sw, &found));
  if (!sw.s) {
    c.out.Null();
    return {};
  }
  // A new stream comes into being first ("new" before "xadd", as in Redis).
  if (!found) STASH_RETURN_IF_FAILED(SaveStream(c, &sw));
  if (sw.s->meta.last == store::kMaxStreamId) {
    return Fail("ERR The stream has exhausted the last possible ID, unable to add more items");
  }
  StreamId id;
  bool too_large;
  if (!NextId(sw.s->meta, a, c.now_ms, &id, &too_large)) {
    if (too_large) return Fail("ERR Elements are too large to be stored");
    return Fail("ERR The ID specified in XADD is equal or smaller than the target stream top item");
  }
  sw.s->Add(c.txn, id, std::span<const std::string>(c.argv).subspan(field_pos));
  c.Notify(kNotifyStream, "xadd", c.argv[1]);
  uint64_t removed;
  STASH_RETURN_IF_FAILED(TrimStream(c, sw, a, &removed));
  if (removed > 0) c.Notify(kNotifyStream, "xtrim", c.argv[1]);
  STASH_RETURN_IF_FAILED(SaveStream(c, &sw));
  c.events.KeyReady(c.db, c.argv[1]);
  c.out.Bulk(store::FormatId(id));
  return {};
}

CommandStatus XTrim(WriteContext& c) {
  TrimArgs a;
  size_t end;
  STASH_RETURN_IF_FAILED(ParseTrimArgs(c.argv, false, &a, &end));
  streams::StreamWrite sw;
  bool found;
  STASH_RETURN_IF_FAILED(OpenStreamWrite(c, c.argv[1], false, &sw, &found));
  if (!found) {
    c.out.Integer(0);
    return {};
  }
  uint64_t removed;
  STASH_RETURN_IF_FAILED(TrimStream(c, sw, a, &removed));
  if (removed > 0) {
    STASH_RETURN_IF_FAILED(SaveStream(c, &sw));
    c.Notify(kNotifyStream, "xtrim", c.argv[1]);
  }
  c.out.Integer(static_cast<int64_t>(removed));
  return {};
}

CommandStatus XDel(WriteContext& c) {
  streams::StreamWrite sw;
  bool found;
  STASH_RETURN_IF_FAILED(OpenStreamWrite(c, c.argv[1], false, &sw, &found));
  if (!found) {
    c.out.Integer(0);
    return {};
  }
  std::vector<StreamId> ids(c.argv.size() - 2);
  for (size_t j = 2; j < c.argv.size(); j++) {
    STASH_RETURN_IF_FAILED(ParseIdArg(c.argv[j], true, 0, &ids[j - 2]));
  }
  int64_t deleted = 0;
  for (StreamId id : ids) {
    const uint64_t before = sw.s->length;
    if (Status s = sw.s->Delete(c.txn, id, true); !s.ok()) return ReadFailure(s);
    deleted += sw.s->length < before ? 1 : 0;
  }
  if (deleted > 0) {
    STASH_RETURN_IF_FAILED(SaveStream(c, &sw));
    c.Notify(kNotifyStream, "xdel", c.argv[1]);
  }
  c.out.Integer(deleted);
  return {};
}

CommandStatus XSetId(WriteContext& c) {
  StreamId id, max_deleted;
  int64_t entries_added = -1;
  STASH_RETURN_IF_FAILED(ParseIdArg(c.argv[2], true, 0, &id));
  for (size_t i = 3; i < c.argv.size(); i += 2) {
    const bool more = i + 1 < c.argv.size();
    if (EqualsIgnoreCase(c.argv[i], "entriesadded") && more) {
      if (!ParseInteger(c.argv[i + 1], &entries_added)) return Fail(kNotIntegerError);
      if (entries_added < 0) return Fail("ERR entries_added must be positive");
    } else if (EqualsIgnoreCase(c.argv[i], "maxdeletedid") && more) {
      STASH_RETURN_IF_FAILED(ParseIdArg(c.argv[i + 1], true, 0, &max_deleted));
      if (id < max_deleted) {
        return Fail(
            "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
      }
    } else {
      return Fail(kSyntaxError);
    }
  }
  streams::StreamWrite sw;
  bool found;
  STASH_RETURN_IF_FAILED(OpenStreamWrite(c, c.argv[1], false, &sw, &found));
  if (!found) return Fail(kNoSuchKeyError);
  store::StreamMeta& m = sw.s->meta;
  // (Redis 7.0 lets the ID go below the max deleted ID; an empty stream may go back at all.)
  if (sw.s->length > 0) {
    std::unique_ptr<Iterator> it = c.txn.NewRawIterator();
    bool have;
    StreamId top;
    if (Status s = streams::LastEntryId(it.get(), streams::TxnRead(c.txn), *sw.s, &have, &top);
        !s.ok()) {
      return ReadFailure(c.txn.Fail(s));
    }
    if (have && id < top) {
      return Fail("ERR The ID specified in XSETID is smaller than the target stream top item");
    }
    if (entries_added != -1 && sw.s->length > static_cast<uint64_t>(entries_added)) {
      return Fail(
          "ERR The entries_added specified in XSETID is smaller than the target stream length");
    }
  }
  m.last = id;
  if (entries_added != -1) m.entries_added = static_cast<uint64_t>(entries_added);
  if (!max_deleted.zero()) m.max_deleted = max_deleted;
  STASH_RETURN_IF_FAILED(SaveStream(c, &sw, false));
  c.Notify(kNotifyStream, "xsetid", c.argv[1]);
  c.out.Simple("OK");
  return {};
}

// --- reads ---

CommandStatus XLen(CommandContext& c) {
  ReadSource src(c);
  streams::StreamRef ref;
  STASH_RETURN_IF_FAILED(OpenStream(src, c.argv[1], &ref));
  c.out.Integer(ref.found ? static_cast<int64_t>(ref.s->length) : 0);
  return {};
}

// Redis's streamParseIntervalIDOrReply: "(" makes the bound exclusive (strict ID after it).
CommandStatus ParseInterval(std::string_view arg, uint64_t missing_seq, StreamId* id,
                            bool* exclusive) {
  *exclusive = arg.size() > 1 && arg[0] == '(';
  if (*exclusive) return ParseIdArg(arg.substr(1), true, missing_seq, id);
  return ParseIdArg(arg, false, missing_seq, id);
}

CommandStatus XRangeGeneric(CommandContext& c, bool rev) {
  const std::string& start_arg = rev ? c.argv[3] : c.argv[2];
  const std::string& end_arg = rev ? c.argv[2] : c.argv[3];
  StreamId start, end;
  bool start_ex, end_ex;
  STASH_RETURN_IF_FAILED(ParseInterval(start_arg, 0, &start, &start_ex));
  if (start_ex && !store::IncrId(&start)) return Fail("ERR invalid start ID for the interval");
  STASH_RETURN_IF_FAILED(ParseInterval(end_arg, UINT64_MAX, &end, &end_ex));
  if (end_ex && !store::DecrId(&end)) return Fail("ERR invalid end ID for the interval");
  int64_t count = -1;
  for (size_t j = 4; j < c.argv.size(); j++) {
    if (EqualsIgnoreCase(c.argv[j], "count") && j + 1 < c.argv.size()) {
      if (!ParseInteger(c.argv[j + 1], &count)) return Fail(kNotIntegerError);
      if (count < 0) count = 0;
      j++;
    } else {
      return Fail(kSyntaxError);
    }
  }
  ReadSource src(c);
  streams::StreamRef ref;
  STASH_RETURN_IF_FAILED(OpenStream(src, c.argv[1], &ref));
  if (!ref.found) {
    c.out.ArrayHeader(0);
    return {};
  }
  if (count == 0) {
    c.out.NullArray();
    return {};
  }
  streams::Entries entries;
  std::unique_ptr<Iterator> it = src.NewIterator();
  Status s = streams::ReadRange(it.get(), *ref.s, start, end, rev,
                                count < 0 ? 0 : static_cast<uint64_t>(count), &entries);
  if (s.ok()) s = streams::ReplyEntries(c.out, entries);
  return s.ok() ? CommandStatus() : src.Failure(s);
}

CommandStatus XRange(CommandContext& c) { return XRangeGeneric(c, false); }
CommandStatus XRevRange(CommandContext& c) { return XRangeGeneric(c, true); }

constexpr uint32_t kWrite = kCmdWrite | kCmdDenyOom | kCmdFast;

const CommandSpec kCommands[] = {
    {.name = "xadd", .arity = -5, .flags = kWrite, .keys = {1, 1, 1}, .write = XAdd},
    {.name = "xtrim", .arity = -4, .flags = kCmdWrite, .keys = {1, 1, 1}, .write = XTrim},
    {.name = "xdel", .arity = -3, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1}, .write = XDel},
    {.name = "xsetid", .arity = -3, .flags = kWrite, .keys = {1, 1, 1}, .write = XSetId},
    {.name = "xlen",
     .arity = 2,
     .flags = kCmdReadonly | kCmdFast,
     .keys = {1, 1, 1},
     .handler = XLen},
    {.name = "xrange", .arity = -4, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = XRange},
    {.name = "xrevrange",
     .arity = -4,
     .flags = kCmdReadonly,
     .keys = {1, 1, 1},
     .handler = XRevRange},
};

}  // namespace

std::span<const CommandSpec> StreamCommands() { return kCommands; }

}  // namespace stash
