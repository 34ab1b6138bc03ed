// Set commands (Redis 7.0 t_set.c). Reads (SMEMBERS SISMEMBER SMISMEMBER SCARD SRANDMEMBER
// SINTER SINTERCARD SUNION SDIFF SSCAN) run on the connection's thread at one read point;
// writes (SADD SREM SPOP SMOVE SINTERSTORE SUNIONSTORE SDIFFSTORE) on the writer. Members are
// the elements of store/collection.h, with empty values; replies list them in byte order.
#include <algorithm>
#include <limits>
#include <span>

#include "cmd/collection_source.h"
#include "cmd/command_table.h"
#include "cmd/errors.h"
#include "cmd/keyspace_events.h"
#include "cmd/keyspace_util.h"
#include "resp/reply_writer.h"
#include "store/collection.h"

namespace stash {
namespace {

using store::ValueType;

// The members of a set (sorted); none when it is absent.
Status LoadMembers(CollectionSource& src, const CollectionRef& ref, std::vector<std::string>* out) {
  out->clear();
  if (ref.found) out->reserve(ref.meta.count);
  return ForEachElement(src, ref, "", [&](std::string_view e, std::string_view) {
    out->emplace_back(e);
    return true;
  });
}

void ReplySet(resp::ReplyWriter& out, const std::vector<std::string>& members) {
  out.SetHeader(members.size());
  for (const std::string& m : members) out.Bulk(m);
}

enum class SetOp { kInter, kUnion, kDiff };

// op over the sets at keys, Redis's way: an absent key is an empty set, and a key of another
// type is WRONGTYPE (every key is checked before anything is computed). limit > 0 stops an
// intersection once it has that many members (SINTERCARD). *out: sorted.
CommandStatus ComputeSetOp(CollectionSource& src, SetOp op, std::span<const std::string> keys,
                           size_t limit, std::vector<std::string>* out) {
  std::vector<CollectionRef> refs(keys.size());
  for (size_t i = 0; i < keys.size(); i++) {
    STASH_RETURN_IF_FAILED(OpenCollection(src, keys[i], ValueType::kSet, &refs[i]));
  }
  out->clear();
  std::vector<std::string> members;
  if (op == SetOp::kInter) {
    for (const CollectionRef& r : refs) {
      if (!r.found) return {};  // an empty set in an intersection
    }
    // Walk the smallest set; look each of its members up in the others.
    std::vector<size_t> order(refs.size());
    for (size_t i = 0; i < order.size(); i++) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return refs[a].meta.count < refs[b].meta.count; });
    if (Status s = LoadMembers(src, refs[order[0]], &members); !s.ok()) return src.Failure(s);
    for (const std::string& m : members) {
      bool everywhere = true;
      for (size_t j = 1; j < order.size() && everywhere; j++) {
        if (refs[order[j]].key == refs[order[0]].key) continue;
        std::string unused;
        Status s = GetElement(src, refs[order[j]], m, &unused);
        if (ReadFailed(s)) return src.Failure(s);
        everywhere = s.ok();
      }
      if (!everywhere) continue;
      out->push_back(m);
      if (limit > 0 && out->size() >= limit) break;
    }
    return {};
  }
  if (op == SetOp::kUnion) {
    for (const CollectionRef& r : refs) {
      if (Status s = LoadMembers(src, r, &members); !s.ok()) return src.Failure(s);
      out->insert(out->end(), members.begin(), members.end());
    }
    std::sort(out->begin(), out->end());
    out->erase(std::unique(out->begin(), out->end()), out->end());
    return {};
  }
  if (Status s = LoadMembers(src, refs[0], out); !s.ok()) return src.Failure(s);
  for (size_t i = 1; i < refs.size() && !out->empty(); i++) {
    if (Status s = LoadMembers(src, refs[i], &members); !s.ok()) return src.Failure(s);
    std::vector<std::string> rest;
    std::set_difference(out->begin(), out->end(), members.begin(), members.end(),
                        std::back_inserter(rest));
    *out = std::move(rest);
  }
  return {};
}

// --- reads ---

#define STASH_OPEN_SET(src, ref) \
  STASH_RETURN_IF_FAILED(OpenCollection(src, c.argv[1], ValueType::kSet, &(ref)))

