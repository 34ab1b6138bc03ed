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
#include "config/notify_flags.h"
#include "resp/reply_writer.h"
#include "store/zset.h"

namespace stash {
namespace {

using store::ValueType;

constexpr const char* kNotFloat = "ERR value is not a valid float";
constexpr const char* kBadScoreRange = "ERR min or max is not a float";
constexpr const char* kBadLexRange = "ERR min or max not valid string range item";

// --- arguments ---

// Redis's string2d: the whole text is a double, no leading space, no NaN, no overflow.
bool ParseScore(std::string_view text, double* out) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return false;
  const std::string s(text);
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (static_cast<size_t>(end - s.c_str()) != s.size() || std::isnan(d)) return false;
  if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL || d == 0)) return false;
  *out = d;
  return true;
}

// A score range (zslParseRange): "(" exclusive, strtod's text otherwise (so "" is 0 and
// "inf" and "1e999" are infinite, as in Redis).
struct ScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;
  bool GteMin(double v) const { return minex ? v > min : v >= min; }
  bool LteMax(double v) const { return maxex ? v < max : v <= max; }
  bool Empty() const { return min > max || (min == max && (minex || maxex)); }
};

bool ParseRangeBound(std::string_view text, double* v, bool* ex) {
  *ex = !text.empty() && text[0] == '(';
  if (*ex) text.remove_prefix(1);
  const std::string s(text);
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return static_cast<size_t>(end - s.c_str()) == s.size() && !std::isnan(*v);
}

bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* r) {
  return ParseRangeBound(min, &r->min, &r->minex) && ParseRangeBound(max, &r->max, &r->maxex);
}

// A lex range (zslParseLexRange): "-" and "+" the ends, "[" inclusive, "(" exclusive.
struct LexBound {
  enum Kind { kMinusInf, kPlusInf, kValue } kind = kValue;
  std::string value;
  bool exclusive = false;
};
struct LexRange {
  LexBound min, max;
  // Redis's zslLexValueGteMin / zslLexValueLteMax.
  bool GteMin(std::string_view m) const {
    if (min.kind == LexBound::kMinusInf) return true;
    if (min.kind == LexBound::kPlusInf) return false;
    return min.exclusive ? m > min.value : m >= min.value;
  }
  bool LteMax(std::string_view m) const {
    if (max.kind == LexBound::kPlusInf) return true;
    if (max.kind == LexBound::kMinusInf) return false;
    return max.exclusive ? m < max.value : m <= max.value;
  }
  // zslIsInLexRange's test of the range itself.
  bool Empty() const {
    if (min.kind == LexBound::kPlusInf || max.kind == LexBound::kMinusInf) return true;
    if (min.kind == LexBound::kMinusInf || max.kind == LexBound::kPlusInf) return false;
    return min.value > max.value || (min.value == max.value && (min.exclusive || max.exclusive));
  }
};

bool ParseLexBound(std::string_view text, LexBound* b) {
  if (text == "+") {
    b->kind = LexBound::kPlusInf;
    return true;
  }
  if (text == "-") {
    b->kind = LexBound::kMinusInf;
    return true;
  }
  if (text.empty() || (text[0] != '(' && text[0] != '[')) return false;
  b->exclusive = text[0] == '(';
  b->value.assign(text.substr(1));
  return true;
}

bool ParseLexRange(std::string_view min, std::string_view max, LexRange* r) {
  return ParseLexBound(min, &r->min) && ParseLexBound(max, &r->max);
}

// --- reading a sorted set (either side: a read point or the writer's Txn) ---

struct Scored {
  std::string member;
  double score = 0;
};

// A sorted set as one read sees it.
struct ZView {
  Iterator* it;
  uint32_t slot;
  std::string_view key;
  const store::CollectionMeta& meta;
};

Status Walk(const ZView& z, store::ScoreStart start,
            const std::function<bool(std::string_view, double)>& fn) {
  start.floor = z.meta.floor[start.from_end ? 1 : 0];
  return store::ForEachByScore(z.it, z.slot, z.key, z.meta.version, start, fn);
}

// The members at ascending ranks [from, from + n) (n > 0, within the set), in ascending order
// or, reverse, descending; read from the nearer end.
Status RankRange(const ZView& z, uint64_t from, uint64_t n, bool reverse,
                 std::vector<Scored>* out) {
  const uint64_t count = z.meta.count;
  const bool from_top = count - (from + n) < from;
  store::ScoreStart start;
  start.from_end = from_top;
  uint64_t skip = from_top ? count - (from + n) : from;
  STASH_RETURN_IF_ERROR(Walk(z, start, [&](std::string_view m, double s) {
    if (skip > 0) {
      skip--;
      return true;
    }
    out->push_back({std::string(m), s});
    return out->size() < n;
  }));
  if (from_top != reverse) std::reverse(out->begin(), out->end());
  return Status::OK();
}

