// Model-based randomized test: random puts, deletes and multi-op batches against a std::map,
// with flushes, range compactions, reopens and snapshots mixed in; every read (point, seek,
// full scan, at a snapshot or not) must agree with the model. Tiny sizes make every step of the
// LSM (switch, flush, L0->L1, deeper compactions, trivial moves) happen many times per seed.
#include <gtest/gtest.h>

#include <random>

#include "lsm/db_testutil.h"

namespace stash {
namespace {

using Model = std::map<std::string, std::string>;

class ModelTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    rng_.seed(static_cast<uint32_t>(GetParam()));
    options_ = test::TinyOptions();
    options_.env = test::SyncFreeEnv::Get();
    // Vary the table layout per seed so both codecs and filter/no-filter paths run.
    options_.compression =
        GetParam() % 2 == 0 ? TableOptions::Compression::kZstd : TableOptions::Compression::kNone;
    options_.compression_min_level = GetParam() % 4 == 0 ? 0 : 2;  // zstd on every level, or L2+
    options_.bloom_bits_per_key = GetParam() % 3 == 0 ? 0 : 10;
    options_.block_restart_interval = 1 + GetParam() % 4;
    options_.max_open_files = 20;
    Reopen();
  }
  void TearDown() override {
    ReleaseAllSnapshots();
    db_.reset();
  }

  void Reopen() {
    db_.reset();
    Status s = DB::Open(options_, dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void ReleaseAllSnapshots() {
    for (auto& [snap, model] : snapshots_) db_->ReleaseSnapshot(snap);
    snapshots_.clear();
  }

  std::string RandomKey() {
    // A skewed key space: some keys are rewritten often, most rarely.
    int k = rng_() % 4 == 0 ? static_cast<int>(rng_() % 20) : static_cast<int>(rng_() % 600);
    return test::Key(k);
  }
  std::string RandomValue() {
    size_t len = rng_() % 8 == 0 ? rng_() % 400 : rng_() % 40;
    std::string v = std::to_string(step_) + ":";
    v.resize(len + v.size(), static_cast<char>('a' + rng_() % 26));
    return v;
  }

  void CheckGet(const std::string& key, const Model& model, const Snapshot* snap) {
    ReadOptions ro;
    ro.snapshot = snap;
    auto it = model.find(key);
    ASSERT_EQ(test::GetOrStatus(db_.get(), key, ro), it == model.end() ? "NOT_FOUND" : it->second)
        << "key " << key << " step " << step_ << " snapshot " << (snap != nullptr);
  }
  void CheckSeek(const std::string& key, const Model& model, const Snapshot* snap) {
    ReadOptions ro;
    ro.snapshot = snap;
    auto it = db_->NewIterator(ro);
    it->Seek(key);
    auto mit = model.lower_bound(key);
    for (int n = 0; n < 10; n++, ++mit, it->Next()) {
      if (mit == model.end()) {
        ASSERT_FALSE(it->Valid()) << "step " << step_;
        break;
      }
      ASSERT_TRUE(it->Valid()) << "step " << step_ << " expected " << mit->first;
      ASSERT_EQ(it->key(), mit->first) << "step " << step_;
      ASSERT_EQ(it->value(), mit->second) << "step " << step_;
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  }
  void CheckAll(const Model& model, const Snapshot* snap) {
    ReadOptions ro;
    ro.snapshot = snap;
    ASSERT_EQ(test::Contents(db_.get(), ro), model) << "step " << step_;
  }

  void Run(int steps) {
    Model model;
    for (step_ = 0; step_ < steps; step_++) {
      const int r = static_cast<int>(rng_() % 1000);
      if (r < 450) {
        std::string k = RandomKey(), v = RandomValue();
        ASSERT_TRUE(db_->Put(WriteOptions(), k, v).ok());
        model[k] = v;
      } else if (r < 600) {
        std::string k = RandomKey();
        ASSERT_TRUE(db_->Delete(WriteOptions(), k).ok());
        model.erase(k);
      } else if (r < 700) {
        // One or several atomic batches in one submission.
        std::vector<WriteBatch> batches(1 + rng_() % 3);
        for (auto& b : batches) {
          int ops = 1 + static_cast<int>(rng_() % 8);
          for (int i = 0; i < ops; i++) {
            std::string k = RandomKey();
            if (rng_() % 3 == 0) {
              b.Delete(k);
              model.erase(k);
            } else {
              std::string v = RandomValue();
              b.Put(k, v);
              model[k] = v;
            }
          }
        }
        std::vector<WriteBatch*> ptrs;
        for (auto& b : batches) ptrs.push_back(&b);
        ASSERT_TRUE(db_->WriteGroup(ptrs, rng_() % 10 == 0).ok());
      } else if (r < 720) {
        if (snapshots_.size() < 4) snapshots_.emplace_back(db_->GetSnapshot(), model);
      } else if (r < 735) {
        if (!snapshots_.empty()) {
          size_t i = rng_() % snapshots_.size();
          db_->ReleaseSnapshot(snapshots_[i].first);
          snapshots_.erase(snapshots_.begin() + static_cast<long>(i));
        }
      } else if (r < 745) {
        ASSERT_TRUE(db_->Flush().ok());
      } else if (r < 752) {
        std::string a = RandomKey(), b = RandomKey();
        if (a > b) std::swap(a, b);
        Status s =
            rng_() % 4 == 0 ? db_->CompactRange(nullptr, nullptr) : db_->CompactRange(&a, &b);
        ASSERT_TRUE(s.ok()) << s.ToString();
      } else if (r < 756) {
        ReleaseAllSnapshots();
        Reopen();
      } else if (r < 900) {
        CheckGet(RandomKey(), model, nullptr);
      } else if (r < 960) {
        if (!snapshots_.empty()) {
          const auto& [snap, snap_model] = snapshots_[rng_() % snapshots_.size()];
          CheckGet(RandomKey(), snap_model, snap);
          CheckSeek(RandomKey(), snap_model, snap);
        }
      } else if (r < 990) {
        CheckSeek(RandomKey(), model, nullptr);
      } else {
        CheckAll(model, nullptr);
        for (const auto& [snap, snap_model] : snapshots_) CheckAll(snap_model, snap);
      }
      if (HasFatalFailure()) return;
    }
    CheckAll(model, nullptr);
    ASSERT_TRUE(db_->BackgroundError().ok());
    ReleaseAllSnapshots();
    Reopen();
    CheckAll(model, nullptr);
    ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
    CheckAll(model, nullptr);
    DbStats st = db_->GetStats();
    EXPECT_GT(st.compactions, 0u);
  }

  test::TempDir dir_{"model"};
  Options options_;
  std::mt19937 rng_;
  std::unique_ptr<DB> db_;
  std::vector<std::pair<const Snapshot*, Model>> snapshots_;
  int step_ = 0;
};

TEST_P(ModelTest, MatchesStdMap) { Run(5000); }

INSTANTIATE_TEST_SUITE_P(Seeds, ModelTest, ::testing::Values(1, 2, 3, 4, 5, 6, 7, 8));

}  // namespace
}  // namespace stash
