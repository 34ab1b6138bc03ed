// Expiry (Redis 7.0 expire.c): TTL PTTL EXPIRETIME PEXPIRETIME on the connection's thread;
// EXPIRE PEXPIRE EXPIREAT PEXPIREAT [NX|XX|GT|LT] and PERSIST on the writer.
#include <fmt/format.h>

#include "cmd/command_table.h"
#include "cmd/keyspace_util.h"
#include "cmd/reply_util.h"
#include "cmd/stats.h"
#include "resp/reply_writer.h"
#include "store/txn.h"

namespace stash {
namespace {

using store::Record;

enum class TtlForm { kTtl, kPttl, kExpireTime, kPexpireTime };

CommandStatus TtlGeneric(CommandContext& c, TtlForm form) {
  Record r;
  bool found;
  STASH_RETURN_IF_FAILED(LookupRead(c, c.argv[1], &r, &found));
  if (!found) {
    c.out.Integer(-2);
    return {};
  }
  if (r.expire_at_ms == 0) {
    c.out.Integer(-1);
    return {};
  }
  int64_t left = std::max<int64_t>(r.expire_at_ms - NowMs(), 0);
  switch (form) {
    case TtlForm::kTtl:
      c.out.Integer((left + 500) / 1000);
      return {};
    case TtlForm::kPttl:
      c.out.Integer(left);
      return {};
    case TtlForm::kExpireTime: {
      // Rounded as Redis does, in unsigned arithmetic: +500 may pass INT64_MAX.
      auto ms = static_cast<uint64_t>(r.expire_at_ms);
      c.out.Integer(static_cast<int64_t>((ms + 500) / 1000));
      return {};
    }
    case TtlForm::kPexpireTime:
      c.out.Integer(r.expire_at_ms);
      return {};
  }
  return {};
}

CommandStatus Ttl(CommandContext& c) { return TtlGeneric(c, TtlForm::kTtl); }
CommandStatus Pttl(CommandContext& c) { return TtlGeneric(c, TtlForm::kPttl); }
CommandStatus ExpireTime(CommandContext& c) { return TtlGeneric(c, TtlForm::kExpireTime); }
CommandStatus PexpireTime(CommandContext& c) { return TtlGeneric(c, TtlForm::kPexpireTime); }

CommandStatus ExpireGeneric(WriteContext& c, int64_t unit, bool relative, std::string_view cmd) {
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
      return Fail(fmt::format("ERR Unsupported option {}", a));
  }
  if (nx && (xx || gt || lt)) {
    return Fail("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt) return Fail("ERR GT and LT options at the same time are not compatible");
  int64_t when;
  STASH_RETURN_IF_FAILED(ParseExpireTime(c.argv[2], unit, relative, true, c.now_ms, cmd, &when));
  Record r;
  Status s = c.txn.Get(c.db, c.argv[1], c.now_ms, &r);
  if (ReadFailed(s)) return ReadFailure(s);
  if (!s.ok()) {
    c.out.Integer(0);
    return {};
  }
  bool has_ttl = r.expire_at_ms != 0;
  // A key without a TTL counts as an infinite one for GT and LT.
  if ((nx && has_ttl) || (xx && !has_ttl) || (gt && (!has_ttl || when <= r.expire_at_ms)) ||
      (lt && has_ttl && when >= r.expire_at_ms)) {
    c.out.Integer(0);
    return {};
  }
  if (when <= c.now_ms) {
    if (Status rs = c.txn.Delete(c.db, c.argv[1], c.now_ms); ReadFailed(rs)) return ReadFailure(rs);
    c.Notify(kNotifyGeneric, "del", c.argv[1]);
  } else {
    r.expire_at_ms = when;
    if (Status ps = c.txn.Put(c.db, c.argv[1], r); !ps.ok()) return ReadFailure(ps);
    c.Notify(kNotifyGeneric, "expire", c.argv[1]);
  }
  c.out.Integer(1);
  return {};
}

CommandStatus Expire(WriteContext& c) { return ExpireGeneric(c, 1000, true, "expire"); }
CommandStatus Pexpire(WriteContext& c) { return ExpireGeneric(c, 1, true, "pexpire"); }
CommandStatus ExpireAt(WriteContext& c) { return ExpireGeneric(c, 1000, false, "expireat"); }
CommandStatus PexpireAt(WriteContext& c) { return ExpireGeneric(c, 1, false, "pexpireat"); }

CommandStatus Persist(WriteContext& c) {
  Record r;
  Status s = c.txn.Get(c.db, c.argv[1], c.now_ms, &r);
  if (ReadFailed(s)) return ReadFailure(s);
  if (!s.ok() || r.expire_at_ms == 0) {
    c.out.Integer(0);
    return {};
  }
  r.expire_at_ms = 0;
  if (Status ps = c.txn.Put(c.db, c.argv[1], r); !ps.ok()) return ReadFailure(ps);
  c.Notify(kNotifyGeneric, "persist", c.argv[1]);
  c.out.Integer(1);
  return {};
}

// Removes argv[1] if it is still past its expiry: the Txn reports it "expired".
CommandStatus LazyExpire(WriteContext& c) {
  Status s = c.txn.ExistsExpired(c.db, c.argv[1], c.now_ms);
  if (s.ok()) {
    s = c.txn.Delete(c.db, c.argv[1], c.now_ms);
    if (s.ok()) c.stats.expired_keys.fetch_add(1, std::memory_order_relaxed);
  }
  if (ReadFailed(s)) return ReadFailure(s);
  if (c.argv[2] == "1") c.Notify(kNotifyKeyMiss, "keymiss", c.argv[1]);
  return {};
}

constexpr uint32_t kRead = kCmdReadonly | kCmdFast;
constexpr uint32_t kWrite = kCmdWrite | kCmdFast;

const CommandSpec kCommands[] = {
    {.name = "ttl", .arity = 2, .flags = kRead, .keys = {1, 1, 1}, .handler = Ttl},
    {.name = "pttl", .arity = 2, .flags = kRead, .keys = {1, 1, 1}, .handler = Pttl},
    {.name = "expiretime", .arity = 2, .flags = kRead, .keys = {1, 1, 1}, .handler = ExpireTime},
    {.name = "pexpiretime", .arity = 2, .flags = kRead, .keys = {1, 1, 1}, .handler = PexpireTime},
    {.name = "expire", .arity = -3, .flags = kWrite, .keys = {1, 1, 1}, .write = Expire},
    {.name = "pexpire", .arity = -3, .flags = kWrite, .keys = {1, 1, 1}, .write = Pexpire},
    {.name = "expireat", .arity = -3, .flags = kWrite, .keys = {1, 1, 1}, .write = ExpireAt},
    {.name = "pexpireat", .arity = -3, .flags = kWrite, .keys = {1, 1, 1}, .write = PexpireAt},
    {.name = "persist", .arity = 2, .flags = kWrite, .keys = {1, 1, 1}, .write = Persist},
};

}  // namespace

std::span<const CommandSpec> ExpireCommands() { return kCommands; }

CommandEntry* LazyExpireEntry() {
  static const CommandSpec spec{
      .name = "lazy-expire", .arity = 3, .flags = kCmdWrite | kCmdUncounted, .write = LazyExpire};
  static CommandEntry entry{.spec = &spec, .fullname = "lazy-expire", .subcommands = {}};
  return &entry;
}

}  // namespace stash
