// Sorted-set reads shared by the commands (zset_commands.cc) and the set operations
// (zset_setops.cc): Redis's score and lex range arguments, ZRANGE's arguments, and the walks
// over a sorted set's score index (store/zset.h) that answer ranges, ranks and counts, from a
// read point or from the writer's Txn alike.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cmd/collection_source.h"
#include "cmd/command.h"
#include "lsm/iterator.h"
#include "store/collection.h"
#include "store/zset.h"
#include "util/status.h"

namespace stash {
namespace resp {
class ReplyWriter;
}

namespace zset {

inline constexpr const char* kNotFloat = "ERR value is not a valid float";
inline constexpr const char* kBadScoreRange = "ERR min or max is not a float";
inline constexpr const char* kBadLexRange = "ERR min or max not valid string range item";

// --- arguments ---

// Redis's string2d: the whole text is a double, no leading space, no NaN, no overflow.
bool ParseScore(std::string_view text, double* out);

// A score range (zslParseRange): "(" exclusive, strtod's text otherwise (so "" is 0 and
// "inf" and "1e999" are infinite, as in Redis).
struct ScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;
  bool GteMin(double v) const { return minex ? v > min : v >= min; }
  bool LteMax(double v) const { return maxex ? v < max : v <= max; }
  bool Empty() const { return min > max || (min == max && (minex || maxex)); }
};

bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* r);

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

bool ParseLexRange(std::string_view min, std::string_view max, LexRange* r);

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
            const std::function<bool(std::string_view, double)>& fn);
// The members at ascending ranks [from, from + n) (n > 0, within the set), in ascending order
// or, reverse, descending; read from the nearer end.
Status RankRange(const ZView& z, uint64_t from, uint64_t n, bool reverse, std::vector<Scored>* out);

// Redis's offset/limit walk: offset < 0 skips everything; limit < 0 takes all.
struct Limit {
  int64_t offset = 0;
  int64_t count = -1;
};

// The members whose score is in r, in order (reverse: from the highest), after lim.
Status ScoreRangeMembers(const ZView& z, const ScoreRange& r, bool reverse, Limit lim,
                         std::vector<Scored>* out);
// The members in the lex range (all members are meant to have one score).
Status LexRangeMembers(const ZView& z, const LexRange& r, bool reverse, Limit lim,
                       std::vector<Scored>* out);
// A member's rank from the bottom (or the top), read from the nearer end.
Status Rank(const ZView& z, std::string_view member, double score, bool reverse, int64_t* rank);
// How many members have a score in r, in O(min(M, N - M)).
Status CountInRange(const ZView& z, const ScoreRange& r, int64_t* out);

// The score of a member (NotFound when absent).
Status MemberScore(CollectionSource& src, const CollectionRef& ref, std::string_view member,
                   double* score);
void ReplyScoreOrNull(resp::ReplyWriter& out, const std::optional<double>& score);
// A range reply: members, WITHSCORES as pairs (RESP3: nested [member, score]).
void ReplyScored(resp::ReplyWriter& out, const std::vector<Scored>& items, bool with_scores);

// --- ZRANGE's arguments ---

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
                         std::optional<bool> fixed_rev, bool store, RangeArgs* a);
// Redis's [start, stop] over count members: *from, *n (0: empty).
void ClipRanks(int64_t start, int64_t stop, uint64_t count, uint64_t* from, uint64_t* n);
// The members a's range covers.
Status ComputeRange(const ZView& z, const RangeArgs& a, std::vector<Scored>* out);

}  // namespace zset
}  // namespace stash
