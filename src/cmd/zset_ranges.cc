#include "cmd/zset_ranges.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "cmd/errors.h"
#include "resp/reply_writer.h"
#include "util/strings.h"

namespace stash::zset {

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

namespace {

bool ParseRangeBound(std::string_view text, double* v, bool* ex) {
  *ex = !text.empty() && text[0] == '(';
  if (*ex) text.remove_prefix(1);
  const std::string s(text);
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return static_cast<size_t>(end - s.c_str()) == s.size() && !std::isnan(*v);
}

}  // namespace

bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* r) {
  return ParseRangeBound(min, &r->min, &r->minex) && ParseRangeBound(max, &r->max, &r->maxex);
}

namespace {

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

}  // namespace

bool ParseLexRange(std::string_view min, std::string_view max, LexRange* r) {
  return ParseLexBound(min, &r->min) && ParseLexBound(max, &r->max);
}

// --- reading a sorted set (either side: a read point or the writer's Txn) ---

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

// --- ZRANGE's arguments and ranges ---

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

}  // namespace stash::zset
