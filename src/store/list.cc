#include "store/list.h"

#include <algorithm>

namespace stash::store {
namespace {

// Reverse scans read forward in chunks of this many elements, last chunk first.
constexpr uint64_t kReverseChunk = 128;

Status MissingPosition() { return Status::Corruption("a list's positions differ from its count"); }

// Reads the elements at indexes [from, from + n) (already clipped) forward, calling fn.
Status ScanForward(Iterator* it, const std::string& prefix, uint64_t head, uint64_t from,
                   uint64_t n, const std::function<bool(uint64_t, std::string_view)>& fn) {
  if (n == 0) return Status::OK();
  std::string target = prefix;
  PutBigEndian64(&target, head + from);
  it->Seek(target);
  for (uint64_t i = 0; i < n; i++, it->Next()) {
    if (!it->Valid()) return it->status().ok() ? MissingPosition() : it->status();
    std::string_view k = it->key();
    if (k.size() != prefix.size() + 8 || !k.starts_with(prefix) ||
        GetBigEndian64(k.data() + prefix.size()) != head + from + i) {
      return MissingPosition();
    }
    if (!fn(from + i, it->value())) return Status::OK();
  }
  return it->status();
}

}  // namespace

bool ListIndex(uint64_t count, int64_t index, uint64_t* from_head) {
  if (index < 0) {
    // -index without overflow: index >= -count
    if (static_cast<uint64_t>(-(index + 1)) >= count) return false;
    *from_head = count - static_cast<uint64_t>(-(index + 1)) - 1;
    return true;
  }
  if (static_cast<uint64_t>(index) >= count) return false;
  *from_head = static_cast<uint64_t>(index);
  return true;
}

Status ForEachListElement(Iterator* it, uint32_t slot, std::string_view key,
                          const CollectionMeta& meta, uint64_t from, uint64_t n, bool reverse,
                          const std::function<bool(uint64_t index, std::string_view)>& fn) {
  if (from >= meta.count) return Status::OK();
  n = std::min(n, meta.count - from);
  std::string prefix = ElementPrefix(slot, key, meta.version);
  prefix.push_back('\0');
  if (!reverse) return ScanForward(it, prefix, meta.head, from, n, fn);
  // Backwards: forward chunks from the end, each handed out last element first.
  std::vector<std::pair<uint64_t, std::string>> chunk;
  for (uint64_t end = from + n; end > from;) {
    const uint64_t start = end - std::min(kReverseChunk, end - from);
    chunk.clear();
    STASH_RETURN_IF_ERROR(
        ScanForward(it, prefix, meta.head, start, end - start, [&](uint64_t i, std::string_view e) {
          chunk.emplace_back(i, e);
          return true;
        }));
    for (auto p = chunk.rbegin(); p != chunk.rend(); ++p) {
      if (!fn(p->first, p->second)) return Status::OK();
    }
    end = start;
  }
  return Status::OK();
}

Status ReadListRange(Txn& txn, const CollectionWrite& w, uint64_t from, uint64_t n,
                     std::vector<std::string>* out) {
  out->clear();
  if (from >= w.meta.count) return Status::OK();
  n = std::min(n, w.meta.count - from);
  if (n <= 4) {
    // A pop's few elements: point reads, no iterator.
    for (uint64_t i = 0; i < n; i++) {
      std::string e;
      Status s = txn.ReadRaw(PositionKey(w.slot, w.key, w.meta.version, w.meta.head + from + i), &e,
                             /*overlay_only=*/txn.FreshVersion(w.meta.version));
      if (s.IsNotFound()) return txn.Fail(MissingPosition());
      if (!s.ok()) return s;
      out->push_back(std::move(e));
    }
    return Status::OK();
  }
  std::unique_ptr<Iterator> it = txn.NewRawIterator();
  Status s = ForEachListElement(it.get(), w.slot, w.key, w.meta, from, n, false,
                                [&](uint64_t, std::string_view e) {
                                  out->emplace_back(e);
                                  return true;
                                });
  return s.ok() ? s : txn.Fail(s);
}

namespace {

// A list about to get its first element: a fresh version, head in the middle.
void StartList(Txn& txn, CollectionWrite* w) {
  if (w->meta.version != 0 && w->meta.count > 0) return;
  if (w->meta.version == 0) w->meta.version = txn.NewVersion();
  if (w->meta.count == 0) w->meta.head = kListFirstHead;
}

// Writes elements at positions first.., deletes positions [del_from, del_to).
void WriteSpan(Txn& txn, CollectionWrite* w, uint64_t first,
               std::span<const std::string_view> elements, uint64_t del_from, uint64_t del_to) {
  for (size_t i = 0; i < elements.size(); i++) {
    txn.PutRaw(PositionKey(w->slot, w->key, w->meta.version, first + i), std::string(elements[i]));
  }
  for (uint64_t p = del_from; p < del_to; p++) {
    txn.DeleteRaw(PositionKey(w->slot, w->key, w->meta.version, p));
  }
  w->changed = true;
}

}  // namespace

void ReplaceListFront(Txn& txn, CollectionWrite* w, uint64_t n_old,
                      std::span<const std::string_view> elements) {
  StartList(txn, w);
  n_old = std::min(n_old, w->meta.count);
  // The kept elements start at head + n_old; the new ones end just before.
  const uint64_t new_head = w->meta.head + n_old - elements.size();
  WriteSpan(txn, w, new_head, elements, w->meta.head, std::max(w->meta.head, new_head));
  w->meta.head = new_head;
  w->meta.count = w->meta.count - n_old + elements.size();
}

void ReplaceListBack(Txn& txn, CollectionWrite* w, uint64_t n_old,
                     std::span<const std::string_view> elements) {
  StartList(txn, w);
  n_old = std::min(n_old, w->meta.count);
  const uint64_t first = w->meta.head + w->meta.count - n_old;  // where the new ones start
  const uint64_t old_end = w->meta.head + w->meta.count;
  WriteSpan(txn, w, first, elements, std::min(old_end, first + elements.size()), old_end);
  w->meta.count = w->meta.count - n_old + elements.size();
}

void SetListElement(Txn& txn, CollectionWrite* w, uint64_t index, std::string_view element) {
  txn.PutRaw(PositionKey(w->slot, w->key, w->meta.version, w->meta.head + index),
             std::string(element));
  w->changed = true;
}

}  // namespace stash::store
