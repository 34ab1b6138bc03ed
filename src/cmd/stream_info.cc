// XINFO STREAM [FULL [COUNT n]] | GROUPS | CONSUMERS | HELP (Redis 7.0 xinfoCommand), read on
// the connection's thread at one read point. radix-tree-keys is the number of nodes Redis would
// hold (store/stream.h keeps the count); radix-tree-nodes, a detail of Redis's radix tree, is
// given as that number plus one.
#include "cmd/command_table.h"
#include "cmd/reply_util.h"
#include "cmd/stream_util.h"
#include "resp/reply_writer.h"

namespace stash {
namespace {

using store::StreamId;

std::string SubcommandSyntaxError(const std::vector<std::string>& argv) {
  return "ERR unknown subcommand or wrong number of arguments for '" + argv[1].substr(0, 128) +
         "'. Try XINFO HELP.";
}

// Opens argv[2] as a stream; a missing key is an error.
CommandStatus OpenInfo(CommandContext& c, ReadSource& src, streams::StreamRef* ref) {
  STASH_RETURN_IF_FAILED(OpenStream(src, c.argv[2], ref));
  if (!ref->found) return Fail(kNoSuchKeyError);
  return {};
}

void ReplyLag(resp::ReplyWriter& out, const store::Stream& s, const store::GroupState& g) {
  std::optional<int64_t> lag = streams::GroupLag(s, g);
  lag ? out.Integer(*lag) : out.Null();
}

void ReplyEntriesRead(resp::ReplyWriter& out, const store::GroupState& g) {
  g.entries_read != store::kInvalidEntriesRead ? out.Integer(g.entries_read) : out.Null();
}

CommandStatus XInfoStream(CommandContext& c) {
  ReadSource src(c);
  streams::StreamRef ref;
  STASH_RETURN_IF_FAILED(OpenInfo(c, src, &ref));
  bool full = false;
  int64_t count = 10;
  const size_t optc = c.argv.size() - 3;
  if (optc != 0) {
    if ((optc != 1 && optc != 3) || !EqualsIgnoreCase(c.argv[3], "full")) {
      return Fail(SubcommandSyntaxError(c.argv));
    }
    full = true;
    if (optc == 3) {
      if (!EqualsIgnoreCase(c.argv[4], "count")) return Fail(SubcommandSyntaxError(c.argv));
      if (!ParseInteger(c.argv[5], &count)) return Fail(kNotIntegerError);
      if (count < 0) count = 10;
    }
  }
  const store::Stream& s = *ref.s;
  std::unique_ptr<Iterator> it = src.NewIterator();
  const uint64_t nodes = s.meta.nodes;

  // Everything is read before the reply starts (a failed read replies only the error).
  streams::Entries first, last, entries;
  struct GroupInfo {
    std::string name;
    store::GroupState g;
    std::vector<store::PendingEntry> pel;
    struct Consumer {
      std::string name;
      store::ConsumerState state;
      uint64_t pending = 0;
      std::vector<store::PendingEntry> pel;
    };
    std::vector<Consumer> consumers;
  };
  std::vector<GroupInfo> groups;
  const auto limit = static_cast<uint64_t>(count);
  Status st;
  if (!full) {
    st = streams::ReadRange(it.get(), s, StreamId{}, store::kMaxStreamId, false, 1, &first);
    if (st.ok()) {
      st = streams::ReadRange(it.get(), s, StreamId{}, store::kMaxStreamId, true, 1, &last);
    }
  } else {
    st = streams::ReadRange(it.get(), s, StreamId{}, store::kMaxStreamId, false, limit, &entries);
    if (st.ok()) {
      st = s.Groups(it.get(), [&](std::string_view name, const store::GroupState& g) {
        groups.push_back(GroupInfo{std::string(name), g, {}, {}});
        return true;
      });
    }
    for (GroupInfo& gi : groups) {
      if (!st.ok()) break;
      st = s.Pending(it.get(), streams::SourceRead(src), gi.name, std::nullopt, StreamId{},
                     store::kMaxStreamId, [&](const store::PendingEntry& p) {
                       gi.pel.push_back(p);
                       return limit == 0 || gi.pel.size() < limit;
                     });
      if (st.ok()) {
        st = s.Consumers(it.get(), gi.name,
                         [&](std::string_view name, const store::ConsumerState& cs) {
                           gi.consumers.push_back({std::string(name), cs, 0, {}});
                           return true;
                         });
      }
      for (auto& cons : gi.consumers) {
        if (!st.ok()) break;
        st = s.CountPending(it.get(), gi.name, cons.name, &cons.pending);
        if (st.ok()) {
          st = s.Pending(it.get(), streams::SourceRead(src), gi.name, cons.name, StreamId{},
                         store::kMaxStreamId, [&](const store::PendingEntry& p) {
                           cons.pel.push_back(p);
                           return limit == 0 || cons.pel.size() < limit;
                         });
        }
      }
    }
  }
  if (!st.ok()) return src.Failure(st);

  c.out.MapHeader(full ? 9 : 10);
  c.out.Bulk("length");
  c.out.Integer(static_cast<int64_t>(s.length));
  c.out.Bulk("radix-tree-keys");
  c.out.Integer(static_cast<int64_t>(nodes));
  c.out.Bulk("radix-tree-nodes");
  c.out.Integer(static_cast<int64_t>(nodes + 1));
  c.out.Bulk("last-generated-id");
  streams::ReplyId(c.out, s.meta.last);
  c.out.Bulk("max-deleted-entry-id");
  streams::ReplyId(c.out, s.meta.max_deleted);
  c.out.Bulk("entries-added");
  c.out.Integer(static_cast<int64_t>(s.meta.entries_added));
  c.out.Bulk("recorded-first-entry-id");
  streams::ReplyId(c.out, s.meta.first);
  if (!full) {
    c.out.Bulk("groups");
    c.out.Integer(static_cast<int64_t>(s.meta.groups));
    for (auto* part : {&first, &last}) {
      c.out.Bulk(part == &first ? "first-entry" : "last-entry");
      if (part->empty()) {
        c.out.Null();
        continue;
      }
      std::vector<std::string_view> fields;
      store::DecodeEntry(part->front().second, &fields);
      c.out.ArrayHeader(2);
      streams::ReplyId(c.out, part->front().first);
      c.out.ArrayHeader(fields.size());
      for (std::string_view f : fields) c.out.Bulk(f);
    }
    return {};
  }
  c.out.Bulk("entries");
  if (Status e = streams::ReplyEntries(c.out, entries); !e.ok()) return src.Failure(e);
  c.out.Bulk("groups");
  c.out.ArrayHeader(groups.size());
  for (const GroupInfo& gi : groups) {
    c.out.MapHeader(7);
    c.out.Bulk("name");
    c.out.Bulk(gi.name);
    c.out.Bulk("last-delivered-id");
    streams::ReplyId(c.out, gi.g.last);
    c.out.Bulk("entries-read");
    ReplyEntriesRead(c.out, gi.g);
    c.out.Bulk("lag");
    ReplyLag(c.out, s, gi.g);
    c.out.Bulk("pel-count");
    c.out.Integer(static_cast<int64_t>(gi.g.pending));
    c.out.Bulk("pending");
    c.out.ArrayHeader(gi.pel.size());
    for (const store::PendingEntry& p : gi.pel) {
      c.out.ArrayHeader(4);
      streams::ReplyId(c.out, p.id);
      c.out.Bulk(p.consumer);
      c.out.Integer(p.delivery_ms);
      c.out.Integer(static_cast<int64_t>(p.delivery_count));
    }
    c.out.Bulk("consumers");
    c.out.ArrayHeader(gi.consumers.size());
    for (const auto& cons : gi.consumers) {
      c.out.MapHeader(4);
      c.out.Bulk("name");
      c.out.Bulk(cons.name);
      c.out.Bulk("seen-time");
      c.out.Integer(cons.state.seen_ms);
      c.out.Bulk("pel-count");
      c.out.Integer(static_cast<int64_t>(cons.pending));
      c.out.Bulk("pending");
      c.out.ArrayHeader(cons.pel.size());
      for (const store::PendingEntry& p : cons.pel) {
        c.out.ArrayHeader(3);
        streams::ReplyId(c.out, p.id);
        c.out.Integer(p.delivery_ms);
        c.out.Integer(static_cast<int64_t>(p.delivery_count));
      }
    }
  }
  return {};
}

CommandStatus XInfoGroups(CommandContext& c) {
  ReadSource src(c);
  streams::StreamRef ref;
  STASH_RETURN_IF_FAILED(OpenInfo(c, src, &ref));
  std::unique_ptr<Iterator> it = src.NewIterator();
  std::vector<std::pair<std::string, store::GroupState>> groups;
  Status st = ref.s->Groups(it.get(), [&](std::string_view name, const store::GroupState& g) {
    groups.emplace_back(std::string(name), g);
    return true;
  });
  if (!st.ok()) return src.Failure(st);
  c.out.ArrayHeader(groups.size());
  for (const auto& [name, g] : groups) {
    c.out.MapHeader(6);
    c.out.Bulk("name");
    c.out.Bulk(name);
    c.out.Bulk("consumers");
    c.out.Integer(static_cast<int64_t>(g.consumers));
    c.out.Bulk("pending");
    c.out.Integer(static_cast<int64_t>(g.pending));
    c.out.Bulk("last-delivered-id");
    streams::ReplyId(c.out, g.last);
    c.out.Bulk("entries-read");
    ReplyEntriesRead(c.out, g);
    c.out.Bulk("lag");
    ReplyLag(c.out, *ref.s, g);
  }
  return {};
}

CommandStatus XInfoConsumers(CommandContext& c) {
  ReadSource src(c);
  streams::StreamRef ref;
  STASH_RETURN_IF_FAILED(OpenInfo(c, src, &ref));
  std::unique_ptr<Iterator> it = src.NewIterator();
  bool found;
  store::GroupState g;
  if (Status st = ref.s->GetGroup(streams::SourceRead(src), c.argv[3], &found, &g); !st.ok()) {
    return src.Failure(st);
  }
  if (!found) {
    return Fail("NOGROUP No such consumer group '" + streams::CString(c.argv[3]) +
                "' for key name '" + streams::CString(c.argv[2]) + "'");
  }
  std::vector<std::tuple<std::string, store::ConsumerState, uint64_t>> consumers;
  Status st = ref.s->Consumers(it.get(), c.argv[3],
                               [&](std::string_view name, const store::ConsumerState& cs) {
                                 consumers.emplace_back(std::string(name), cs, 0);
                                 return true;
                               });
  for (auto& [name, cs, pending] : consumers) {
    if (st.ok()) st = ref.s->CountPending(it.get(), c.argv[3], name, &pending);
  }
  if (!st.ok()) return src.Failure(st);
  const int64_t now = NowMs();
  c.out.ArrayHeader(consumers.size());
  for (const auto& [name, cs, pending] : consumers) {
    c.out.MapHeader(3);
    c.out.Bulk("name");
    c.out.Bulk(name);
    c.out.Bulk("pending");
    c.out.Integer(static_cast<int64_t>(pending));
    c.out.Bulk("idle");
    c.out.Integer(std::max<int64_t>(0, now - cs.seen_ms));
  }
  return {};
}

CommandStatus XInfoHelp(CommandContext& c) {
  static constexpr std::string_view kLines[] = {
      "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
      "HELP",
      "    Prints this help."};
  ReplyHelp(c.out, kLines);
  return {};
}

const CommandSpec kXInfoSubcommands[] = {
    {.name = "stream",
     .arity = -3,
     .flags = kCmdReadonly,
     .keys = {2, 2, 1},
     .handler = XInfoStream},
    {.name = "groups",
     .arity = 3,
     .flags = kCmdReadonly,
     .keys = {2, 2, 1},
     .handler = XInfoGroups},
    {.name = "consumers",
     .arity = 4,
     .flags = kCmdReadonly,
     .keys = {2, 2, 1},
     .handler = XInfoConsumers},
    {.name = "help", .arity = 2, .flags = kCmdLoading | kCmdStale, .handler = XInfoHelp},
};

const CommandSpec kCommands[] = {
    {.name = "xinfo", .arity = -2, .subcommands = kXInfoSubcommands},
};

}  // namespace

std::span<const CommandSpec> StreamInfoCommands() { return kCommands; }

}  // namespace stash
