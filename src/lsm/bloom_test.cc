#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "lsm/filter_policy.h"

namespace stash {
namespace {

std::string Key(int i, std::string_view tag) { return std::string(tag) + std::to_string(i); }

class BloomFilter {
 public:
  explicit BloomFilter(int bits_per_key) : policy_(NewBloomFilterPolicy(bits_per_key)) {}

  void Build(int n, std::string_view tag = "key") {
    std::vector<std::string> owned;
    for (int i = 0; i < n; i++) owned.push_back(Key(i, tag));
    std::vector<std::string_view> keys(owned.begin(), owned.end());
    filter_.clear();
    policy_->CreateFilter(keys, &filter_);
  }
  bool Matches(std::string_view key) const { return policy_->KeyMayMatch(key, filter_); }
  const std::string& filter() const { return filter_; }

  // (1 - e^(-k n / m))^k for the filter actually built.
  double TheoreticalFalsePositiveRate(int n) const {
    const double m = (filter_.size() - 1) * 8.0;
    const double k = static_cast<unsigned char>(filter_.back());
    return std::pow(1.0 - std::exp(-k * n / m), k);
  }

  double MeasuredFalsePositiveRate(int probes) const {
    int hits = 0;
    for (int i = 0; i < probes; i++) hits += Matches(Key(i, "absent")) ? 1 : 0;
    return static_cast<double>(hits) / probes;
  }

 private:
  std::unique_ptr<const FilterPolicy> policy_;
  std::string filter_;
};

TEST(Bloom, EmptyFilterMatchesNothing) {
  BloomFilter bloom(10);
  bloom.Build(0);
  EXPECT_FALSE(bloom.Matches("hello"));
  EXPECT_FALSE(bloom.Matches(""));
}

TEST(Bloom, EveryAddedKeyMatches) {
  BloomFilter bloom(10);
  for (int n : {1, 7, 100, 1000, 25000}) {
    bloom.Build(n);
    for (int i = 0; i < n; i++) ASSERT_TRUE(bloom.Matches(Key(i, "key"))) << n << " " << i;
  }
}

TEST(Bloom, FalsePositiveRateIsWithinTwiceTheTheoreticalRate) {
  constexpr int kProbes = 100000;
  for (int bits_per_key : {6, 10, 16}) {
    BloomFilter bloom(bits_per_key);
    for (int n : {500, 2000, 10000, 50000, 200000}) {
      bloom.Build(n);
      const double theory = bloom.TheoreticalFalsePositiveRate(n);
      const double measured = bloom.MeasuredFalsePositiveRate(kProbes);
      SCOPED_TRACE(testing::Message() << "bits/key " << bits_per_key << ", " << n << " keys: "
                                      << "measured " << measured << ", theory " << theory);
      EXPECT_LE(measured, 2 * theory);
      // With ~10+ expected false positives a rate far below theory would mean a broken probe.
      if (theory * kProbes >= 10) {
        EXPECT_GE(measured, theory / 2);
      }
    }
  }
}

TEST(Bloom, TenBitsPerKeyGiveAboutOnePercentFalsePositives) {
  BloomFilter bloom(10);
  bloom.Build(10000);
  EXPECT_EQ(bloom.filter().size(), 10000 * 10 / 8 + 1);
  const double rate = bloom.MeasuredFalsePositiveRate(100000);
  EXPECT_LT(rate, 0.0125);
  EXPECT_GT(rate, 0.004);
}

TEST(Bloom, MalformedFilterMatchesEverything) {
  std::unique_ptr<const FilterPolicy> policy(NewBloomFilterPolicy(10));
  EXPECT_TRUE(policy->KeyMayMatch("k", ""));
  EXPECT_TRUE(policy->KeyMayMatch("k", std::string_view("\0", 1)));
  std::string reserved(16, '\0');
  reserved.push_back(static_cast<char>(31));  // probe counts above 30 are reserved
  EXPECT_TRUE(policy->KeyMayMatch("k", reserved));
}

TEST(Bloom, FiltersAppendToTheirDestination) {
  std::unique_ptr<const FilterPolicy> policy(NewBloomFilterPolicy(10));
  std::vector<std::string_view> keys = {"a", "b"};
  std::string dst = "prefix";
  policy->CreateFilter(keys, &dst);
  ASSERT_GT(dst.size(), 6u);
  EXPECT_EQ(dst.substr(0, 6), "prefix");
  std::string_view filter = std::string_view(dst).substr(6);
  EXPECT_TRUE(policy->KeyMayMatch("a", filter));
  EXPECT_TRUE(policy->KeyMayMatch("b", filter));
}

}  // namespace
}  // namespace stash
