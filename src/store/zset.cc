#include "store/zset.h"

#include <cmath>
#include <cstring>

#include "util/coding.h"

namespace stash::store {
namespace {

constexpr char kAscending = '\x02';
constexpr char kDescending = '\x03';

// The double's bits as a number whose unsigned order is the doubles' order (-0 as 0, as Redis
// compares them).
uint64_t SortableBits(double score) {
  if (score == 0) score = 0;
  uint64_t bits;
  std::memcpy(&bits, &score, 8);
  return (bits & (uint64_t{1} << 63)) ? ~bits : bits | (uint64_t{1} << 63);
}

double FromSortableBits(uint64_t u) {
  const uint64_t bits = (u & (uint64_t{1} << 63)) ? u & ~(uint64_t{1} << 63) : ~u;
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

void AppendDescendingMember(std::string* out, std::string_view member) {
  for (char ch : member) {
    const auto c = static_cast<unsigned char>(~static_cast<unsigned char>(ch));
    out->push_back(static_cast<char>(c));
    if (c == 0xFF) out->push_back('\0');
  }
  out->append("\xFF\xFF", 2);
}

// An index key's part after its prefix: the score, then the member (descending: both reversed).
std::string IndexSuffix(bool descending, double score, std::string_view member) {
  std::string k;
  PutBigEndian64(&k, descending ? ~SortableBits(score) : SortableBits(score));
  if (descending) {
    AppendDescendingMember(&k, member);
  } else {
    k.append(member);
  }
  return k;
}

// A floor is at most this long: a prefix of a key is still at or before it.
constexpr size_t kMaxFloor = 8 + 64;

std::string IndexPrefix(uint32_t slot, std::string_view key, uint64_t version, char which) {
  std::string k = ElementPrefix(slot, key, version);
  k.push_back(which);
  return k;
}

std::string AscendingKey(const CollectionWrite& w, double score, std::string_view member) {
  return IndexPrefix(w.slot, w.key, w.meta.version, kAscending) + IndexSuffix(false, score, member);
}

std::string DescendingKey(const CollectionWrite& w, double score, std::string_view member) {
  return IndexPrefix(w.slot, w.key, w.meta.version, kDescending) + IndexSuffix(true, score, member);
}

// A member at (score, member) is coming: the floors must stay at or before it.
void LowerFloors(CollectionWrite* w, double score, std::string_view member) {
  for (int d = 0; d < 2; d++) {
    std::string& floor = w->meta.floor[d];
    if (floor.empty()) continue;
    std::string suffix = IndexSuffix(d == 1, score, member);
    if (suffix < floor) floor = suffix.substr(0, kMaxFloor);
  }
}

}  // namespace

std::string EncodeScore(double score) {
  uint64_t bits;
  std::memcpy(&bits, &score, 8);
  std::string v;
  PutFixed64(&v, bits);
  return v;
}

bool DecodeScore(std::string_view value, double* score) {
  if (value.size() != 8) return false;
  const uint64_t bits = DecodeFixed64(value.data());
  std::memcpy(score, &bits, 8);
  return true;
}

void PutMember(Txn& txn, CollectionWrite* w, std::string_view member, double score,
               const ElementRead& before) {
  if (before.found) {
    double old;
    if (DecodeScore(before.value, &old)) {
      txn.DeleteRaw(AscendingKey(*w, old, member));
      txn.DeleteRaw(DescendingKey(*w, old, member));
    }
  }
  // A listpack keeps -0 as 0 (see zset.h).
  if (score == 0 && !w->meta.skiplist()) score = 0;
  WriteElement(txn, w, member, EncodeScore(score), before);  // hands out the version if new
  LowerFloors(w, score, member);
  // The index keys hold -0 as 0; the values say it was -0.
  const bool negative_zero = score == 0 && std::signbit(score);
  txn.PutRaw(AscendingKey(*w, score, member), negative_zero ? "-" : "");
  txn.PutRaw(DescendingKey(*w, score, member), (negative_zero ? "-" : "+") + std::string(member));
}

void RaiseFloor(CollectionWrite* w, bool from_end, double score, std::string_view member) {
  std::string floor = IndexSuffix(from_end, score, member).substr(0, kMaxFloor);
  std::string& mine = w->meta.floor[from_end ? 1 : 0];
  if (floor > mine) mine = std::move(floor);
}

Status RemoveMember(Txn& txn, CollectionWrite* w, std::string_view member,
                    const ElementRead& before) {
  double score;
  if (!DecodeScore(before.value, &score)) {
    return txn.Fail(Status::Corruption("damaged score of a sorted set member"));
  }
  txn.DeleteRaw(AscendingKey(*w, score, member));
  txn.DeleteRaw(DescendingKey(*w, score, member));
  return RemoveElement(txn, w, member, before);
}

Status ForEachByScore(Iterator* it, uint32_t slot, std::string_view key, uint64_t version,
                      const ScoreStart& start,
                      const std::function<bool(std::string_view member, double score)>& fn) {
  const char which = start.from_end ? kDescending : kAscending;
  const std::string prefix = IndexPrefix(slot, key, version, which);
  std::string target = prefix;
  if (start.has_score) {
    uint64_t bits = SortableBits(start.score);
    if (start.from_end) bits = ~bits;
    if (start.exclusive) bits++;  // the first entry of the next score
    PutBigEndian64(&target, bits);
    if (start.exclusive) {
    } else if (start.from_end) {
      if (!start.member.empty()) AppendDescendingMember(&target, start.member);
    } else {
      target.append(start.member);
    }
  }
  // Nothing lives before the floor: seek past the tombstones of what was popped there.
  if (!start.floor.empty() && target.compare(prefix.size(), std::string::npos, start.floor) < 0) {
    target.resize(prefix.size());
    target.append(start.floor);
  }
  it->Seek(target);
  for (; it->Valid(); it->Next()) {
    std::string_view k = it->key();
    if (!k.starts_with(prefix)) break;
    if (k.size() < prefix.size() + 8) return Status::Corruption("damaged sorted set index");
    uint64_t bits = GetBigEndian64(k.data() + prefix.size());
    if (start.from_end) bits = ~bits;
    double score = FromSortableBits(bits);
    const std::string_view value = it->value();
    if (start.from_end && value.empty()) return Status::Corruption("damaged sorted set index");
    if (!value.empty() && value[0] == '-') score = -0.0;
    const std::string_view member = start.from_end ? value.substr(1) : k.substr(prefix.size() + 8);
    if (!fn(member, score)) break;
  }
  return it->status();
}

}  // namespace stash::store
