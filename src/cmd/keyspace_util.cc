#include "cmd/keyspace_util.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "cmd/keyspace_events.h"
#include "cmd/server_api.h"
#include "cmd/session.h"
#include "cmd/stats.h"
#include "pubsub/hub.h"

namespace stash {

CommandStatus ReadFailure(const Status& s) { return Fail(ReadErrorReply(s.ToString())); }

CommandStatus EngineError(const Status& s) { return Fail("ERR " + s.ToString()); }

namespace {

void Count(ServerStats& stats, bool hit) {
  (hit ? stats.keyspace_hits : stats.keyspace_misses).fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void CountLookup(CommandContext& c, std::string_view key, bool hit) {
  Count(c.server.stats(), hit);
  if (hit) return;
  // A key the read found expired: its keymiss follows its expired event (Session).
  if (c.session.TakeKeyMiss(key)) return;
  if (c.events != nullptr) {  // inside EXEC: with the group's other events
    c.events->Notify(kNotifyKeyMiss, "keymiss", c.session.db(), key);
    return;
  }
  ForEachKeyEvent(c.server.NotifyFlags(), kNotifyKeyMiss, "keymiss", c.session.db(), key,
                  [&](const std::string& channel, std::string_view message) {
                    c.server.pubsub().Publish(channel, message);
                  });
}

void CountLookup(WriteContext& c, std::string_view key, bool hit) {
  Count(c.stats, hit);
  if (!hit) c.Notify(kNotifyKeyMiss, "keymiss", key);
}

MultiKeyRead::MultiKeyRead(CommandContext& c) : c_(c), now_ms_(NowMs()) {
  // Inside EXEC the command reads the transaction's state, which nothing else changes meanwhile.
  if (c.server.Loading() || &c.keys != static_cast<store::KeyReader*>(&c.server.store())) return;
  // The slot and the snapshot of one moment (Store::PinSlot): a FLUSHDB or SWAPDB is seen
  // entirely or not at all.
  store_ = &c.server.store();
  slot_ = store_->PinSlot(c.session.db(), &snapshot_);
  have_slot_ = true;
}

Status MultiKeyRead::GetRaw(const std::string& engine_key, std::string* value) {
  if (store_ == nullptr) return c_.keys.GetRaw(engine_key, value);
  ReadOptions ro;
  ro.snapshot = snapshot_;
  return store_->engine()->Get(ro, engine_key, value);
}

std::unique_ptr<Iterator> MultiKeyRead::NewIterator() {
  if (store_ == nullptr) {
    have_slot_ = true;
    return c_.keys.NewIterator(c_.session.db(), &slot_);
  }
  ReadOptions ro;
  ro.snapshot = snapshot_;
  return store_->engine()->NewIterator(ro);
}

uint32_t MultiKeyRead::slot() {
  if (!have_slot_) NewIterator();  // inside EXEC: the transaction's slot for the database
  return slot_;
}

MultiKeyRead::~MultiKeyRead() {
  if (store_ != nullptr) store_->ReleaseSnapshot(snapshot_);
}

namespace {

// s and r: a read of key that ignored expiry. A record past its expiry at now_ms is absent, and
// on the connection's thread the session reclaims it (lazy expiry) before the reply goes out.
Status LiveAt(CommandContext& c, std::string_view key, int64_t now_ms, Status s,
              const store::Record& r) {
  if (!s.ok() || r.expire_at_ms == 0 || r.expire_at_ms > now_ms) return s;
  if (c.events == nullptr) c.session.NoteExpiredRead(key);
  return Status::NotFound();
}

}  // namespace

Status MultiKeyRead::Get(std::string_view key, store::Record* out) {
  // Read whatever the expiry (time 0), then judge it at now_ms_.
  Status s = store_ == nullptr ? c_.keys.Get(c_.session.db(), key, 0, out)
                               : store_->GetAt(slot_, snapshot_, key, 0, out);
  s = LiveAt(c_, key, now_ms_, std::move(s), *out);
  if (s.ok() || s.IsNotFound()) CountLookup(c_, key, s.ok());
  return s;
}

CommandStatus LookupRead(CommandContext& c, std::string_view key, store::Record* out, bool* found) {
  Status s = LiveAt(c, key, NowMs(), c.keys.Get(c.session.db(), key, 0, out), *out);
  if (!s.ok() && !s.IsNotFound()) return EngineError(s);
  *found = s.ok();
  CountLookup(c, key, *found);
  return {};
}

Status ForEachLiveKey(CommandContext& c, std::string_view prefix, std::string_view from,
                      const std::function<bool(std::string_view key, const store::Record& r)>& fn) {
  return store::ForEachLiveKey(c.keys, c.session.db(), prefix, from, NowMs(), fn);
}

CommandStatus ParseDbIndex(std::string_view arg, int databases, int* db) {
  int64_t v;
  if (!ParseInteger(arg, &v)) return Fail(kNotIntegerError);
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    // Redis parses the index as an int first
    return Fail("ERR value is out of range, value must between -2147483648 and 2147483647");
  }
  if (v < 0 || v >= databases) return Fail(kDbIndexOutOfRangeError);
  *db = static_cast<int>(v);
  return {};
}

bool ParseLongDouble(std::string_view s, long double* value) {
  // Redis's limit (MAX_LONG_DOUBLE_CHARS), and its ERANGE rule: an overflow or an underflow to
  // zero is an error, a denormal result is not.
  if (s.empty() || s.size() >= 5 * 1024) return false;
  if (std::isspace(static_cast<unsigned char>(s[0]))) return false;
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  long double v = std::strtold(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || std::isnan(v)) return false;
  if (errno == ERANGE && (std::isinf(v) || v == 0)) return false;
  *value = v;
  return true;
}

std::string FormatLongDouble(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // Like Redis: fixed notation with 17 decimals, then trailing zeros (and a bare '.') removed.
  char buf[5600];
  int n = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  std::string out(buf, n > 0 ? static_cast<size_t>(n) : 0);
  if (out.find('.') != std::string::npos) {
    while (!out.empty() && out.back() == '0') out.pop_back();
    if (!out.empty() && out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

CommandStatus ParseExpireTime(std::string_view arg, int64_t unit_ms, bool relative,
                              bool allow_negative, int64_t now_ms, std::string_view command,
                              int64_t* when_ms) {
  int64_t v;
  if (!ParseInteger(arg, &v)) return Fail(kNotIntegerError);
  CommandStatus invalid = Fail(fmt::format("ERR invalid expire time in '{}' command", command));
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (!allow_negative && v <= 0) return invalid;
  if (v > kMax / unit_ms || v < kMin / unit_ms) return invalid;
  v *= unit_ms;
  if (relative) {
    if (v > kMax - now_ms) return invalid;
    v += now_ms;
  }
  if (!allow_negative && v <= 0) return invalid;
  *when_ms = v;
  return {};
}

std::string LiteralPrefix(std::string_view pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); i++) {
    char ch = pattern[i];
    if (ch == '*' || ch == '?' || ch == '[') break;
    if (ch == '\\') {
      if (i + 1 >= pattern.size()) break;
      ch = pattern[++i];
    }
    out.push_back(ch);
  }
  return out;
}

}  // namespace stash
