// How the Redis keyspace is laid out in the engine's ordered key/value space.
//
// Engine keys (integers in keys are big-endian, so byte order = numeric order; values use
// little-endian fixed32/fixed64):
//   'D'                                  -> slot map: fixed32 next_slot, then one fixed32 slot
//                                           per logical database (SELECT index), then the slots
//                                           of databases beyond `databases` (kept, unused)
//   'M' slot(u32) user_key               -> metadata record of a Redis key (value format below)
//   'X' slot(u32) when_ms(u64) user_key  -> "" : expiry index, one entry per key with a TTL
//   'C' slot(u32)                        -> fixed64 keys, fixed64 keys_with_expiry
//   'E' slot(u32) keylen(u32) user_key version(u64) 0x01 element
//                                        -> fixed64 position, then the element's value (hash:
//                                           the field's value; set: empty)
//   'E' slot(u32) keylen(u32) user_key version(u64) 0x00 position(u64)
//                                        -> the element at that position: the positions of a
//                                           hash's or set's elements are exactly 0..count-1,
//                                           so a uniformly random element is one point read
//                                           (HRANDFIELD, SRANDMEMBER, SPOP); removing an
//                                           element moves the last one into its position.
//                                           A list has only these records: its elements in
//                                           order at positions head..head+count-1 (list.h)
//   'V'                                  -> fixed64 next collection version
//   'F' library_name                     -> the code of a function library (FUNCTION LOAD;
//                                           cmd/function_commands.cc); no slot: FLUSHALL
//                                           keeps it, as Redis keeps functions
//
// A logical database (0..databases-1) names a physical slot; FLUSHDB points the database at a
// fresh, never-used slot and SWAPDB swaps two entries, each in one atomic batch. Records of
// slots no database names any more are dropped by compaction (KeyspaceFilter, store.cc).
//
// Metadata value:
//   type(u8) flags(u8) [expire_at_ms(u64) if flags & kHasExpire] payload
// type is a ValueType; for strings the payload is the value itself. For a collection (hash,
// set, list) the payload is its metadata: fixed64 version, fixed64 count, fixed64 non-integer
// count (sets: members that are not integers, for OBJECT ENCODING; sorted sets: 1 once in
// Redis's skiplist size class; else 0), for sorted sets with floors 'Z' then the two index
// floors (fixed32 length + bytes each; absent while both are empty), for streams 'S' then the
// stream's state (store/stream.h), for lists only a
// fourth fixed64 head (the position of the first element, never 0), and the elements are 'E'
// records under that version. So DEL, an overwrite, RENAME's replaced target, expiry and FLUSHDB
// touch only the metadata record, whatever the size: the elements of a version no metadata names
// are garbage, dropped by compaction (CollectionFilter, store.cc) and, for big collections,
// reclaimed at once (Store::Commit). Versions come from the 'V' counter, written in the batch that
// first uses them, so a version is never handed out twice, across restarts, FLUSHDB and SWAPDB
// included; a new key never sees elements of an old one. The count is always the number of
// elements: both change in one batch.
//
// Counters: 'C' counts every metadata record of the slot and those with a TTL, including keys
// that have expired but are not yet reclaimed; a key is reclaimed (record, index entry and
// counters together) by the writer's active-expiry cycle. DBSIZE subtracts the expired index
// entries not yet reclaimed, so it is exact at every moment.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "lsm/iterator.h"

