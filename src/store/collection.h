// Collections (hashes, sets) on the writer: a collection's metadata record and its element
// records (layout.h) changed together through the group's Txn, so that the count is always the
// number of elements, and an emptied collection is deleted.
//
// Thread: the writer thread only (reads on connection threads: cmd/collection_source.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "lsm/iterator.h"
#include "store/layout.h"
#include "store/txn.h"

namespace stash::store {

// A collection a write command is changing.
struct CollectionWrite {
  int db = 0;
  std::string key;
  uint32_t slot = 0;
  ValueType type = ValueType::kHash;
  bool existed = false;  // a live collection of the type was there before the command
  int64_t expire_at_ms = 0;
  CollectionMeta meta;
  bool changed = false;  // an element was written or removed (else SaveCollection does nothing)
};

// Opens key in db for a command that changes a collection of type. *wrong_type: a live key of
// another type (nothing else done). An absent or expired key opens as a new, empty collection
// (existed false; it gets a fresh version with its first element and is saved only if it has
// elements).
Status OpenCollection(Txn& txn, int db, std::string_view key, ValueType type, int64_t now_ms,
                      CollectionWrite* w, bool* wrong_type);

// What FindElement found: whether the element is there, its position and value.
struct ElementRead {
  bool found = false;
  uint64_t position = 0;
  std::string value;
};
// Looks element up (OK, found or not), or returns the engine's error.
Status FindElement(Txn& txn, const CollectionWrite& w, std::string_view element, ElementRead* out);
// Writes an element; before: FindElement's answer for it (a new element takes the next
// position and raises the count).
void WriteElement(Txn& txn, CollectionWrite* w, std::string_view element, std::string_view value,
                  const ElementRead& before);
// Removes an element that is there (before: FindElement's answer), moving the element at the
// last position into its place.
Status RemoveElement(Txn& txn, CollectionWrite* w, std::string_view element,
                     const ElementRead& before);
// Writes the metadata after the changes: the new count (and the record, for a new collection),
// or deletes the key when no element is left. Without changes it writes nothing (so WATCH
// sees no change, as Redis's HDEL of an absent field).
Status SaveCollection(Txn& txn, CollectionWrite* w, int64_t now_ms);

// Calls fn(element, value) for the elements of version of key in slot, in element order, from
// the first one >= from, until fn returns false. it reads at one read point (an engine
// snapshot, or a Txn's NewRawIterator). Returns the iterator's status, or Corruption for an
// element record that does not decode.
Status ForEachElement(
    Iterator* it, uint32_t slot, std::string_view key, uint64_t version, std::string_view from,
    const std::function<bool(std::string_view element, std::string_view value)>& fn);

// Copies every element of a collection record (of src_key in src_slot, as the group sees it)
// under a fresh version for dst_key in dst_slot, and rewrites *record's metadata to name it:
// the record can then be Put at dst_key (RENAME, COPY, MOVE). Strings are left as they are.
Status CloneElements(Txn& txn, uint32_t src_slot, std::string_view src_key, uint32_t dst_slot,
                     std::string_view dst_key, Record* record);

// Whether a set member is an integer as Redis's intset takes it (OBJECT ENCODING).
bool IsIntegerMember(std::string_view member);

}  // namespace stash::store
