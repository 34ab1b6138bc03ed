// Helpers shared by the data commands: key lookups on the read path (connection thread) with
// keyspace hit/miss counting, read-error results, and argument parsing with Redis's rules.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "cmd/command.h"
#include "cmd/errors.h"
#include "config/notify_flags.h"
#include "store/key_reader.h"
#include "store/store.h"
#include "store/txn.h"
#include "util/clock.h"
#include "util/status.h"
#include "util/strings.h"

namespace stash {

struct CommandEntry;

// A write handler whose Txn read failed returns ReadFailure(s): the writer takes its writes back
// and replies the error (docs/errors.md).
using store::ReadFailed;
CommandStatus ReadFailure(const Status& s);
// A connection-thread read that failed: the command's reply is the engine's error.
CommandStatus EngineError(const Status& s);

// Connection-thread read of a live key in the session's database. Counts a keyspace hit or
// miss. On an engine error, returns it with *found unset.
CommandStatus LookupRead(CommandContext& c, std::string_view key, store::Record* out, bool* found);

// One read point for a command that reads several keys (MGET, EXISTS, TOUCH): the slot of the
// session's database and an engine snapshot, both taken once, so that a concurrent MSET or
// SWAPDB is seen entirely or not at all. Connection thread; lives for one command.
class MultiKeyRead {
 public:
  explicit MultiKeyRead(CommandContext& c);
  ~MultiKeyRead();
  MultiKeyRead(const MultiKeyRead&) = delete;
  MultiKeyRead& operator=(const MultiKeyRead&) = delete;
  // Like LookupRead (counts a hit or miss) but returns the engine's answer: OK, NotFound (absent
  // or expired) or an error.
  Status Get(std::string_view key, store::Record* out);
  // An engine key (layout.h) at the same read point; counts nothing.
  Status GetRaw(const std::string& engine_key, std::string* value);
  // An iterator over engine keys at the same read point.
  std::unique_ptr<Iterator> NewIterator();
  // The slot the session's database names at the read point.
  uint32_t slot();
  int64_t now_ms() const { return now_ms_; }

 private:
  CommandContext& c_;
  store::Store* store_ = nullptr;  // null inside EXEC: reads go through c_.keys
  bool have_slot_ = false;
  uint32_t slot_ = 0;
  const Snapshot* snapshot_ = nullptr;
  int64_t now_ms_;
};

// Counts a keyspace hit or miss of key; a miss is also Redis's keymiss event (class m). The
// write commands Redis counts too use the WriteContext form (GETSET, GETDEL, GETEX, SET ... GET,
// COPY's source).
void CountLookup(CommandContext& c, std::string_view key, bool hit);
void CountLookup(WriteContext& c, std::string_view key, bool hit);

// Lazy expiry (Session::NoteExpiredRead): the writer's op that reclaims a key a read found past
// its TTL — argv {"lazy-expire", key, "1" when its keymiss event follows}. Not in the command
// table and not counted in INFO: clients cannot call it.
CommandEntry* LazyExpireEntry();

// A database index argument (SELECT, MOVE, COPY ... DB): an integer that fits an int, and below
// databases.
CommandStatus ParseDbIndex(std::string_view arg, int databases, int* db);

// Redis's string2ld-based float parsing (no spaces, no "nan").
bool ParseLongDouble(std::string_view s, long double* value);
// Redis's ld2string(LD_STR_HUMAN): up to 17 significant digits, no exponent, trailing zeros
// trimmed.
std::string FormatLongDouble(long double v);

// Parses the expire argument of SET/GETEX/SETEX (strictly positive) or EXPIRE and friends
// (allow_negative) into an absolute unix time in ms. unit_ms is 1000 for seconds, 1 for ms;
// relative adds now_ms. Errors: "ERR value is not an integer or out of range" or
// "ERR invalid expire time in 'set' command".
CommandStatus ParseExpireTime(std::string_view arg, int64_t unit_ms, bool relative,
                              bool allow_negative, int64_t now_ms, std::string_view command,
                              int64_t* when_ms);

// The literal part of a glob pattern before its first special character: every match starts
// with it, so a scan can seek straight to it.
std::string LiteralPrefix(std::string_view pattern);

// Calls fn(user_key, record) for each live key of the session's database that starts with
// prefix and is >= from (from empty: from the start of prefix), in key order, until fn returns
// false. Returns the read's status.
Status ForEachLiveKey(CommandContext& c, std::string_view prefix, std::string_view from,
                      const std::function<bool(std::string_view key, const store::Record& r)>& fn);

}  // namespace stash