CommandStatus SMembers(CommandContext& c) {
  ReadSource src(c);
  CollectionRef ref;
  STASH_OPEN_SET(src, ref);
  std::vector<std::string> members;
  if (Status s = LoadMembers(src, ref, &members); !s.ok()) return EngineError(s);
  ReplySet(c.out, members);
  return {};
}

CommandStatus SMIsMember(CommandContext& c) {
  ReadSource src(c);
  CollectionRef ref;
  STASH_OPEN_SET(src, ref);
  std::vector<int64_t> answers;
  for (size_t i = 2; i < c.argv.size(); i++) {
    std::string unused;
    Status s = GetElement(src, ref, c.argv[i], &unused);
    if (ReadFailed(s)) return EngineError(s);
    answers.push_back(s.ok() ? 1 : 0);
  }
  c.out.ArrayHeader(answers.size());
  for (int64_t a : answers) c.out.Integer(a);
  return {};
}

CommandStatus SRandMember(CommandContext& c) {
  int64_t count = 1;
  const bool with_count = c.argv.size() == 3;
  if (c.argv.size() > 3) return Fail(kSyntaxError);
  if (with_count) {
    if (!ParseInteger(c.argv[2], &count)) return Fail(kNotIntegerError);
    if (count == std::numeric_limits<int64_t>::min()) return Fail(kCountRangeError);
  }
  ReadSource src(c);
  CollectionRef ref;
  STASH_OPEN_SET(src, ref);
  if (!ref.found || count == 0) {
    with_count ? c.out.ArrayHeader(0) : c.out.Null();
    return {};
  }
  if (count < -(int64_t{1} << 32)) return Fail("ERR value is out of range");
  std::vector<std::pair<std::string, std::string>> picks;
  if (Status s = PickElements(src, ref, count, false, &picks); !s.ok()) return EngineError(s);
  if (!with_count) {
    picks.empty() ? c.out.Null() : c.out.Bulk(picks[0].first);
    return {};
  }
  c.out.ArrayHeader(picks.size());
  for (const auto& p : picks) c.out.Bulk(p.first);
  return {};
}

CommandStatus ReadSetOp(CommandContext& c, SetOp op) {
  ReadSource src(c);
  std::vector<std::string> result;
  STASH_RETURN_IF_FAILED(
      ComputeSetOp(src, op, std::span<const std::string>(c.argv).subspan(1), 0, &result));
  ReplySet(c.out, result);
  return {};
}

CommandStatus SInter(CommandContext& c) { return ReadSetOp(c, SetOp::kInter); }
CommandStatus SUnion(CommandContext& c) { return ReadSetOp(c, SetOp::kUnion); }
CommandStatus SDiff(CommandContext& c) { return ReadSetOp(c, SetOp::kDiff); }

CommandStatus SInterCard(CommandContext& c) {
  int64_t numkeys;
  if (!ParseInteger(c.argv[1], &numkeys) || numkeys < 1) {
    return Fail("ERR numkeys should be greater than 0");
  }
  if (numkeys > static_cast<int64_t>(c.argv.size()) - 2) {
    return Fail("ERR Number of keys can't be greater than number of args");
  }
  int64_t limit = 0;
  for (size_t i = 2 + static_cast<size_t>(numkeys); i < c.argv.size(); i++) {
    if (EqualsIgnoreCase(c.argv[i], "limit") && i + 1 < c.argv.size()) {
      if (!ParseInteger(c.argv[++i], &limit) || limit < 0) {
        return Fail("ERR LIMIT can't be negative");
      }
    } else {
      return Fail(kSyntaxError);
    }
  }
  ReadSource src(c);
  std::vector<std::string> result;
  STASH_RETURN_IF_FAILED(
      ComputeSetOp(src, SetOp::kInter,
                   std::span<const std::string>(c.argv).subspan(2, static_cast<size_t>(numkeys)),
                   static_cast<size_t>(limit), &result));
  c.out.Integer(static_cast<int64_t>(result.size()));
  return {};
}

CommandStatus SIsMember(CommandContext& c) { return ReplyHasElement(c, ValueType::kSet); }
CommandStatus SCard(CommandContext& c) { return ReplyCount(c, ValueType::kSet); }

