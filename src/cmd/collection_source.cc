#include "cmd/collection_source.h"

#include "config/notify_flags.h"

#include <algorithm>
#include <limits>
#include <random>
#include <unordered_set>

#include "resp/reply_writer.h"

namespace stash {

CommandStatus OpenCollection(CollectionSource& src, std::string_view key, store::ValueType type,
                             CollectionRef* ref) {
  ref->key.assign(key);
  store::Record r;
  Status s = src.Record(key, &r);
  if (s.IsNotFound()) {
    ref->found = false;
    return {};
  }
  if (!s.ok()) return src.Failure(s);
  if (r.type != type) return Fail(kWrongTypeError);
  if (!store::DecodeCollectionMeta(r.payload, &ref->meta)) {
    return src.Failure(Status::Corruption("damaged metadata of a collection"));
  }
  ref->found = true;
  ref->expire_at_ms = r.expire_at_ms;
  return {};
}

Status GetElement(CollectionSource& src, const CollectionRef& ref, std::string_view element,
                  std::string* value) {
  if (!ref.found) return Status::NotFound();
  std::string raw;
  STASH_RETURN_IF_ERROR(
      src.Raw(store::ElementKey(src.slot(), ref.key, ref.meta.version, element), &raw));
  uint64_t position;
  std::string_view v;
  if (!store::DecodeElementValue(raw, &position, &v)) {
    return Status::Corruption("damaged element of a collection");
  }
  value->assign(v);
  return Status::OK();
}

Status ForEachElement(
    CollectionSource& src, const CollectionRef& ref, std::string_view from,
    const std::function<bool(std::string_view element, std::string_view value)>& fn) {
  if (!ref.found) return Status::OK();
  std::unique_ptr<Iterator> it = src.NewIterator();
  return store::ForEachElement(it.get(), src.slot(), ref.key, ref.meta.version, from, fn);
}

Status LoadElements(CollectionSource& src, const CollectionRef& ref,
                    std::vector<std::pair<std::string, std::string>>* out) {
  out->clear();
  if (ref.found) out->reserve(ref.meta.count);
  return ForEachElement(src, ref, "", [&](std::string_view e, std::string_view v) {
    out->emplace_back(e, v);
    return true;
  });
}

CommandStatus ParseRandomArgs(const std::vector<std::string>& argv, std::string_view word,
                              RandomArgs* a) {
  a->with_count = argv.size() >= 3;
  if (!a->with_count) return {};
  if (!ParseInteger(argv[2], &a->count)) return Fail(kNotIntegerError);
  if (a->count == std::numeric_limits<int64_t>::min()) return Fail(kCountRangeError);
  if (argv.size() > 4 || (argv.size() == 4 && !EqualsIgnoreCase(argv[3], word))) {
    return Fail(kSyntaxError);
  }
  if (argv.size() == 4) {
    a->with_values = true;
    // Redis refuses a count whose pairs would overflow its reply length
    if (a->count < -std::numeric_limits<int64_t>::max() / 2 ||
        a->count > std::numeric_limits<int64_t>::max() / 2) {
      return Fail("ERR value is out of range");
    }
  }
  return {};
}

CommandStatus PickRandom(CommandContext& c, CollectionSource& src, const CollectionRef& ref,
                         const RandomArgs& a,
                         std::vector<std::pair<std::string, std::string>>* picks, bool* replied) {
  *replied = true;
  if (!a.with_count && !ref.found) {
    c.out.Null();
    return {};
  }
  if (a.with_count && (!ref.found || a.count == 0)) {
    c.out.ArrayHeader(0);
    return {};
  }
  if (a.count < -(int64_t{1} << 32)) return Fail("ERR value is out of range");
  if (Status s = PickElements(src, ref, a.count, a.with_values, picks); !s.ok()) {
    return EngineError(s);
  }
  if (!a.with_count) {
    picks->empty() ? c.out.Null() : c.out.Bulk((*picks)[0].first);
    return {};
  }
  *replied = false;
  return {};
}

CommandStatus ParseMPop(const std::vector<std::string>& argv, size_t at, std::string_view first_end,
                        std::string_view second_end, MPopArgs* out) {
  int64_t numkeys;
  if (!ParseInteger(argv[at], &numkeys) || numkeys < 1) {
    return Fail("ERR numkeys should be greater than 0");
  }
  if (numkeys >= static_cast<int64_t>(argv.size() - at - 1)) return Fail(kSyntaxError);
  const auto keys = static_cast<size_t>(numkeys);
  out->keys = std::span<const std::string>(argv).subspan(at + 1, keys);
  const std::string& end = argv[at + 1 + keys];
  if (EqualsIgnoreCase(end, first_end)) {
    out->first = true;
  } else if (EqualsIgnoreCase(end, second_end)) {
    out->first = false;
  } else {
    return Fail(kSyntaxError);
  }
  int64_t count = -1;
  for (size_t j = at + 2 + keys; j < argv.size(); j++) {
    if (count == -1 && EqualsIgnoreCase(argv[j], "count") && j + 1 < argv.size()) {
      if (!ParseInteger(argv[++j], &count) || count < 1) {
        return Fail("ERR count should be greater than 0");
      }
    } else {
      return Fail(kSyntaxError);
    }
  }
  out->count = count == -1 ? 1 : count;
  return {};
}

CommandStatus ReadElementArg(CommandContext& c, store::ValueType type, std::string* value,
                             bool* found) {
  ReadSource src(c);
  CollectionRef ref;
  STASH_RETURN_IF_FAILED(OpenCollection(src, c.argv[1], type, &ref));
  Status s = GetElement(src, ref, c.argv[2], value);
  if (ReadFailed(s)) return EngineError(s);
  *found = s.ok();
  return {};
}

CommandStatus ReplyHasElement(CommandContext& c, store::ValueType type) {
  std::string unused;
  bool found;
  STASH_RETURN_IF_FAILED(ReadElementArg(c, type, &unused, &found));
  c.out.Integer(found ? 1 : 0);
  return {};
}

CommandStatus ReplyCount(CommandContext& c, store::ValueType type) {
  ReadSource src(c);
  CollectionRef ref;
  STASH_RETURN_IF_FAILED(OpenCollection(src, c.argv[1], type, &ref));
  c.out.Integer(ref.found ? static_cast<int64_t>(ref.meta.count) : 0);
  return {};
}

CommandStatus OpenForWrite(WriteContext& c, std::string_view key, store::ValueType type,
                           store::CollectionWrite* w) {
  bool wrong_type;
  Status s = store::OpenCollection(c.txn, c.db, key, type, c.now_ms, w, &wrong_type);
  if (!s.ok()) return ReadFailure(s);
  if (wrong_type) return Fail(kWrongTypeError);
  return {};
}

CommandStatus SaveForWrite(WriteContext& c, store::CollectionWrite* w) {
  Status s = store::SaveCollection(c.txn, w, c.now_ms);
  return s.ok() ? CommandStatus() : ReadFailure(s);
}

CommandStatus RemoveElements(WriteContext& c, store::ValueType type) {
  store::CollectionWrite w;
  STASH_RETURN_IF_FAILED(OpenForWrite(c, c.argv[1], type, &w));
  int64_t removed = 0;
  for (size_t i = 2; i < c.argv.size() && w.existed; i++) {
    store::ElementRead old;
    Status s = store::FindElement(c.txn, w, c.argv[i], &old);
    if (s.ok() && old.found) s = store::RemoveElement(c.txn, &w, c.argv[i], old);
    if (!s.ok()) return ReadFailure(s);
    removed += old.found ? 1 : 0;
  }
  STASH_RETURN_IF_FAILED(SaveForWrite(c, &w));
  const bool hash = type == store::ValueType::kHash;
  NotifyRemoved(c, w, hash ? kNotifyHash : kNotifySet, hash ? "hdel" : "srem", removed);
  c.out.Integer(removed);
  return {};
}

void NotifyRemoved(WriteContext& c, const store::CollectionWrite& w, uint32_t cls,
                   std::string_view event, int64_t removed) {
  if (removed == 0) return;
  c.Notify(cls, event, w.key);
  if (w.meta.count == 0) c.Notify(kNotifyGeneric, "del", w.key);
}

namespace {

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng;
}

// count < 0: -count positions of [0, n) with repeats; else count < n distinct ones (Floyd's
// algorithm: O(count), whatever n), in random order.
std::vector<uint64_t> RandomPositions(uint64_t n, int64_t count) {
  std::vector<uint64_t> out;
  if (count < 0) {
    std::uniform_int_distribution<uint64_t> pick(0, n - 1);
    out.resize(static_cast<size_t>(-count));
    for (uint64_t& p : out) p = pick(Rng());
    return out;
  }
  const auto k = static_cast<uint64_t>(count);
  std::unordered_set<uint64_t> chosen;
  for (uint64_t j = n - k; j < n; j++) {
    uint64_t t = std::uniform_int_distribution<uint64_t>(0, j)(Rng());
    uint64_t p = chosen.insert(t).second ? t : j;
    if (p == j) chosen.insert(j);
    out.push_back(p);
  }
  std::shuffle(out.begin(), out.end(), Rng());
  return out;
}

}  // namespace

