// List commands (Redis 7.0 t_list.c). Reads (LLEN LINDEX LRANGE LPOS) run on the connection's
// thread at one read point; writes (LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LSET LINSERT LREM
// LTRIM LMOVE RPOPLPUSH LMPOP) on the writer, and so do the blocking pops (BLPOP BRPOP BLMOVE
// BRPOPLPUSH BLMPOP), which wait through cmd/blocking.h. Storage and costs: store/list.h.
// Each check happens where Redis makes it, so that a command with a bad argument and a key of
// the wrong type replies what Redis replies.
#include <limits>
#include <span>

#include "cmd/blocking.h"
#include "cmd/collection_source.h"
#include "cmd/command_table.h"
#include "cmd/errors.h"
#include "cmd/keyspace_util.h"
#include "config/notify_flags.h"
#include "resp/reply_writer.h"
#include "store/list.h"

namespace stash {
namespace {

using store::ValueType;

constexpr const char* kMustBePositive = "ERR value is out of range, must be positive";

// Redis's getPositiveLongFromObjectOrReply: a non-negative integer, else error (also for text
// that is not a number).
bool ParsePositive(std::string_view arg, int64_t* out) {
  return ParseInteger(arg, out) && *out >= 0;
}

// LEFT or RIGHT (any case): *left.
bool ParseEnd(std::string_view arg, bool* left) {
  if (EqualsIgnoreCase(arg, "left")) {
    *left = true;
  } else if (EqualsIgnoreCase(arg, "right")) {
    *left = false;
  } else {
    return false;
  }
  return true;
}

// Redis's range of [start, end] (negative from the tail) over count elements: *from, *n.
void ClipRange(int64_t start, int64_t end, uint64_t count, uint64_t* from, uint64_t* n) {
  const auto len = static_cast<int64_t>(count);
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) {
    *from = 0;
    *n = 0;
    return;
  }
  if (end >= len) end = len - 1;
  *from = static_cast<uint64_t>(start);
  *n = static_cast<uint64_t>(end - start + 1);
}

// --- reads ---

CommandStatus LLen(CommandContext& c) { return ReplyCount(c, ValueType::kList); }

CommandStatus LIndex(CommandContext& c) {
  ReadSource src(c);
  CollectionRef ref;
  STASH_RETURN_IF_FAILED(OpenCollection(src, c.argv[1], ValueType::kList, &ref));
  if (!ref.found) {
    c.out.Null();
    return {};
  }
  int64_t index;
  if (!ParseInteger(c.argv[2], &index)) return Fail(kNotIntegerError);
  uint64_t at;
  if (!store::ListIndex(ref.meta.count, index, &at)) {
    c.out.Null();
    return {};
  }
  std::string element;
  Status s = src.Raw(store::PositionKey(src.slot(), ref.key, ref.meta.version, ref.meta.head + at),
                     &element);
  if (s.IsNotFound()) s = Status::Corruption("a list's positions differ from its count");
  if (!s.ok()) return EngineError(s);
  c.out.Bulk(element);
  return {};
}

// The elements at [from, from + n) of the list ref, as a read sees them.
Status ReadRange(CollectionSource& src, const CollectionRef& ref, uint64_t from, uint64_t n,
                 bool reverse, const std::function<bool(uint64_t, std::string_view)>& fn) {
  if (!ref.found || n == 0) return Status::OK();
  std::unique_ptr<Iterator> it = src.NewIterator();
  return store::ForEachListElement(it.get(), src.slot(), ref.key, ref.meta, from, n, reverse, fn);
}

CommandStatus LRange(CommandContext& c) {
  int64_t start, end;
  if (!ParseInteger(c.argv[2], &start) || !ParseInteger(c.argv[3], &end)) {
    return Fail(kNotIntegerError);
  }
  ReadSource src(c);
  CollectionRef ref;
  STASH_RETURN_IF_FAILED(OpenCollection(src, c.argv[1], ValueType::kList, &ref));
  uint64_t from = 0, n = 0;
  if (ref.found) ClipRange(start, end, ref.meta.count, &from, &n);
  std::vector<std::string> elements;
  elements.reserve(n);
  Status s = ReadRange(src, ref, from, n, false, [&](uint64_t, std::string_view e) {
    elements.emplace_back(e);
    return true;
  });
  if (!s.ok()) return EngineError(s);
  c.out.BulkArray(elements);
  return {};
}

CommandStatus LPos(CommandContext& c) {
  int64_t rank = 1, count = -1, maxlen = 0;  // count -1: no COUNT
  for (size_t j = 3; j < c.argv.size(); j++) {
    const bool more = j + 1 < c.argv.size();
    if (EqualsIgnoreCase(c.argv[j], "rank") && more) {
      if (!ParseInteger(c.argv[++j], &rank)) return Fail(kNotIntegerError);
      if (rank == 0) {
        return Fail(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
      }
    } else if (EqualsIgnoreCase(c.argv[j], "count") && more) {
      if (!ParsePositive(c.argv[++j], &count)) return Fail("ERR COUNT can't be negative");
    } else if (EqualsIgnoreCase(c.argv[j], "maxlen") && more) {
      if (!ParsePositive(c.argv[++j], &maxlen)) return Fail("ERR MAXLEN can't be negative");
    } else {
      return Fail(kSyntaxError);
    }
  }
  // A negative rank searches from the tail. Redis negates it as a C long: the smallest one
  // stays negative and so takes the first match, as -1 does.
  const bool reverse = rank < 0;
  const uint64_t skip = rank == std::numeric_limits<int64_t>::min()
                            ? 0
                            : static_cast<uint64_t>(reverse ? -rank : rank) - 1;
  ReadSource src(c);
  CollectionRef ref;
  STASH_RETURN_IF_FAILED(OpenCollection(src, c.argv[1], ValueType::kList, &ref));
  std::vector<int64_t> found;
  if (ref.found) {
    const uint64_t len = ref.meta.count;
    const uint64_t scan = maxlen == 0 ? len : std::min<uint64_t>(len, maxlen);
    const uint64_t from = reverse ? len - scan : 0;
    uint64_t matches = 0;
    Status s = ReadRange(src, ref, from, scan, reverse, [&](uint64_t i, std::string_view e) {
      if (e != c.argv[2] || matches++ < skip) return true;
      found.push_back(static_cast<int64_t>(i));
      // Without COUNT the first match is the answer; COUNT 0 means all of them, and so does
      // any COUNT with the smallest RANK (Redis's matches-rank+1 overflows).
      if (rank == std::numeric_limits<int64_t>::min() && count > 0) return true;
      return count > 0 ? found.size() < static_cast<uint64_t>(count) : count == 0;
    });
    if (!s.ok()) return EngineError(s);
  }
  if (count == -1) {
    found.empty() ? c.out.Null() : c.out.Integer(found[0]);
    return {};
  }
  c.out.ArrayHeader(found.size());
  for (int64_t i : found) c.out.Integer(i);
  return {};
}

// --- writes ---

// Adds values at one end of w's list, each in turn (LPUSH a b leaves b first).
void PushValues(WriteContext& c, store::CollectionWrite* w, bool left,
                std::span<const std::string_view> values) {
  if (!left) {
    store::ReplaceListBack(c.txn, w, 0, values);
    return;
  }
  std::vector<std::string_view> front(values.rbegin(), values.rend());
  store::ReplaceListFront(c.txn, w, 0, front);
}

// Removes up to n elements from one end of w's list; *out: them in the order they were popped.
CommandStatus PopValues(WriteContext& c, store::CollectionWrite* w, bool left, uint64_t n,
                        std::vector<std::string>* out) {
  n = std::min(n, w->meta.count);
  Status s = store::ReadListRange(c.txn, *w, left ? 0 : w->meta.count - n, n, out);
  if (!s.ok()) return ReadFailure(s);
  if (left) {
    store::ReplaceListFront(c.txn, w, n, {});
  } else {
    store::ReplaceListBack(c.txn, w, n, {});
    std::reverse(out->begin(), out->end());
  }
  return {};
}

std::string_view PushEvent(bool left) { return left ? "lpush" : "rpush"; }
std::string_view PopEvent(bool left) { return left ? "lpop" : "rpop"; }

CommandStatus Push(WriteContext& c, bool left, bool only_existing) {
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenForWrite(c, c.argv[1], ValueType::kList, &w));
  if (only_existing && !w.existed) {
    c.out.Integer(0);
    return {};
  }
  std::vector<std::string_view> values(c.argv.begin() + 2, c.argv.end());
  PushValues(c, &w, left, values);
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  c.Notify(kNotifyList, PushEvent(left), c.argv[1]);
  c.out.Integer(static_cast<int64_t>(w.meta.count));
  return {};
}

CommandStatus LPush(WriteContext& c) { return Push(c, true, false); }
CommandStatus RPush(WriteContext& c) { return Push(c, false, false); }
CommandStatus LPushX(WriteContext& c) { return Push(c, true, true); }
CommandStatus RPushX(WriteContext& c) { return Push(c, false, true); }

// After a save that popped elements from w: Redis's event, then "del" when the list is gone.
void NotifyPopped(WriteContext& c, const store::CollectionWrite& w, bool left) {
  NotifyRemoved(c, w, kNotifyList, PopEvent(left), 1);
}

CommandStatus Pop(WriteContext& c, bool left) {
  if (c.argv.size() > 3) return Fail(WrongArityError(AsciiLower(c.argv[0])));
  const bool with_count = c.argv.size() == 3;
  int64_t count = 1;
  if (with_count && !ParsePositive(c.argv[2], &count)) return Fail(kMustBePositive);
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenForWrite(c, c.argv[1], ValueType::kList, &w));
  if (!w.existed) {
    with_count ? c.out.NullArray() : c.out.Null();
    return {};
  }
  if (count == 0) {
    c.out.ArrayHeader(0);
    return {};
  }
  std::vector<std::string> popped;
  STASH_RETURN_IF_FAILED(PopValues(c, &w, left, static_cast<uint64_t>(count), &popped));
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  NotifyPopped(c, w, left);
  with_count ? c.out.BulkArray(popped) : c.out.Bulk(popped[0]);
  return {};
}

