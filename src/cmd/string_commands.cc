// Strings (Redis 7.0 t_string.c semantics): GET MGET STRLEN GETRANGE SUBSTR run on the
// connection's thread; SET SETNX SETEX PSETEX GETSET GETDEL GETEX MSET MSETNX APPEND SETRANGE
// INCR DECR INCRBY DECRBY INCRBYFLOAT run on the writer.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <optional>

#include "cmd/command_table.h"
#include "cmd/errors.h"
#include "cmd/keyspace_util.h"
#include "cmd/reply_util.h"
#include "resp/reply_writer.h"
#include "store/txn.h"

namespace stash {
namespace {

using store::Record;
using store::ValueType;

constexpr int64_t kMaxStringLen = 512ll << 20;

// --- reads ---

CommandStatus Get(CommandContext& c) {
  Record r;
  bool found;
  STASH_RETURN_IF_FAILED(LookupRead(c, c.argv[1], &r, &found));
  if (!found) {
    c.out.Null();
    return {};
  }
  if (r.type != ValueType::kString) return Fail(kWrongTypeError);
  c.out.Bulk(r.payload);
  return {};
}

CommandStatus MGet(CommandContext& c) {
  MultiKeyRead read(c);
  // Every key is read before the reply starts: an engine error is never a miss, and the whole
  // reply is then the error.
  std::vector<std::optional<std::string>> values(c.argv.size() - 1);
  for (size_t i = 1; i < c.argv.size(); i++) {
    Record r;
    Status s = read.Get(c.argv[i], &r);
    if (ReadFailed(s)) return EngineError(s);
    if (s.ok() && r.type == ValueType::kString) values[i - 1] = std::move(r.payload);
  }
  c.out.ArrayHeader(values.size());
  for (const auto& v : values) {
    if (v) {
      c.out.Bulk(*v);
    } else {
      c.out.Null();
    }
  }
  return {};
}

CommandStatus StrLen(CommandContext& c) {
  Record r;
  bool found;
  STASH_RETURN_IF_FAILED(LookupRead(c, c.argv[1], &r, &found));
  if (!found) {
    c.out.Integer(0);
    return {};
  }
  if (r.type != ValueType::kString) return Fail(kWrongTypeError);
  c.out.Integer(static_cast<int64_t>(r.payload.size()));
  return {};
}

CommandStatus GetRange(CommandContext& c) {
  int64_t start, end;
  if (!ParseInteger(c.argv[2], &start) || !ParseInteger(c.argv[3], &end)) {
    return Fail(kNotIntegerError);
  }
  Record r;
  bool found;
  STASH_RETURN_IF_FAILED(LookupRead(c, c.argv[1], &r, &found));
  if (!found) {
    c.out.Bulk("");
    return {};
  }
  if (r.type != ValueType::kString) return Fail(kWrongTypeError);
  int64_t len = static_cast<int64_t>(r.payload.size());
  if (start < 0 && end < 0 && start > end) {
    c.out.Bulk("");
    return {};
  }
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) {
    c.out.Bulk("");
    return {};
  }
  c.out.Bulk(std::string_view(r.payload).substr(start, end - start + 1));
  return {};
}

// --- writes ---

// The live string at key: WRONGTYPE when the key holds another type, a read error when the read
// failed.
CommandStatus ReadString(WriteContext& c, std::string_view key, Record* r, bool* found) {
  Status s = c.txn.Get(c.db, key, c.now_ms, r);
  if (ReadFailed(s)) return ReadFailure(s);
  *found = s.ok();
  if (*found && r->type != ValueType::kString) return Fail(kWrongTypeError);
  return {};
}

// Writes a string; a read failure when the key's old record could not be read (nothing
// written).
CommandStatus StoreString(WriteContext& c, std::string_view key, std::string_view value,
                          int64_t expire_at) {
  Status s = c.txn.Put(c.db, key, ValueType::kString, expire_at, value);
  return s.ok() ? CommandStatus() : ReadFailure(s);
}

struct SetOptions {
  bool nx = false, xx = false, get = false, keepttl = false, persist = false;
  // The expiry argument, if one was given: argv index, unit (1000 for EX/EXAT, 1 for PX/PXAT),
  // and whether it is relative to now. Redis validates it only after every option is parsed.
  size_t expire_arg = 0;
  int64_t unit = 0;
  bool relative = false;
};

// Parses SET's (or GETEX's) options from argv[first] with Redis's rules: the same option may be
// repeated, options that contradict each other are a syntax error.
CommandStatus ParseSetOptions(WriteContext& c, size_t first, bool getex, SetOptions* o) {
  for (size_t i = first; i < c.argv.size(); i++) {
    const std::string& a = c.argv[i];
    bool has_next = i + 1 < c.argv.size();
    int64_t unit = 0;
    bool relative = false;
    if (EqualsIgnoreCase(a, "ex")) {
      unit = 1000, relative = true;
    } else if (EqualsIgnoreCase(a, "px")) {
      unit = 1, relative = true;
    } else if (EqualsIgnoreCase(a, "exat")) {
      unit = 1000;
    } else if (EqualsIgnoreCase(a, "pxat")) {
      unit = 1;
    }
    bool other_expire = o->unit != 0 && (o->unit != unit || o->relative != relative);
    if (!getex && EqualsIgnoreCase(a, "nx") && !o->xx) {
      o->nx = true;
    } else if (!getex && EqualsIgnoreCase(a, "xx") && !o->nx) {
      o->xx = true;
    } else if (!getex && EqualsIgnoreCase(a, "get")) {
      o->get = true;
    } else if (!getex && EqualsIgnoreCase(a, "keepttl") && o->unit == 0) {
      o->keepttl = true;
    } else if (getex && EqualsIgnoreCase(a, "persist") && o->unit == 0) {
      o->persist = true;
    } else if (unit != 0 && has_next && !other_expire && !o->keepttl && !o->persist) {
      o->unit = unit;
      o->relative = relative;
      o->expire_arg = ++i;
    } else {
      return Fail(kSyntaxError);
    }
  }
  return {};
}

// The absolute expiry time the options ask for (0: none); an error when the argument is not a
// valid time.
CommandStatus SetOptionsExpireAt(WriteContext& c, const SetOptions& o, std::string_view cmd,
                                 int64_t* expire_at) {
  *expire_at = 0;
  if (o.unit == 0) return {};
  return ParseExpireTime(c.argv[o.expire_arg], o.unit, o.relative, false, c.now_ms, cmd, expire_at);
}

CommandStatus Set(WriteContext& c) {
  SetOptions o;
  int64_t expire_at;
  STASH_RETURN_IF_FAILED(ParseSetOptions(c, 3, false, &o));
  STASH_RETURN_IF_FAILED(SetOptionsExpireAt(c, o, "set", &expire_at));
  Record old;
  bool found;
  if (o.get) {
    STASH_RETURN_IF_FAILED(ReadString(c, c.argv[1], &old, &found));
    CountLookup(c, c.argv[1], found);
  } else {
    Status s = c.txn.Get(c.db, c.argv[1], c.now_ms, &old);
    if (ReadFailed(s)) return ReadFailure(s);
    found = s.ok();
  }
  bool apply = !(o.nx && found) && !(o.xx && !found);
  if (apply) {
    int64_t expire = o.keepttl && found ? old.expire_at_ms : expire_at;
    const bool past = expire != 0 && expire <= c.now_ms;
    if (past) {
      // An absolute time already past: gone at once. Redis sets it and reclaims it as expired
      // right after, so its events are those of a set, then an expiry.
      if (Status rs = c.txn.Delete(c.db, c.argv[1], c.now_ms); ReadFailed(rs))
        return ReadFailure(rs);
      if (!found) c.Notify(kNotifyNew, "new", c.argv[1]);
    } else {
      STASH_RETURN_IF_FAILED(StoreString(c, c.argv[1], c.argv[2], expire));
    }
    c.Notify(kNotifyString, "set", c.argv[1]);
    if (o.unit != 0) c.Notify(kNotifyGeneric, "expire", c.argv[1]);
    if (past) c.Notify(kNotifyExpired, "expired", c.argv[1]);
  }
  if (o.get) {
    if (found) {
      c.out.Bulk(old.payload);
    } else {
      c.out.Null();
    }
  } else if (apply) {
    c.out.Simple("OK");
  } else {
    c.out.Null();
  }
  return {};
}

CommandStatus SetNx(WriteContext& c) {
  Status s = c.txn.Exists(c.db, c.argv[1], c.now_ms);
  if (ReadFailed(s)) return ReadFailure(s);
  if (s.ok()) {
    c.out.Integer(0);
    return {};
  }
  STASH_RETURN_IF_FAILED(StoreString(c, c.argv[1], c.argv[2], 0));
  c.Notify(kNotifyString, "set", c.argv[1]);
  c.out.Integer(1);
  return {};
}

CommandStatus SetExGeneric(WriteContext& c, int64_t unit, std::string_view cmd) {
  int64_t when;
  STASH_RETURN_IF_FAILED(ParseExpireTime(c.argv[2], unit, true, false, c.now_ms, cmd, &when));
  STASH_RETURN_IF_FAILED(StoreString(c, c.argv[1], c.argv[3], when));
  c.Notify(kNotifyString, "set", c.argv[1]);
  c.Notify(kNotifyGeneric, "expire", c.argv[1]);
  c.out.Simple("OK");
  return {};
}

CommandStatus SetEx(WriteContext& c) { return SetExGeneric(c, 1000, "setex"); }
CommandStatus PSetEx(WriteContext& c) { return SetExGeneric(c, 1, "psetex"); }

CommandStatus GetSet(WriteContext& c) {
  Record old;
  bool found;
  STASH_RETURN_IF_FAILED(ReadString(c, c.argv[1], &old, &found));
  CountLookup(c, c.argv[1], found);
  STASH_RETURN_IF_FAILED(StoreString(c, c.argv[1], c.argv[2], 0));
  c.Notify(kNotifyString, "set", c.argv[1]);
  if (found) {
    c.out.Bulk(old.payload);
  } else {
    c.out.Null();
  }
  return {};
}

CommandStatus GetDel(WriteContext& c) {
  Record old;
  bool found;
  STASH_RETURN_IF_FAILED(ReadString(c, c.argv[1], &old, &found));
  CountLookup(c, c.argv[1], found);
  if (!found) {
    c.out.Null();
    return {};
  }
  if (Status rs = c.txn.Delete(c.db, c.argv[1], c.now_ms); ReadFailed(rs)) return ReadFailure(rs);
  c.Notify(kNotifyGeneric, "del", c.argv[1]);
  c.out.Bulk(old.payload);
  return {};
}

CommandStatus GetEx(WriteContext& c) {
  SetOptions o;
  STASH_RETURN_IF_FAILED(ParseSetOptions(c, 2, true, &o));
  Record r;
  bool found;
  STASH_RETURN_IF_FAILED(ReadString(c, c.argv[1], &r, &found));
  CountLookup(c, c.argv[1], found);
  if (!found) {  // like Redis: a missing key wins over a bad expiry time
    c.out.Null();
    return {};
  }
  int64_t expire_at;
  STASH_RETURN_IF_FAILED(SetOptionsExpireAt(c, o, "getex", &expire_at));
  if (expire_at != 0 && expire_at <= c.now_ms) {
    if (Status rs = c.txn.Delete(c.db, c.argv[1], c.now_ms); ReadFailed(rs)) return ReadFailure(rs);
    c.Notify(kNotifyGeneric, "del", c.argv[1]);
  } else if (expire_at != 0 || (o.persist && r.expire_at_ms != 0)) {
    Record updated = r;
    updated.expire_at_ms = o.persist ? 0 : expire_at;
    if (Status ps = c.txn.Put(c.db, c.argv[1], updated); !ps.ok()) return ReadFailure(ps);
    c.Notify(kNotifyGeneric, o.persist ? "persist" : "expire", c.argv[1]);
  }
  c.out.Bulk(r.payload);
  return {};
}

CommandStatus CheckPairs(WriteContext& c, std::string_view cmd) {
  if (c.argv.size() % 2 == 1) return {};  // the name, then key/value pairs
  return Fail(WrongArityError(cmd));
}

CommandStatus MSet(WriteContext& c) {
  STASH_RETURN_IF_FAILED(CheckPairs(c, "mset"));
  for (size_t i = 1; i + 1 < c.argv.size(); i += 2) {
    STASH_RETURN_IF_FAILED(StoreString(c, c.argv[i], c.argv[i + 1], 0));
    c.Notify(kNotifyString, "set", c.argv[i]);
  }
  c.out.Simple("OK");
  return {};
}

CommandStatus MSetNx(WriteContext& c) {
  STASH_RETURN_IF_FAILED(CheckPairs(c, "msetnx"));
  for (size_t i = 1; i + 1 < c.argv.size(); i += 2) {
    Status s = c.txn.Exists(c.db, c.argv[i], c.now_ms);
    if (ReadFailed(s)) return ReadFailure(s);
    if (s.ok()) {
      c.out.Integer(0);
      return {};
    }
  }
  for (size_t i = 1; i + 1 < c.argv.size(); i += 2) {
    STASH_RETURN_IF_FAILED(StoreString(c, c.argv[i], c.argv[i + 1], 0));
    c.Notify(kNotifyString, "set", c.argv[i]);
  }
  c.out.Integer(1);
  return {};
}

CommandStatus CheckStringLength(int64_t total) {
  if (total <= kMaxStringLen) return {};
  return Fail("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
}

CommandStatus Append(WriteContext& c) {
  Record r;
  bool found;
  STASH_RETURN_IF_FAILED(ReadString(c, c.argv[1], &r, &found));
  if (!found) r = Record();  // an expired record still holds its old value: start empty
  STASH_RETURN_IF_FAILED(
      CheckStringLength(static_cast<int64_t>(r.payload.size() + c.argv[2].size())));
  r.payload += c.argv[2];
  STASH_RETURN_IF_FAILED(StoreString(c, c.argv[1], r.payload, found ? r.expire_at_ms : 0));
  c.Notify(kNotifyString, "append", c.argv[1]);
  c.out.Integer(static_cast<int64_t>(r.payload.size()));
  return {};
}

CommandStatus SetRange(WriteContext& c) {
  int64_t offset;
  if (!ParseInteger(c.argv[2], &offset)) return Fail(kNotIntegerError);
  if (offset < 0) return Fail("ERR offset is out of range");
  Record r;
  bool found;
  STASH_RETURN_IF_FAILED(ReadString(c, c.argv[1], &r, &found));
  const std::string& value = c.argv[3];
  if (value.empty()) {
    c.out.Integer(found ? static_cast<int64_t>(r.payload.size()) : 0);
    return {};
  }
  // offset alone first, so that offset + size cannot overflow.
  STASH_RETURN_IF_FAILED(CheckStringLength(offset));
  STASH_RETURN_IF_FAILED(CheckStringLength(offset + static_cast<int64_t>(value.size())));
  if (!found) r = Record();
  if (r.payload.size() < offset + value.size()) r.payload.resize(offset + value.size(), '\0');
  r.payload.replace(offset, value.size(), value);
  STASH_RETURN_IF_FAILED(StoreString(c, c.argv[1], r.payload, r.expire_at_ms));
  c.Notify(kNotifyString, "setrange", c.argv[1]);
  c.out.Integer(static_cast<int64_t>(r.payload.size()));
  return {};
}

CommandStatus IncrDecr(WriteContext& c, int64_t by) {
  Record r;
  bool found;
  STASH_RETURN_IF_FAILED(ReadString(c, c.argv[1], &r, &found));
  int64_t value = 0;
  if (found && !ParseInteger(r.payload, &value)) return Fail(kNotIntegerError);
  if ((by < 0 && value < 0 && by < std::numeric_limits<int64_t>::min() - value) ||
      (by > 0 && value > 0 && by > std::numeric_limits<int64_t>::max() - value)) {
    return Fail(kOverflowError);
  }
  value += by;
  STASH_RETURN_IF_FAILED(
      StoreString(c, c.argv[1], std::to_string(value), found ? r.expire_at_ms : 0));
  c.Notify(kNotifyString, "incrby", c.argv[1]);
  c.out.Integer(value);
  return {};
}

CommandStatus Incr(WriteContext& c) { return IncrDecr(c, 1); }
CommandStatus Decr(WriteContext& c) { return IncrDecr(c, -1); }

CommandStatus IncrBy(WriteContext& c) {
  int64_t by;
  if (!ParseInteger(c.argv[2], &by)) return Fail(kNotIntegerError);
  return IncrDecr(c, by);
}

CommandStatus DecrBy(WriteContext& c) {
  int64_t by;
  if (!ParseInteger(c.argv[2], &by)) return Fail(kNotIntegerError);
  if (by == std::numeric_limits<int64_t>::min()) {
    return Fail("ERR decrement would overflow");
  }
  return IncrDecr(c, -by);
}

CommandStatus IncrByFloat(WriteContext& c) {
  Record r;
  bool found;
  STASH_RETURN_IF_FAILED(ReadString(c, c.argv[1], &r, &found));
  long double value = 0, by;
  if ((found && !ParseLongDouble(r.payload, &value)) || !ParseLongDouble(c.argv[2], &by)) {
    return Fail(kNotFloatError);
  }
  value += by;
  if (std::isnan(value) || std::isinf(value)) {
    return Fail("ERR increment would produce NaN or Infinity");
  }
  std::string text = FormatLongDouble(value);
  STASH_RETURN_IF_FAILED(StoreString(c, c.argv[1], text, found ? r.expire_at_ms : 0));
  c.Notify(kNotifyString, "incrbyfloat", c.argv[1]);
  c.out.Bulk(text);
  return {};
}

constexpr uint32_t kRead = kCmdReadonly | kCmdFast;
constexpr uint32_t kWrite = kCmdWrite | kCmdDenyOom;
constexpr uint32_t kWriteFast = kWrite | kCmdFast;

const CommandSpec kCommands[] = {
    {.name = "get", .arity = 2, .flags = kRead, .keys = {1, 1, 1}, .handler = Get},
    {.name = "mget", .arity = -2, .flags = kRead, .keys = {1, -1, 1}, .handler = MGet},
    {.name = "strlen", .arity = 2, .flags = kRead, .keys = {1, 1, 1}, .handler = StrLen},
    {.name = "getrange", .arity = 4, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = GetRange},
    {.name = "substr", .arity = 4, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = GetRange},
    {.name = "set", .arity = -3, .flags = kWrite, .keys = {1, 1, 1}, .write = Set},
    {.name = "setnx", .arity = 3, .flags = kWriteFast, .keys = {1, 1, 1}, .write = SetNx},
    {.name = "setex", .arity = 4, .flags = kWrite, .keys = {1, 1, 1}, .write = SetEx},
    {.name = "psetex", .arity = 4, .flags = kWrite, .keys = {1, 1, 1}, .write = PSetEx},
    {.name = "getset", .arity = 3, .flags = kWriteFast, .keys = {1, 1, 1}, .write = GetSet},
    {.name = "getdel", .arity = 2, .flags = kWriteFast, .keys = {1, 1, 1}, .write = GetDel},
    {.name = "getex", .arity = -2, .flags = kWriteFast, .keys = {1, 1, 1}, .write = GetEx},
    {.name = "mset", .arity = -3, .flags = kWrite, .keys = {1, -1, 2}, .write = MSet},
    {.name = "msetnx", .arity = -3, .flags = kWrite, .keys = {1, -1, 2}, .write = MSetNx},
    {.name = "append", .arity = 3, .flags = kWriteFast, .keys = {1, 1, 1}, .write = Append},
    {.name = "setrange", .arity = 4, .flags = kWrite, .keys = {1, 1, 1}, .write = SetRange},
    {.name = "incr", .arity = 2, .flags = kWriteFast, .keys = {1, 1, 1}, .write = Incr},
    {.name = "decr", .arity = 2, .flags = kWriteFast, .keys = {1, 1, 1}, .write = Decr},
    {.name = "incrby", .arity = 3, .flags = kWriteFast, .keys = {1, 1, 1}, .write = IncrBy},
    {.name = "decrby", .arity = 3, .flags = kWriteFast, .keys = {1, 1, 1}, .write = DecrBy},
    {.name = "incrbyfloat",
     .arity = 3,
     .flags = kWriteFast,
     .keys = {1, 1, 1},
     .write = IncrByFloat},
};

}  // namespace

std::span<const CommandSpec> StringCommands() { return kCommands; }

}  // namespace stash
