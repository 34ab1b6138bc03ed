// Strings (Redis 7.0 t_string.c semantics): GET MGET STRLEN GETRANGE SUBSTR run on the
// connection's thread; SET SETNX SETEX PSETEX GETSET GETDEL GETEX MSET MSETNX APPEND SETRANGE
// INCR DECR INCRBY DECRBY INCRBYFLOAT run on the writer.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <optional>

#include "cmd/command_table.h"
#include "cmd/keyspace_util.h"
#include "cmd/reply_util.h"
#include "net/connection.h"
#include "resp/reply_writer.h"
#include "server/server.h"
#include "store/txn.h"

namespace stash {
namespace {

using store::Record;
using store::ValueType;

constexpr int64_t kMaxStringLen = 512ll << 20;

// --- reads ---

void Get(CommandContext& c) {
  Record r;
  bool found;
  if (!LookupRead(c, c.argv[1], &r, &found)) return;
  if (!found) return c.out.Null();
  if (r.type != ValueType::kString) return c.out.Error(kWrongTypeError);
  c.out.Bulk(r.payload);
}

void MGet(CommandContext& c) {
  MultiKeyRead read(c);
  // Every key is read before the reply starts: an engine error is never a miss, and the whole
  // reply is then the error.
  std::vector<std::optional<std::string>> values(c.argv.size() - 1);
  for (size_t i = 1; i < c.argv.size(); i++) {
    Record r;
    Status s = read.Get(c.argv[i], &r);
    if (ReadFailed(s)) return c.out.Error("ERR " + s.ToString());
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
}

void StrLen(CommandContext& c) {
  Record r;
  bool found;
  if (!LookupRead(c, c.argv[1], &r, &found)) return;
  if (!found) return c.out.Integer(0);
  if (r.type != ValueType::kString) return c.out.Error(kWrongTypeError);
  c.out.Integer(static_cast<int64_t>(r.payload.size()));
}

void GetRange(CommandContext& c) {
  int64_t start, end;
  if (!ParseInteger(c.argv[2], &start) || !ParseInteger(c.argv[3], &end)) {
    return c.out.Error(kNotIntegerError);
  }
  Record r;
  bool found;
  if (!LookupRead(c, c.argv[1], &r, &found)) return;
  if (!found) return c.out.Bulk("");
  if (r.type != ValueType::kString) return c.out.Error(kWrongTypeError);
  int64_t len = static_cast<int64_t>(r.payload.size());
  if (start < 0 && end < 0 && start > end) return c.out.Bulk("");
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return c.out.Bulk("");
  c.out.Bulk(std::string_view(r.payload).substr(start, end - start + 1));
}

// --- writes ---

// The live string at key: false with a WRONGTYPE reply when the key holds another type, and
// false with no reply when the read failed (the writer replies the error).
bool ReadString(WriteContext& c, std::string_view key, Record* r, bool* found) {
  Status s = c.txn.Get(c.db, key, c.now_ms, r);
  if (ReadFailed(s)) return false;
  *found = s.ok();
  if (*found && r->type != ValueType::kString) {
    c.out.Error(kWrongTypeError);
    return false;
  }
  return true;
}

// false when the key's old record could not be read (nothing written; the writer replies).
bool StoreString(WriteContext& c, std::string_view key, std::string value, int64_t expire_at) {
  Record r;
  r.payload = std::move(value);
  r.expire_at_ms = expire_at;
  return c.txn.Put(c.db, key, r).ok();
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
// repeated, options that contradict each other are a syntax error. Replies and returns false on
// error.
bool ParseSetOptions(WriteContext& c, size_t first, bool getex, SetOptions* o) {
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
      c.out.Error(kSyntaxError);
      return false;
    }
  }
  return true;
}

// The absolute expiry time the options ask for (0: none). Replies and returns false when the
// argument is not a valid time.
bool SetOptionsExpireAt(WriteContext& c, const SetOptions& o, std::string_view cmd,
                        int64_t* expire_at) {
  *expire_at = 0;
  if (o.unit == 0) return true;
  std::string error;
  if (!ParseExpireTime(c.argv[o.expire_arg], o.unit, o.relative, false, c.now_ms, cmd, &error,
                       expire_at)) {
    c.out.Error(error);
    return false;
  }
  return true;
}

void Set(WriteContext& c) {
  SetOptions o;
  int64_t expire_at;
  if (!ParseSetOptions(c, 3, false, &o) || !SetOptionsExpireAt(c, o, "set", &expire_at)) return;
  Record old;
  bool found;
  if (o.get) {
    if (!ReadString(c, c.argv[1], &old, &found)) return;
    CountLookup(c.stats, found);
  } else {
    Status s = c.txn.Get(c.db, c.argv[1], c.now_ms, &old);
    if (ReadFailed(s)) return;
    found = s.ok();
  }
  bool apply = !(o.nx && found) && !(o.xx && !found);
  if (apply) {
    int64_t expire = o.keepttl && found ? old.expire_at_ms : expire_at;
    if (expire != 0 && expire <= c.now_ms) {
      // an absolute time already past: gone at once
      if (ReadFailed(c.txn.Delete(c.db, c.argv[1], c.now_ms))) return;
    } else if (!StoreString(c, c.argv[1], c.argv[2], expire)) {
      return;
    }
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
}

void SetNx(WriteContext& c) {
  Status s = c.txn.Exists(c.db, c.argv[1], c.now_ms);
  if (ReadFailed(s)) return;
  if (s.ok()) return c.out.Integer(0);
  if (!StoreString(c, c.argv[1], c.argv[2], 0)) return;
  c.out.Integer(1);
}

void SetExGeneric(WriteContext& c, int64_t unit, std::string_view cmd) {
  int64_t when;
  std::string error;
  if (!ParseExpireTime(c.argv[2], unit, true, false, c.now_ms, cmd, &error, &when)) {
    return c.out.Error(error);
  }
  if (!StoreString(c, c.argv[1], c.argv[3], when)) return;
  c.out.Simple("OK");
}

void SetEx(WriteContext& c) { SetExGeneric(c, 1000, "setex"); }
void PSetEx(WriteContext& c) { SetExGeneric(c, 1, "psetex"); }

void GetSet(WriteContext& c) {
  Record old;
  bool found;
  if (!ReadString(c, c.argv[1], &old, &found)) return;
  CountLookup(c.stats, found);
  if (!StoreString(c, c.argv[1], c.argv[2], 0)) return;
  if (found) {
    c.out.Bulk(old.payload);
  } else {
    c.out.Null();
  }
}

void GetDel(WriteContext& c) {
  Record old;
  bool found;
  if (!ReadString(c, c.argv[1], &old, &found)) return;
  CountLookup(c.stats, found);
  if (!found) return c.out.Null();
  if (ReadFailed(c.txn.Delete(c.db, c.argv[1], c.now_ms))) return;
  c.out.Bulk(old.payload);
}

void GetEx(WriteContext& c) {
  SetOptions o;
  if (!ParseSetOptions(c, 2, true, &o)) return;
  Record r;
  bool found;
  if (!ReadString(c, c.argv[1], &r, &found)) return;
  CountLookup(c.stats, found);
  if (!found) return c.out.Null();  // like Redis: a missing key wins over a bad expiry time
  int64_t expire_at;
  if (!SetOptionsExpireAt(c, o, "getex", &expire_at)) return;
  if (expire_at != 0 && expire_at <= c.now_ms) {
    if (ReadFailed(c.txn.Delete(c.db, c.argv[1], c.now_ms))) return;
  } else if (expire_at != 0 || (o.persist && r.expire_at_ms != 0)) {
    Record updated = r;
    updated.expire_at_ms = o.persist ? 0 : expire_at;
    if (!c.txn.Put(c.db, c.argv[1], updated).ok()) return;
  }
  c.out.Bulk(r.payload);
}

bool CheckPairs(WriteContext& c, std::string_view cmd) {
  if (c.argv.size() % 2 == 1) return true;  // the name, then key/value pairs
  c.out.Error(fmt::format("ERR wrong number of arguments for '{}' command", cmd));
  return false;
}

void MSet(WriteContext& c) {
  if (!CheckPairs(c, "mset")) return;
  for (size_t i = 1; i + 1 < c.argv.size(); i += 2) {
    if (!StoreString(c, c.argv[i], c.argv[i + 1], 0)) return;
  }
  c.out.Simple("OK");
}

void MSetNx(WriteContext& c) {
  if (!CheckPairs(c, "msetnx")) return;
  for (size_t i = 1; i + 1 < c.argv.size(); i += 2) {
    Status s = c.txn.Exists(c.db, c.argv[i], c.now_ms);
    if (ReadFailed(s)) return;
    if (s.ok()) return c.out.Integer(0);
  }
  for (size_t i = 1; i + 1 < c.argv.size(); i += 2) {
    if (!StoreString(c, c.argv[i], c.argv[i + 1], 0)) return;
  }
  c.out.Integer(1);
}

bool CheckStringLength(WriteContext& c, int64_t total) {
  if (total <= kMaxStringLen) return true;
  c.out.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  return false;
}

void Append(WriteContext& c) {
  Record r;
  bool found;
  if (!ReadString(c, c.argv[1], &r, &found)) return;
  if (!found) r = Record();  // an expired record still holds its old value: start empty
  if (!CheckStringLength(c, static_cast<int64_t>(r.payload.size() + c.argv[2].size()))) return;
  r.payload += c.argv[2];
  if (!StoreString(c, c.argv[1], r.payload, found ? r.expire_at_ms : 0)) return;
  c.out.Integer(static_cast<int64_t>(r.payload.size()));
}

void SetRange(WriteContext& c) {
  int64_t offset;
  if (!ParseInteger(c.argv[2], &offset)) return c.out.Error(kNotIntegerError);
  if (offset < 0) return c.out.Error("ERR offset is out of range");
  Record r;
  bool found;
  if (!ReadString(c, c.argv[1], &r, &found)) return;
  const std::string& value = c.argv[3];
  if (value.empty()) return c.out.Integer(found ? static_cast<int64_t>(r.payload.size()) : 0);
  // offset alone first, so that offset + size cannot overflow.
  if (!CheckStringLength(c, offset) ||
      !CheckStringLength(c, offset + static_cast<int64_t>(value.size()))) {
    return;
  }
  if (!found) r = Record();
  if (r.payload.size() < offset + value.size()) r.payload.resize(offset + value.size(), '\0');
  r.payload.replace(offset, value.size(), value);
  if (!StoreString(c, c.argv[1], r.payload, r.expire_at_ms)) return;
  c.out.Integer(static_cast<int64_t>(r.payload.size()));
}

void IncrDecr(WriteContext& c, int64_t by) {
  Record r;
  bool found;
  if (!ReadString(c, c.argv[1], &r, &found)) return;
  int64_t value = 0;
  if (found && !ParseInteger(r.payload, &value)) return c.out.Error(kNotIntegerError);
  if ((by < 0 && value < 0 && by < std::numeric_limits<int64_t>::min() - value) ||
      (by > 0 && value > 0 && by > std::numeric_limits<int64_t>::max() - value)) {
    return c.out.Error("ERR increment or decrement would overflow");
  }
  value += by;
  if (!StoreString(c, c.argv[1], std::to_string(value), found ? r.expire_at_ms : 0)) return;
  c.out.Integer(value);
}

void Incr(WriteContext& c) { IncrDecr(c, 1); }
void Decr(WriteContext& c) { IncrDecr(c, -1); }

void IncrBy(WriteContext& c) {
  int64_t by;
  if (!ParseInteger(c.argv[2], &by)) return c.out.Error(kNotIntegerError);
  IncrDecr(c, by);
}

void DecrBy(WriteContext& c) {
  int64_t by;
  if (!ParseInteger(c.argv[2], &by)) return c.out.Error(kNotIntegerError);
  if (by == std::numeric_limits<int64_t>::min()) {
    return c.out.Error("ERR decrement would overflow");
  }
  IncrDecr(c, -by);
}

void IncrByFloat(WriteContext& c) {
  Record r;
  bool found;
  if (!ReadString(c, c.argv[1], &r, &found)) return;
  long double value = 0, by;
  if ((found && !ParseLongDouble(r.payload, &value)) || !ParseLongDouble(c.argv[2], &by)) {
    return c.out.Error(kNotFloatError);
  }
  value += by;
  if (std::isnan(value) || std::isinf(value)) {
    return c.out.Error("ERR increment would produce NaN or Infinity");
  }
  std::string text = FormatLongDouble(value);
  if (!StoreString(c, c.argv[1], text, found ? r.expire_at_ms : 0)) return;
  c.out.Bulk(text);
}

constexpr uint32_t kRead = kCmdReadonly | kCmdFast;
constexpr uint32_t kWrite = kCmdWrite | kCmdDenyOom;
constexpr uint32_t kWriteFast = kWrite | kCmdFast;

const CommandSpec kCommands[] = {
    {"get", 2, kRead, 1, 1, 1, Get},
    {"mget", -2, kRead, 1, -1, 1, MGet},
    {"strlen", 2, kRead, 1, 1, 1, StrLen},
    {"getrange", 4, kCmdReadonly, 1, 1, 1, GetRange},
    {"substr", 4, kCmdReadonly, 1, 1, 1, GetRange},
    {"set", -3, kWrite, 1, 1, 1, nullptr, {}, Set},
    {"setnx", 3, kWriteFast, 1, 1, 1, nullptr, {}, SetNx},
    {"setex", 4, kWrite, 1, 1, 1, nullptr, {}, SetEx},
    {"psetex", 4, kWrite, 1, 1, 1, nullptr, {}, PSetEx},
    {"getset", 3, kWriteFast, 1, 1, 1, nullptr, {}, GetSet},
    {"getdel", 2, kWriteFast, 1, 1, 1, nullptr, {}, GetDel},
    {"getex", -2, kWriteFast, 1, 1, 1, nullptr, {}, GetEx},
    {"mset", -3, kWrite, 1, -1, 2, nullptr, {}, MSet},
    {"msetnx", -3, kWrite, 1, -1, 2, nullptr, {}, MSetNx},
    {"append", 3, kWriteFast, 1, 1, 1, nullptr, {}, Append},
    {"setrange", 4, kWrite, 1, 1, 1, nullptr, {}, SetRange},
    {"incr", 2, kWriteFast, 1, 1, 1, nullptr, {}, Incr},
    {"decr", 2, kWriteFast, 1, 1, 1, nullptr, {}, Decr},
    {"incrby", 3, kWriteFast, 1, 1, 1, nullptr, {}, IncrBy},
    {"decrby", 3, kWriteFast, 1, 1, 1, nullptr, {}, DecrBy},
    {"incrbyfloat", 3, kWriteFast, 1, 1, 1, nullptr, {}, IncrByFloat},
};

}  // namespace

std::span<const CommandSpec> StringCommands() { return kCommands; }

}  // namespace stash