CommandStatus LPop(WriteContext& c) { return Pop(c, true); }
CommandStatus RPop(WriteContext& c) { return Pop(c, false); }

CommandStatus LSet(WriteContext& c) {
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenForWrite(c, c.argv[1], ValueType::kList, &w));
  if (!w.existed) return Fail(kNoSuchKeyError);
  int64_t index;
  if (!ParseInteger(c.argv[2], &index)) return Fail(kNotIntegerError);
  uint64_t at;
  if (!store::ListIndex(w.meta.count, index, &at)) return Fail(kIndexOutOfRangeError);
  store::SetListElement(c.txn, &w, at, c.argv[3]);
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  c.Notify(kNotifyList, "lset", c.argv[1]);
  c.out.Simple("OK");
  return {};
}

// Calls fn(index, element) over the whole list w as the group sees it, from the head or from
// the tail, until fn returns false.
CommandStatus ScanList(WriteContext& c, const store::CollectionWrite& w, bool reverse,
                       const std::function<bool(uint64_t, std::string_view)>& fn) {
  std::unique_ptr<Iterator> it = c.txn.NewRawIterator();
  Status s =
      store::ForEachListElement(it.get(), w.slot, w.key, w.meta, 0, w.meta.count, reverse, fn);
  if (!s.ok()) return ReadFailure(c.txn.Fail(s));
  return {};
}

