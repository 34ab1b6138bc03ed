// Keyspace commands (Redis 7.0 db.c): EXISTS TYPE TOUCH KEYS RANDOMKEY DBSIZE on the
// connection's thread; DEL UNLINK RENAME RENAMENX COPY MOVE FLUSHDB FLUSHALL SWAPDB on the
// writer.
#include <fmt/format.h>

#include <limits>
#include <random>
#include <vector>

#include "cmd/command_table.h"
#include "cmd/errors.h"
#include "cmd/keyspace_util.h"
#include "cmd/reply_util.h"
#include "cmd/server_api.h"
#include "cmd/session.h"
#include "config/config.h"
#include "resp/reply_writer.h"
#include "store/collection.h"
#include "store/txn.h"
#include "util/glob.h"

namespace stash {
namespace {

using store::Record;

// --- reads ---

CommandStatus Exists(CommandContext& c) {
  MultiKeyRead read(c);
  int64_t n = 0;
  for (size_t i = 1; i < c.argv.size(); i++) {
    Record r;
    Status s = read.Get(c.argv[i], &r);
    if (!s.ok() && !s.IsNotFound()) return EngineError(s);
    n += s.ok() ? 1 : 0;
  }
  c.out.Integer(n);
  return {};
}

CommandStatus Type(CommandContext& c) {
  Record r;
  bool found;
  STASH_RETURN_IF_FAILED(LookupRead(c, c.argv[1], &r, &found));
  c.out.Simple(found ? store::TypeName(r.type) : "none");
  return {};
}

CommandStatus Keys(CommandContext& c) {
  const std::string& pattern = c.argv[1];
  std::vector<std::string> keys;
  Status s =
      ForEachLiveKey(c, LiteralPrefix(pattern), "", [&](std::string_view key, const Record&) {
        if (GlobMatch(pattern, key, false)) keys.emplace_back(key);
        return true;
      });
  if (!s.ok()) return EngineError(s);
  c.out.BulkArray(keys);
  return {};
}

CommandStatus Touch(CommandContext& c) { return Exists(c); }

CommandStatus RandomKey(CommandContext& c) {
  // A random descent through the sorted keys, one byte at a time: at each step every byte that
  // continues a live key (and the end of a key) is equally likely. Seeking to one random point
  // instead lands before or after a run of keys with a common prefix ("user:...") nearly
  // always, and returns the same key every time.
  constexpr int kMaxSeeks = 512;
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string prefix, key;
  int seeks = 0;
  Status s;
  // The first live key >= from that starts with prefix, into key; false when there is none.
  auto next = [&](const std::string& from) {
    bool have = false;
    seeks++;
    s = ForEachLiveKey(c, prefix, from, [&](std::string_view k, const Record&) {
      key.assign(k);
      have = true;
      return false;
    });
    return s.ok() && have;
  };
  while (true) {
    std::vector<int> branches;  // the bytes that follow prefix; -1: prefix is itself a key
    for (bool have = next(prefix); have && seeks <= kMaxSeeks;) {
      if (key.size() == prefix.size()) {
        branches.push_back(-1);
        have = next(prefix + '\0');
        continue;
      }
      auto b = static_cast<unsigned char>(key[prefix.size()]);
      branches.push_back(b);
      if (b == 0xff) break;
      have = next(prefix + static_cast<char>(b + 1));
    }
    if (!s.ok()) return EngineError(s);
    if (branches.empty()) {
      if (prefix.empty()) {
        c.out.Null();
        return {};
      }
      prefix.clear();  // what we descended into expired meanwhile: start over
      continue;
    }
    int pick = branches[rng() % branches.size()];
    if (pick < 0) {
      c.out.Bulk(prefix);
      return {};
    }
    prefix.push_back(static_cast<char>(pick));
    if (seeks > kMaxSeeks) {  // out of budget: the first key of the chosen branch
      if (next(prefix)) {
        c.out.Bulk(key);
        return {};
      }
      if (!s.ok()) return EngineError(s);
      prefix.clear();
    }
  }
  return {};
}

CommandStatus DbSize(CommandContext& c) {
  uint64_t keys, expires;
  Status s = c.keys.DbSize(c.session.db(), NowMs(), &keys, &expires);
  if (!s.ok()) return EngineError(s);
  c.out.Integer(static_cast<int64_t>(keys));
  return {};
}

// OBJECT ENCODING: Redis's name for what it would use for this value. Strings by their bytes;
// hashes and sets by their size class under hash-max-listpack-entries and
// set-max-intset-entries, sorted sets under zset-max-listpack-entries (the length of hash values
// and members is not tracked: a small hash or sorted set is listpack); lists are quicklist, as
// Redis 7.0's always are.
std::string_view Encoding(CommandContext& c, const Record& r) {
  if (r.type == store::ValueType::kString) {
    int64_t v;
    if (r.payload.size() <= 20 && ParseInteger(r.payload, &v)) return "int";
    return r.payload.size() <= 44 ? "embstr" : "raw";
  }
  if (r.type == store::ValueType::kList) return "quicklist";  // Redis 7.0's only list encoding
  if (r.type == store::ValueType::kStream) return "stream";
  store::CollectionMeta meta;
  store::DecodeCollectionMeta(r.payload, &meta);
  const Settings settings = c.server.config().Snapshot();
  if (r.type == store::ValueType::kHash) {
    return static_cast<int64_t>(meta.count) <= settings.hash_max_listpack_entries ? "listpack"
                                                                                  : "hashtable";
  }
  if (r.type == store::ValueType::kZSet) {
    return meta.skiplist() ? "skiplist" : "listpack";
  }
  if (r.type == store::ValueType::kSet && meta.non_integers == 0 &&
      static_cast<int64_t>(meta.count) <= settings.set_max_intset_entries) {
    return "intset";
  }
  return "hashtable";
}

CommandStatus ObjectEncoding(CommandContext& c) {
  Record r;
  bool found;
  STASH_RETURN_IF_FAILED(LookupRead(c, c.argv[2], &r, &found));
  found ? c.out.Bulk(Encoding(c, r)) : c.out.Null();
  return {};
}

// REFCOUNT and IDLETIME: values are not shared objects here, and access times are not kept.
CommandStatus ObjectConstant(CommandContext& c, int64_t value) {
  Record r;
  bool found;
  STASH_RETURN_IF_FAILED(LookupRead(c, c.argv[2], &r, &found));
  found ? c.out.Integer(value) : c.out.Null();
  return {};
}

CommandStatus ObjectRefCount(CommandContext& c) { return ObjectConstant(c, 1); }
CommandStatus ObjectIdleTime(CommandContext& c) { return ObjectConstant(c, 0); }

CommandStatus ObjectFreq(CommandContext&) {
  return Fail(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
      "that when switching between policies at runtime LRU and LFU data will take some time to "
      "adjust.");
}

CommandStatus ObjectHelp(CommandContext& c) {
  static const std::vector<std::string_view> kLines = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help."};
  ReplyHelp(c.out, kLines);
  return {};
}

// --- writes ---

CommandStatus Del(WriteContext& c) {
  int64_t n = 0;
  for (size_t i = 1; i < c.argv.size(); i++) {
    bool live;
    if (Status rs = c.txn.Delete(c.db, c.argv[i], c.now_ms, &live); ReadFailed(rs))
      return ReadFailure(rs);
    if (live) {
      n++;
      c.Notify(kNotifyGeneric, "del", c.argv[i]);
    }
  }
  c.out.Integer(n);
  return {};
}

// Redis's getIntFromObjectOrReply: an integer that fits an int.
bool ParseInt32(std::string_view arg, int64_t* v) {
  return ParseInteger(arg, v) && *v >= std::numeric_limits<int32_t>::min() &&
         *v <= std::numeric_limits<int32_t>::max();
}

// A collection's elements live under its key's name (store/layout.h): a record written under
// another key (RENAME, COPY, MOVE) takes a copy of them, under a fresh version.
CommandStatus Clone(WriteContext& c, int src_db, std::string_view src_key, int dst_db,
                    std::string_view dst_key, Record* r) {
  Status s =
      store::CloneElements(c.txn, c.txn.Slot(src_db), src_key, c.txn.Slot(dst_db), dst_key, r);
  return s.ok() ? CommandStatus() : ReadFailure(s);
}

CommandStatus RenameGeneric(WriteContext& c, bool nx) {
  Record r;
  Status s = c.txn.Get(c.db, c.argv[1], c.now_ms, &r);
  if (ReadFailed(s)) return ReadFailure(s);
  if (!s.ok()) return Fail(kNoSuchKeyError);
  if (c.argv[1] == c.argv[2]) {
    nx ? c.out.Integer(0) : c.out.Simple("OK");
    return {};
  }
  s = c.txn.Exists(c.db, c.argv[2], c.now_ms);
  if (ReadFailed(s)) return ReadFailure(s);
  const bool replaces = s.ok();
  if (nx && replaces) {
    c.out.Integer(0);
    return {};
  }
  STASH_RETURN_IF_FAILED(Clone(c, c.db, c.argv[1], c.db, c.argv[2], &r));
  if (Status rs = c.txn.Delete(c.db, c.argv[1], c.now_ms); ReadFailed(rs)) return ReadFailure(rs);
  if (Status ps = c.txn.Put(c.db, c.argv[2], r); !ps.ok()) return ReadFailure(ps);
  // Redis deletes a destination that exists and adds the key anew: "new" either way (the Txn
  // reports it when there was none).
  if (replaces) c.Notify(kNotifyNew, "new", c.argv[2]);
  c.Notify(kNotifyGeneric, "rename_from", c.argv[1]);
  c.Notify(kNotifyGeneric, "rename_to", c.argv[2]);
  nx ? c.out.Integer(1) : c.out.Simple("OK");
  return {};
}

CommandStatus Rename(WriteContext& c) { return RenameGeneric(c, false); }
CommandStatus RenameNx(WriteContext& c) { return RenameGeneric(c, true); }

CommandStatus Copy(WriteContext& c) {
  int dst_db = c.db;
  bool replace = false;
  for (size_t i = 3; i < c.argv.size(); i++) {
    if (EqualsIgnoreCase(c.argv[i], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(c.argv[i], "db") && i + 1 < c.argv.size()) {
      STASH_RETURN_IF_FAILED(ParseDbIndex(c.argv[++i], c.txn.databases(), &dst_db));
    } else {
      return Fail(kSyntaxError);
    }
  }
  if (dst_db == c.db && c.argv[1] == c.argv[2]) {
    return Fail("ERR source and destination objects are the same");
  }
  Record r;
  Status s = c.txn.Get(c.db, c.argv[1], c.now_ms, &r);
  if (ReadFailed(s)) return ReadFailure(s);
  CountLookup(c, c.argv[1], s.ok());  // Redis reads COPY's source as a keyspace lookup
  if (!s.ok()) {
    c.out.Integer(0);
    return {};
  }
  s = c.txn.Exists(dst_db, c.argv[2], c.now_ms);
  if (ReadFailed(s)) return ReadFailure(s);
  if (s.ok()) {
    if (!replace) {
      c.out.Integer(0);
      return {};
    }
    if (Status rs = c.txn.Delete(dst_db, c.argv[2], c.now_ms); ReadFailed(rs))
      return ReadFailure(rs);
  }
  STASH_RETURN_IF_FAILED(Clone(c, c.db, c.argv[1], dst_db, c.argv[2], &r));
  if (Status ps = c.txn.Put(dst_db, c.argv[2], r); !ps.ok()) return ReadFailure(ps);
  c.Notify(kNotifyGeneric, "copy_to", c.argv[2], dst_db);
  c.out.Integer(1);
  return {};
}

CommandStatus Move(WriteContext& c) {
  int dst_db;
  STASH_RETURN_IF_FAILED(ParseDbIndex(c.argv[2], c.txn.databases(), &dst_db));
  if (dst_db == c.db) return Fail("ERR source and destination objects are the same");
  Record r;
  Status s = c.txn.Get(c.db, c.argv[1], c.now_ms, &r);
  if (ReadFailed(s)) return ReadFailure(s);
  if (!s.ok()) {
    c.out.Integer(0);
    return {};
  }
  s = c.txn.Exists(dst_db, c.argv[1], c.now_ms);
  if (ReadFailed(s)) return ReadFailure(s);
  if (s.ok()) {
    c.out.Integer(0);
    return {};
  }
  STASH_RETURN_IF_FAILED(Clone(c, c.db, c.argv[1], dst_db, c.argv[1], &r));
  if (Status rs = c.txn.Delete(c.db, c.argv[1], c.now_ms); ReadFailed(rs)) return ReadFailure(rs);
  if (Status ps = c.txn.Put(dst_db, c.argv[1], r); !ps.ok()) return ReadFailure(ps);
  c.Notify(kNotifyGeneric, "move_from", c.argv[1]);
  c.Notify(kNotifyGeneric, "move_to", c.argv[1], dst_db);
  c.out.Integer(1);
  return {};
}

CommandStatus ParseFlushMode(WriteContext& c) {
  if (c.argv.size() > 2 || (c.argv.size() == 2 && !EqualsIgnoreCase(c.argv[1], "sync") &&
                            !EqualsIgnoreCase(c.argv[1], "async"))) {
    return Fail(kSyntaxError);
  }
  return {};  // both modes are O(1) here: the database moves to a fresh slot
}

CommandStatus FlushDb(WriteContext& c) {
  STASH_RETURN_IF_FAILED(ParseFlushMode(c));
  c.txn.FlushDb(c.db);
  c.out.Simple("OK");
  return {};
}

CommandStatus FlushAll(WriteContext& c) {
  STASH_RETURN_IF_FAILED(ParseFlushMode(c));
  for (int db = 0; db < c.txn.databases(); db++) c.txn.FlushDb(db);
  c.out.Simple("OK");
  return {};
}

CommandStatus SwapDb(WriteContext& c) {
  int64_t a, b;
  if (!ParseInt32(c.argv[1], &a)) return Fail("ERR invalid first DB index");
  if (!ParseInt32(c.argv[2], &b)) return Fail("ERR invalid second DB index");
  if (a < 0 || a >= c.txn.databases() || b < 0 || b >= c.txn.databases()) {
    return Fail(kDbIndexOutOfRangeError);
  }
  if (a != b) c.txn.SwapDb(static_cast<int>(a), static_cast<int>(b));
  c.out.Simple("OK");
  return {};
}

constexpr uint32_t kRead = kCmdReadonly | kCmdFast;
constexpr uint32_t kWrite = kCmdWrite;

const CommandSpec kObjectSubcommands[] = {
    {.name = "encoding",
     .arity = 3,
     .flags = kCmdReadonly,
     .keys = {2, 2, 1},
     .handler = ObjectEncoding},
    {.name = "refcount",
     .arity = 3,
     .flags = kCmdReadonly,
     .keys = {2, 2, 1},
     .handler = ObjectRefCount},
    {.name = "idletime",
     .arity = 3,
     .flags = kCmdReadonly,
     .keys = {2, 2, 1},
     .handler = ObjectIdleTime},
    {.name = "freq", .arity = 3, .flags = kCmdReadonly, .keys = {2, 2, 1}, .handler = ObjectFreq},
    {.name = "help", .arity = 2, .flags = kCmdLoading | kCmdStale, .handler = ObjectHelp},
};

const CommandSpec kCommands[] = {
    {.name = "object", .arity = -2, .subcommands = kObjectSubcommands},
    {.name = "exists", .arity = -2, .flags = kRead, .keys = {1, -1, 1}, .handler = Exists},
    {.name = "type", .arity = 2, .flags = kRead, .keys = {1, 1, 1}, .handler = Type},
    {.name = "touch", .arity = -2, .flags = kRead, .keys = {1, -1, 1}, .handler = Touch},
    {.name = "keys", .arity = 2, .flags = kCmdReadonly, .handler = Keys},
    {.name = "randomkey", .arity = 1, .flags = kCmdReadonly, .handler = RandomKey},
    {.name = "dbsize", .arity = 1, .flags = kRead, .handler = DbSize},
    {.name = "del", .arity = -2, .flags = kWrite, .keys = {1, -1, 1}, .write = Del},
    {.name = "unlink", .arity = -2, .flags = kWrite | kCmdFast, .keys = {1, -1, 1}, .write = Del},
    {.name = "rename", .arity = 3, .flags = kWrite, .keys = {1, 2, 1}, .write = Rename},
    {.name = "renamenx",
     .arity = 3,
     .flags = kWrite | kCmdFast,
     .keys = {1, 2, 1},
     .write = RenameNx},
    {.name = "copy", .arity = -3, .flags = kWrite | kCmdDenyOom, .keys = {1, 2, 1}, .write = Copy},
    {.name = "move", .arity = 3, .flags = kWrite | kCmdFast, .keys = {1, 1, 1}, .write = Move},
    {.name = "flushdb", .arity = -1, .flags = kWrite, .write = FlushDb},
    {.name = "flushall", .arity = -1, .flags = kWrite, .write = FlushAll},
    {.name = "swapdb", .arity = 3, .flags = kWrite | kCmdFast, .write = SwapDb},
};

}  // namespace

std::span<const CommandSpec> KeyCommands() { return kCommands; }

}  // namespace stash
