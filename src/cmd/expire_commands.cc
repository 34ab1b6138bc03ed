// Expiry (Redis 7.0 expire.c): TTL PTTL EXPIRETIME PEXPIRETIME on the connection's thread;
// EXPIRE PEXPIRE EXPIREAT PEXPIREAT [NX|XX|GT|LT] and PERSIST on the writer.
#include <fmt/format.h>

#include "cmd/command_table.h"
#include "cmd/keyspace_util.h"
#include "cmd/reply_util.h"
#include "resp/reply_writer.h"
#include "store/txn.h"

namespace stash {
namespace {

using store::Record;

enum class TtlForm { kTtl, kPttl, kExpireTime, kPexpireTime };

void TtlGeneric(CommandContext& c, TtlForm form) {
  Record r;
  bool found;
  if (!LookupRead(c, c.argv[1], &r, &found)) return;
  if (!found) return c.out.Integer(-2);
  if (r.expire_at_ms == 0) return c.out.Integer(-1);
  int64_t left = std::max<int64_t>(r.expire_at_ms - NowMs(), 0);
  switch (form) {
    case TtlForm::kTtl:
      return c.out.Integer((left + 500) / 1000);
    case TtlForm::kPttl:
      return c.out.Integer(left);
    case TtlForm::kExpireTime: {
      // Rounded as Redis does, in unsigned arithmetic: +500 may pass INT64_MAX.
      auto ms = static_cast<uint64_t>(r.expire_at_ms);
      return c.out.Integer(static_cast<int64_t>((ms + 500) / 1000));
    }
    case TtlForm::kPexpireTime:
      return c.out.Integer(r.expire_at_ms);
  }
}

void Ttl(CommandContext& c) { TtlGeneric(c, TtlForm::kTtl); }
void Pttl(CommandContext& c) { TtlGeneric(c, TtlForm::kPttl); }
void ExpireTime(CommandContext& c) { TtlGeneric(c, TtlForm::kExpireTime); }
void PexpireTime(CommandContext& c) { TtlGeneric(c, TtlForm::kPexpireTime); }

void ExpireGeneric(WriteContext& c, int64_t unit, bool relative, std::string_view cmd) {
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < c.argv.size(); i++) {
    const std::string& a = c.argv[i];
    if (EqualsIgnoreCase(a, "nx"))
      nx = true;
    else if (EqualsIgnoreCase(a, "xx"))
      xx = true;
    else if (EqualsIgnoreCase(a, "gt"))
      gt = true;
    else if (EqualsIgnoreCase(a, "lt"))
      lt = true;
    else
      return c.out.Error(fmt::format("ERR Unsupported option {}", a));
  }
  if (nx && (xx || gt || lt)) {
    return c.out.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt) return c.out.Error("ERR GT and LT options at the same time are not compatible");
  int64_t when;
  std::string error;
  if (!ParseExpireTime(c.argv[2], unit, relative, true, c.now_ms, cmd, &error, &when)) {
    return c.out.Error(error);
  }
  Record r;
  Status s = c.txn.Get(c.db, c.argv[1], c.now_ms, &r);
  if (ReadFailed(s)) return;
  if (!s.ok()) return c.out.Integer(0);
  bool has_ttl = r.expire_at_ms != 0;
  // A key without a TTL counts as an infinite one for GT and LT.
  if ((nx && has_ttl) || (xx && !has_ttl) || (gt && (!has_ttl || when <= r.expire_at_ms)) ||
      (lt && has_ttl && when >= r.expire_at_ms)) {
    return c.out.Integer(0);
  }
  if (when <= c.now_ms) {
    if (ReadFailed(c.txn.Delete(c.db, c.argv[1], c.now_ms))) return;
  } else {
    r.expire_at_ms = when;
    if (!c.txn.Put(c.db, c.argv[1], r).ok()) return;
  }
  c.out.Integer(1);
}

void Expire(WriteContext& c) { ExpireGeneric(c, 1000, true, "expire"); }
void Pexpire(WriteContext& c) { ExpireGeneric(c, 1, true, "pexpire"); }
void ExpireAt(WriteContext& c) { ExpireGeneric(c, 1000, false, "expireat"); }
void PexpireAt(WriteContext& c) { ExpireGeneric(c, 1, false, "pexpireat"); }

void Persist(WriteContext& c) {
  Record r;
  Status s = c.txn.Get(c.db, c.argv[1], c.now_ms, &r);
  if (ReadFailed(s)) return;
  if (!s.ok() || r.expire_at_ms == 0) return c.out.Integer(0);
  r.expire_at_ms = 0;
  if (!c.txn.Put(c.db, c.argv[1], r).ok()) return;
  c.out.Integer(1);
}

constexpr uint32_t kRead = kCmdReadonly | kCmdFast;
constexpr uint32_t kWrite = kCmdWrite | kCmdFast;

const CommandSpec kCommands[] = {
    {"ttl", 2, kRead, 1, 1, 1, Ttl},
    {"pttl", 2, kRead, 1, 1, 1, Pttl},
    {"expiretime", 2, kRead, 1, 1, 1, ExpireTime},
    {"pexpiretime", 2, kRead, 1, 1, 1, PexpireTime},
    {"expire", -3, kWrite, 1, 1, 1, nullptr, {}, Expire},
    {"pexpire", -3, kWrite, 1, 1, 1, nullptr, {}, Pexpire},
    {"expireat", -3, kWrite, 1, 1, 1, nullptr, {}, ExpireAt},
    {"pexpireat", -3, kWrite, 1, 1, 1, nullptr, {}, PexpireAt},
    {"persist", 2, kWrite, 1, 1, 1, nullptr, {}, Persist},
};

}  // namespace

std::span<const CommandSpec> ExpireCommands() { return kCommands; }

}  // namespace stash