// Redis's offset/limit walk: offset < 0 skips everything; limit < 0 takes all.
struct Limit {
  int64_t offset = 0;
  int64_t count = -1;
};

// The members whose score is in r, in order (reverse: from the highest), after lim.
Status ScoreRangeMembers(const ZView& z, const ScoreRange& r, bool reverse, Limit lim,
                         std::vector<Scored>* out) {
  if (r.Empty() || lim.count == 0 || lim.offset < 0) return Status::OK();
  store::ScoreStart start;
  start.from_end = reverse;
  start.has_score = true;
  start.score = reverse ? r.max : r.min;
  start.exclusive = reverse ? r.maxex : r.minex;
  int64_t skip = lim.offset;
  return Walk(z, start, [&](std::string_view m, double s) {
    if (reverse ? !r.GteMin(s) : !r.LteMax(s)) return false;
    if (skip > 0) {
      skip--;
      return true;
    }
    out->push_back({std::string(m), s});
    return lim.count < 0 || static_cast<int64_t>(out->size()) < lim.count;
  });
}

// The members in the lex range, walking from where Redis's skiplist finds the first one: all
// members are meant to have one score (else the answer is Redis's: undefined); so the walk
// seeks to the first member's score with the bound, and goes on while members stay in range.
Status LexRangeMembers(const ZView& z, const LexRange& r, bool reverse, Limit lim,
                       std::vector<Scored>* out) {
  if (r.Empty() || lim.count == 0 || lim.offset < 0) return Status::OK();
  // The score at the end the walk starts from.
  store::ScoreStart start;
  start.from_end = reverse;
  double first_score = 0;
  bool any = false;
  STASH_RETURN_IF_ERROR(Walk(z, start, [&](std::string_view, double s) {
    first_score = s;
    any = true;
    return false;
  }));
  if (!any) return Status::OK();
  const LexBound& bound = reverse ? r.max : r.min;
  if (bound.kind == LexBound::kValue) {
    start.has_score = true;
    start.score = first_score;
    start.member = bound.value;
  }
  bool started = false;
  int64_t skip = lim.offset;
  return Walk(z, start, [&](std::string_view m, double s) {
    if (!started) {
      if (!(reverse ? r.LteMax(m) : r.GteMin(m))) return true;  // the exclusive bound itself
      started = true;
    }
    if (!(reverse ? r.GteMin(m) : r.LteMax(m))) return false;
    if (skip > 0) {
      skip--;
      return true;
    }
    out->push_back({std::string(m), s});
    return lim.count < 0 || static_cast<int64_t>(out->size()) < lim.count;
  });
}

// A member's rank from the bottom (or the top): the entries before it.
// Counted from whichever end is nearer: walks of growing length from both ends take turns, so
// the cost is O(min(rank, N - rank)).
Status Rank(const ZView& z, std::string_view member, double score, bool reverse, int64_t* rank) {
  const uint64_t count = z.meta.count;
  for (uint64_t budget = 64;; budget *= 4) {
    for (const bool from_end : {false, true}) {
      store::ScoreStart start;
      start.from_end = from_end;
      uint64_t n = 0;
      bool found = false;
      STASH_RETURN_IF_ERROR(Walk(z, start, [&](std::string_view m, double s) {
        if (m == member && s == score) {
          found = true;
          return false;
        }
        return ++n < budget;
      }));
      if (found) {
        const uint64_t from_bottom = from_end ? count - 1 - n : n;
        *rank = static_cast<int64_t>(reverse ? count - 1 - from_bottom : from_bottom);
        return Status::OK();
      }
    }
    if (budget >= count) return Status::Corruption("a sorted set's index misses a member");
  }
}