CommandStatus SScan(CommandContext& c) { return ScanElements(c, ValueType::kSet, false); }

// --- writes ---

// Looks member up in the set w.
Status FindMember(WriteContext& c, const store::CollectionWrite& w, std::string_view member,
                  store::ElementRead* out) {
  return store::FindElement(c.txn, w, member, out);
}

CommandStatus SAdd(WriteContext& c) {
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenForWrite(c, c.argv[1], ValueType::kSet, &w));
  int64_t added = 0;
  for (size_t i = 2; i < c.argv.size(); i++) {
    store::ElementRead m;
    if (Status s = FindMember(c, w, c.argv[i], &m); !s.ok()) return ReadFailure(s);
    if (m.found) continue;
    store::WriteElement(c.txn, &w, c.argv[i], "", m);
    added++;
  }
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  if (added > 0) c.Notify(kNotifySet, "sadd", c.argv[1]);
  c.out.Integer(added);
  return {};
}

CommandStatus SRem(WriteContext& c) { return RemoveElements(c, ValueType::kSet); }

CommandStatus SPop(WriteContext& c) {
  int64_t count = 1;
  const bool with_count = c.argv.size() == 3;
  if (c.argv.size() > 3) return Fail(kSyntaxError);
  if (with_count && (!ParseInteger(c.argv[2], &count) || count < 0)) {
    return Fail("ERR value is out of range, must be positive");
  }
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenForWrite(c, c.argv[1], ValueType::kSet, &w));
  if (!w.existed || count == 0) {
    with_count ? c.out.SetHeader(0) : c.out.Null();
    return {};
  }
  TxnSource src(c);
  CollectionRef ref{
      .key = c.argv[1], .found = true, .expire_at_ms = w.expire_at_ms, .meta = w.meta};
  std::vector<std::pair<std::string, std::string>> picks;
  if (Status s = PickElements(src, ref, count, false, &picks); !s.ok()) return src.Failure(s);
  for (const auto& p : picks) {
    store::ElementRead m;
    if (Status s = FindMember(c, w, p.first, &m); !s.ok()) return ReadFailure(s);
    if (!m.found) return src.Failure(Status::Corruption("a set's position names no member"));
    if (Status s = store::RemoveElement(c.txn, &w, p.first, m); !s.ok()) return ReadFailure(s);
  }
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  NotifyRemoved(c, w, kNotifySet, "spop", static_cast<int64_t>(picks.size()));
  if (!with_count) {
    c.out.Bulk(picks[0].first);
    return {};
  }
  c.out.SetHeader(picks.size());
  for (const auto& p : picks) c.out.Bulk(p.first);
  return {};
}

CommandStatus SMove(WriteContext& c) {
  const std::string& member = c.argv[3];
  store::CollectionWrite src;
  bool wrong_src;
  Status s =
      store::OpenCollection(c.txn, c.db, c.argv[1], ValueType::kSet, c.now_ms, &src, &wrong_src);
  if (!s.ok()) return ReadFailure(s);
  store::CollectionWrite dst;
  bool wrong_dst;
  s = store::OpenCollection(c.txn, c.db, c.argv[2], ValueType::kSet, c.now_ms, &dst, &wrong_dst);
  if (!s.ok()) return ReadFailure(s);
  // Redis answers 0 for an absent source before it looks at the types.
  if (!src.existed && !wrong_src) {
    c.out.Integer(0);
    return {};
  }
  if (wrong_src || wrong_dst) return Fail(kWrongTypeError);
  store::ElementRead m;
  if (s = FindMember(c, src, member, &m); !s.ok()) return ReadFailure(s);
  if (!m.found || c.argv[1] == c.argv[2]) {
    c.out.Integer(m.found ? 1 : 0);
    return {};
  }
  if (s = store::RemoveElement(c.txn, &src, member, m); !s.ok()) return ReadFailure(s);
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &src));
  NotifyRemoved(c, src, kNotifySet, "srem", 1);
  store::ElementRead d;
  if (s = FindMember(c, dst, member, &d); !s.ok()) return ReadFailure(s);
  if (!d.found) {
    store::WriteElement(c.txn, &dst, member, "", d);
    STASH_RETURN_IF_FAILED(SaveForWrite(c, &dst));
    c.Notify(kNotifySet, "sadd", c.argv[2]);
  }
  c.out.Integer(1);
  return {};
}

