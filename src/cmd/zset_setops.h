// ZUNION, ZINTER, ZDIFF and their STORE and CARD forms, as Redis 7.0's
// zunionInterDiffGenericCommand computes them: the arguments (numkeys, WEIGHTS, AGGREGATE,
// WITHSCORES, LIMIT; every key looked up before the options) and the result, from either side
// (a read point or the writer's Txn: cmd/collection_source.h). The commands are in
// zset_commands.cc.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cmd/collection_source.h"
#include "cmd/command.h"
#include "cmd/zset_ranges.h"

namespace stash::zset {

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

struct SetOpArgs {
  std::span<const std::string> keys;
  std::vector<double> weights;
  Aggregate aggregate = Aggregate::kSum;
  bool with_scores = false;
  int64_t limit = 0;  // ZINTERCARD
};

// One input: a sorted set (scores) or a set (score 1), as members sorted by name.
struct Input {
  bool found = false;
  std::vector<Scored> members;  // by member
};

// numkeys at argv[at], then the keys, then the options op allows (store: no WITHSCORES;
// cardinality: ZINTERCARD's LIMIT only). name is the command's, for Redis's error text.
CommandStatus ParseSetOp(CollectionSource& src, const std::vector<std::string>& argv, size_t at,
                         SetOp op, bool store, bool cardinality, std::string_view name,
                         SetOpArgs* a, std::vector<Input>* inputs);
// The result in Redis's order: by score, then member (cardinality: ZINTERCARD, which stops at
// a->limit).
std::vector<Scored> ComputeSetOp(SetOp op, const SetOpArgs& a, const std::vector<Input>& in,
                                 bool cardinality);

}  // namespace stash::zset
