// SORT and SORT_RO (Redis 7.0 sort.c) on lists, sets and sorted sets: BY pattern (a pattern
// without '*' is "nosort"; "key*->field" reads a hash field), LIMIT offset count, GET pattern
// (repeatable; "#" is the element itself), ASC|DESC, ALPHA, and for SORT, STORE destination (a
// list; an empty result deletes it). SORT runs on the writer (it may store), SORT_RO on the
// connection's thread; both read through a CollectionSource, so every key they look at (the
// subject, the BY and GET keys) is read at one point.
//
// Costs: the subject is read whole (a list or sorted set read in its own order with BY nosort
// reads only the LIMIT range), plus one key read per element for BY and per element and GET.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "cmd/collection_source.h"
#include "cmd/command_table.h"
#include "cmd/errors.h"
#include "cmd/keyspace_events.h"
#include "cmd/keyspace_util.h"
#include "config/notify_flags.h"
#include "resp/reply_writer.h"
#include "store/list.h"
#include "store/zset.h"

namespace stash {
namespace {

using store::ValueType;

struct SortArgs {
  bool desc = false, alpha = false, dont_sort = false;
  int64_t limit_start = 0, limit_count = -1;
  std::optional<std::string> by, store;
  std::vector<std::string> gets;
};

CommandStatus ParseSort(const std::vector<std::string>& argv, bool read_only, SortArgs* a) {
  for (size_t j = 2; j < argv.size(); j++) {
    const std::string& opt = argv[j];
    const size_t left = argv.size() - j - 1;
    if (EqualsIgnoreCase(opt, "asc")) {
      a->desc = false;
    } else if (EqualsIgnoreCase(opt, "desc")) {
      a->desc = true;
    } else if (EqualsIgnoreCase(opt, "alpha")) {
      a->alpha = true;
    } else if (EqualsIgnoreCase(opt, "limit") && left >= 2) {
      if (!ParseInteger(argv[j + 1], &a->limit_start) ||
          !ParseInteger(argv[j + 2], &a->limit_count)) {
        return Fail(kNotIntegerError);
      }
      j += 2;
    } else if (!read_only && EqualsIgnoreCase(opt, "store") && left >= 1) {
      a->store = argv[++j];
    } else if (EqualsIgnoreCase(opt, "by") && left >= 1) {
      a->by = argv[++j];
      // A pattern without '*' (up to a NUL, as Redis's strchr sees it) sorts nothing.
      a->dont_sort = std::string_view(a->by->c_str()).find('*') == std::string_view::npos;
    } else if (EqualsIgnoreCase(opt, "get") && left >= 1) {
      a->gets.push_back(argv[++j]);
    } else {
      return Fail(kSyntaxError);
    }
  }
  return {};
}

// Redis's lookupKeyByPattern: "#" is the element; the first '*' is replaced by it; "->field"
// after the '*' reads that field of a hash; else the key must hold a string. NotFound when
// there is nothing there.
Status LookupByPattern(CollectionSource& src, const std::string& pattern,
                       const std::string& element, std::string* out) {
  if (pattern == "#") {
    *out = element;
    return Status::OK();
  }
  const std::string_view spat(pattern.c_str());  // Redis reads the pattern as a C string
  const size_t star = spat.find('*');
  if (star == std::string_view::npos) return Status::NotFound();
  std::string_view field;
  size_t arrow = spat.find("->", star + 1);
  if (arrow != std::string_view::npos && arrow + 2 < pattern.size()) {
    field = std::string_view(pattern).substr(arrow + 2);
  } else {
    arrow = std::string_view::npos;
  }
  std::string key(pattern.substr(0, star));
  key += element;
  key += pattern.substr(star + 1,
                        (arrow == std::string_view::npos ? pattern.size() : arrow) - star - 1);
  store::Record r;
  STASH_RETURN_IF_ERROR(src.Record(key, &r));
  if (arrow == std::string_view::npos) {
    if (r.type != ValueType::kString) return Status::NotFound();
    *out = std::move(r.payload);
    return Status::OK();
  }
  if (r.type != ValueType::kHash) return Status::NotFound();
  CollectionRef ref;
  ref.key = key;
  ref.found = true;
  if (!store::DecodeCollectionMeta(r.payload, &ref.meta)) {
    return Status::Corruption("damaged metadata of a collection");
  }
  return GetElement(src, ref, field, out);
}

struct Item {
  std::string element;
  double score = 0;
  std::optional<std::string> by;  // ALPHA with BY: the value compared (none: missing)
};

// The elements of the subject, in its own order; for a list or sorted set read in that order
// with nosort, only [from, from + n).
Status LoadSubject(CollectionSource& src, const CollectionRef& ref, ValueType type, bool desc,
                   bool range_only, uint64_t from, uint64_t n, std::vector<Item>* out) {
  if (!ref.found) return Status::OK();
  std::unique_ptr<Iterator> it = src.NewIterator();
  auto add = [&](std::string_view e) {
    out->push_back({std::string(e), 0, std::nullopt});
    return true;
  };
  if (type == ValueType::kList) {
    if (!range_only) {
      return store::ForEachListElement(it.get(), src.slot(), ref.key, ref.meta, 0, ref.meta.count,
                                       false, [&](uint64_t, std::string_view e) { return add(e); });
    }
    // DESC walks from the tail: the range counts from there.
    const uint64_t start = desc ? ref.meta.count - from - n : from;
    return store::ForEachListElement(it.get(), src.slot(), ref.key, ref.meta, start, n, desc,
                                     [&](uint64_t, std::string_view e) { return add(e); });
  }
  if (type == ValueType::kSet) {
    return store::ForEachElement(it.get(), src.slot(), ref.key, ref.meta.version, "",
                                 [&](std::string_view e, std::string_view) { return add(e); });
  }
  store::ScoreStart start;
  start.from_end = range_only && desc;
  start.floor = ref.meta.floor[start.from_end ? 1 : 0];
  uint64_t skip = range_only ? from : 0;
  const uint64_t take = range_only ? n : ref.meta.count;
  return store::ForEachByScore(it.get(), src.slot(), ref.key, ref.meta.version, start,
                               [&](std::string_view m, double) {
                                 if (skip > 0) {
                                   skip--;
                                   return true;
                                 }
                                 add(m);
                                 return out->size() < take;
                               });
}

// Redis's numeric reading of a sort value: strtod of the whole text ("" is 0); false when it
// is not a number.
bool SortScore(const std::string& text, double* score) {
  const char* s = text.c_str();
  char* end = nullptr;
  errno = 0;
  *score = std::strtod(s, &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*score);
}

// C-string order (strcoll in the C locale; Redis's for ALPHA without STORE).
int Collate(const std::string& a, const std::string& b) {
  return std::strcmp(a.c_str(), b.c_str());
}

int Binary(const std::string& a, const std::string& b) { return a.compare(b); }

CommandStatus SortGeneric(CollectionSource& src, const std::vector<std::string>& argv,
                          bool read_only, resp::ReplyWriter& out, WriteContext* wc) {
  SortArgs a;
  STASH_RETURN_IF_FAILED(ParseSort(argv, read_only, &a));
  store::Record r;
  Status s = src.Record(argv[1], &r);
  if (ReadFailed(s)) return src.Failure(s);
  const bool found = s.ok();
  ValueType type = found ? r.type : ValueType::kList;
  if (found && type != ValueType::kList && type != ValueType::kSet && type != ValueType::kZSet) {
    return Fail(kWrongTypeError);
  }
  CollectionRef ref;
  ref.key = argv[1];
  ref.found = found;
  if (found && !store::DecodeCollectionMeta(r.payload, &ref.meta)) {
    return src.Failure(Status::Corruption("damaged metadata of a collection"));
  }
  // A set is unordered: stored (and scripted) results get a definite order, by ALPHA.
  if (a.dont_sort && type == ValueType::kSet && a.store) {
    a.dont_sort = false;
    a.alpha = true;
    a.by.reset();
  }
  const auto len = static_cast<int64_t>(found ? ref.meta.count : 0);
  int64_t start = a.limit_start < 0 ? 0 : a.limit_start;
  int64_t end = a.limit_count < 0 ? len - 1 : start + a.limit_count - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;
  const bool range_only = type != ValueType::kSet && a.dont_sort && (start != 0 || end != len - 1);
  std::vector<Item> items;
  if (!range_only || end >= start) {
    s = LoadSubject(src, ref, type, a.desc, range_only,
                    static_cast<uint64_t>(std::max<int64_t>(start, 0)),
                    static_cast<uint64_t>(std::max<int64_t>(end - start + 1, 0)), &items);
    if (!s.ok()) return src.Failure(s);
  }
  if (range_only) {
    end -= start;
    start = 0;
  } else if (a.dont_sort && type != ValueType::kSet && a.desc) {
    std::reverse(items.begin(), items.end());  // the whole subject, from its other end
  }
  bool not_a_number = false;
  if (!a.dont_sort) {
    for (Item& item : items) {
      std::string value;
      if (a.by) {
        s = LookupByPattern(src, *a.by, item.element, &value);
        if (ReadFailed(s)) return src.Failure(s);
        if (!s.ok()) continue;  // nothing there: score 0 / no compare value
      } else {
        value = item.element;
      }
      if (a.alpha) {
        if (a.by) item.by = std::move(value);
      } else if (!SortScore(value, &item.score)) {
        not_a_number = true;
      }
    }
    const bool store = a.store.has_value();
    auto compare = [&](const Item& x, const Item& y) {
      int cmp;
      if (!a.alpha) {
        cmp = x.score > y.score ? 1 : (x.score < y.score ? -1 : Binary(x.element, y.element));
      } else if (a.by) {
        if (!x.by || !y.by) {
          cmp = x.by == y.by ? 0 : (!x.by ? -1 : 1);
        } else {
          cmp = store ? Binary(*x.by, *y.by) : Collate(*x.by, *y.by);
        }
      } else {
        cmp = store ? Binary(x.element, y.element) : Collate(x.element, y.element);
      }
      return (a.desc ? -cmp : cmp) < 0;
    };
    std::stable_sort(items.begin(), items.end(), compare);
  }
  if (not_a_number) return Fail("ERR One or more scores can't be converted into double");
  // The output: each element, or what each GET finds for it.
  std::vector<std::optional<std::string>> rows;
  for (int64_t j = start; j <= end; j++) {
    const std::string& e = items[static_cast<size_t>(j)].element;
    if (a.gets.empty()) {
      rows.emplace_back(e);
      continue;
    }
    for (const std::string& pattern : a.gets) {
      std::string value;
      s = LookupByPattern(src, pattern, e, &value);
      if (ReadFailed(s)) return src.Failure(s);
      rows.push_back(s.ok() ? std::optional<std::string>(std::move(value)) : std::nullopt);
    }
  }
  if (!a.store) {
    out.ArrayHeader(rows.size());
    for (const auto& row : rows) row ? out.Bulk(*row) : out.Null();
    return {};
  }
  // STORE: the rows as a list (a missing GET is an empty string) replacing the destination.
  WriteContext& c = *wc;
  bool replaced;
  if (Status d = c.txn.Delete(c.db, *a.store, c.now_ms, &replaced); ReadFailed(d)) {
    return ReadFailure(d);
  }
  if (!rows.empty()) {
    store::CollectionWrite w;
    STASH_RETURN_IF_FAILED(OpenForWrite(c, *a.store, ValueType::kList, &w));
    std::vector<std::string_view> elements;
    for (const auto& row : rows) elements.push_back(row ? std::string_view(*row) : "");
    store::ReplaceListBack(c.txn, &w, 0, elements);
    KeyEvents::QuietNew quiet(c.events, replaced);
    STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
    c.Notify(kNotifyList, "sortstore", *a.store);
  } else if (replaced) {
    c.Notify(kNotifyGeneric, "del", *a.store);
  }
  out.Integer(static_cast<int64_t>(rows.size()));
  return {};
}

CommandStatus Sort(WriteContext& c) {
  TxnSource src(c);
  return SortGeneric(src, c.argv, false, c.out, &c);
}

CommandStatus SortRo(CommandContext& c) {
  ReadSource src(c);
  return SortGeneric(src, c.argv, true, c.out, nullptr);
}

const CommandSpec kCommands[] = {
    {.name = "sort",
     .arity = -2,
     .flags = kCmdWrite | kCmdDenyOom,
     .keys = {1, 1, 1},
     .write = Sort},
    {.name = "sort_ro", .arity = -2, .flags = kCmdReadonly, .keys = {1, 1, 1}, .handler = SortRo},
};

}  // namespace

std::span<const CommandSpec> SortCommands() { return kCommands; }

}  // namespace stash