// How many members have a score in r: a walk inside the range and walks outside it (below it
// from the bottom, above it from the top) take turns with growing lengths, and the first to
// finish answers, so the cost is O(min(M, N - M)) for M members in the range.
Status CountInRange(const ZView& z, const ScoreRange& r, int64_t* out) {
  *out = 0;
  if (r.Empty()) return Status::OK();
  const uint64_t count = z.meta.count;
  // Walks from start while in(score), at most budget steps; *done: the walk left the run.
  auto run = [&](const store::ScoreStart& start, uint64_t budget,
                 const std::function<bool(double)>& in, uint64_t* n, bool* done) {
    *n = 0;
    *done = true;
    return Walk(z, start, [&](std::string_view, double s) {
      if (!in(s)) return false;
      if (++*n >= budget) {
        *done = false;
        return false;
      }
      return true;
    });
  };
  for (uint64_t budget = 64;; budget *= 4) {
    store::ScoreStart inside;
    inside.has_score = true;
    inside.score = r.min;
    inside.exclusive = r.minex;
    uint64_t n, below, above;
    bool done, below_done, above_done;
    STASH_RETURN_IF_ERROR(run(
        inside, budget, [&](double s) { return r.LteMax(s); }, &n, &done));
    if (done) {
      *out = static_cast<int64_t>(n);
      return Status::OK();
    }
    store::ScoreStart bottom, top;
    top.from_end = true;
    STASH_RETURN_IF_ERROR(run(
        bottom, budget, [&](double s) { return !r.GteMin(s); }, &below, &below_done));
    STASH_RETURN_IF_ERROR(run(
        top, budget, [&](double s) { return !r.LteMax(s); }, &above, &above_done));
    if (below_done && above_done) {
      *out = static_cast<int64_t>(count - below - above);
      return Status::OK();
    }
  }
}

// The score of a member (NotFound when absent).
Status MemberScore(CollectionSource& src, const CollectionRef& ref, std::string_view member,
                   double* score) {
  std::string value;
  STASH_RETURN_IF_ERROR(GetElement(src, ref, member, &value));
  if (!store::DecodeScore(value, score)) {
    return Status::Corruption("damaged score of a sorted set member");
  }
  return Status::OK();
}

void ReplyScoreOrNull(resp::ReplyWriter& out, const std::optional<double>& score) {
  score ? out.Double(*score) : out.Null();
}

// A range reply: members, WITHSCORES as pairs (RESP3: nested [member, score]).
void ReplyScored(resp::ReplyWriter& out, const std::vector<Scored>& items, bool with_scores) {
  const bool nested = with_scores && out.protocol() >= 3;
  out.ArrayHeader(with_scores && !nested ? items.size() * 2 : items.size());
  for (const Scored& e : items) {
    if (nested) out.ArrayHeader(2);
    out.Bulk(e.member);
    if (with_scores) out.Double(e.score);
  }
}

#define STASH_OPEN_ZSET(src, key, ref) \
  STASH_RETURN_IF_FAILED(OpenCollection(src, key, ValueType::kZSet, &(ref)))

// --- ZRANGE and its family ---

enum class By { kRank, kScore, kLex };

struct RangeArgs {
  By by = By::kRank;
  bool rev = false;
  bool with_scores = false;
  Limit limit;
  int64_t start = 0, stop = 0;
  ScoreRange score;
  LexRange lex;
};

