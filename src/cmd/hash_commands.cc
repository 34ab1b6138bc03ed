// Hash commands (Redis 7.0 t_hash.c). Reads (HGET HMGET HEXISTS HLEN HSTRLEN HKEYS HVALS
// HGETALL HRANDFIELD HSCAN) run on the connection's thread at one read point; writes (HSET
// HMSET HSETNX HDEL HINCRBY HINCRBYFLOAT) on the writer. Storage: store/collection.h.
#include <cmath>
#include <limits>

#include "cmd/collection_source.h"
#include "cmd/command_table.h"
#include "cmd/errors.h"
#include "cmd/keyspace_util.h"
#include "resp/reply_writer.h"
#include "store/collection.h"

namespace stash {
namespace {

using store::ValueType;

// --- reads ---

// Opens argv[1] as a hash at one read point (counts a keyspace hit or miss).
#define STASH_OPEN_HASH(src, ref) \
  STASH_RETURN_IF_FAILED(OpenCollection(src, c.argv[1], ValueType::kHash, &(ref)))

CommandStatus HGet(CommandContext& c) {
  std::string value;
  bool found;
  STASH_RETURN_IF_FAILED(ReadElementArg(c, ValueType::kHash, &value, &found));
  found ? c.out.Bulk(value) : c.out.Null();
  return {};
}

CommandStatus HMGet(CommandContext& c) {
  ReadSource src(c);
  CollectionRef ref;
  STASH_OPEN_HASH(src, ref);
  std::vector<std::optional<std::string>> values;
  for (size_t i = 2; i < c.argv.size(); i++) {
    std::string value;
    Status s = GetElement(src, ref, c.argv[i], &value);
    if (ReadFailed(s)) return EngineError(s);
    values.push_back(s.ok() ? std::optional<std::string>(std::move(value)) : std::nullopt);
  }
  c.out.ArrayHeader(values.size());
  for (const auto& v : values) v ? c.out.Bulk(*v) : c.out.Null();
  return {};
}

CommandStatus HStrLen(CommandContext& c) {
  std::string value;
  bool found;
  STASH_RETURN_IF_FAILED(ReadElementArg(c, ValueType::kHash, &value, &found));
  c.out.Integer(found ? static_cast<int64_t>(value.size()) : 0);
  return {};
}

enum class Part { kKeys, kValues, kBoth };

CommandStatus HGetAllGeneric(CommandContext& c, Part part) {
  ReadSource src(c);
  CollectionRef ref;
  STASH_OPEN_HASH(src, ref);
  std::vector<std::pair<std::string, std::string>> all;
  if (Status s = LoadElements(src, ref, &all); !s.ok()) return EngineError(s);
  if (part == Part::kBoth) {
    c.out.MapHeader(all.size());
  } else {
    c.out.ArrayHeader(all.size());
  }
  for (const auto& [field, value] : all) {
    if (part != Part::kValues) c.out.Bulk(field);
    if (part != Part::kKeys) c.out.Bulk(value);
  }
  return {};
}

CommandStatus HKeys(CommandContext& c) { return HGetAllGeneric(c, Part::kKeys); }
CommandStatus HVals(CommandContext& c) { return HGetAllGeneric(c, Part::kValues); }
CommandStatus HGetAll(CommandContext& c) { return HGetAllGeneric(c, Part::kBoth); }

CommandStatus HRandField(CommandContext& c) {
  RandomArgs a;
  STASH_RETURN_IF_FAILED(ParseRandomArgs(c.argv, "withvalues", &a));
  ReadSource src(c);
  CollectionRef ref;
  STASH_OPEN_HASH(src, ref);
  std::vector<std::pair<std::string, std::string>> picks;
  bool replied;
  STASH_RETURN_IF_FAILED(PickRandom(c, src, ref, a, &picks, &replied));
  if (replied) return {};
  const bool with_values = a.with_values;
  const bool pairs = with_values && c.out.protocol() >= 3;
  c.out.ArrayHeader(with_values && !pairs ? picks.size() * 2 : picks.size());
  for (const auto& [field, value] : picks) {
    if (pairs) c.out.ArrayHeader(2);
    c.out.Bulk(field);
    if (with_values) c.out.Bulk(value);
  }
  return {};
}

CommandStatus HExists(CommandContext& c) { return ReplyHasElement(c, ValueType::kHash); }
CommandStatus HLen(CommandContext& c) { return ReplyCount(c, ValueType::kHash); }

CommandStatus HScan(CommandContext& c) { return ScanElements(c, ValueType::kHash, true); }

// --- writes ---

// Sets the field/value pairs from argv[2]; *added: the fields that were not there.
CommandStatus SetFields(WriteContext& c, int64_t* added) {
  if (c.argv.size() % 2 == 1) return Fail(WrongArityError(AsciiLower(c.argv[0])));
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenForWrite(c, c.argv[1], ValueType::kHash, &w));
  *added = 0;
  for (size_t i = 2; i + 1 < c.argv.size(); i += 2) {
    store::ElementRead old;
    if (Status s = store::FindElement(c.txn, w, c.argv[i], &old); !s.ok()) return ReadFailure(s);
    store::WriteElement(c.txn, &w, c.argv[i], c.argv[i + 1], old);
    if (!old.found) ++*added;
  }
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  c.Notify(kNotifyHash, "hset", c.argv[1]);
  return {};
}

CommandStatus HSet(WriteContext& c) {
  int64_t added;
  STASH_RETURN_IF_FAILED(SetFields(c, &added));
  c.out.Integer(added);
  return {};
}

CommandStatus HMSet(WriteContext& c) {
  int64_t added;
  STASH_RETURN_IF_FAILED(SetFields(c, &added));
  c.out.Simple("OK");
  return {};
}

CommandStatus HSetNx(WriteContext& c) {
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenForWrite(c, c.argv[1], ValueType::kHash, &w));
  store::ElementRead old;
  if (Status s = store::FindElement(c.txn, w, c.argv[2], &old); !s.ok()) return ReadFailure(s);
  if (old.found) {
    c.out.Integer(0);
    return {};
  }
  store::WriteElement(c.txn, &w, c.argv[2], c.argv[3], old);
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  c.Notify(kNotifyHash, "hset", c.argv[1]);
  c.out.Integer(1);
  return {};
}

