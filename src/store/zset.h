// Sorted sets: a sorted set is a collection (collection.h) whose members are elements with
// their score as value (fixed64 bits of the double; position records as for sets, so that
// ZRANDMEMBER picks in O(1)), plus two score indexes under the same version:
//   'E' slot keylen key version 0x02 ascending(score) member              -> "" ("-": -0)
//   'E' slot keylen key version 0x03 descending(score) descending(member) -> "+" member
//                                                                         ("-" member: -0)
// ascending(score) is the double's bits made to sort as numbers (-0 as 0: Redis compares them
// equal, so ties go by member); descending(score) is its complement, and descending(member) the
// member's bytes complemented and escaped (0xFF -> FF 00, then FF FF at the end) so that byte order
// is member order reversed, a longer member first. So every order Redis walks (by score then
// member, either way) is a forward scan: ranges by score and pops at either end seek straight
// to their first element (O(log N + M)). Ranks have no index: ZRANK counts the entries before
// the member (O(rank)), a rank range skips its start from the nearer end (O(min(start,
// N - stop) + M)). An index entry is written and deleted with its member, in the same batch.
//
// Thread: the Txn functions run on the writer; the scans on any thread, over one read point.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "lsm/iterator.h"
#include "store/collection.h"
#include "store/layout.h"
#include "store/txn.h"

namespace stash::store {

// A member's score as its element value, and back (false when it is not 8 bytes).
std::string EncodeScore(double score);
bool DecodeScore(std::string_view value, double* score);

// Adds member with score, or moves it to score; before: FindElement's answer for it. A score
// of -0 is stored as 0 unless the set is in Redis's skiplist size class
// (CollectionMeta::skiplist(), kept by the commands): Redis 7.0's listpack stores -0 as 0.
void PutMember(Txn& txn, CollectionWrite* w, std::string_view member, double score,
               const ElementRead& before);
// After removing the first members of one direction's walk (pops, a range from that end): every
// member left comes after (score, member), the last one removed, so walks that way start there.
void RaiseFloor(CollectionWrite* w, bool from_end, double score, std::string_view member);

// Removes a member that is there (before: FindElement's answer).
Status RemoveMember(Txn& txn, CollectionWrite* w, std::string_view member,
                    const ElementRead& before);

// Where a walk of the members in score order starts.
struct ScoreStart {
  bool from_end = false;   // walk from the highest (descending) instead of the lowest
  bool has_score = false;  // else from the first member of that end
  double score = 0;
  bool exclusive = false;   // with has_score: from the first member past score
  std::string_view member;  // with has_score: the first (score, member) at or past this one
  // The set's floor for this direction (CollectionMeta::floor): the walk never seeks before it.
  std::string_view floor;
};
// Calls fn(member, score) in score order (ties by member; from_end: both reversed) from
// start, until fn returns false. it reads at one read point. Returns its status, or Corruption
// for an index entry that does not decode.
Status ForEachByScore(Iterator* it, uint32_t slot, std::string_view key, uint64_t version,
                      const ScoreStart& start,
                      const std::function<bool(std::string_view member, double score)>& fn);

}  // namespace stash::store