CommandStatus LInsert(WriteContext& c) {
  bool before;
  if (EqualsIgnoreCase(c.argv[2], "before")) {
    before = true;
  } else if (EqualsIgnoreCase(c.argv[2], "after")) {
    before = false;
  } else {
    return Fail(kSyntaxError);
  }
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenForWrite(c, c.argv[1], ValueType::kList, &w));
  if (!w.existed) {
    c.out.Integer(0);
    return {};
  }
  // The elements up to the pivot, read from the head.
  std::vector<std::string> head_side;
  bool found = false;
  STASH_RETURN_IF_FAILED(ScanList(c, w, false, [&](uint64_t, std::string_view e) {
    head_side.emplace_back(e);
    found = e == c.argv[3];
    return !found;
  }));
  if (!found) {
    c.out.Integer(-1);
    return {};
  }
  // The new element's index; the side before or after it moves, whichever is shorter.
  const uint64_t at = head_side.size() - (before ? 1 : 0);
  const std::string_view value = c.argv[4];
  if (at <= w.meta.count - at) {
    std::vector<std::string_view> front(head_side.begin(), head_side.begin() + at);
    front.push_back(value);
    store::ReplaceListFront(c.txn, &w, at, front);
  } else {
    std::vector<std::string> tail;
    Status s = store::ReadListRange(c.txn, w, at, w.meta.count - at, &tail);
    if (!s.ok()) return ReadFailure(s);
    std::vector<std::string_view> back{value};
    back.insert(back.end(), tail.begin(), tail.end());
    store::ReplaceListBack(c.txn, &w, tail.size(), back);
  }
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  c.Notify(kNotifyList, "linsert", c.argv[1]);
  c.out.Integer(static_cast<int64_t>(w.meta.count));
  return {};
}

