// Keyspace commands (Redis 7.0 db.c): EXISTS TYPE TOUCH KEYS RANDOMKEY DBSIZE on the
// connection's thread; DEL UNLINK RENAME RENAMENX COPY MOVE FLUSHDB FLUSHALL SWAPDB on the
// writer.
#include <fmt/format.h>

#include <limits>
#include <random>
#include <vector>

#include "cmd/command_table.h"
#include "cmd/keyspace_util.h"
#include "cmd/reply_util.h"
#include "net/connection.h"
#include "resp/reply_writer.h"
#include "server/server.h"
#include "store/txn.h"
#include "util/glob.h"

namespace stash {
namespace {

using store::Record;

// --- reads ---

void Exists(CommandContext& c) {
  MultiKeyRead read(c);
  int64_t n = 0;
  for (size_t i = 1; i < c.argv.size(); i++) {
    Record r;
    Status s = read.Get(c.argv[i], &r);
    if (!s.ok() && !s.IsNotFound()) return c.out.Error("ERR " + s.ToString());
    n += s.ok() ? 1 : 0;
  }
  c.out.Integer(n);
}

void Type(CommandContext& c) {
  Record r;
  bool found;
  if (!LookupRead(c, c.argv[1], &r, &found)) return;
  c.out.Simple(found ? store::TypeName(r.type) : "none");
}

void Keys(CommandContext& c) {
  const std::string& pattern = c.argv[1];
  std::vector<std::string> keys;
  Status s =
      ForEachLiveKey(c, LiteralPrefix(pattern), "", [&](std::string_view key, const Record&) {
        if (GlobMatch(pattern, key, false)) keys.emplace_back(key);
        return true;
      });
  if (!s.ok()) return c.out.Error("ERR " + s.ToString());
  c.out.BulkArray(keys);
}

void Touch(CommandContext& c) { Exists(c); }

void RandomKey(CommandContext& c) {
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
    if (!s.ok()) return c.out.Error("ERR " + s.ToString());
    if (branches.empty()) {
      if (prefix.empty()) return c.out.Null();
      prefix.clear();  // what we descended into expired meanwhile: start over
      continue;
    }
    int pick = branches[rng() % branches.size()];
    if (pick < 0) return c.out.Bulk(prefix);
    prefix.push_back(static_cast<char>(pick));
    if (seeks > kMaxSeeks) {  // out of budget: the first key of the chosen branch
      if (next(prefix)) return c.out.Bulk(key);
      if (!s.ok()) return c.out.Error("ERR " + s.ToString());
      prefix.clear();
    }
  }
}

void DbSize(CommandContext& c) {
  uint64_t keys, expires;
  Status s = c.keys.DbSize(c.conn.db(), NowMs(), &keys, &expires);
  if (!s.ok()) return c.out.Error("ERR " + s.ToString());
  c.out.Integer(static_cast<int64_t>(keys));
}

// --- writes ---

void Del(WriteContext& c) {
  int64_t n = 0;
  for (size_t i = 1; i < c.argv.size(); i++) {
    bool live;
    if (ReadFailed(c.txn.Delete(c.db, c.argv[i], c.now_ms, &live))) return;
    n += live ? 1 : 0;
  }
  c.out.Integer(n);
}

// Redis's getIntFromObjectOrReply: an integer that fits an int.
bool ParseInt32(std::string_view arg, int64_t* v) {
  return ParseInteger(arg, v) && *v >= std::numeric_limits<int32_t>::min() &&
         *v <= std::numeric_limits<int32_t>::max();
}

bool ParseDbIndex(WriteContext& c, std::string_view arg, int* db) {
  int64_t v;
  if (!ParseInteger(arg, &v)) {
    c.out.Error(kNotIntegerError);
    return false;
  }
  if (!ParseInt32(arg, &v)) {
    c.out.Error("ERR value is out of range, value must between -2147483648 and 2147483647");
    return false;
  }
  if (v < 0 || v >= c.txn.databases()) {
    c.out.Error("ERR DB index is out of range");
    return false;
  }
  *db = static_cast<int>(v);
  return true;
}

void RenameGeneric(WriteContext& c, bool nx) {
  Record r;
  Status s = c.txn.Get(c.db, c.argv[1], c.now_ms, &r);
  if (ReadFailed(s)) return;
  if (!s.ok()) return c.out.Error("ERR no such key");
  if (c.argv[1] == c.argv[2]) return nx ? c.out.Integer(0) : c.out.Simple("OK");
  if (nx) {
    s = c.txn.Exists(c.db, c.argv[2], c.now_ms);
    if (ReadFailed(s)) return;
    if (s.ok()) return c.out.Integer(0);
  }
  if (ReadFailed(c.txn.Delete(c.db, c.argv[1], c.now_ms))) return;
  if (!c.txn.Put(c.db, c.argv[2], r).ok()) return;
  nx ? c.out.Integer(1) : c.out.Simple("OK");
}

void Rename(WriteContext& c) { RenameGeneric(c, false); }
void RenameNx(WriteContext& c) { RenameGeneric(c, true); }

void Copy(WriteContext& c) {
  int dst_db = c.db;
  bool replace = false;
  for (size_t i = 3; i < c.argv.size(); i++) {
    if (EqualsIgnoreCase(c.argv[i], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(c.argv[i], "db") && i + 1 < c.argv.size()) {
      if (!ParseDbIndex(c, c.argv[++i], &dst_db)) return;
    } else {
      return c.out.Error(kSyntaxError);
    }
  }
  if (dst_db == c.db && c.argv[1] == c.argv[2]) {
    return c.out.Error("ERR source and destination objects are the same");
  }
  Record r;
  Status s = c.txn.Get(c.db, c.argv[1], c.now_ms, &r);
  if (ReadFailed(s)) return;
  CountLookup(c.stats, s.ok());  // Redis reads COPY's source as a keyspace lookup
  if (!s.ok()) return c.out.Integer(0);
  s = c.txn.Exists(dst_db, c.argv[2], c.now_ms);
  if (ReadFailed(s)) return;
  if (s.ok()) {
    if (!replace) return c.out.Integer(0);
    if (ReadFailed(c.txn.Delete(dst_db, c.argv[2], c.now_ms))) return;
  }
  if (!c.txn.Put(dst_db, c.argv[2], r).ok()) return;
  c.out.Integer(1);
}

void Move(WriteContext& c) {
  int dst_db;
  if (!ParseDbIndex(c, c.argv[2], &dst_db)) return;
  if (dst_db == c.db) return c.out.Error("ERR source and destination objects are the same");
  Record r;
  Status s = c.txn.Get(c.db, c.argv[1], c.now_ms, &r);
  if (ReadFailed(s)) return;
  if (!s.ok()) return c.out.Integer(0);
  s = c.txn.Exists(dst_db, c.argv[1], c.now_ms);
  if (ReadFailed(s)) return;
  if (s.ok()) return c.out.Integer(0);
  if (ReadFailed(c.txn.Delete(c.db, c.argv[1], c.now_ms))) return;
  if (!c.txn.Put(dst_db, c.argv[1], r).ok()) return;
  c.out.Integer(1);
}

bool ParseFlushMode(WriteContext& c) {
  if (c.argv.size() > 2 || (c.argv.size() == 2 && !EqualsIgnoreCase(c.argv[1], "sync") &&
                            !EqualsIgnoreCase(c.argv[1], "async"))) {
    c.out.Error(kSyntaxError);
    return false;
  }
  return true;  // both modes are O(1) here: the database moves to a fresh slot
}

void FlushDb(WriteContext& c) {
  if (!ParseFlushMode(c)) return;
  c.txn.FlushDb(c.db);
  c.out.Simple("OK");
}

void FlushAll(WriteContext& c) {
  if (!ParseFlushMode(c)) return;
  for (int db = 0; db < c.txn.databases(); db++) c.txn.FlushDb(db);
  c.out.Simple("OK");
}

void SwapDb(WriteContext& c) {
  int64_t a, b;
  if (!ParseInt32(c.argv[1], &a)) return c.out.Error("ERR invalid first DB index");
  if (!ParseInt32(c.argv[2], &b)) return c.out.Error("ERR invalid second DB index");
  if (a < 0 || a >= c.txn.databases() || b < 0 || b >= c.txn.databases()) {
    return c.out.Error("ERR DB index is out of range");
  }
  if (a != b) c.txn.SwapDb(static_cast<int>(a), static_cast<int>(b));
  c.out.Simple("OK");
}

constexpr uint32_t kRead = kCmdReadonly | kCmdFast;
constexpr uint32_t kWrite = kCmdWrite;

const CommandSpec kCommands[] = {
    {"exists", -2, kRead, 1, -1, 1, Exists},
    {"type", 2, kRead, 1, 1, 1, Type},
    {"touch", -2, kRead, 1, -1, 1, Touch},
    {"keys", 2, kCmdReadonly, 0, 0, 0, Keys},
    {"randomkey", 1, kCmdReadonly, 0, 0, 0, RandomKey},
    {"dbsize", 1, kRead, 0, 0, 0, DbSize},
    {"del", -2, kWrite, 1, -1, 1, nullptr, {}, Del},
    {"unlink", -2, kWrite | kCmdFast, 1, -1, 1, nullptr, {}, Del},
    {"rename", 3, kWrite, 1, 2, 1, nullptr, {}, Rename},
    {"renamenx", 3, kWrite | kCmdFast, 1, 2, 1, nullptr, {}, RenameNx},
    {"copy", -3, kWrite | kCmdDenyOom, 1, 2, 1, nullptr, {}, Copy},
    {"move", 3, kWrite | kCmdFast, 1, 1, 1, nullptr, {}, Move},
    {"flushdb", -1, kWrite, 0, 0, 0, nullptr, {}, FlushDb},
    {"flushall", -1, kWrite, 0, 0, 0, nullptr, {}, FlushAll},
    {"swapdb", 3, kWrite | kCmdFast, 0, 0, 0, nullptr, {}, SwapDb},
};

}  // namespace

std::span<const CommandSpec> KeyCommands() { return kCommands; }

}  // namespace stash