// zrangeGenericCommand's parsing. args: the arguments from the key on; fixed_by / fixed_rev:
// the old commands (ZRANGEBYSCORE ...) that take no BY* / REV; store: ZRANGESTORE (no
// WITHSCORES).
CommandStatus ParseRange(std::span<const std::string> args, std::optional<By> fixed_by,
                         std::optional<bool> fixed_rev, bool store, RangeArgs* a) {
  bool by_given = false, rev_given = false;
  for (size_t j = 3; j < args.size(); j++) {
    const std::string& opt = args[j];
    const size_t left = args.size() - j - 1;
    if (!store && EqualsIgnoreCase(opt, "withscores")) {
      a->with_scores = true;
    } else if (EqualsIgnoreCase(opt, "limit") && left >= 2) {
      if (!ParseInteger(args[j + 1], &a->limit.offset) ||
          !ParseInteger(args[j + 2], &a->limit.count)) {
        return Fail(kNotIntegerError);
      }
      j += 2;
    } else if (!fixed_rev && !rev_given && EqualsIgnoreCase(opt, "rev")) {
      rev_given = true;
    } else if (!fixed_by && !by_given && EqualsIgnoreCase(opt, "bylex")) {
      a->by = By::kLex;
      by_given = true;
    } else if (!fixed_by && !by_given && EqualsIgnoreCase(opt, "byscore")) {
      a->by = By::kScore;
      by_given = true;
    } else {
      return Fail(kSyntaxError);
    }
  }
  if (fixed_by) a->by = *fixed_by;
  a->rev = fixed_rev ? *fixed_rev : rev_given;
  // Redis's limit -1 means "no LIMIT": only an explicit other count conflicts with ranks.
  if (a->limit.count != -1 && a->by == By::kRank) {
    return Fail(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE "
        "or BYLEX");
  }
  if (a->with_scores && a->by == By::kLex) {
    return Fail("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  const std::string& lo = a->rev && a->by != By::kRank ? args[2] : args[1];
  const std::string& hi = a->rev && a->by != By::kRank ? args[1] : args[2];
  switch (a->by) {
    case By::kRank:
      if (!ParseInteger(lo, &a->start) || !ParseInteger(hi, &a->stop)) {
        return Fail(kNotIntegerError);
      }
      break;
    case By::kScore:
      if (!ParseScoreRange(lo, hi, &a->score)) return Fail(kBadScoreRange);
      break;
    case By::kLex:
      if (!ParseLexRange(lo, hi, &a->lex)) return Fail(kBadLexRange);
      break;
  }
  return {};
}

// Redis's [start, stop] over count members: *from, *n (0: empty).
void ClipRanks(int64_t start, int64_t stop, uint64_t count, uint64_t* from, uint64_t* n) {
  const auto len = static_cast<int64_t>(count);
  if (start < 0) start = len + start;
  if (stop < 0) stop = len + stop;
  if (start < 0) start = 0;
  *from = 0;
  *n = 0;
  if (start > stop || start >= len) return;
  if (stop >= len) stop = len - 1;
  *from = static_cast<uint64_t>(start);
  *n = static_cast<uint64_t>(stop - start + 1);
}

Status ComputeRange(const ZView& z, const RangeArgs& a, std::vector<Scored>* out) {
  switch (a.by) {
    case By::kRank: {
      uint64_t from, n;
      ClipRanks(a.start, a.stop, z.meta.count, &from, &n);
      if (n == 0) return Status::OK();
      // Reverse ranks count from the top.
      if (a.rev) from = z.meta.count - from - n;
      return RankRange(z, from, n, a.rev, out);
    }
    case By::kScore: {
      // Redis: an offset at or past the length answers at once.
      if (a.limit.offset > 0 && static_cast<uint64_t>(a.limit.offset) >= z.meta.count) {
        return Status::OK();
      }
      return ScoreRangeMembers(z, a.score, a.rev, a.limit, out);
    }
    case By::kLex:
      return LexRangeMembers(z, a.lex, a.rev, a.limit, out);
  }
  return Status::OK();
}

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

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

struct SetOpArgs {
  std::span<const std::string> keys;
  std::vector<double> weights;
  Aggregate aggregate = Aggregate::kSum;
  bool with_scores = false;
  int64_t limit = 0;  // ZINTERCARD
};

// One input: a sorted set (scores) or a set (score 1), as members sorted by name.
struct Input {
  bool found = false;
  std::vector<Scored> members;  // by member
};

Status LoadInput(CollectionSource& src, const std::string& key, const store::Record& r, Input* in) {
  in->found = true;
  CollectionRef ref;
  ref.key = key;
  ref.found = true;
  if (!store::DecodeCollectionMeta(r.payload, &ref.meta)) {
    return Status::Corruption("damaged metadata of a collection");
  }
  return ForEachElement(src, ref, "", [&](std::string_view m, std::string_view v) {
    double score = 1;
    if (r.type == ValueType::kZSet && !store::DecodeScore(v, &score)) return false;
    in->members.push_back({std::string(m), score});
    return true;
  });
}

// zunionInterDiffGenericCommand: numkeys at argv[at], then the keys, then the options (only
// those op allows). Every key is looked up (WRONGTYPE) before the options are parsed.
CommandStatus ParseSetOp(CollectionSource& src, const std::vector<std::string>& argv, size_t at,
                         SetOp op, bool store, bool cardinality, std::string_view name,
                         SetOpArgs* a, std::vector<Input>* inputs) {
  int64_t numkeys;
  if (!ParseInteger(argv[at], &numkeys)) return Fail(kNotIntegerError);
  if (numkeys < 1) {
    return Fail("ERR at least 1 input key is needed for '" + std::string(name) + "' command");
  }
  if (numkeys > static_cast<int64_t>(argv.size() - at - 1)) return Fail(kSyntaxError);
  const auto n = static_cast<size_t>(numkeys);
  a->keys = std::span<const std::string>(argv).subspan(at + 1, n);
  inputs->assign(n, {});
  std::vector<store::Record> records(n);
  std::vector<bool> present(n);
  for (size_t i = 0; i < n; i++) {
    Status s = src.Record(a->keys[i], &records[i]);
    if (ReadFailed(s)) return src.Failure(s);
    present[i] = s.ok();
    if (s.ok() && records[i].type != ValueType::kZSet && records[i].type != ValueType::kSet) {
      return Fail(kWrongTypeError);
    }
  }
  a->weights.assign(n, 1.0);
  for (size_t j = at + 1 + n; j < argv.size();) {
    const size_t remaining = argv.size() - j;
    if (op != SetOp::kDiff && !cardinality && remaining >= n + 1 &&
        EqualsIgnoreCase(argv[j], "weights")) {
      j++;
      for (size_t i = 0; i < n; i++, j++) {
        if (!ParseScore(argv[j], &a->weights[i])) return Fail("ERR weight value is not a float");
      }
    } else if (op != SetOp::kDiff && !cardinality && remaining >= 2 &&
               EqualsIgnoreCase(argv[j], "aggregate")) {
      const std::string& how = argv[j + 1];
      if (EqualsIgnoreCase(how, "sum")) {
        a->aggregate = Aggregate::kSum;
      } else if (EqualsIgnoreCase(how, "min")) {
        a->aggregate = Aggregate::kMin;
      } else if (EqualsIgnoreCase(how, "max")) {
        a->aggregate = Aggregate::kMax;
      } else {
        return Fail(kSyntaxError);
      }
      j += 2;
    } else if (!store && !cardinality && EqualsIgnoreCase(argv[j], "withscores")) {
      a->with_scores = true;
      j++;
    } else if (cardinality && remaining >= 2 && EqualsIgnoreCase(argv[j], "limit")) {
      if (!ParseInteger(argv[j + 1], &a->limit) || a->limit < 0) {
        return Fail("ERR LIMIT can't be negative");
      }
      j += 2;
    } else {
      return Fail(kSyntaxError);
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (!present[i]) continue;
    if (Status s = LoadInput(src, a->keys[i], records[i], &(*inputs)[i]); !s.ok()) {
      return src.Failure(s.ok() ? Status::Corruption("damaged score") : s);
    }
  }
  return {};
}

double Weighted(double score, double weight) {
  const double v = score * weight;
  return std::isnan(v) ? 0 : v;  // inf * 0: Redis takes 0
}

void Combine(Aggregate how, double* into, double v) {
  switch (how) {
    case Aggregate::kSum:
      *into += v;
      if (std::isnan(*into)) *into = 0;  // inf + -inf
      break;
    case Aggregate::kMin:
      *into = std::min(*into, v);
      break;
    case Aggregate::kMax:
      *into = std::max(*into, v);
      break;
  }
}

// The result in Redis's order: by score, then member.
std::vector<Scored> ComputeSetOp(SetOp op, const SetOpArgs& a, const std::vector<Input>& in,
                                 bool cardinality) {
  std::map<std::string, double> acc;
  std::vector<Scored> out;
  // Redis takes the inputs smallest first (its scores add up in that order).
  std::vector<size_t> order(in.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return in[x].members.size() < in[y].members.size(); });
  if (op == SetOp::kUnion) {
    for (size_t i : order) {
      for (const Scored& m : in[i].members) {
        const double v = Weighted(m.score, a.weights[i]);
        auto [it, fresh] = acc.emplace(m.member, v);
        if (!fresh) Combine(a.aggregate, &it->second, v);
      }
    }
  } else if (op == SetOp::kInter) {
    // Walk the smallest input; look each member up in the others, in Redis's order.
    std::vector<std::map<std::string_view, double>> index(in.size());
    for (size_t i = 0; i < in.size(); i++) {
      for (const Scored& m : in[i].members) index[i].emplace(m.member, m.score);
    }
    for (const Scored& m : in[order[0]].members) {
      double v = Weighted(m.score, a.weights[order[0]]);
      bool everywhere = true;
      for (size_t j = 1; j < order.size() && everywhere; j++) {
        auto f = index[order[j]].find(m.member);
        if (f == index[order[j]].end()) {
          everywhere = false;
        } else {
          Combine(a.aggregate, &v, f->second * a.weights[order[j]]);  // no NaN check: Redis's
        }
      }
      if (!everywhere) continue;
      acc.emplace(m.member, v);
      if (cardinality && a.limit > 0 && static_cast<int64_t>(acc.size()) >= a.limit) break;
    }
  } else {
    std::map<std::string_view, bool> others;
    for (size_t i = 1; i < in.size(); i++) {
      for (const Scored& m : in[i].members) others.emplace(m.member, true);
    }
    for (const Scored& m : in[0].members) {
      if (!others.contains(m.member)) acc.emplace(m.member, m.score);
    }
  }
  out.reserve(acc.size());
  for (auto& [member, score] : acc) out.push_back({member, score});
  std::stable_sort(out.begin(), out.end(),
                   [](const Scored& x, const Scored& y) { return x.score < y.score; });
  return out;
}

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