CommandStatus LRem(WriteContext& c) {
  int64_t count;
  if (!ParseInteger(c.argv[2], &count)) return Fail(kNotIntegerError);
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenForWrite(c, c.argv[1], ValueType::kList, &w));
  if (!w.existed) {
    c.out.Integer(0);
    return {};
  }
  // A negative count removes from the tail; Redis negates it as a C long, so the smallest
  // one, like 0, removes every match.
  const bool reverse = count < 0;
  const uint64_t limit = count == std::numeric_limits<int64_t>::min()
                             ? 0
                             : static_cast<uint64_t>(reverse ? -count : count);
  // Read from the starting end up to the last match removed; the survivors of that span are
  // written back closed up against the rest of the list.
  std::vector<std::string> span;
  uint64_t removed = 0, span_len = 0;
  STASH_RETURN_IF_FAILED(ScanList(c, w, reverse, [&](uint64_t, std::string_view e) {
    span.emplace_back(e);
    if (e == c.argv[3]) {
      removed++;
      span_len = span.size();
    }
    return limit == 0 || removed < limit;
  }));
  if (removed > 0) {
    span.resize(span_len);
    std::vector<std::string_view> kept;
    for (const std::string& e : span) {
      if (e != c.argv[3]) kept.push_back(e);
    }
    if (reverse) {
      std::reverse(kept.begin(), kept.end());
      store::ReplaceListBack(c.txn, &w, span_len, kept);
    } else {
      store::ReplaceListFront(c.txn, &w, span_len, kept);
    }
    STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
    NotifyRemoved(c, w, kNotifyList, "lrem", static_cast<int64_t>(removed));
  }
  c.out.Integer(static_cast<int64_t>(removed));
  return {};
}

CommandStatus LTrim(WriteContext& c) {
  int64_t start, end;
  if (!ParseInteger(c.argv[2], &start) || !ParseInteger(c.argv[3], &end)) {
    return Fail(kNotIntegerError);
  }
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenForWrite(c, c.argv[1], ValueType::kList, &w));
  if (!w.existed) {
    c.out.Simple("OK");
    return {};
  }
  uint64_t from, n;
  ClipRange(start, end, w.meta.count, &from, &n);
  const uint64_t back = w.meta.count - from - n;
  store::ReplaceListBack(c.txn, &w, back, {});
  store::ReplaceListFront(c.txn, &w, n == 0 ? w.meta.count : from, {});
  w.changed = true;  // Redis signals the key modified even when nothing was trimmed (WATCH)
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  c.Notify(kNotifyList, "ltrim", c.argv[1]);
  if (w.meta.count == 0) c.Notify(kNotifyGeneric, "del", c.argv[1]);
  c.out.Simple("OK");
  return {};
}

// LMOVE's work: one element from an end of src to an end of dst (the same key rotates it).
CommandStatus Move(WriteContext& c, std::string_view src_key, std::string_view dst_key,
                   bool from_left, bool to_left) {
  store::CollectionWrite src;
  STASH_RETURN_IF_FAILED(OpenForWrite(c, src_key, ValueType::kList, &src));
  if (!src.existed) {
    c.out.Null();
    return {};
  }
  const bool same = src_key == dst_key;
  store::CollectionWrite dst_own;
  if (!same) STASH_RETURN_IF_FAILED(OpenForWrite(c, dst_key, ValueType::kList, &dst_own));
  store::CollectionWrite& dst = same ? src : dst_own;
  std::vector<std::string> popped;
  STASH_RETURN_IF_FAILED(PopValues(c, &src, from_left, 1, &popped));
  const std::string_view value = popped[0];
  PushValues(c, &dst, to_left, std::span<const std::string_view>(&value, 1));
  if (!same) STASH_RETURN_IF_FAILED(SaveForWrite(c, &dst));
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &src));
  c.Notify(kNotifyList, PushEvent(to_left), dst_key);
  NotifyPopped(c, src, from_left);
  c.out.Bulk(value);
  return {};
}