// SINTERSTORE / SUNIONSTORE / SDIFFSTORE destination key [key ...]: the result replaces the
// destination whatever its type; an empty result deletes it.
CommandStatus StoreSetOp(WriteContext& c, SetOp op, std::string_view event) {
  TxnSource src(c);
  std::vector<std::string> result;
  STASH_RETURN_IF_FAILED(
      ComputeSetOp(src, op, std::span<const std::string>(c.argv).subspan(2), 0, &result));
  bool replaced;
  if (Status s = c.txn.Delete(c.db, c.argv[1], c.now_ms, &replaced); ReadFailed(s)) {
    return ReadFailure(s);
  }
  if (!result.empty()) {
    store::CollectionWrite w;
    STASH_RETURN_IF_FAILED(OpenForWrite(c, c.argv[1], ValueType::kSet, &w));
    for (const std::string& m : result) store::WriteElement(c.txn, &w, m, "", {});
    // Redis overwrites a destination that is there: its key is not new.
    KeyEvents::QuietNew quiet(c.events, replaced);
    STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
    c.Notify(kNotifySet, event, c.argv[1]);
  } else if (replaced) {
    c.Notify(kNotifyGeneric, "del", c.argv[1]);
  }
  c.out.Integer(static_cast<int64_t>(result.size()));
  return {};
}

CommandStatus SInterStore(WriteContext& c) { return StoreSetOp(c, SetOp::kInter, "sinterstore"); }
CommandStatus SUnionStore(WriteContext& c) { return StoreSetOp(c, SetOp::kUnion, "sunionstore"); }
CommandStatus SDiffStore(WriteContext& c) { return StoreSetOp(c, SetOp::kDiff, "sdiffstore"); }

constexpr uint32_t kRead = kCmdReadonly | kCmdFast;
constexpr uint32_t kWrite = kCmdWrite | kCmdDenyOom;

const CommandSpec kCommands[] = {
    {.name = "smembers", .arity = 2, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = SMembers},
    {.name = "sismember", .arity = 3, .flags = kRead, .keys = {1, 1, 1}, .handler = SIsMember},
    {.name = "smismember", .arity = -3, .flags = kRead, .keys = {1, 1, 1}, .handler = SMIsMember},
    {.name = "scard", .arity = 2, .flags = kRead, .keys = {1, 1, 1}, .handler = SCard},
    {.name = "srandmember",
     .arity = -2,
     .flags = kCmdReadonly,
     .keys = {1, 1, 1},
     .handler = SRandMember},
    {.name = "sinter", .arity = -2, .flags = kCmdReadonly, .keys = {1, -1, 1}, .handler = SInter},
    {.name = "sintercard",
     .arity = -3,
     .flags = kCmdReadonly,
     .keys = {2, 2, 1},
     .handler = SInterCard},
    {.name = "sunion", .arity = -2, .flags = kCmdReadonly, .keys = {1, -1, 1}, .handler = SUnion},
    {.name = "sdiff", .arity = -2, .flags = kCmdReadonly, .keys = {1, -1, 1}, .handler = SDiff},
    {.name = "sscan", .arity = -3, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = SScan},
    {.name = "sadd", .arity = -3, .flags = kWrite | kCmdFast, .keys = {1, 1, 1}, .write = SAdd},
    {.name = "srem", .arity = -3, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1}, .write = SRem},
    {.name = "spop", .arity = -2, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1}, .write = SPop},
    {.name = "smove", .arity = 4, .flags = kCmdWrite | kCmdFast, .keys = {1, 2, 1}, .write = SMove},
    {.name = "sinterstore", .arity = -3, .flags = kWrite, .keys = {1, -1, 1}, .write = SInterStore},
    {.name = "sunionstore", .arity = -3, .flags = kWrite, .keys = {1, -1, 1}, .write = SUnionStore},
    {.name = "sdiffstore", .arity = -3, .flags = kWrite, .keys = {1, -1, 1}, .write = SDiffStore},
};

}  // namespace

std::span<const CommandSpec> SetCommands() { return kCommands; }

}  // namespace stash