namespace stash::store {

enum class ValueType : uint8_t {
  kString = 0,
  kList = 1,
  kSet = 2,
  kZSet = 3,
  kHash = 4,
  kStream = 5
};
// Redis's TYPE names: "string", "list", "set", "zset", "hash", "stream".
std::string_view TypeName(ValueType type);

inline constexpr uint8_t kHasExpire = 1;
inline constexpr char kSlotMapKey[] = "D";
inline constexpr char kMetaPrefix = 'M';
inline constexpr char kExpirePrefix = 'X';
inline constexpr char kCounterPrefix = 'C';
inline constexpr char kElementPrefix = 'E';
inline constexpr char kVersionKey[] = "V";
inline constexpr char kFunctionPrefix = 'F';

// Whether records of type keep their elements apart ('E' records under a version).
inline bool IsCollection(ValueType type) { return type != ValueType::kString; }

// The metadata payload of a collection record.
struct CollectionMeta {
  uint64_t version = 0;
  uint64_t count = 0;         // elements
  uint64_t non_integers = 0;  // sets: members that are not integers; sorted sets: skiplist()
  // Sorted sets: 1 once Redis would hold it as a skiplist, not a listpack (OBJECT ENCODING,
  // and a score of -0 kept; zset_commands.cc decides when).
  bool skiplist() const { return non_integers != 0; }
  uint64_t head = 0;  // lists: the first element's position (else 0: not encoded)
  // Sorted sets: for the ascending [0] and descending [1] score index (store/zset.h), a bound
  // every live entry is at or after (empty: none known); pops move it past the entries they
  // delete, so that the next walk seeks over their tombstones instead of stepping through them.
  std::string floor[2];
  // Streams: the stream's own state (store/stream.h StreamMeta, encoded), after 'S'.
  std::string stream;
};
void EncodeCollectionMeta(const CollectionMeta& m, std::string* payload);
bool DecodeCollectionMeta(std::string_view payload, CollectionMeta* m);

// The prefix of every record of one collection version (elements and positions).
std::string ElementPrefix(uint32_t slot, std::string_view user_key, uint64_t version);
std::string ElementKey(uint32_t slot, std::string_view user_key, uint64_t version,
                       std::string_view element);
// Where the elements of a version start (after its positions).
std::string ElementsStart(uint32_t slot, std::string_view user_key, uint64_t version);
std::string PositionKey(uint32_t slot, std::string_view user_key, uint64_t version,
                        uint64_t position);
// The prefix every element key of a slot starts with ('E' slot).
std::string ElementSlotPrefix(uint32_t slot);
// Splits an 'E' key; rest is what follows the version (0x01 element, or 0x00 position).
bool ParseElementKey(std::string_view key, uint32_t* slot, std::string_view* user_key,
                     uint64_t* version, std::string_view* rest);
// An element record's value: its position and the element's value.
std::string EncodeElementValue(uint64_t position, std::string_view value);
bool DecodeElementValue(std::string_view raw, uint64_t* position, std::string_view* value);

struct Record {
  ValueType type = ValueType::kString;
  int64_t expire_at_ms = 0;  // 0 = no TTL
  std::string payload;
};

std::string MetaKey(uint32_t slot, std::string_view user_key);
// Appends MetaKey(slot, user_key) to *out.
void AppendMetaKey(std::string* out, uint32_t slot, std::string_view user_key);
// The prefix every metadata key of a slot starts with ('M' slot).
std::string MetaPrefix(uint32_t slot);
std::string ExpireKey(uint32_t slot, int64_t when_ms, std::string_view user_key);
std::string ExpirePrefix(uint32_t slot);
std::string CounterKey(uint32_t slot);

// Splits an engine key; false if it is not of that kind.
bool ParseMetaKey(std::string_view key, uint32_t* slot, std::string_view* user_key);
bool ParseExpireKey(std::string_view key, uint32_t* slot, int64_t* when_ms,
                    std::string_view* user_key);

// A position in a slot's expiry index: an ExpireKey without its prefix (when_ms, then the user
// key), so positions order as the entries do. ExpiryPosition(t) comes before every entry at t.
std::string ExpiryPosition(int64_t when_ms, std::string_view user_key = "");

// Walks slot's expiry index from its first entry at or after position `from` (a low-water mark
// below which every entry is known to be gone; "": from the start), calling fn(user_key,
// when_ms) for each entry due at now_ms (a key past its expiry, not yet reclaimed) until fn
// returns false or no more are due. it is any iterator over engine keys; user_key views its key;
// the caller checks it->status().
void ForEachDueExpiry(Iterator* it, uint32_t slot, std::string_view from, int64_t now_ms,
                      const std::function<bool(std::string_view user_key, int64_t when_ms)>& fn);

void EncodeRecord(const Record& r, std::string* out);
void EncodeRecord(ValueType type, int64_t expire_at_ms, std::string_view payload, std::string* out);
// false when the bytes are not a valid record (a corrupt value).
bool DecodeRecord(std::string_view raw, Record* r);
// Decodes only type and expiry (cheap checks without copying the payload).
bool DecodeHeader(std::string_view raw, ValueType* type, int64_t* expire_at_ms,
                  std::string_view* payload);

void PutBigEndian32(std::string* out, uint32_t v);
void PutBigEndian64(std::string* out, uint64_t v);
uint32_t GetBigEndian32(const char* p);
uint64_t GetBigEndian64(const char* p);

}  // namespace stash::store
