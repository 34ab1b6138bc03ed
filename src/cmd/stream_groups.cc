// Consumer group commands (Redis 7.0 t_stream.c): XGROUP CREATE | SETID | DESTROY |
// CREATECONSUMER | DELCONSUMER | HELP, XACK, XCLAIM, XAUTOCLAIM on the writer; XPENDING on the
// connection's thread at one read point. XREADGROUP: stream_read.cc. Storage: store/stream.h.
#include "cmd/command_table.h"
#include "cmd/keyspace_events.h"
#include "cmd/reply_util.h"
#include "cmd/stream_util.h"
#include "config/notify_flags.h"
#include "resp/reply_writer.h"

namespace stash {
namespace {

using store::StreamId;
using streams::ParseIdArg;

std::string NoGroupError(std::string_view key, std::string_view group) {
  return "NOGROUP No such key '" + streams::CString(key) + "' or consumer group '" +
         streams::CString(group) + "'";
}

std::string SubcommandSyntaxError(const std::vector<std::string>& argv) {
  return "ERR unknown subcommand or wrong number of arguments for '" + argv[1].substr(0, 128) +
         "'. Try XGROUP HELP.";
}

// ENTRIESREAD's value: an integer >= 0 or -1.
CommandStatus ParseEntriesRead(std::string_view arg, int64_t* out) {
  if (!ParseInteger(arg, out)) return Fail(kNotIntegerError);
  if (*out < 0 && *out != store::kInvalidEntriesRead) {
    return Fail("ERR value for ENTRIESREAD must be positive or -1");
  }
  return {};
}

// What every XGROUP subcommand but HELP does first: CREATE's options, the key, the group.
struct GroupCommand {
  streams::StreamWrite sw;
  bool found = false;
  std::optional<streams::GroupWrite> group;
  bool mkstream = false;
  int64_t entries_read = store::kInvalidEntriesRead;
};

// CREATE's options (MKSTREAM, ENTRIESREAD) and SETID's (ENTRIESREAD) come first, as in Redis.
enum class GroupOptions { kNone, kCreate, kSetId };

CommandStatus OpenGroupCommand(WriteContext& c, GroupOptions options, bool needs_group,
                               GroupCommand* g) {
  if (options != GroupOptions::kNone) {
    for (size_t i = 5; i < c.argv.size(); i++) {
      if (options == GroupOptions::kCreate && EqualsIgnoreCase(c.argv[i], "mkstream")) {
        g->mkstream = true;
      } else if (EqualsIgnoreCase(c.argv[i], "entriesread") && i + 1 < c.argv.size()) {
        STASH_RETURN_IF_FAILED(ParseEntriesRead(c.argv[++i], &g->entries_read));
      } else {
        return Fail(SubcommandSyntaxError(c.argv));
      }
    }
  }
  STASH_RETURN_IF_FAILED(OpenStreamWrite(c, c.argv[2], false, &g->sw, &g->found));
  STASH_RETURN_IF_FAILED(streams::OpenGroup(c, g->sw, c.argv[3], &g->group));
  if (!g->found && !g->mkstream) {
    return Fail(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want "
        "to use the MKSTREAM option to create an empty stream automatically.");
  }
  if (!g->group && needs_group) {
    return Fail("NOGROUP No such consumer group '" + streams::CString(c.argv[3]) +
                "' for key name '" + streams::CString(c.argv[2]) + "'");
  }
  return {};
}

CommandStatus XGroupCreate(WriteContext& c) {
  GroupCommand g;
  STASH_RETURN_IF_FAILED(OpenGroupCommand(c, GroupOptions::kCreate, false, &g));
  if (c.argv.size() > 8) return Fail(SubcommandSyntaxError(c.argv));
  StreamId id;
  if (c.argv[4] == "$") {
    id = g.found ? g.sw.s->meta.last : StreamId{};
  } else {
    STASH_RETURN_IF_FAILED(ParseIdArg(c.argv[4], true, 0, &id));
  }
  if (!g.found) {
    bool unused;
    STASH_RETURN_IF_FAILED(OpenStreamWrite(c, c.argv[2], true, &g.sw, &unused));
  }
  if (g.group) {
    if (!g.found) STASH_RETURN_IF_FAILED(SaveStream(c, &g.sw));
    return Fail("BUSYGROUP Consumer Group name already exists");
  }
  store::GroupState state;
  state.last = id;
  state.entries_read = g.entries_read;
  g.sw.s->PutGroup(c.txn, c.argv[3], state);
  g.sw.s->meta.groups++;
  STASH_RETURN_IF_FAILED(SaveStream(c, &g.sw, false));
  c.Notify(kNotifyStream, "xgroup-create", c.argv[2]);
  c.out.Simple("OK");
  return {};
}

CommandStatus XGroupSetId(WriteContext& c) {
  GroupCommand g;
  STASH_RETURN_IF_FAILED(OpenGroupCommand(c, GroupOptions::kSetId, true, &g));
  if (c.argv.size() != 5 && c.argv.size() != 7) return Fail(SubcommandSyntaxError(c.argv));
  StreamId id;
  if (c.argv[4] == "$") {
    id = g.sw.s->meta.last;
  } else {
    STASH_RETURN_IF_FAILED(ParseIdArg(c.argv[4], false, 0, &id));
  }
  g.group->state().last = id;
  g.group->state().entries_read = g.entries_read;
  g.group->Save();
  c.Notify(kNotifyStream, "xgroup-setid", c.argv[2]);
  c.out.Simple("OK");
  return {};
}

CommandStatus XGroupDestroy(WriteContext& c) {
  GroupCommand g;
  STASH_RETURN_IF_FAILED(OpenGroupCommand(c, GroupOptions::kNone, false, &g));
  if (!g.group) {
    c.out.Integer(0);
    return {};
  }
  if (Status s = g.sw.s->DeleteGroup(c.txn, c.argv[3]); !s.ok()) return ReadFailure(s);
  g.sw.s->meta.groups--;
  STASH_RETURN_IF_FAILED(SaveStream(c, &g.sw, false));
  c.Notify(kNotifyStream, "xgroup-destroy", c.argv[2]);
  c.events.KeyReady(c.db, c.argv[2]);  // its blocked XREADGROUP clients get NOGROUP
  c.out.Integer(1);
  return {};
}

CommandStatus XGroupCreateConsumer(WriteContext& c) {
  GroupCommand g;
  STASH_RETURN_IF_FAILED(OpenGroupCommand(c, GroupOptions::kNone, true, &g));
  store::ConsumerState* consumer;
  bool created;
  STASH_RETURN_IF_FAILED(g.group->Consumer(c.argv[4], true, &consumer, &created));
  if (created) {
    g.group->Save();
    c.Notify(kNotifyStream, "xgroup-createconsumer", c.argv[2]);
  }
  c.out.Integer(created ? 1 : 0);
  return {};
}

CommandStatus XGroupDelConsumer(WriteContext& c) {
  GroupCommand g;
  STASH_RETURN_IF_FAILED(OpenGroupCommand(c, GroupOptions::kNone, true, &g));
  store::ConsumerState* consumer;
  STASH_RETURN_IF_FAILED(g.group->Consumer(c.argv[4], false, &consumer));
  uint64_t pending = 0;
  if (consumer != nullptr) {
    Status s = g.sw.s->DeleteConsumer(c.txn, c.argv[3], c.argv[4], &pending);
    if (!s.ok()) return ReadFailure(s);
    store::GroupState& state = g.group->state();
    state.pending -= pending;
    state.consumers--;
    g.sw.s->PutGroup(c.txn, c.argv[3], state);
    c.Notify(kNotifyStream, "xgroup-delconsumer", c.argv[2]);
  }
  c.out.Integer(static_cast<int64_t>(pending));
  return {};
}

CommandStatus XGroupHelp(CommandContext& c) {
  static constexpr std::string_view kLines[] = {
      "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
      "HELP",
      "    Prints this help."};
  ReplyHelp(c.out, kLines);
  return {};
}

CommandStatus XAck(WriteContext& c) {
  streams::StreamWrite sw;
  bool found;
  STASH_RETURN_IF_FAILED(streams::OpenStreamCounted(c, c.argv[1], &sw, &found));
  std::optional<streams::GroupWrite> group;
  STASH_RETURN_IF_FAILED(streams::OpenGroup(c, sw, c.argv[2], &group));
  if (!group) {
    c.out.Integer(0);
    return {};
  }
  std::vector<StreamId> ids(c.argv.size() - 3);
  for (size_t j = 3; j < c.argv.size(); j++) {
    STASH_RETURN_IF_FAILED(ParseIdArg(c.argv[j], true, 0, &ids[j - 3]));
  }
  int64_t acked = 0;
  for (StreamId id : ids) {
    bool pending;
    store::PendingEntry p;
    if (Status s = sw.s->GetPending(streams::TxnRead(c.txn), c.argv[2], id, &pending, &p);
        !s.ok()) {
      return ReadFailure(c.txn.Fail(s));
    }
    if (!pending) continue;
    sw.s->DeletePending(c.txn, c.argv[2], id, p.consumer);
    group->state().pending--;
    acked++;
  }
  if (acked > 0) group->Save();
  c.out.Integer(acked);
  return {};
}

// XCLAIM's and XAUTOCLAIM's hand-over of one pending entry to consumer.
struct Claim {
  std::string consumer;
  int64_t delivery_ms = 0;
  int64_t retry_count = -1;
  bool justid = false;
};

CommandStatus ClaimEntry(WriteContext& c, streams::GroupWrite& g, store::PendingEntry p,
                         bool existed, const Claim& claim) {
  store::ConsumerState* consumer;
  bool created;
  STASH_RETURN_IF_FAILED(g.Consumer(claim.consumer, true, &consumer, &created));
  if (created) c.Notify(kNotifyStream, "xgroup-createconsumer", c.argv[1]);
  consumer->seen_ms = c.now_ms;
  consumer->active_ms = c.now_ms;
  std::optional<std::string> old_owner;
  if (existed) old_owner = p.consumer;
  if (!existed) g.state().pending++;
  p.delivery_ms = claim.delivery_ms;
  if (claim.retry_count >= 0) {
    p.delivery_count = static_cast<uint64_t>(claim.retry_count);
  } else if (!claim.justid) {
    p.delivery_count++;
  }
  p.consumer = claim.consumer;
  g.stream().PutPending(c.txn, g.name(), p, old_owner);
  return {};
}

// The claimed entries' reply: their IDs (JUSTID) or the entries.
Status ReplyClaimed(WriteContext& c, store::Stream& s, const std::vector<StreamId>& ids,
                    bool justid) {
  if (justid) {
    c.out.ArrayHeader(ids.size());
    for (StreamId id : ids) streams::ReplyId(c.out, id);
    return Status::OK();
  }
  streams::Entries entries;
  const store::RawRead read = streams::TxnRead(c.txn);
  for (StreamId id : ids) {
    bool found;
    std::string raw;
    STASH_RETURN_IF_ERROR(s.GetEntry(read, id, &found, &raw));
    entries.emplace_back(id, std::move(raw));
  }
  return streams::ReplyEntries(c.out, entries);
}

CommandStatus XClaim(WriteContext& c) {
  streams::StreamWrite sw;
  bool found;
  STASH_RETURN_IF_FAILED(streams::OpenStreamCounted(c, c.argv[1], &sw, &found));
  std::optional<streams::GroupWrite> group;
  STASH_RETURN_IF_FAILED(streams::OpenGroup(c, sw, c.argv[2], &group));
  if (!group) return Fail(NoGroupError(c.argv[1], c.argv[2]));
  int64_t min_idle;
  if (!ParseInteger(c.argv[4], &min_idle))
    return Fail("ERR Invalid min-idle-time argument for XCLAIM");
  if (min_idle < 0) min_idle = 0;
  std::vector<StreamId> ids;
  size_t j = 5;
  for (; j < c.argv.size(); j++) {
    StreamId id;
    if (!streams::ParseId(c.argv[j], true, 0, &id)) break;
    ids.push_back(id);
  }
  Claim claim;
  claim.consumer = c.argv[3];
  int64_t delivery = -1;
  bool force = false;
  StreamId last_id;
  for (; j < c.argv.size(); j++) {
    const bool more = j + 1 < c.argv.size();
    const std::string& opt = c.argv[j];
    if (EqualsIgnoreCase(opt, "force")) {
      force = true;
    } else if (EqualsIgnoreCase(opt, "justid")) {
      claim.justid = true;
    } else if (EqualsIgnoreCase(opt, "idle") && more) {
      if (!ParseInteger(c.argv[++j], &delivery)) {
        return Fail("ERR Invalid IDLE option argument for XCLAIM");
      }
      // now - IDLE; out of range it becomes now, as Redis's bogus delivery times do.
      if (__builtin_sub_overflow(c.now_ms, delivery, &delivery)) delivery = -1;
    } else if (EqualsIgnoreCase(opt, "time") && more) {
      if (!ParseInteger(c.argv[++j], &delivery)) {
        return Fail("ERR Invalid TIME option argument for XCLAIM");
      }
    } else if (EqualsIgnoreCase(opt, "retrycount") && more) {
      if (!ParseInteger(c.argv[++j], &claim.retry_count)) {
        return Fail("ERR Invalid RETRYCOUNT option argument for XCLAIM");
      }
    } else if (EqualsIgnoreCase(opt, "lastid") && more) {
      STASH_RETURN_IF_FAILED(ParseIdArg(c.argv[++j], true, 0, &last_id));
    } else {
      return Fail("ERR Unrecognized XCLAIM option '" + opt + "'");
    }
  }
  bool changed = false;
  if (last_id > group->state().last) {
    group->state().last = last_id;
    changed = true;
  }
  claim.delivery_ms = delivery < 0 || delivery > c.now_ms ? c.now_ms : delivery;
  std::vector<StreamId> claimed;
  for (StreamId id : ids) {
    bool pending, exists;
    store::PendingEntry p;
    const store::RawRead read = streams::TxnRead(c.txn);
    Status s = sw.s->GetPending(read, c.argv[2], id, &pending, &p);
    if (s.ok()) s = sw.s->GetEntry(read, id, &exists, nullptr);
    if (!s.ok()) return ReadFailure(c.txn.Fail(s));
    if (!exists) {
      if (pending) {  // the entry is gone: so is its pending entry
        sw.s->DeletePending(c.txn, c.argv[2], id, p.consumer);
        group->state().pending--;
        changed = true;
      }
      continue;
    }
    bool created_by_force = false;
    if (!pending) {
      if (!force) continue;
      p = store::PendingEntry{};
      p.id = id;
      p.delivery_ms = c.now_ms;
      p.delivery_count = 1;
      created_by_force = true;
    }
    if (!created_by_force && min_idle != 0 && c.now_ms - p.delivery_ms < min_idle) continue;
    STASH_RETURN_IF_FAILED(ClaimEntry(c, *group, p, pending, claim));
    claimed.push_back(id);
    changed = true;
  }
  if (changed) group->Save();
  Status s = ReplyClaimed(c, *sw.s, claimed, claim.justid);
  return s.ok() ? CommandStatus() : ReadFailure(c.txn.Fail(s));
}

CommandStatus XAutoClaim(WriteContext& c) {
  int64_t min_idle;
  if (!ParseInteger(c.argv[4], &min_idle)) {
    return Fail("ERR Invalid min-idle-time argument for XAUTOCLAIM");
  }
  if (min_idle < 0) min_idle = 0;
  StreamId start;
  const std::string& start_arg = c.argv[5];
  const bool start_ex = start_arg.size() > 1 && start_arg[0] == '(';
  STASH_RETURN_IF_FAILED(ParseIdArg(start_ex ? std::string_view(start_arg).substr(1) : start_arg,
                                    start_ex, 0, &start));
  if (start_ex && !store::IncrId(&start)) return Fail("ERR invalid start ID for the interval");
  int64_t count = 100;
  Claim claim;
  claim.consumer = c.argv[3];
  claim.delivery_ms = c.now_ms;
  for (size_t j = 6; j < c.argv.size(); j++) {
    if (EqualsIgnoreCase(c.argv[j], "count") && j + 1 < c.argv.size()) {
      constexpr int64_t kMaxCount = INT64_MAX / 16;
      if (!ParseInteger(c.argv[j + 1], &count) || count < 1 || count > kMaxCount) {
        return Fail("ERR COUNT must be > 0");
      }
      j++;
    } else if (EqualsIgnoreCase(c.argv[j], "justid")) {
      claim.justid = true;
    } else {
      return Fail(kSyntaxError);
    }
  }
  streams::StreamWrite sw;
  bool found;
  STASH_RETURN_IF_FAILED(streams::OpenStreamCounted(c, c.argv[1], &sw, &found));
  std::optional<streams::GroupWrite> group;
  STASH_RETURN_IF_FAILED(streams::OpenGroup(c, sw, c.argv[2], &group));
  if (!group) return Fail(NoGroupError(c.argv[1], c.argv[2]));

  // The group's PEL from start: examined up to count * 10 entries, claims up to count.
  std::vector<store::PendingEntry> pel;
  StreamId cursor;  // the first entry not examined, 0-0 at the end
  uint64_t attempts = static_cast<uint64_t>(count) * 10;
  {
    std::unique_ptr<Iterator> it = c.txn.NewRawIterator();
    Status s = sw.s->Pending(it.get(), streams::TxnRead(c.txn), c.argv[2], std::nullopt, start,
                             store::kMaxStreamId, [&](const store::PendingEntry& p) {
                               if (pel.size() >= attempts) {
                                 cursor = p.id;
                                 return false;
                               }
                               pel.push_back(p);
                               return true;
                             });
    if (!s.ok()) return ReadFailure(c.txn.Fail(s));
  }
  std::vector<StreamId> claimed, deleted;
  size_t examined = 0;
  bool changed = false;
  for (const store::PendingEntry& p : pel) {
    if (count == 0) break;
    examined++;
    bool exists;
    if (Status s = sw.s->GetEntry(streams::TxnRead(c.txn), p.id, &exists, nullptr); !s.ok()) {
      return ReadFailure(c.txn.Fail(s));
    }
    if (!exists) {
      sw.s->DeletePending(c.txn, c.argv[2], p.id, p.consumer);
      group->state().pending--;
      deleted.push_back(p.id);
      changed = true;
      count--;
      continue;
    }
    if (min_idle != 0 && c.now_ms - p.delivery_ms < min_idle) continue;
    STASH_RETURN_IF_FAILED(ClaimEntry(c, *group, p, true, claim));
    claimed.push_back(p.id);
    changed = true;
    count--;
  }
  if (examined < pel.size()) cursor = pel[examined].id;
  if (changed) group->Save();
  c.out.ArrayHeader(3);
  streams::ReplyId(c.out, cursor);
  if (Status s = ReplyClaimed(c, *sw.s, claimed, claim.justid); !s.ok()) {
    return ReadFailure(c.txn.Fail(s));
  }
  c.out.ArrayHeader(deleted.size());
  for (StreamId id : deleted) streams::ReplyId(c.out, id);
  return {};
}

// --- XPENDING (a read) ---

CommandStatus XPending(CommandContext& c) {
  const bool summary = c.argv.size() == 3;
  if (!summary && (c.argv.size() < 6 || c.argv.size() > 9)) return Fail(kSyntaxError);
  int64_t min_idle = 0, count = 0;
  StreamId start, end;
  std::optional<std::string> consumer;
  if (!summary) {
    size_t at = 3;
    if (EqualsIgnoreCase(c.argv[3], "idle")) {
      if (!ParseInteger(c.argv[4], &min_idle)) return Fail(kNotIntegerError);
      if (c.argv.size() < 8) return Fail(kSyntaxError);
      at += 2;
    }
    if (!ParseInteger(c.argv[at + 2], &count)) return Fail(kNotIntegerError);
    if (count < 0) count = 0;
    const std::string& s_arg = c.argv[at];
    const std::string& e_arg = c.argv[at + 1];
    const bool s_ex = s_arg.size() > 1 && s_arg[0] == '(';
    const bool e_ex = e_arg.size() > 1 && e_arg[0] == '(';
    STASH_RETURN_IF_FAILED(
        ParseIdArg(s_ex ? std::string_view(s_arg).substr(1) : s_arg, s_ex, 0, &start));
    if (s_ex && !store::IncrId(&start)) return Fail("ERR invalid start ID for the interval");
    STASH_RETURN_IF_FAILED(
        ParseIdArg(e_ex ? std::string_view(e_arg).substr(1) : e_arg, e_ex, UINT64_MAX, &end));
    if (e_ex && !store::DecrId(&end)) return Fail("ERR invalid end ID for the interval");
    if (at + 3 < c.argv.size()) consumer = c.argv[at + 3];
  }
  ReadSource src(c);
  streams::StreamRef ref;
  STASH_RETURN_IF_FAILED(OpenStream(src, c.argv[1], &ref));
  std::unique_ptr<Iterator> it = src.NewIterator();
  bool has_group = false;
  store::GroupState g;
  if (ref.found) {
    if (Status s = ref.s->GetGroup(streams::SourceRead(src), c.argv[2], &has_group, &g); !s.ok()) {
      return src.Failure(s);
    }
  }
  if (!has_group) return Fail(NoGroupError(c.argv[1], c.argv[2]));
  const std::string& group = c.argv[2];
  const int64_t now = NowMs();
  if (summary) {
    // Every pending entry once: the first and last IDs and each consumer's count.
    uint64_t total = 0;
    StreamId first, last;
    std::map<std::string, uint64_t> per_consumer;
    Status s = ref.s->Pending(it.get(), streams::SourceRead(src), group, std::nullopt, StreamId{},
                              store::kMaxStreamId, [&](const store::PendingEntry& p) {
                                if (total++ == 0) first = p.id;
                                last = p.id;
                                per_consumer[p.consumer]++;
                                return true;
                              });
    if (!s.ok()) return src.Failure(s);
    c.out.ArrayHeader(4);
    c.out.Integer(static_cast<int64_t>(total));
    if (total == 0) {
      c.out.Null();
      c.out.Null();
      c.out.NullArray();
      return {};
    }
    streams::ReplyId(c.out, first);
    streams::ReplyId(c.out, last);
    c.out.ArrayHeader(per_consumer.size());
    for (const auto& [name, n] : per_consumer) {
      c.out.ArrayHeader(2);
      c.out.Bulk(name);
      c.out.Bulk(std::to_string(n));
    }
    return {};
  }
  if (consumer) {
    bool exists;
    store::ConsumerState unused;
    if (Status s = ref.s->GetConsumer(streams::SourceRead(src), group, *consumer, &exists, &unused);
        !s.ok()) {
      return src.Failure(s);
    }
    if (!exists) {
      c.out.ArrayHeader(0);
      return {};
    }
  }
  std::vector<store::PendingEntry> out;
  if (count > 0) {
    Status s = ref.s->Pending(it.get(), streams::SourceRead(src), group, consumer, start, end,
                              [&](const store::PendingEntry& p) {
                                if (min_idle != 0 && now - p.delivery_ms < min_idle) return true;
                                out.push_back(p);
                                return static_cast<int64_t>(out.size()) < count;
                              });
    if (!s.ok()) return src.Failure(s);
  }
  c.out.ArrayHeader(out.size());
  for (const store::PendingEntry& p : out) {
    c.out.ArrayHeader(4);
    streams::ReplyId(c.out, p.id);
    c.out.Bulk(p.consumer);
    c.out.Integer(std::max<int64_t>(0, now - p.delivery_ms));
    c.out.Integer(static_cast<int64_t>(p.delivery_count));
  }
  return {};
}

constexpr uint32_t kGroupWrite = kCmdWrite | kCmdDenyOom;

const CommandSpec kXGroupSubcommands[] = {
    {.name = "create", .arity = -5, .flags = kGroupWrite, .keys = {2, 2, 1}, .write = XGroupCreate},
    {.name = "setid", .arity = -5, .flags = kCmdWrite, .keys = {2, 2, 1}, .write = XGroupSetId},
    {.name = "destroy", .arity = 4, .flags = kCmdWrite, .keys = {2, 2, 1}, .write = XGroupDestroy},
    {.name = "createconsumer",
     .arity = 5,
     .flags = kGroupWrite,
     .keys = {2, 2, 1},
     .write = XGroupCreateConsumer},
    {.name = "delconsumer",
     .arity = 5,
     .flags = kCmdWrite,
     .keys = {2, 2, 1},
     .write = XGroupDelConsumer},
    {.name = "help", .arity = 2, .flags = kCmdLoading | kCmdStale, .handler = XGroupHelp},
};

const CommandSpec kCommands[] = {
    {.name = "xgroup", .arity = -2, .subcommands = kXGroupSubcommands},
    {.name = "xack", .arity = -4, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1}, .write = XAck},
    {.name = "xclaim",
     .arity = -6,
     .flags = kCmdWrite | kCmdFast,
     .keys = {1, 1, 1},
     .write = XClaim},
    {.name = "xautoclaim",
     .arity = -6,
     .flags = kCmdWrite | kCmdFast,
     .keys = {1, 1, 1},
     .write = XAutoClaim},
    {.name = "xpending",
     .arity = -3,
     .flags = kCmdReadonly,
     .keys = {1, 1, 1},
     .handler = XPending},
};

}  // namespace

std::span<const CommandSpec> StreamGroupCommands() { return kCommands; }

}  // namespace stash
