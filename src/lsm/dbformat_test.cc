#include "lsm/dbformat.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stash {
namespace {

std::string IKey(std::string_view user_key, SequenceNumber seq, ValueType type) {
  std::string out;
  AppendInternalKey(&out, ParsedInternalKey(user_key, seq, type));
  return out;
}

std::string Separator(const std::string& start, const std::string& limit) {
  InternalKeyComparator cmp(BytewiseComparator());
  std::string result = start;
  cmp.FindShortestSeparator(&result, limit);
  return result;
}

std::string Successor(const std::string& key) {
  InternalKeyComparator cmp(BytewiseComparator());
  std::string result = key;
  cmp.FindShortSuccessor(&result);
  return result;
}

TEST(InternalKeyFormat, EncodesUserKeyThenLittleEndianTag) {
  std::string key = IKey("ab", 0x010203, kTypeValue);
  ASSERT_EQ(key.size(), 10u);
  EXPECT_EQ(key, std::string("ab\x01\x03\x02\x01\0\0\0\0", 10));
}

TEST(InternalKeyFormat, ParseRoundTripsEveryTypeAndSequence) {
  for (std::string user_key :
       {std::string(), std::string("k"), std::string("\0\xff", 2), std::string(300, 'x')}) {
    for (SequenceNumber seq :
         std::vector<SequenceNumber>{0, 1, 255, 256, 1ull << 40, kMaxSequenceNumber}) {
      for (ValueType type : {kTypeDeletion, kTypeValue}) {
        std::string encoded = IKey(user_key, seq, type);
        ParsedInternalKey parsed;
        ASSERT_TRUE(ParseInternalKey(encoded, &parsed));
        EXPECT_EQ(parsed.user_key, user_key);
        EXPECT_EQ(parsed.sequence, seq);
        EXPECT_EQ(parsed.type, type);
        EXPECT_EQ(ExtractUserKey(encoded), user_key);
      }
    }
  }
}

TEST(InternalKeyFormat, ParseRejectsShortInputAndUnknownType) {
  ParsedInternalKey parsed;
  EXPECT_FALSE(ParseInternalKey("", &parsed));
  EXPECT_FALSE(ParseInternalKey("1234567", &parsed));
  std::string bad_type = IKey("k", 7, kTypeValue);
  bad_type[1] = 2;  // the tag's low byte is the type
  EXPECT_FALSE(ParseInternalKey(bad_type, &parsed));
  InternalKey key;
  EXPECT_FALSE(key.DecodeFrom(bad_type));
  EXPECT_TRUE(key.empty());
  EXPECT_TRUE(key.DecodeFrom(IKey("k", 7, kTypeValue)));
  EXPECT_EQ(key.user_key(), "k");
}

TEST(InternalKeyComparator, OrdersByUserKeyThenNewestFirst) {
  InternalKeyComparator cmp(BytewiseComparator());
  // Each key sorts strictly before the next.
  std::vector<std::string> ordered = {
      IKey("", 5, kTypeValue),
      IKey("a", kMaxSequenceNumber, kTypeValue),
      IKey("a", 100, kTypeValue),
      IKey("a", 100, kTypeDeletion),
      IKey("a", 99, kTypeValue),
      IKey("a", 0, kTypeDeletion),
      IKey(std::string_view("a\0", 2), 200, kTypeValue),
      IKey("b", 1000, kTypeValue),
      IKey("\xff", 1, kTypeDeletion),
  };
  for (size_t i = 0; i < ordered.size(); i++) {
    EXPECT_EQ(cmp.Compare(ordered[i], ordered[i]), 0);
    for (size_t j = i + 1; j < ordered.size(); j++) {
      EXPECT_LT(cmp.Compare(ordered[i], ordered[j]), 0) << i << " " << j;
      EXPECT_GT(cmp.Compare(ordered[j], ordered[i]), 0) << i << " " << j;
    }
  }
  EXPECT_LT(cmp.Compare(InternalKey("a", 5, kTypeValue), InternalKey("a", 4, kTypeValue)), 0);
}

// A user comparator that orders keys backwards, to check the user order is taken from it.
class ReverseComparator final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override { return b.compare(a); }
  const char* Name() const override { return "test.Reverse"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

TEST(InternalKeyComparator, TakesUserOrderFromUserComparator) {
  ReverseComparator reverse;
  InternalKeyComparator cmp(&reverse);
  EXPECT_GT(cmp.Compare(IKey("a", 1, kTypeValue), IKey("b", 1, kTypeValue)), 0);
  EXPECT_LT(cmp.Compare(IKey("a", 2, kTypeValue), IKey("a", 1, kTypeValue)), 0);
  EXPECT_EQ(cmp.user_comparator(), &reverse);
}

TEST(InternalKeyComparator, ShortestSeparatorShortensUserKeyWhenItCan) {
  // Shortened: the result takes the largest tag, so it is the first key of its user key.
  EXPECT_EQ(Separator(IKey("foo", 100, kTypeValue), IKey("hello", 200, kTypeValue)),
            IKey("g", kMaxSequenceNumber, kValueTypeForSeek));
  // Same user key, a user key that is a prefix of the other, or adjacent bytes: unchanged.
  EXPECT_EQ(Separator(IKey("foo", 100, kTypeValue), IKey("foo", 99, kTypeValue)),
            IKey("foo", 100, kTypeValue));
  EXPECT_EQ(Separator(IKey("foo", 100, kTypeValue), IKey("foobar", 200, kTypeValue)),
            IKey("foo", 100, kTypeValue));
  EXPECT_EQ(Separator(IKey("foo", 100, kTypeValue), IKey("fop", 200, kTypeValue)),
            IKey("foo", 100, kTypeValue));
  EXPECT_EQ(Separator(IKey("foobar", 100, kTypeValue), IKey("foo", 200, kTypeValue)),
            IKey("foobar", 100, kTypeValue));
}

TEST(InternalKeyComparator, ShortSuccessorShortensUserKeyWhenItCan) {
  EXPECT_EQ(Successor(IKey("foo", 100, kTypeValue)),
            IKey("g", kMaxSequenceNumber, kValueTypeForSeek));
  EXPECT_EQ(Successor(IKey("\xff\xff", 100, kTypeValue)), IKey("\xff\xff", 100, kTypeValue));
}

TEST(LookupKey, ExposesMemtableInternalAndUserKeyViews) {
  for (size_t size : {0, 3, 150, 191, 192, 1000}) {
    std::string user_key(size, 'k');
    LookupKey lookup(user_key, 42);
    EXPECT_EQ(lookup.user_key(), user_key);
    EXPECT_EQ(lookup.internal_key(), IKey(user_key, 42, kValueTypeForSeek));
    std::string memtable_key;
    PutLengthPrefixed(&memtable_key, IKey(user_key, 42, kValueTypeForSeek));
    EXPECT_EQ(lookup.memtable_key(), memtable_key);
  }
}

// Records the keys it was given, to check what the wrapper hands to the user policy.
class RecordingPolicy final : public FilterPolicy {
 public:
  const char* Name() const override { return "test.Recording"; }
  // The "hash" of a key is its index in created.
  uint64_t KeyHash(std::string_view key) const override {
    created.emplace_back(key);
    return created.size() - 1;
  }
  void CreateFilterFromHashes(const std::vector<uint64_t>& hashes,
                              std::string* dst) const override {
    for (uint64_t h : hashes) dst->append(created[h]).push_back('|');
  }
  bool KeyMayMatch(std::string_view key, std::string_view filter) const override {
    probed = std::string(key);
    return filter.find(std::string(key) + "|") != std::string_view::npos;
  }
  mutable std::vector<std::string> created;
  mutable std::string probed;
};

TEST(InternalFilterPolicy, BuildsOverUserKeysAndProbesWithUserKey) {
  RecordingPolicy user_policy;
  InternalFilterPolicy policy(&user_policy);
  EXPECT_STREQ(policy.Name(), "test.Recording");
  std::string a = IKey("apple", 5, kTypeValue);
  std::string b = IKey("banana", 9, kTypeDeletion);
  std::string filter;
  policy.CreateFilter({a, b}, &filter);
  EXPECT_EQ(user_policy.created, (std::vector<std::string>{"apple", "banana"}));
  EXPECT_TRUE(policy.KeyMayMatch("banana", filter));
  EXPECT_EQ(user_policy.probed, "banana");
  EXPECT_FALSE(policy.KeyMayMatch("cherry", filter));
}

TEST(InternalKeyFormat, DebugStringEscapesBytes) {
  EXPECT_EQ(ParsedInternalKey("a\x01", 7, kTypeValue).DebugString(), "'a\\x01' @ 7 : 1");
  EXPECT_EQ(InternalKey("k", 3, kTypeDeletion).DebugString(), "'k' @ 3 : 0");
}

}  // namespace
}  // namespace stash