CommandStatus LMove(WriteContext& c) {
  bool from_left, to_left;
  if (!ParseEnd(c.argv[3], &from_left) || !ParseEnd(c.argv[4], &to_left)) {
    return Fail(kSyntaxError);
  }
  return Move(c, c.argv[1], c.argv[2], from_left, to_left);
}

CommandStatus RPopLPush(WriteContext& c) { return Move(c, c.argv[1], c.argv[2], false, true); }

CommandStatus LMPop(WriteContext& c) {
  MPopArgs a;
  STASH_RETURN_IF_FAILED(ParseMPop(c.argv, 1, "left", "right", &a));
  const bool left = a.first;
  const int64_t count = a.count;
  for (size_t k = 0; k < a.keys.size(); k++) {
    store::CollectionWrite w;
    STASH_RETURN_IF_FAILED(OpenForWrite(c, a.keys[k], ValueType::kList, &w));
    if (!w.existed) continue;
    std::vector<std::string> popped;
    STASH_RETURN_IF_FAILED(PopValues(c, &w, left, static_cast<uint64_t>(count), &popped));
    STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
    NotifyPopped(c, w, left);
    c.out.ArrayHeader(2);
    c.out.Bulk(w.key);
    c.out.BulkArray(popped);
    return {};
  }
  c.out.NullArray();
  return {};
}

// --- blocking pops ---

// BLPOP/BRPOP (count -1: reply [key, element]) and BLMPOP (reply [key, [elements]]).
CommandStatus BlockingPop(WriteContext& c, std::span<const std::string> keys, bool left,
                          int64_t count, int64_t deadline_ms) {
  std::string ready;
  keys = KeysToTry(c, keys, &ready);
  for (const std::string& key : keys) {
    store::CollectionWrite w;
    bool usable;
    STASH_RETURN_IF_FAILED(OpenPopSource(c, key, ValueType::kList, &w, &usable));
    if (!usable) continue;
    std::vector<std::string> popped;
    STASH_RETURN_IF_FAILED(
        PopValues(c, &w, left, count < 0 ? 1 : static_cast<uint64_t>(count), &popped));
    STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
    NotifyPopped(c, w, left);
    c.out.ArrayHeader(2);
    c.out.Bulk(key);
    count < 0 ? c.out.Bulk(popped[0]) : c.out.BulkArray(popped);
    return {};
  }
  return WaitForKeys(c, keys, deadline_ms, true);
}

CommandStatus BPop(WriteContext& c, bool left) {
  int64_t deadline;
  STASH_RETURN_IF_FAILED(ParseBlockingTimeout(c.argv.back(), c.now_ms, &deadline));
  return BlockingPop(c, std::span<const std::string>(c.argv).subspan(1, c.argv.size() - 2), left,
                     -1, deadline);
}

CommandStatus BLPop(WriteContext& c) { return BPop(c, true); }
CommandStatus BRPop(WriteContext& c) { return BPop(c, false); }

// BLMOVE/BRPOPLPUSH: LMOVE once the source has an element.
CommandStatus BlockingMove(WriteContext& c, bool from_left, bool to_left, int64_t deadline) {
  store::CollectionWrite src;
  bool usable;
  STASH_RETURN_IF_FAILED(OpenPopSource(c, c.argv[1], ValueType::kList, &src, &usable));
  if (!usable) {
    return WaitForKeys(c, std::span<const std::string>(c.argv).subspan(1, 1), deadline, false);
  }
  return Move(c, c.argv[1], c.argv[2], from_left, to_left);
}

CommandStatus BLMove(WriteContext& c) {
  bool from_left, to_left;
  if (!ParseEnd(c.argv[3], &from_left) || !ParseEnd(c.argv[4], &to_left)) {
    return Fail(kSyntaxError);
  }
  int64_t deadline;
  STASH_RETURN_IF_FAILED(ParseBlockingTimeout(c.argv[5], c.now_ms, &deadline));
  return BlockingMove(c, from_left, to_left, deadline);
}

