// Sorted set commands (Redis 7.0 t_zset.c). Reads (ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT
// ZLEXCOUNT ZRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX ZREVRANGE
// ZRANDMEMBER ZUNION ZINTER ZDIFF ZINTERCARD ZSCAN) run on the connection's thread at one read
// point; writes (ZADD ZINCRBY ZREM ZREMRANGEBY* ZPOPMIN ZPOPMAX ZMPOP ZRANGESTORE ZUNIONSTORE
// ZINTERSTORE ZDIFFSTORE) and the blocking pops (BZPOPMIN BZPOPMAX BZMPOP) on the writer.
// Storage and costs: store/zset.h. Each check happens where Redis makes it, so that a command
// with a bad argument and a key of the wrong type replies what Redis replies.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <span>

#include "cmd/blocking.h"
#include "cmd/collection_source.h"
#include "cmd/command_table.h"
#include "cmd/errors.h"
#include "cmd/keyspace_events.h"
#include "cmd/keyspace_util.h"
#include "cmd/zset_ranges.h"
#include "cmd/zset_setops.h"
#include "config/notify_flags.h"
#include "resp/reply_writer.h"
#include "store/zset.h"

namespace stash {
namespace {

using store::ValueType;

using namespace zset;  // NOLINT: the sorted-set reads (zset_ranges.h)
#define STASH_OPEN_ZSET(src, key, ref) \
  STASH_RETURN_IF_FAILED(OpenCollection(src, key, ValueType::kZSet, &(ref)))

CommandStatus RangeRead(CommandContext& c, size_t key_at, std::optional<By> by,
                        std::optional<bool> rev) {
  RangeArgs a;
  const auto args = std::span<const std::string>(c.argv).subspan(key_at);
  STASH_RETURN_IF_FAILED(ParseRange(args, by, rev, false, &a));
  ReadSource src(c);
  CollectionRef ref;
  STASH_OPEN_ZSET(src, args[0], ref);
  std::vector<Scored> items;
  if (ref.found) {
    std::unique_ptr<Iterator> it = src.NewIterator();
    ZView z{it.get(), src.slot(), ref.key, ref.meta};
    if (Status s = ComputeRange(z, a, &items); !s.ok()) return EngineError(s);
  }
  ReplyScored(c.out, items, a.with_scores);
  return {};
}

CommandStatus ZRange(CommandContext& c) { return RangeRead(c, 1, std::nullopt, std::nullopt); }
CommandStatus ZRevRange(CommandContext& c) { return RangeRead(c, 1, By::kRank, true); }
CommandStatus ZRangeByScore(CommandContext& c) { return RangeRead(c, 1, By::kScore, false); }
CommandStatus ZRevRangeByScore(CommandContext& c) { return RangeRead(c, 1, By::kScore, true); }
CommandStatus ZRangeByLex(CommandContext& c) { return RangeRead(c, 1, By::kLex, false); }
CommandStatus ZRevRangeByLex(CommandContext& c) { return RangeRead(c, 1, By::kLex, true); }

// --- other reads ---

CommandStatus ZCard(CommandContext& c) { return ReplyCount(c, ValueType::kZSet); }

CommandStatus ZScore(CommandContext& c) {
  ReadSource src(c);
  CollectionRef ref;
  STASH_OPEN_ZSET(src, c.argv[1], ref);
  double score;
  Status s = MemberScore(src, ref, c.argv[2], &score);
  if (ReadFailed(s)) return EngineError(s);
  ReplyScoreOrNull(c.out, s.ok() ? std::optional<double>(score) : std::nullopt);
  return {};
}

CommandStatus ZMScore(CommandContext& c) {
  ReadSource src(c);
  CollectionRef ref;
  STASH_OPEN_ZSET(src, c.argv[1], ref);
  std::vector<std::optional<double>> scores;
  for (size_t i = 2; i < c.argv.size(); i++) {
    double score;
    Status s = MemberScore(src, ref, c.argv[i], &score);
    if (ReadFailed(s)) return EngineError(s);
    scores.push_back(s.ok() ? std::optional<double>(score) : std::nullopt);
  }
  c.out.ArrayHeader(scores.size());
  for (const auto& s : scores) ReplyScoreOrNull(c.out, s);
  return {};
}

CommandStatus RankRead(CommandContext& c, bool reverse) {
  ReadSource src(c);
  CollectionRef ref;
  STASH_OPEN_ZSET(src, c.argv[1], ref);
  double score;
  Status s = MemberScore(src, ref, c.argv[2], &score);
  if (ReadFailed(s)) return EngineError(s);
  if (!s.ok()) {
    c.out.Null();
    return {};
  }
  std::unique_ptr<Iterator> it = src.NewIterator();
  int64_t rank = 0;
  s = Rank({it.get(), src.slot(), ref.key, ref.meta}, c.argv[2], score, reverse, &rank);
  if (!s.ok()) return EngineError(s);
  c.out.Integer(rank);
  return {};
}

CommandStatus ZRank(CommandContext& c) { return RankRead(c, false); }
CommandStatus ZRevRank(CommandContext& c) { return RankRead(c, true); }

CommandStatus ZCount(CommandContext& c) {
  ScoreRange r;
  if (!ParseScoreRange(c.argv[2], c.argv[3], &r)) return Fail(kBadScoreRange);
  ReadSource src(c);
  CollectionRef ref;
  STASH_OPEN_ZSET(src, c.argv[1], ref);
  int64_t n = 0;
  if (ref.found) {
    std::unique_ptr<Iterator> it = src.NewIterator();
    Status s = CountInRange({it.get(), src.slot(), ref.key, ref.meta}, r, &n);
    if (!s.ok()) return EngineError(s);
  }
  c.out.Integer(n);
  return {};
}

CommandStatus ZLexCount(CommandContext& c) {
  LexRange r;
  if (!ParseLexRange(c.argv[2], c.argv[3], &r)) return Fail(kBadLexRange);
  ReadSource src(c);
  CollectionRef ref;
  STASH_OPEN_ZSET(src, c.argv[1], ref);
  std::vector<Scored> items;
  if (ref.found) {
    std::unique_ptr<Iterator> it = src.NewIterator();
    Status s = LexRangeMembers({it.get(), src.slot(), ref.key, ref.meta}, r, false, {}, &items);
    if (!s.ok()) return EngineError(s);
  }
  c.out.Integer(static_cast<int64_t>(items.size()));
  return {};
}

CommandStatus ZRandMember(CommandContext& c) {
  RandomArgs a;
  STASH_RETURN_IF_FAILED(ParseRandomArgs(c.argv, "withscores", &a));
  ReadSource src(c);
  CollectionRef ref;
  STASH_OPEN_ZSET(src, c.argv[1], ref);
  std::vector<std::pair<std::string, std::string>> picks;
  bool replied;
  STASH_RETURN_IF_FAILED(PickRandom(c, src, ref, a, &picks, &replied));
  if (replied) return {};
  const bool with_scores = a.with_values;
  std::vector<Scored> items;
  for (auto& [member, value] : picks) {
    double score = 0;
    if (with_scores && !store::DecodeScore(value, &score)) {
      return EngineError(Status::Corruption("damaged score of a sorted set member"));
    }
    items.push_back({std::move(member), score});
  }
  ReplyScored(c.out, items, with_scores);
  return {};
}

CommandStatus ZScan(CommandContext& c) { return ScanElements(c, ValueType::kZSet, true); }

// --- ZUNION / ZINTER / ZDIFF ---

CommandStatus SetOpRead(CommandContext& c, SetOp op, std::string_view name) {
  ReadSource src(c);
  SetOpArgs a;
  std::vector<Input> inputs;
  STASH_RETURN_IF_FAILED(ParseSetOp(src, c.argv, 1, op, false, false, name, &a, &inputs));
  ReplyScored(c.out, ComputeSetOp(op, a, inputs, false), a.with_scores);
  return {};
}

CommandStatus ZUnion(CommandContext& c) { return SetOpRead(c, SetOp::kUnion, "zunion"); }
CommandStatus ZInter(CommandContext& c) { return SetOpRead(c, SetOp::kInter, "zinter"); }
CommandStatus ZDiff(CommandContext& c) { return SetOpRead(c, SetOp::kDiff, "zdiff"); }

CommandStatus ZInterCard(CommandContext& c) {
  ReadSource src(c);
  SetOpArgs a;
  std::vector<Input> inputs;
  STASH_RETURN_IF_FAILED(
      ParseSetOp(src, c.argv, 1, SetOp::kInter, false, true, "zintercard", &a, &inputs));
  c.out.Integer(static_cast<int64_t>(ComputeSetOp(SetOp::kInter, a, inputs, true).size()));
  return {};
}

// --- writes ---

// Redis's listpack-to-skiplist rule: a sorted set about to hold entries members, one of them
// longest bytes long, is a skiplist from then on (it never goes back).
void MarkSkiplist(WriteContext& c, store::CollectionWrite* w, size_t entries, size_t longest) {
  if (w->meta.skiplist()) return;
  if (static_cast<int64_t>(entries) > c.zset_listpack.first ||
      static_cast<int64_t>(longest) > c.zset_listpack.second) {
    w->meta.non_integers = 1;
    w->changed = true;
  }
}

// Opens key as a sorted set for a write command (WRONGTYPE for another type).
CommandStatus OpenZSet(WriteContext& c, std::string_view key, store::CollectionWrite* w) {
  return OpenForWrite(c, key, ValueType::kZSet, w);
}

// The sorted set w as the group's Txn sees it, for a walk.
struct TxnZView {
  std::unique_ptr<Iterator> it;
  ZView view;
  TxnZView(WriteContext& c, const store::CollectionWrite& w)
      : it(c.txn.NewRawIterator()), view{it.get(), w.slot, w.key, w.meta} {}
};

// Removes the given members (they are there) from w.
CommandStatus RemoveMembers(WriteContext& c, store::CollectionWrite* w,
                            const std::vector<Scored>& members) {
  for (const Scored& m : members) {
    store::ElementRead old;
    Status s = store::FindElement(c.txn, *w, m.member, &old);
    if (s.ok() && !old.found) s = Status::Corruption("a sorted set's index names no member");
    if (s.ok()) s = store::RemoveMember(c.txn, w, m.member, old);
    if (!s.ok()) return ReadFailure(c.txn.Fail(s));
  }
  return {};
}

// How Redis builds a stored result, which decides its size class (and so whether -0 stays):
// the set operations build a skiplist and make it a listpack if it fits; ZRANGESTORE starts as
// a listpack (a skiplist when a rank range is known to be longer than a listpack holds) and
// converts when a member outgrows it.
enum class Build { kSetOp, kRange, kRankRange };

// Replaces dst with the members (none: deletes it); the reply is the count. event: the
// command's (Redis's setKey semantics: a destination that was there is overwritten, not new).
CommandStatus StoreResult(WriteContext& c, std::string_view dst, const std::vector<Scored>& items,
                          std::string_view event, Build build) {
  bool replaced;
  if (Status s = c.txn.Delete(c.db, dst, c.now_ms, &replaced); ReadFailed(s)) {
    return ReadFailure(s);
  }
  if (!items.empty()) {
    store::CollectionWrite w;
    STASH_RETURN_IF_FAILED(OpenZSet(c, dst, &w));
    if (build == Build::kSetOp) {
      size_t longest = 0;
      for (const Scored& m : items) longest = std::max(longest, m.member.size());
      MarkSkiplist(c, &w, items.size(), longest);
    } else if (build == Build::kRankRange) {
      MarkSkiplist(c, &w, items.size(), 0);
    }
    for (const Scored& m : items) {
      if (build != Build::kSetOp) MarkSkiplist(c, &w, w.meta.count + 1, m.member.size());
      store::PutMember(c.txn, &w, m.member, m.score, {});
    }
    KeyEvents::QuietNew quiet(c.events, replaced);
    STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
    c.Notify(kNotifyZset, event, dst);
  } else if (replaced) {
    c.Notify(kNotifyGeneric, "del", dst);
  }
  c.out.Integer(static_cast<int64_t>(items.size()));
  return {};
}

// ZADD's flags (zaddGenericCommand).
struct AddFlags {
  bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
};

CommandStatus ZAddGeneric(WriteContext& c, bool incr_command) {
  AddFlags f;
  f.incr = incr_command;
  size_t at = 2;
  for (; at < c.argv.size(); at++) {
    const std::string& opt = c.argv[at];
    if (EqualsIgnoreCase(opt, "nx")) {
      f.nx = true;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      f.xx = true;
    } else if (EqualsIgnoreCase(opt, "ch")) {
      f.ch = true;
    } else if (EqualsIgnoreCase(opt, "incr")) {
      f.incr = true;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      f.gt = true;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      f.lt = true;
    } else {
      break;
    }
  }
  const size_t args = c.argv.size() - at;
  if (args % 2 != 0 || args == 0) return Fail(kSyntaxError);
  const size_t pairs = args / 2;
  if (f.nx && f.xx) return Fail("ERR XX and NX options at the same time are not compatible");
  if ((f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt)) {
    return Fail("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (f.incr && pairs > 1) return Fail("ERR INCR option supports a single increment-element pair");
  std::vector<double> scores(pairs);
  for (size_t j = 0; j < pairs; j++) {
    if (!ParseScore(c.argv[at + 2 * j], &scores[j])) return Fail(kNotFloat);
  }
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenZSet(c, c.argv[1], &w));
  if (!w.existed && !f.xx) {
    // Redis 7.0 creates a skiplist only when a listpack could not take the first member.
    MarkSkiplist(c, &w, 1, c.argv[at + 1].size());
  }
  int64_t added = 0, updated = 0, processed = 0;
  double last = 0;
  if (w.existed || !f.xx) {
    for (size_t j = 0; j < pairs; j++) {
      const std::string& member = c.argv[at + 2 * j + 1];
      double score = scores[j];
      store::ElementRead old;
      if (Status s = store::FindElement(c.txn, w, member, &old); !s.ok()) return ReadFailure(s);
      if (old.found) {
        if (f.nx) continue;
        double cur;
        if (!store::DecodeScore(old.value, &cur)) {
          return ReadFailure(c.txn.Fail(Status::Corruption("damaged score")));
        }
        if (f.incr) {
          score += cur;
          if (std::isnan(score)) return Fail("ERR resulting score is not a number (NaN)");
        }
        if ((f.lt && score >= cur) || (f.gt && score <= cur)) continue;
        processed++;
        if (score != cur) {  // -0 over 0 (or back) changes nothing, as in Redis
          updated++;
          store::PutMember(c.txn, &w, member, score, old);
        }
      } else {
        if (f.xx) continue;
        MarkSkiplist(c, &w, w.meta.count + 1, member.size());
        store::PutMember(c.txn, &w, member, score, old);
        added++;
        processed++;
      }
      last = score;
    }
  }
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  if (added > 0 || updated > 0) c.Notify(kNotifyZset, f.incr ? "zincr" : "zadd", c.argv[1]);
  if (f.incr) {
    processed > 0 ? c.out.Double(last) : c.out.Null();
  } else {
    c.out.Integer(f.ch ? added + updated : added);
  }
  return {};
}

CommandStatus ZAdd(WriteContext& c) { return ZAddGeneric(c, false); }
CommandStatus ZIncrBy(WriteContext& c) { return ZAddGeneric(c, true); }

CommandStatus ZRem(WriteContext& c) {
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenZSet(c, c.argv[1], &w));
  int64_t removed = 0;
  for (size_t i = 2; i < c.argv.size() && w.existed; i++) {
    store::ElementRead old;
    Status s = store::FindElement(c.txn, w, c.argv[i], &old);
    if (s.ok() && old.found) s = store::RemoveMember(c.txn, &w, c.argv[i], old);
    if (!s.ok()) return ReadFailure(s);
    removed += old.found ? 1 : 0;
  }
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  NotifyRemoved(c, w, kNotifyZset, "zrem", removed);
  c.out.Integer(removed);
  return {};
}

// After ZREMRANGEBYRANK / ZREMRANGEBYSCORE removed items (ascending): when they were the lowest
// (a rank range from 0, a score range from -inf) or the highest members, the walks from that
// end skip them from now on (the usual trim: ZREMRANGEBYRANK k 0 -101).
void RaiseFloorAfter(store::CollectionWrite* w, const RangeArgs& a,
                     const std::vector<Scored>& items) {
  if (items.empty()) return;
  const uint64_t before = w->meta.count + items.size();
  bool lowest = false, highest = false;
  if (a.by == By::kRank) {
    uint64_t from, n;
    ClipRanks(a.start, a.stop, before, &from, &n);
    lowest = from == 0;
    highest = from + n == before;
  } else if (a.by == By::kScore) {
    lowest = a.score.min == -HUGE_VAL && !a.score.minex;
    highest = a.score.max == HUGE_VAL && !a.score.maxex;
  }
  if (lowest) store::RaiseFloor(w, false, items.back().score, items.back().member);
  if (highest) store::RaiseFloor(w, true, items.front().score, items.front().member);
}

CommandStatus RemoveRange(WriteContext& c, By by, std::string_view event) {
  RangeArgs a;
  a.by = by;
  if (by == By::kRank) {
    if (!ParseInteger(c.argv[2], &a.start) || !ParseInteger(c.argv[3], &a.stop)) {
      return Fail(kNotIntegerError);
    }
  } else if (by == By::kScore) {
    if (!ParseScoreRange(c.argv[2], c.argv[3], &a.score)) return Fail(kBadScoreRange);
  } else if (!ParseLexRange(c.argv[2], c.argv[3], &a.lex)) {
    return Fail(kBadLexRange);
  }
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenZSet(c, c.argv[1], &w));
  std::vector<Scored> items;
  if (w.existed) {
    TxnZView z(c, w);
    if (Status s = ComputeRange(z.view, a, &items); !s.ok()) return ReadFailure(c.txn.Fail(s));
  }
  STASH_RETURN_IF_FAILED(RemoveMembers(c, &w, items));
  RaiseFloorAfter(&w, a, items);
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  NotifyRemoved(c, w, kNotifyZset, event, static_cast<int64_t>(items.size()));
  c.out.Integer(static_cast<int64_t>(items.size()));
  return {};
}

CommandStatus ZRemRangeByRank(WriteContext& c) {
  return RemoveRange(c, By::kRank, "zremrangebyrank");
}
CommandStatus ZRemRangeByScore(WriteContext& c) {
  return RemoveRange(c, By::kScore, "zremrangebyscore");
}
CommandStatus ZRemRangeByLex(WriteContext& c) { return RemoveRange(c, By::kLex, "zremrangebylex"); }

CommandStatus ZRangeStore(WriteContext& c) {
  RangeArgs a;
  const auto args = std::span<const std::string>(c.argv).subspan(2);
  STASH_RETURN_IF_FAILED(ParseRange(args, std::nullopt, std::nullopt, true, &a));
  TxnSource src(c);
  CollectionRef ref;
  STASH_OPEN_ZSET(src, args[0], ref);
  std::vector<Scored> items;
  if (ref.found) {
    std::unique_ptr<Iterator> it = src.NewIterator();
    if (Status s = ComputeRange({it.get(), src.slot(), ref.key, ref.meta}, a, &items); !s.ok()) {
      return src.Failure(s);
    }
  }
  return StoreResult(c, c.argv[1], items, "zrangestore",
                     a.by == By::kRank ? Build::kRankRange : Build::kRange);
}

CommandStatus SetOpStore(WriteContext& c, SetOp op, std::string_view name) {
  TxnSource src(c);
  SetOpArgs a;
  std::vector<Input> inputs;
  STASH_RETURN_IF_FAILED(ParseSetOp(src, c.argv, 2, op, true, false, name, &a, &inputs));
  return StoreResult(c, c.argv[1], ComputeSetOp(op, a, inputs, false), name, Build::kSetOp);
}

CommandStatus ZUnionStore(WriteContext& c) { return SetOpStore(c, SetOp::kUnion, "zunionstore"); }
CommandStatus ZInterStore(WriteContext& c) { return SetOpStore(c, SetOp::kInter, "zinterstore"); }
CommandStatus ZDiffStore(WriteContext& c) { return SetOpStore(c, SetOp::kDiff, "zdiffstore"); }

// --- pops ---

// How a pop replies (genericZpopCommand): flat [m, s, ...] (ZPOPMIN in RESP2 or without a
// count), nested [[m, s] ...] (ZPOPMIN with a count in RESP3), [key, m, s] (BZPOPMIN), or
// [key, [[m, s] ...]] (ZMPOP, BZMPOP).
enum class PopReply { kFlat, kNested, kKeyFlat, kKeyNested };

// Pops up to count members (count < 0: one) from w's lowest (or highest) end and replies.
CommandStatus PopAndReply(WriteContext& c, store::CollectionWrite* w, bool max, int64_t count,
                          PopReply how) {
  std::vector<Scored> items;
  {
    TxnZView z(c, *w);
    store::ScoreStart start;
    start.from_end = max;
    const uint64_t n = count < 0 ? 1 : static_cast<uint64_t>(count);
    Status s = Walk(z.view, start, [&](std::string_view m, double score) {
      items.push_back({std::string(m), score});
      return items.size() < n;
    });
    if (!s.ok()) return ReadFailure(c.txn.Fail(s));
  }
  STASH_RETURN_IF_FAILED(RemoveMembers(c, w, items));
  if (!items.empty()) store::RaiseFloor(w, max, items.back().score, items.back().member);
  STASH_RETURN_IF_FAILED(SaveForWrite(c, w));
  NotifyRemoved(c, *w, kNotifyZset, max ? "zpopmax" : "zpopmin",
                static_cast<int64_t>(items.size()));
  const bool nested = how == PopReply::kNested || how == PopReply::kKeyNested;
  switch (how) {
    case PopReply::kFlat:
      c.out.ArrayHeader(items.size() * 2);
      break;
    case PopReply::kNested:
      c.out.ArrayHeader(items.size());
      break;
    case PopReply::kKeyFlat:
      c.out.ArrayHeader(items.size() * 2 + 1);
      c.out.Bulk(w->key);
      break;
    case PopReply::kKeyNested:
      c.out.ArrayHeader(2);
      c.out.Bulk(w->key);
      c.out.ArrayHeader(items.size());
      break;
  }
  for (const Scored& e : items) {
    if (nested) c.out.ArrayHeader(2);
    c.out.Bulk(e.member);
    c.out.Double(e.score);
  }
  return {};
}

CommandStatus ZPop(WriteContext& c, bool max) {
  if (c.argv.size() > 3) return Fail(kSyntaxError);
  int64_t count = -1;
  if (c.argv.size() == 3 && (!ParseInteger(c.argv[2], &count) || count < 0)) {
    return Fail("ERR value is out of range, must be positive");
  }
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenZSet(c, c.argv[1], &w));
  if (!w.existed || count == 0) {
    c.out.ArrayHeader(0);
    return {};
  }
  const bool nested = c.out.protocol() >= 3 && count != -1;
  return PopAndReply(c, &w, max, count, nested ? PopReply::kNested : PopReply::kFlat);
}

