// Helpers shared by the data commands: Redis's error texts, key lookups on the read path
// (connection thread) with keyspace hit/miss counting, and number parsing/formatting.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cmd/command.h"
#include "lsm/db.h"
#include "net/connection.h"
#include "server/server.h"
#include "store/key_reader.h"
#include "store/layout.h"
#include "store/store.h"

namespace stash {

inline constexpr const char* kWrongTypeError =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr const char* kNotIntegerError = "ERR value is not an integer or out of range";
inline constexpr const char* kSyntaxError = "ERR syntax error";
inline constexpr const char* kNotFloatError = "ERR value is not a valid float";

int64_t NowMs();

// A write handler whose Txn read failed just returns: the writer takes its writes back and
// replies the error.
using store::ReadFailed;

// Connection-thread read of a live key. Counts a keyspace hit or miss. On an engine error,
// replies it and returns false with *found unset.
bool LookupRead(CommandContext& c, std::string_view key, store::Record* out, bool* found);

// One read point for a command that reads several keys (MGET, EXISTS, TOUCH): the slot of the
// connection's database and an engine snapshot, both taken once, so that a concurrent MSET or
// SWAPDB is seen entirely or not at all. Connection thread; lives for one command.
class MultiKeyRead {
 public:
  explicit MultiKeyRead(CommandContext& c);
  ~MultiKeyRead();
  MultiKeyRead(const MultiKeyRead&) = delete;
  MultiKeyRead& operator=(const MultiKeyRead&) = delete;
  // Like LookupRead (counts a hit or miss) but returns the engine's answer: OK, NotFound (absent
  // or expired) or an error, and replies nothing.
  Status Get(std::string_view key, store::Record* out);

 private:
  CommandContext& c_;
  uint32_t slot_;
  const Snapshot* snapshot_;
  int64_t now_ms_;
};

// Counts a keyspace hit or miss, for the write commands Redis counts too (GETSET, GETDEL, GETEX,
// SET ... GET, COPY's source).
void CountLookup(ServerStats& stats, bool hit);

// Redis's string2ld-based float parsing (no spaces, no "nan").
bool ParseLongDouble(std::string_view s, long double* value);
// Redis's ld2string(LD_STR_HUMAN): up to 17 significant digits, no exponent, trailing zeros
// trimmed.
std::string FormatLongDouble(long double v);

// Parses the expire argument of SET/GETEX/SETEX (strictly positive) or EXPIRE and friends
// (allow_negative) into an absolute unix time in ms. unit_ms is 1000 for seconds, 1 for ms;
// relative adds now_ms. On error writes Redis's reply text into *error: "ERR value is not an
// integer or out of range" or "ERR invalid expire time in 'set' command".
bool ParseExpireTime(std::string_view arg, int64_t unit_ms, bool relative, bool allow_negative,
                     int64_t now_ms, std::string_view command, std::string* error,
                     int64_t* when_ms);

// The literal part of a glob pattern before its first special character: every match starts
// with it, so a scan can seek straight to it.
std::string LiteralPrefix(std::string_view pattern);

// Calls fn(user_key, record) for each live key of the connection's database that starts with
// prefix and is >= from (from empty: from the start of prefix), in key order, until fn returns
// false.
// Returns the iterator's status.
template <typename Fn>
Status ForEachLiveKey(CommandContext& c, std::string_view prefix, std::string_view from, Fn&& fn) {
  uint32_t slot;
  std::unique_ptr<Iterator> it = c.keys.NewIterator(c.conn.db(), &slot);
  std::string start = store::MetaKey(slot, prefix);
  int64_t now = NowMs();
  it->Seek(from.empty() ? start : store::MetaKey(slot, from));
  for (; it->Valid(); it->Next()) {
    std::string_view k = it->key();
    if (k.substr(0, start.size()) != start) break;
    store::Record r;
    if (!store::DecodeRecord(it->value(), &r)) continue;
    if (r.expire_at_ms != 0 && r.expire_at_ms <= now) continue;
    if (!fn(k.substr(5), r)) break;
  }
  return it->status();
}

}  // namespace stash