CommandStatus HDel(WriteContext& c) { return RemoveElements(c, ValueType::kHash); }

CommandStatus HIncrBy(WriteContext& c) {
  int64_t by;
  if (!ParseInteger(c.argv[3], &by)) return Fail(kNotIntegerError);
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenForWrite(c, c.argv[1], ValueType::kHash, &w));
  store::ElementRead old;
  if (Status s = store::FindElement(c.txn, w, c.argv[2], &old); !s.ok()) return ReadFailure(s);
  int64_t value = 0;
  if (old.found && !ParseInteger(old.value, &value)) {
    return Fail("ERR hash value is not an integer");
  }
  if ((by < 0 && value < 0 && by < std::numeric_limits<int64_t>::min() - value) ||
      (by > 0 && value > 0 && by > std::numeric_limits<int64_t>::max() - value)) {
    return Fail(kOverflowError);
  }
  value += by;
  store::WriteElement(c.txn, &w, c.argv[2], std::to_string(value), old);
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  c.Notify(kNotifyHash, "hincrby", c.argv[1]);
  c.out.Integer(value);
  return {};
}

CommandStatus HIncrByFloat(WriteContext& c) {
  long double by;
  if (!ParseLongDouble(c.argv[3], &by)) return Fail(kNotFloatError);
  if (std::isnan(by) || std::isinf(by)) return Fail("ERR value is NaN or Infinity");
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenForWrite(c, c.argv[1], ValueType::kHash, &w));
  store::ElementRead old;
  if (Status s = store::FindElement(c.txn, w, c.argv[2], &old); !s.ok()) return ReadFailure(s);
  long double value = 0;
  if (old.found && !ParseLongDouble(old.value, &value)) {
    return Fail("ERR hash value is not a float");
  }
  value += by;
  if (std::isnan(value) || std::isinf(value)) {
    return Fail("ERR increment would produce NaN or Infinity");
  }
  std::string text = FormatLongDouble(value);
  store::WriteElement(c.txn, &w, c.argv[2], text, old);
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  c.Notify(kNotifyHash, "hincrbyfloat", c.argv[1]);
  c.out.Bulk(text);
  return {};
}

constexpr uint32_t kRead = kCmdReadonly | kCmdFast;
constexpr uint32_t kWrite = kCmdWrite | kCmdDenyOom | kCmdFast;

const CommandSpec kCommands[] = {
    {.name = "hget", .arity = 3, .flags = kRead, .keys = {1, 1, 1}, .handler = HGet},
    {.name = "hmget", .arity = -3, .flags = kRead, .keys = {1, 1, 1}, .handler = HMGet},
    {.name = "hexists", .arity = 3, .flags = kRead, .keys = {1, 1, 1}, .handler = HExists},
    {.name = "hlen", .arity = 2, .flags = kRead, .keys = {1, 1, 1}, .handler = HLen},
    {.name = "hstrlen", .arity = 3, .flags = kRead, .keys = {1, 1, 1}, .handler = HStrLen},
    {.name = "hkeys", .arity = 2, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = HKeys},
    {.name = "hvals", .arity = 2, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = HVals},
    {.name = "hgetall", .arity = 2, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = HGetAll},
    {.name = "hrandfield",
     .arity = -2,
     .flags = kCmdReadonly,
     .keys = {1, 1, 1},
     .handler = HRandField},
    {.name = "hscan", .arity = -3, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = HScan},
    {.name = "hset", .arity = -4, .flags = kWrite, .keys = {1, 1, 1}, .write = HSet},
    {.name = "hmset", .arity = -4, .flags = kWrite, .keys = {1, 1, 1}, .write = HMSet},
    {.name = "hsetnx", .arity = 4, .flags = kWrite, .keys = {1, 1, 1}, .write = HSetNx},
    {.name = "hdel", .arity = -3, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1}, .write = HDel},
    {.name = "hincrby", .arity = 4, .flags = kWrite, .keys = {1, 1, 1}, .write = HIncrBy},
    {.name = "hincrbyfloat", .arity = 4, .flags = kWrite, .keys = {1, 1, 1}, .write = HIncrByFloat},
};

}  // namespace

std::span<const CommandSpec> HashCommands() { return kCommands; }

}  // namespace stash