CommandStatus ZPopMin(WriteContext& c) { return ZPop(c, false); }
CommandStatus ZPopMax(WriteContext& c) { return ZPop(c, true); }

// Pops from the first key of keys that holds a sorted set (a key of another type is
// WRONGTYPE, except when serving: then the client waits on); with none, waits or replies null.
CommandStatus PopFirst(WriteContext& c, std::span<const std::string> keys, bool max, int64_t count,
                       PopReply how, int64_t deadline_ms, bool blocking) {
  std::string ready;
  keys = KeysToTry(c, keys, &ready);
  for (const std::string& key : keys) {
    store::CollectionWrite w;
    bool usable;
    STASH_RETURN_IF_FAILED(OpenPopSource(c, key, ValueType::kZSet, &w, &usable));
    if (usable) return PopAndReply(c, &w, max, count, how);
  }
  if (!blocking) {
    c.out.NullArray();
    return {};
  }
  return WaitForKeys(c, keys, deadline_ms, true);
}

CommandStatus ZMPop(WriteContext& c) {
  MPopArgs a;
  STASH_RETURN_IF_FAILED(ParseMPop(c.argv, 1, "min", "max", &a));
  return PopFirst(c, a.keys, !a.first, a.count, PopReply::kKeyNested, 0, false);
}