Status PickElements(CollectionSource& src, const CollectionRef& ref, int64_t count,
                    bool with_values, std::vector<std::pair<std::string, std::string>>* out) {
  out->clear();
  const uint64_t n = ref.found ? ref.meta.count : 0;
  if (n == 0 || count == 0) return Status::OK();
  if (count > 0 && static_cast<uint64_t>(count) >= n) {
    STASH_RETURN_IF_ERROR(LoadElements(src, ref, out));
    std::shuffle(out->begin(), out->end(), Rng());
    if (!with_values) {
      for (auto& e : *out) e.second.clear();
    }
    return Status::OK();
  }
  for (uint64_t position : RandomPositions(n, count)) {
    std::string element;
    Status s =
        src.Raw(store::PositionKey(src.slot(), ref.key, ref.meta.version, position), &element);
    if (s.IsNotFound()) return Status::Corruption("a collection's positions differ from its count");
    STASH_RETURN_IF_ERROR(s);
    std::string value;
    if (with_values) {
      s = GetElement(src, ref, element, &value);
      if (s.IsNotFound()) return Status::Corruption("a collection's position names no element");
      STASH_RETURN_IF_ERROR(s);
    }
    out->emplace_back(std::move(element), std::move(value));
  }
  return Status::OK();
}

}  // namespace stash
