// Lists: a list is a collection (collection.h) whose elements are only position records
// (layout.h): 'E' slot keylen key version 0x00 position -> the element, at the consecutive
// positions head..head+count-1, head being in the metadata. A new list starts at
// kListFirstHead, the middle of the 64-bit position space, so that pushes at either end move
// head or the end by one and never run out of room.
//
// Costs (each "write" one engine record in the command's batch; reads are point reads or one
// ordered scan):
//   push, pop at either end     O(1) per element
//   LINDEX, LSET                O(1): one point read / write at head + index
//   LRANGE, LPOS                O(start + M) positions are skipped by a seek: O(M) for the M
//                               elements read
//   LTRIM                       O(removed)
//   LINSERT                     O(i) to find the pivot at index i, then the shorter side
//                               (min(i, N - i) elements) is rewritten one position over
//   LREM                        O(scanned): the elements between the end it starts from and
//                               the last one it removes are read and rewritten closed up
//
// Thread: the Txn functions run on the writer; ForEachListElement on any thread, with an
// iterator over one read point.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/iterator.h"
#include "store/collection.h"
#include "store/layout.h"
#include "store/txn.h"

namespace stash::store {

inline constexpr uint64_t kListFirstHead = uint64_t{1} << 63;

// Redis's index (0 the first element, -1 the last) as an index from the head, false when it
// is outside a list of count elements.
bool ListIndex(uint64_t count, int64_t index, uint64_t* from_head);

// Calls fn(index, element) for the elements at indexes [from, from + n) of the list (clipped
// to its length), in order (reverse: from the last of them back to the first), until fn
// returns false. it reads at one read point. Returns the iterator's status, or Corruption when
// a position is missing.
Status ForEachListElement(Iterator* it, uint32_t slot, std::string_view key,
                          const CollectionMeta& meta, uint64_t from, uint64_t n, bool reverse,
                          const std::function<bool(uint64_t index, std::string_view)>& fn);

// The elements at indexes [from, from + n) (clipped), read through the group's Txn.
Status ReadListRange(Txn& txn, const CollectionWrite& w, uint64_t from, uint64_t n,
                     std::vector<std::string>* out);

// Replaces the first n_old elements of the list by elements (in order); the others keep their
// positions. Pushes (n_old 0), pops (no elements) and the edits of the table above are this or
// ReplaceListBack. A new list gets its version and head here.
void ReplaceListFront(Txn& txn, CollectionWrite* w, uint64_t n_old,
                      std::span<const std::string_view> elements);
// The same at the tail: the last n_old elements.
void ReplaceListBack(Txn& txn, CollectionWrite* w, uint64_t n_old,
                     std::span<const std::string_view> elements);
// Overwrites the element at index (from the head; < count).
void SetListElement(Txn& txn, CollectionWrite* w, uint64_t index, std::string_view element);

}  // namespace stash::store
