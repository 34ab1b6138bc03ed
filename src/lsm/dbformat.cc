// Internal key encoding: see the grammar at the top of dbformat.h.
#include "lsm/dbformat.h"

#include <cstdio>
#include <cstring>

namespace stash {
namespace {

void AppendEscaped(std::string* dst, std::string_view bytes) {
  for (char c : bytes) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      dst->push_back(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", byte);
      dst->append(buf);
    }
  }
}

}  // namespace

std::string ParsedInternalKey::DebugString() const {
  std::string out = "'";
  AppendEscaped(&out, user_key);
  out += "' @ " + std::to_string(sequence) + " : " + std::to_string(static_cast<int>(type));
  return out;
}

void AppendInternalKey(std::string* dst, const ParsedInternalKey& key) {
  dst->append(key.user_key);
  PutFixed64(dst, PackSequenceAndType(key.sequence, key.type));
}

bool ParseInternalKey(std::string_view internal_key, ParsedInternalKey* result) {
  if (internal_key.size() < kInternalKeyTagSize) return false;
  uint64_t tag = ExtractTag(internal_key);
  auto type = static_cast<uint8_t>(tag & 0xff);
  if (type > kValueTypeForSeek) return false;
  result->user_key = ExtractUserKey(internal_key);
  result->sequence = tag >> 8;
  result->type = static_cast<ValueType>(type);
  return true;
}

const char* InternalKeyComparator::Name() const { return "stash.InternalKeyComparator"; }

void InternalKeyComparator::FindShortestSeparator(std::string* start,
                                                  std::string_view limit) const {
  std::string_view user_start = ExtractUserKey(*start);
  std::string user_sep(user_start);
  user_->FindShortestSeparator(&user_sep, ExtractUserKey(limit));
  // Only a strictly larger, shorter user key helps: tagged with the largest tag it is the first
  // internal key of that user key, hence > *start (larger user key) and < limit (user_sep is
  // below limit's user key by the user comparator's contract).
  if (user_sep.size() < user_start.size() && user_->Compare(user_start, user_sep) < 0) {
    PutFixed64(&user_sep, PackSequenceAndType(kMaxSequenceNumber, kValueTypeForSeek));
    assert(Compare(*start, user_sep) < 0);
    assert(Compare(user_sep, limit) < 0);
    start->swap(user_sep);
  }
}

void InternalKeyComparator::FindShortSuccessor(std::string* key) const {
  std::string_view user_key = ExtractUserKey(*key);
  std::string user_succ(user_key);
  user_->FindShortSuccessor(&user_succ);
  if (user_succ.size() < user_key.size() && user_->Compare(user_key, user_succ) < 0) {
    PutFixed64(&user_succ, PackSequenceAndType(kMaxSequenceNumber, kValueTypeForSeek));
    assert(Compare(*key, user_succ) < 0);
    key->swap(user_succ);
  }
}

bool InternalKey::DecodeFrom(std::string_view encoded) {
  ParsedInternalKey parsed;
  if (!ParseInternalKey(encoded, &parsed)) {
    rep_.clear();
    return false;
  }
  rep_.assign(encoded);
  return true;
}

std::string InternalKey::DebugString() const {
  ParsedInternalKey parsed;
  if (ParseInternalKey(rep_, &parsed)) return parsed.DebugString();
  std::string out = "(bad internal key) '";
  AppendEscaped(&out, rep_);
  return out + "'";
}

LookupKey::LookupKey(std::string_view user_key, SequenceNumber sequence) {
  const size_t internal_size = user_key.size() + kInternalKeyTagSize;
  assert(internal_size < (1ull << 32));
  const size_t needed = VarintLength(internal_size) + internal_size;
  char* dst = needed <= sizeof(inline_buf_) ? inline_buf_ : new char[needed];
  start_ = dst;
  dst = EncodeVarint32(dst, static_cast<uint32_t>(internal_size));
  key_start_ = dst;
  if (!user_key.empty()) std::memcpy(dst, user_key.data(), user_key.size());
  dst += user_key.size();
  EncodeFixed64(dst, PackSequenceAndType(sequence, kValueTypeForSeek));
  end_ = dst + kInternalKeyTagSize;
}

LookupKey::~LookupKey() {
  if (start_ != inline_buf_) delete[] start_;
}

uint64_t InternalFilterPolicy::KeyHash(std::string_view key) const {
  return user_policy_->KeyHash(ExtractUserKey(key));
}

}  // namespace stash
