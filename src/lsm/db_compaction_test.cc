#include <gtest/gtest.h>

#include <random>

#include "lsm/db_testutil.h"

namespace stash {
namespace {

using test::Contents;
using test::GetOrStatus;
using test::Key;

// Compaction logic only: fsync is skipped (SyncFreeEnv) so the many small flushes stay fast.
Options CompactionTestOptions() {
  Options o = test::TinyOptions();
  o.env = test::SyncFreeEnv::Get();
  return o;
}

class DBCompactionTest : public ::testing::Test {
 protected:
  void Open(const Options& options = CompactionTestOptions()) {
    db_.reset();
    Status s = DB::Open(options, dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Reopen(const Options& options = CompactionTestOptions()) {
    ASSERT_TRUE(db_->Close().ok());
    Open(options);
  }
  void Put(std::string_view k, std::string_view v) {
    ASSERT_TRUE(db_->Put(WriteOptions(), k, v).ok());
  }
  void Del(std::string_view k) { ASSERT_TRUE(db_->Delete(WriteOptions(), k).ok()); }
  std::string Get(std::string_view k, const Snapshot* snap = nullptr) {
    ReadOptions ro;
    ro.snapshot = snap;
    return GetOrStatus(db_.get(), k, ro);
  }
  void CompactAll() {
    Status s = db_->CompactRange(nullptr, nullptr);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  int DeepestLevelWithFiles() {
    auto levels = db_->GetStats().levels;
    int deepest = -1;
    for (size_t i = 0; i < levels.size(); i++) {
      if (levels[i].files > 0) deepest = static_cast<int>(i);
    }
    return deepest;
  }

  test::TempDir dir_{"dbc"};
  std::unique_ptr<DB> db_;
};

TEST_F(DBCompactionTest, FlushAndMultiLevelCompactionRun) {
  Open();
  std::mt19937 rng(1);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 8000; i++) {
    std::string k = Key(static_cast<int>(rng() % 4000));
    std::string v = std::to_string(i) + std::string(60, 'v');
    Put(k, v);
    model[k] = v;
  }
  ASSERT_TRUE(db_->Flush().ok());
  DbStats st = db_->GetStats();
  EXPECT_GT(st.flushes, 50u);
  EXPECT_GT(st.compactions, 5u);
  EXPECT_GE(DeepestLevelWithFiles(), 2) << test::DebugLevels(db_.get());
  EXPECT_LT(st.levels[0].files, Options().l0_stop_trigger);
  EXPECT_TRUE(db_->BackgroundError().ok());
  EXPECT_EQ(Contents(db_.get()), model);
  for (int i = 0; i < 4000; i += 37) {
    auto it = model.find(Key(i));
    EXPECT_EQ(Get(Key(i)), it == model.end() ? "NOT_FOUND" : it->second);
  }
  Reopen();
  EXPECT_EQ(Contents(db_.get()), model);
}

TEST_F(DBCompactionTest, SequentialInsertsMoveFilesWithoutRewriting) {
  Open();
  for (int i = 0; i < 6000; i++) Put(Key(i), std::string(40, 'x'));
  ASSERT_TRUE(db_->Flush().ok());
  DbStats st = db_->GetStats();
  EXPECT_GT(st.trivial_moves, 0u) << test::DebugLevels(db_.get());
  EXPECT_EQ(Contents(db_.get()).size(), 6000u);
}

TEST_F(DBCompactionTest, CompactRangeDropsDeletedData) {
  Open();
  for (int i = 0; i < 3000; i++) Put(Key(i), std::string(100, 'd'));
  CompactAll();
  const uint64_t full = test::TotalTableBytes(db_.get());
  EXPECT_GT(full, 3000u * 100 / 2);
  for (int i = 0; i < 3000; i++) Del(Key(i));
  CompactAll();
  const uint64_t after = test::TotalTableBytes(db_.get());
  EXPECT_LT(after, full / 10) << test::DebugLevels(db_.get());
  EXPECT_TRUE(Contents(db_.get()).empty());
  EXPECT_EQ(Get(Key(5)), "NOT_FOUND");
  Reopen();
  EXPECT_TRUE(Contents(db_.get()).empty());
}

// Compaction inputs are read once and deleted: their blocks must not push point reads' blocks out.
TEST_F(DBCompactionTest, CompactionsLeaveTheBlockCacheToReads) {
  Open();
  for (int i = 0; i < 3000; i++) Put(Key(i), std::string(100, 'c'));
  CompactAll();
  for (int i = 0; i < 3000; i += 2) Put(Key(i), std::string(100, 'd'));
  CompactAll();
  DbStats st = db_->GetStats();
  EXPECT_GT(st.compactions, 1u);
  EXPECT_GT(st.block_cache_misses, 0u);  // compactions looked their blocks up
  EXPECT_EQ(st.block_cache_usage, 0u);   // but kept none
  EXPECT_EQ(Get(Key(3)), std::string(100, 'c'));
  EXPECT_GT(db_->GetStats().block_cache_usage, 0u);  // a point read keeps its block
}

// A deletion compacted into a middle level must stay while an older put of its key sits deeper.
TEST_F(DBCompactionTest, DeletesOfKeysInDeeperLevelsNeverResurrect) {
  Open();
  // Old values, pushed to the bottom.
  for (int i = 0; i < 2000; i++) Put(Key(i), "old" + std::string(50, 'o'));
  CompactAll();
  const int bottom = DeepestLevelWithFiles();
  ASSERT_GE(bottom, 2) << test::DebugLevels(db_.get());
  // Newer values for half the keys, compacted only part of the way (a sub-range).
  for (int i = 0; i < 2000; i += 2) Put(Key(i), "new" + std::string(50, 'n'));
  std::string lo = Key(500), hi = Key(1500);
  ASSERT_TRUE(db_->CompactRange(&lo, &hi).ok());
  // Delete every third key (old-only and new ones alike), then compact pieces of the range.
  for (int i = 0; i < 2000; i += 3) Del(Key(i));
  ASSERT_TRUE(db_->Flush().ok());
  std::string lo2 = Key(900), hi2 = Key(1100);
  ASSERT_TRUE(db_->CompactRange(&lo2, &hi2).ok());
  auto check = [&] {
    for (int i = 0; i < 2000; i++) {
      std::string want = i % 3 == 0   ? "NOT_FOUND"
                         : i % 2 == 0 ? "new" + std::string(50, 'n')
                                      : "old" + std::string(50, 'o');
      ASSERT_EQ(Get(Key(i)), want) << "key " << i << "\n" << test::DebugLevels(db_.get());
    }
    auto c = Contents(db_.get());
    for (int i = 0; i < 2000; i += 3) ASSERT_EQ(c.count(Key(i)), 0u) << i;
  };
  check();
  Reopen();
  check();
  // Writes that trigger more automatic compactions on top, then everything at once.
  for (int i = 2000; i < 4000; i++) Put(Key(i), "more");
  check();
  CompactAll();
  check();
  Reopen();
  check();
}

TEST_F(DBCompactionTest, ManyVersionsOfOneKeyStayInOneFile) {
  Open();
  // Snapshots keep every version of "hot" alive through compaction; together they are far
  // bigger than one output file.
  std::vector<const Snapshot*> snaps;
  for (int i = 0; i < 600; i++) {
    Put("hot", std::to_string(i) + std::string(100, 'h'));
    if (i % 50 == 0) Put(Key(i), "cold");
    snaps.push_back(db_->GetSnapshot());
  }
  CompactAll();
  ASSERT_TRUE(db_->BackgroundError().ok()) << db_->BackgroundError().ToString();
  for (int i = 0; i < 600; i += 7) {
    ASSERT_EQ(Get("hot", snaps[i]), std::to_string(i) + std::string(100, 'h'));
  }
  bool oversized = false;
  for (const auto& level : db_->GetStats().levels) {
    // 600 versions * ~110 bytes must all be in one file (levels are checked for overlap).
    if (level.files > 0 && level.bytes / level.files >= 16u << 10) oversized = true;
  }
  EXPECT_TRUE(oversized) << test::DebugLevels(db_.get());
  for (const Snapshot* s : snaps) db_->ReleaseSnapshot(s);
  CompactAll();
  EXPECT_EQ(Get("hot"), "599" + std::string(100, 'h'));
  EXPECT_LT(test::TotalTableBytes(db_.get()), 8u << 10);
}

TEST_F(DBCompactionTest, SnapshotsKeepOldVersionsThroughCompaction) {
  Open();
  for (int i = 0; i < 1000; i++) Put(Key(i), "v1");
  const Snapshot* snap = db_->GetSnapshot();
  for (int i = 0; i < 1000; i++) {
    if (i % 2 == 0) {
      Put(Key(i), "v2");
    } else {
      Del(Key(i));
    }
  }
  CompactAll();
  ReadOptions at_snap;
  at_snap.snapshot = snap;
  auto old_view = Contents(db_.get(), at_snap);
  ASSERT_EQ(old_view.size(), 1000u);
  for (const auto& [k, v] : old_view) ASSERT_EQ(v, "v1") << k;
  EXPECT_EQ(Get(Key(1), snap), "v1");
  EXPECT_EQ(Get(Key(1)), "NOT_FOUND");
  EXPECT_EQ(Get(Key(2)), "v2");
  const uint64_t with_snapshot = test::TotalTableBytes(db_.get());
  db_->ReleaseSnapshot(snap);
  CompactAll();
  EXPECT_LT(test::TotalTableBytes(db_.get()), with_snapshot);
  EXPECT_EQ(Contents(db_.get()).size(), 500u);
}

// Drops values that start with "expired".
class ExpiredFilter final : public CompactionFilter {
 public:
  bool Drop(int, std::string_view, std::string_view value, uint64_t now_ms, uint64_t) override {
    calls++;
    last_now_ms = now_ms;
    return value.starts_with("expired");
  }
  std::atomic<int> calls{0};
  std::atomic<uint64_t> last_now_ms{0};
};

TEST_F(DBCompactionTest, CompactionFilterDropsValuesWithoutResurrectingOlderOnes) {
  ExpiredFilter filter;
  Options o = CompactionTestOptions();
  o.compaction_filter = &filter;
  Open(o);
  for (int i = 0; i < 1500; i++) Put(Key(i), "live-old" + std::string(40, 'x'));
  CompactAll();
  ASSERT_GE(DeepestLevelWithFiles(), 2);
  // Newer "expired" values over a third of the keys; compact them only into an upper level.
  for (int i = 0; i < 1500; i += 3) Put(Key(i), "expired" + std::string(40, 'e'));
  std::string lo = Key(0), hi = Key(700);
  ASSERT_TRUE(db_->CompactRange(&lo, &hi).ok());
  EXPECT_GT(filter.calls.load(), 0);
  EXPECT_GT(filter.last_now_ms.load(), 1600000000000u);
  for (int i = 0; i <= 700; i++) {
    // The filter removed the expired value; the older live value must not come back.
    std::string got = Get(Key(i));
    if (i % 3 == 0) {
      ASSERT_EQ(got, "NOT_FOUND") << i << "\n" << test::DebugLevels(db_.get());
    } else {
      ASSERT_EQ(got, "live-old" + std::string(40, 'x')) << i;
    }
  }
  CompactAll();
  Reopen(o);
  auto c = Contents(db_.get());
  EXPECT_EQ(c.size(), 1000u);
  for (const auto& [k, v] : c) ASSERT_TRUE(v.starts_with("live-old")) << k;
}

TEST_F(DBCompactionTest, SlowdownStallIsCounted) {
  Options o = CompactionTestOptions();
  o.l0_compaction_trigger = 2;
  o.l0_slowdown_trigger = 2;
  o.l0_stop_trigger = 3;
  Open(o);
  for (int i = 0; i < 3000; i++) Put(Key(i * 7 % 3000), std::string(40, 's'));
  DbStats st = db_->GetStats();
  EXPECT_GT(st.stall_micros, 0u);
  EXPECT_LE(st.levels[0].files, 3);
  EXPECT_EQ(Contents(db_.get()).size(), 3000u);
}

}  // namespace
}  // namespace stash
