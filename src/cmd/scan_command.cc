// SCAN cursor [MATCH pattern] [COUNT n] [TYPE type] (README.md, "Keys, expiry and SCAN"): walks the
// database in key order from where the cursor stopped, examining at most COUNT keys per call,
// seeking straight to MATCH's literal prefix. The cursor goes out as a bulk string.
#include <fmt/format.h>

#include "cmd/collection_source.h"
#include "cmd/command_table.h"
#include "cmd/keyspace_util.h"
#include "cmd/reply_util.h"
#include "cmd/scan_cursors.h"
#include "cmd/server_api.h"
#include "cmd/session.h"
#include "resp/reply_writer.h"
#include "store/zset.h"
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

struct ScanArgs {
  uint64_t cursor = 0;
  std::string pattern;
  bool match = false;
  int64_t count = 10;
  std::optional<store::ValueType> type;
};

// cursor [MATCH pattern] [COUNT n] [TYPE t] from argv[first] (TYPE only when allow_type).
CommandStatus ParseScanArgs(const std::vector<std::string>& argv, size_t first, bool allow_type,
                            ScanArgs* a) {
  if (!ParseCursor(argv[first], &a->cursor)) return Fail("ERR invalid cursor");
  for (size_t i = first + 1; i < argv.size(); i++) {
    bool has_next = i + 1 < argv.size();
    if (EqualsIgnoreCase(argv[i], "count") && has_next) {
      if (!ParseInteger(argv[++i], &a->count)) return Fail(kNotIntegerError);
      if (a->count < 1) return Fail(kSyntaxError);
    } else if (EqualsIgnoreCase(argv[i], "match") && has_next) {
      a->pattern = argv[++i];
      a->match = a->pattern != "*";
    } else if (allow_type && EqualsIgnoreCase(argv[i], "type") && has_next) {
      std::optional<store::ValueType>& type = a->type;
      const std::string& t = argv[++i];
      bool known = false;
      for (auto v : {store::ValueType::kString, store::ValueType::kList, store::ValueType::kSet,
                     store::ValueType::kZSet, store::ValueType::kHash, store::ValueType::kStream}) {
        if (EqualsIgnoreCase(t, store::TypeName(v))) type = v, known = true;
      }
      // Redis 7.0 accepts an unknown type name and simply matches nothing.
      if (!known) type = static_cast<store::ValueType>(0xff);
    } else {
      return Fail(kSyntaxError);
    }
  }
  return {};
}

CommandStatus Scan(CommandContext& c) {
  ScanArgs a;
  STASH_RETURN_IF_FAILED(ParseScanArgs(c.argv, 1, true, &a));
  const uint64_t cursor = a.cursor;
  const std::string& pattern = a.pattern;
  const bool match = a.match;
  const int64_t count = a.count;
  const std::optional<store::ValueType>& type = a.type;
  std::string from;
  if (cursor != 0) {
    auto pos = c.server.scan_cursors().Find(cursor);
    if (!pos || pos->db != c.session.db() || !pos->collection.empty()) {
      return Fail("ERR invalid cursor");
    }
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
  uint64_t next = more ? c.server.scan_cursors().Save({c.session.db(), last, ""}) : 0;
  c.out.ArrayHeader(2);
  c.out.Bulk(std::to_string(next));
  c.out.BulkArray(keys);
  return {};
}

}  // namespace

CommandStatus ScanElements(CommandContext& c, store::ValueType type, bool with_values) {
  // Redis's order: the cursor's syntax, then the key (absent: an empty, finished iteration,
  // whatever the options), its type, then the options.
  uint64_t cursor;
  if (!ParseCursor(c.argv[2], &cursor)) return Fail("ERR invalid cursor");
  const std::string& key = c.argv[1];
  ReadSource src(c);
  CollectionRef ref;
  STASH_RETURN_IF_FAILED(OpenCollection(src, key, type, &ref));
  if (!ref.found) {
    c.out.ArrayHeader(2);
    c.out.Bulk("0");
    c.out.ArrayHeader(0);
    return {};
  }
  ScanArgs a;
  STASH_RETURN_IF_FAILED(ParseScanArgs(c.argv, 2, false, &a));
  std::string from;
  if (a.cursor != 0) {
    auto pos = c.server.scan_cursors().Find(a.cursor);
    if (!pos || pos->db != c.session.db() || pos->collection != key) {
      return Fail("ERR invalid cursor");
    }
    from = std::move(pos->after);
    from.push_back('\0');  // the smallest element after the one examined last
  }
  std::vector<std::string> out;
  bool damaged = false;
  int64_t examined = 0;
  std::string last;
  bool more = false;
  {
    Status s = ForEachElement(src, ref, from, [&](std::string_view e, std::string_view v) {
      if (examined == a.count) {
        more = true;
        return false;
      }
      examined++;
      last.assign(e);
      if (a.match && !GlobMatch(a.pattern, e, false)) return true;
      out.emplace_back(e);
      if (!with_values) return true;
      double score;
      if (type != store::ValueType::kZSet) {
        out.emplace_back(v);
      } else if (store::DecodeScore(v, &score)) {
        out.push_back(resp::ReplyWriter::DoubleText(score));  // a sorted set's: the score
      } else {
        damaged = true;
        return false;
      }
      return true;
    });
    if (s.ok() && damaged) s = Status::Corruption("damaged score of a sorted set member");
    if (!s.ok()) return EngineError(s);
  }
  uint64_t next = more ? c.server.scan_cursors().Save({c.session.db(), last, key}) : 0;
  c.out.ArrayHeader(2);
  c.out.Bulk(std::to_string(next));
  c.out.BulkArray(out);
  return {};
}

namespace {

const CommandSpec kCommands[] = {
    {.name = "scan", .arity = -2, .flags = kCmdReadonly, .handler = Scan},
};

}  // namespace

std::span<const CommandSpec> ScanCommands() { return kCommands; }

}  // namespace stash
