#include "cmd/zset_setops.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "cmd/errors.h"
#include "store/zset.h"
#include "util/strings.h"

namespace stash::zset {

using store::ValueType;

namespace {

Status LoadInput(CollectionSource& src, const std::string& key, const store::Record& r, Input* in) {
  in->found = true;
  CollectionRef ref;
  ref.key = key;
  ref.found = true;
  if (!store::DecodeCollectionMeta(r.payload, &ref.meta)) {
    return Status::Corruption("damaged metadata of a collection");
  }
  return ForEachElement(src, ref, "", [&](std::string_view m, std::string_view v) {
    double score = 1;
    if (r.type == ValueType::kZSet && !store::DecodeScore(v, &score)) return false;
    in->members.push_back({std::string(m), score});
    return true;
  });
}

}  // namespace

// zunionInterDiffGenericCommand: numkeys at argv[at], then the keys, then the options (only
// those op allows). Every key is looked up (WRONGTYPE) before the options are parsed.
CommandStatus ParseSetOp(CollectionSource& src, const std::vector<std::string>& argv, size_t at,
                         SetOp op, bool store, bool cardinality, std::string_view name,
                         SetOpArgs* a, std::vector<Input>* inputs) {
  int64_t numkeys;
  if (!ParseInteger(argv[at], &numkeys)) return Fail(kNotIntegerError);
  if (numkeys < 1) {
    return Fail("ERR at least 1 input key is needed for '" + std::string(name) + "' command");
  }
  if (numkeys > static_cast<int64_t>(argv.size() - at - 1)) return Fail(kSyntaxError);
  const auto n = static_cast<size_t>(numkeys);
  a->keys = std::span<const std::string>(argv).subspan(at + 1, n);
  inputs->assign(n, {});
  std::vector<store::Record> records(n);
  std::vector<bool> present(n);
  for (size_t i = 0; i < n; i++) {
    Status s = src.Record(a->keys[i], &records[i]);
    if (ReadFailed(s)) return src.Failure(s);
    present[i] = s.ok();
    if (s.ok() && records[i].type != ValueType::kZSet && records[i].type != ValueType::kSet) {
      return Fail(kWrongTypeError);
    }
  }
  a->weights.assign(n, 1.0);
  for (size_t j = at + 1 + n; j < argv.size();) {
    const size_t remaining = argv.size() - j;
    if (op != SetOp::kDiff && !cardinality && remaining >= n + 1 &&
        EqualsIgnoreCase(argv[j], "weights")) {
      j++;
      for (size_t i = 0; i < n; i++, j++) {
        if (!ParseScore(argv[j], &a->weights[i])) return Fail("ERR weight value is not a float");
      }
    } else if (op != SetOp::kDiff && !cardinality && remaining >= 2 &&
               EqualsIgnoreCase(argv[j], "aggregate")) {
      const std::string& how = argv[j + 1];
      if (EqualsIgnoreCase(how, "sum")) {
        a->aggregate = Aggregate::kSum;
      } else if (EqualsIgnoreCase(how, "min")) {
        a->aggregate = Aggregate::kMin;
      } else if (EqualsIgnoreCase(how, "max")) {
        a->aggregate = Aggregate::kMax;
      } else {
        return Fail(kSyntaxError);
      }
      j += 2;
    } else if (!store && !cardinality && EqualsIgnoreCase(argv[j], "withscores")) {
      a->with_scores = true;
      j++;
    } else if (cardinality && remaining >= 2 && EqualsIgnoreCase(argv[j], "limit")) {
      if (!ParseInteger(argv[j + 1], &a->limit) || a->limit < 0) {
        return Fail("ERR LIMIT can't be negative");
      }
      j += 2;
    } else {
      return Fail(kSyntaxError);
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (!present[i]) continue;
    if (Status s = LoadInput(src, a->keys[i], records[i], &(*inputs)[i]); !s.ok()) {
      return src.Failure(s.ok() ? Status::Corruption("damaged score") : s);
    }
  }
  return {};
}

namespace {

double Weighted(double score, double weight) {
  const double v = score * weight;
  return std::isnan(v) ? 0 : v;  // inf * 0: Redis takes 0
}

void Combine(Aggregate how, double* into, double v) {
  switch (how) {
    case Aggregate::kSum:
      *into += v;
      if (std::isnan(*into)) *into = 0;  // inf + -inf
      break;
    case Aggregate::kMin:
      *into = std::min(*into, v);
      break;
    case Aggregate::kMax:
      *into = std::max(*into, v);
      break;
  }
}

}  // namespace

// The result in Redis's order: by score, then member.
std::vector<Scored> ComputeSetOp(SetOp op, const SetOpArgs& a, const std::vector<Input>& in,
                                 bool cardinality) {
  std::map<std::string, double> acc;
  std::vector<Scored> out;
  // Redis takes the inputs smallest first (its scores add up in that order).
  std::vector<size_t> order(in.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return in[x].members.size() < in[y].members.size(); });
  if (op == SetOp::kUnion) {
    for (size_t i : order) {
      for (const Scored& m : in[i].members) {
        const double v = Weighted(m.score, a.weights[i]);
        auto [it, fresh] = acc.emplace(m.member, v);
        if (!fresh) Combine(a.aggregate, &it->second, v);
      }
    }
  } else if (op == SetOp::kInter) {
    // Walk the smallest input; look each member up in the others, in Redis's order.
    std::vector<std::map<std::string_view, double>> index(in.size());
    for (size_t i = 0; i < in.size(); i++) {
      for (const Scored& m : in[i].members) index[i].emplace(m.member, m.score);
    }
    for (const Scored& m : in[order[0]].members) {
      double v = Weighted(m.score, a.weights[order[0]]);
      bool everywhere = true;
      for (size_t j = 1; j < order.size() && everywhere; j++) {
        auto f = index[order[j]].find(m.member);
        if (f == index[order[j]].end()) {
          everywhere = false;
        } else {
          Combine(a.aggregate, &v, f->second * a.weights[order[j]]);  // no NaN check: Redis's
        }
      }
      if (!everywhere) continue;
      acc.emplace(m.member, v);
      if (cardinality && a.limit > 0 && static_cast<int64_t>(acc.size()) >= a.limit) break;
    }
  } else {
    std::map<std::string_view, bool> others;
    for (size_t i = 1; i < in.size(); i++) {
      for (const Scored& m : in[i].members) others.emplace(m.member, true);
    }
    for (const Scored& m : in[0].members) {
      if (!others.contains(m.member)) acc.emplace(m.member, m.score);
    }
  }
  out.reserve(acc.size());
  for (auto& [member, score] : acc) out.push_back({member, score});
  std::stable_sort(out.begin(), out.end(),
                   [](const Scored& x, const Scored& y) { return x.score < y.score; });
  return out;
}

}  // namespace stash::zset