CommandStatus BRPopLPush(WriteContext& c) {
  int64_t deadline;
  STASH_RETURN_IF_FAILED(ParseBlockingTimeout(c.argv[3], c.now_ms, &deadline));
  return BlockingMove(c, false, true, deadline);
}

CommandStatus BLMPop(WriteContext& c) {
  int64_t deadline;
  STASH_RETURN_IF_FAILED(ParseBlockingTimeout(c.argv[1], c.now_ms, &deadline));
  MPopArgs a;
  STASH_RETURN_IF_FAILED(ParseMPop(c.argv, 2, "left", "right", &a));
  return BlockingPop(c, a.keys, a.first, a.count, deadline);
}

constexpr uint32_t kRead = kCmdReadonly | kCmdFast;
constexpr uint32_t kWrite = kCmdWrite | kCmdDenyOom | kCmdFast;

const CommandSpec kCommands[] = {
    {.name = "llen", .arity = 2, .flags = kRead, .keys = {1, 1, 1}, .handler = LLen},
    {.name = "lindex", .arity = 3, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = LIndex},
    {.name = "lrange", .arity = 4, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = LRange},
    {.name = "lpos", .arity = -3, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = LPos},
    {.name = "lpush", .arity = -3, .flags = kWrite, .keys = {1, 1, 1}, .write = LPush},
    {.name = "rpush", .arity = -3, .flags = kWrite, .keys = {1, 1, 1}, .write = RPush},
    {.name = "lpushx", .arity = -3, .flags = kWrite, .keys = {1, 1, 1}, .write = LPushX},
    {.name = "rpushx", .arity = -3, .flags = kWrite, .keys = {1, 1, 1}, .write = RPushX},
    {.name = "lpop", .arity = -2, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1}, .write = LPop},
    {.name = "rpop", .arity = -2, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1}, .write = RPop},
    {.name = "lset",
     .arity = 4,
     .flags = kCmdWrite | kCmdDenyOom,
     .keys = {1, 1, 1},
     .write = LSet},
    {.name = "linsert",
     .arity = 5,
     .flags = kCmdWrite | kCmdDenyOom,
     .keys = {1, 1, 1},
     .write = LInsert},
    {.name = "lrem", .arity = 4, .flags = kCmdWrite, .keys = {1, 1, 1}, .write = LRem},
    {.name = "ltrim", .arity = 4, .flags = kCmdWrite, .keys = {1, 1, 1}, .write = LTrim},
    {.name = "lmove",
     .arity = 5,
     .flags = kCmdWrite | kCmdDenyOom,
     .keys = {1, 2, 1},
     .write = LMove},
    {.name = "rpoplpush",
     .arity = 3,
     .flags = kCmdWrite | kCmdDenyOom,
     .keys = {1, 2, 1},
     .write = RPopLPush},
    {.name = "lmpop", .arity = -4, .flags = kCmdWrite, .keys = {0, 0, 0}, .write = LMPop},
    {.name = "blpop",
     .arity = -3,
     .flags = kCmdWrite | kCmdNoscript | kCmdBlocking,
     .keys = {1, -2, 1},
     .write = BLPop},
    {.name = "brpop",
     .arity = -3,
     .flags = kCmdWrite | kCmdNoscript | kCmdBlocking,
     .keys = {1, -2, 1},
     .write = BRPop},
    {.name = "blmove",
     .arity = 6,
     .flags = kCmdWrite | kCmdDenyOom | kCmdNoscript | kCmdBlocking,
     .keys = {1, 2, 1},
     .write = BLMove},
    {.name = "brpoplpush",
     .arity = 4,
     .flags = kCmdWrite | kCmdDenyOom | kCmdNoscript | kCmdBlocking,
     .keys = {1, 2, 1},
     .write = BRPopLPush},
    {.name = "blmpop",
     .arity = -5,
     .flags = kCmdWrite | kCmdBlocking,
     .keys = {0, 0, 0},
     .write = BLMPop},
};

}  // namespace

std::span<const CommandSpec> ListCommands() { return kCommands; }

}  // namespace stash