CommandStatus BZPop(WriteContext& c, bool max) {
  int64_t deadline;
  STASH_RETURN_IF_FAILED(ParseBlockingTimeout(c.argv.back(), c.now_ms, &deadline));
  return PopFirst(c, std::span<const std::string>(c.argv).subspan(1, c.argv.size() - 2), max, -1,
                  PopReply::kKeyFlat, deadline, true);
}

CommandStatus BZPopMin(WriteContext& c) { return BZPop(c, false); }
CommandStatus BZPopMax(WriteContext& c) { return BZPop(c, true); }

CommandStatus BZMPop(WriteContext& c) {
  int64_t deadline;
  STASH_RETURN_IF_FAILED(ParseBlockingTimeout(c.argv[1], c.now_ms, &deadline));
  MPopArgs a;
  STASH_RETURN_IF_FAILED(ParseMPop(c.argv, 2, "min", "max", &a));
  return PopFirst(c, a.keys, !a.first, a.count, PopReply::kKeyNested, deadline, true);
}

constexpr uint32_t kRead = kCmdReadonly | kCmdFast;
constexpr uint32_t kWrite = kCmdWrite | kCmdDenyOom;

const CommandSpec kCommands[] = {
    {.name = "zadd", .arity = -4, .flags = kWrite | kCmdFast, .keys = {1, 1, 1}, .write = ZAdd},
    {.name = "zincrby",
     .arity = 4,
     .flags = kWrite | kCmdFast,
     .keys = {1, 1, 1},
     .write = ZIncrBy},
    {.name = "zrem", .arity = -3, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1}, .write = ZRem},
    {.name = "zcard", .arity = 2, .flags = kRead, .keys = {1, 1, 1}, .handler = ZCard},
    {.name = "zscore", .arity = 3, .flags = kRead, .keys = {1, 1, 1}, .handler = ZScore},
    {.name = "zmscore", .arity = -3, .flags = kRead, .keys = {1, 1, 1}, .handler = ZMScore},
    {.name = "zrank", .arity = 3, .flags = kRead, .keys = {1, 1, 1}, .handler = ZRank},
    {.name = "zrevrank", .arity = 3, .flags = kRead, .keys = {1, 1, 1}, .handler = ZRevRank},
    {.name = "zcount", .arity = 4, .flags = kRead, .keys = {1, 1, 1}, .handler = ZCount},
    {.name = "zlexcount", .arity = 4, .flags = kRead, .keys = {1, 1, 1}, .handler = ZLexCount},
    {.name = "zrange", .arity = -4, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = ZRange},
    {.name = "zrangebyscore",
     .arity = -4,
     .flags = kCmdReadonly,
     .keys = {1, 1, 1},
     .handler = ZRangeByScore},
    {.name = "zrevrangebyscore",
     .arity = -4,
     .flags = kCmdReadonly,
     .keys = {1, 1, 1},
     .handler = ZRevRangeByScore},
    {.name = "zrangebylex",
     .arity = -4,
     .flags = kCmdReadonly,
     .keys = {1, 1, 1},
     .handler = ZRangeByLex},
    {.name = "zrevrangebylex",
     .arity = -4,
     .flags = kCmdReadonly,
     .keys = {1, 1, 1},
     .handler = ZRevRangeByLex},
    {.name = "zrevrange",
     .arity = -4,
     .flags = kCmdReadonly,
     .keys = {1, 1, 1},
     .handler = ZRevRange},
    {.name = "zrandmember",
     .arity = -2,
     .flags = kCmdReadonly,
     .keys = {1, 1, 1},
     .handler = ZRandMember},
    {.name = "zscan", .arity = -3, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = ZScan},
    {.name = "zunion", .arity = -3, .flags = kCmdReadonly, .handler = ZUnion},
    {.name = "zinter", .arity = -3, .flags = kCmdReadonly, .handler = ZInter},
    {.name = "zdiff", .arity = -3, .flags = kCmdReadonly, .handler = ZDiff},
    {.name = "zintercard", .arity = -3, .flags = kCmdReadonly, .handler = ZInterCard},
    {.name = "zremrangebyrank",
     .arity = 4,
     .flags = kCmdWrite,
     .keys = {1, 1, 1},
     .write = ZRemRangeByRank},
    {.name = "zremrangebyscore",
     .arity = 4,
     .flags = kCmdWrite,
     .keys = {1, 1, 1},
     .write = ZRemRangeByScore},
    {.name = "zremrangebylex",
     .arity = 4,
     .flags = kCmdWrite,
     .keys = {1, 1, 1},
     .write = ZRemRangeByLex},
    {.name = "zrangestore", .arity = -5, .flags = kWrite, .keys = {1, 2, 1}, .write = ZRangeStore},
    {.name = "zunionstore", .arity = -4, .flags = kWrite, .keys = {1, 1, 1}, .write = ZUnionStore},
    {.name = "zinterstore", .arity = -4, .flags = kWrite, .keys = {1, 1, 1}, .write = ZInterStore},
    {.name = "zdiffstore", .arity = -4, .flags = kWrite, .keys = {1, 1, 1}, .write = ZDiffStore},
    {.name = "zpopmin",
     .arity = -2,
     .flags = kCmdWrite | kCmdFast,
     .keys = {1, 1, 1},
     .write = ZPopMin},
    {.name = "zpopmax",
     .arity = -2,
     .flags = kCmdWrite | kCmdFast,
     .keys = {1, 1, 1},
     .write = ZPopMax},
    {.name = "zmpop", .arity = -4, .flags = kCmdWrite, .write = ZMPop},
    {.name = "bzpopmin",
     .arity = -3,
     .flags = kCmdWrite | kCmdNoscript | kCmdFast | kCmdBlocking,
     .keys = {1, -2, 1},
     .write = BZPopMin},
    {.name = "bzpopmax",
     .arity = -3,
     .flags = kCmdWrite | kCmdNoscript | kCmdFast | kCmdBlocking,
     .keys = {1, -2, 1},
     .write = BZPopMax},
    {.name = "bzmpop", .arity = -5, .flags = kCmdWrite | kCmdBlocking, .write = BZMPop},
};

}  // namespace

std::span<const CommandSpec> ZSetCommands() { return kCommands; }

}  // namespace stash
