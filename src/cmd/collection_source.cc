#include "cmd/collection_source.h"

#include <numeric>
#include <random>

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
  return src.Raw(store::ElementKey(src.slot(), ref.key, ref.meta.version, element), value);
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

std::vector<size_t> RandomIndexes(size_t n, int64_t count) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::vector<size_t> out;
  if (n == 0 || count == 0) return out;
  if (count < 0) {
    std::uniform_int_distribution<size_t> pick(0, n - 1);
    out.resize(static_cast<size_t>(-count));
    for (size_t& i : out) i = pick(rng);
    return out;
  }
  // A partial Fisher-Yates shuffle: the first k of a random permutation.
  const size_t k = std::min(n, static_cast<size_t>(count));
  out.resize(n);
  std::iota(out.begin(), out.end(), size_t{0});
  for (size_t i = 0; i < k; i++) {
    std::uniform_int_distribution<size_t> pick(i, n - 1);
    std::swap(out[i], out[pick(rng)]);
  }
  out.resize(k);
  return out;
}

}  // namespace stash
