// SCAN cursor [MATCH pattern] [COUNT n] [TYPE type] (README.md, "Keys, expiry and SCAN"): walks the
// database in key order from where the cursor stopped, examining at most COUNT keys per call,
// seeking straight to MATCH's literal prefix. The cursor goes out as a bulk string.
#include <fmt/format.h>

#include "cmd/command_table.h"
#include "cmd/keyspace_util.h"
#include "cmd/reply_util.h"
#include "cmd/scan_cursors.h"
#include "cmd/server_api.h"
#include "cmd/session.h"
#include "resp/reply_writer.h"
#include "util/glob.h"

namespace stash {
namespace {

bool ParseCursor(std::string_view s, uint64_t* cursor) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
    uint64_t next = v * 10 + static_cast<uint64_t>(ch - '0');
    if (next / 10 != v) return false;
    v = next;
  }
  *cursor = v;
  return true;
}

CommandStatus Scan(CommandContext& c) {
  uint64_t cursor;
  if (!ParseCursor(c.argv[1], &cursor)) return Fail("ERR invalid cursor");
  std::string pattern;
  bool match = false;
  int64_t count = 10;
  std::optional<store::ValueType> type;
  for (size_t i = 2; i < c.argv.size(); i++) {
    bool has_next = i + 1 < c.argv.size();
    if (EqualsIgnoreCase(c.argv[i], "count") && has_next) {
      if (!ParseInteger(c.argv[++i], &count)) return Fail(kNotIntegerError);
      if (count < 1) return Fail(kSyntaxError);
    } else if (EqualsIgnoreCase(c.argv[i], "match") && has_next) {
      pattern = c.argv[++i];
      match = pattern != "*";
    } else if (EqualsIgnoreCase(c.argv[i], "type") && has_next) {
      const std::string& t = c.argv[++i];
      bool known = false;
      for (auto v : {store::ValueType::kString, store::ValueType::kList, store::ValueType::kSet,
                     store::ValueType::kZSet, store::ValueType::kHash}) {
        if (EqualsIgnoreCase(t, store::TypeName(v))) type = v, known = true;
      }
      // Redis 7.0 accepts an unknown type name and simply matches nothing.
      if (!known) type = static_cast<store::ValueType>(0xff);
    } else {
      return Fail(kSyntaxError);
    }
  }
  std::string from;
  if (cursor != 0) {
    auto pos = c.server.scan_cursors().Find(cursor);
    if (!pos || pos->db != c.session.db()) return Fail("ERR invalid cursor");
    from = std::move(pos->after);
    from.push_back('\0');  // the smallest key after the one examined last
  }
  std::string prefix = match ? LiteralPrefix(pattern) : "";
  if (!from.empty() && from.compare(0, prefix.size(), prefix) != 0) from.clear();
  std::vector<std::string> keys;
  int64_t examined = 0;
  std::string last;
  bool more = false;
  Status s = ForEachLiveKey(c, prefix, from, [&](std::string_view key, const store::Record& r) {
    if (examined == count) {
      more = true;
      return false;
    }
    examined++;
    last.assign(key);
    if (match && !GlobMatch(pattern, key, false)) return true;
    if (type && r.type != *type) return true;
    keys.emplace_back(key);
    return true;
  });
  if (!s.ok()) return EngineError(s);
  uint64_t next = more ? c.server.scan_cursors().Save({c.session.db(), last}) : 0;
  c.out.ArrayHeader(2);
  c.out.Bulk(std::to_string(next));
  c.out.BulkArray(keys);
  return {};
}

const CommandSpec kCommands[] = {
    {.name = "scan", .arity = -2, .flags = kCmdReadonly, .handler = Scan},
};

}  // namespace

std::span<const CommandSpec> ScanCommands() { return kCommands; }

}  // namespace stash
