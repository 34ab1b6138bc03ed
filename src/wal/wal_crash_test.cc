// The WAL under simulated power losses and full disks (FaultInjectionEnv): whatever was synced
// (power loss) or flushed (process death) before the failure is replayed, and the log never
// reads as corrupt.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "util/env.h"
#include "util/fault_env.h"
#include "wal/wal_reader.h"
#include "wal/wal_writer.h"

namespace stash::wal {
namespace {

constexpr int kGroups = 12;

struct Batch {
  uint64_t seq = 0;
  std::vector<std::string> ops;
};

// Batches acknowledged so far: by a successful Flush (survive a process kill) and by a
// successful Sync (survive a power loss).
struct Acked {
  size_t flushed = 0;
  size_t synced = 0;
};

class WalCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("stash_wal_crash_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    ASSERT_TRUE(Env::Default()->CreateDirIfMissing(dir_).ok());
    path_ = JoinPath(dir_, "000003.log");
    for (uint64_t j = 0; j < 2 * kGroups; j++) {
      Batch b{j * 10 + 1, {"key" + std::to_string(j), std::string((j * 37) % 200, 'v')}};
      if (j == 7) b.ops.push_back(std::string(33000, 'L'));  // crosses a block boundary
      batches_.push_back(std::move(b));
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Group g holds 1 + g % 3 batches; with sync, every third group is synced, the others only
  // flushed (without sync nothing is fsynced, which keeps byte-by-byte sweeps fast).
  Status RunWorkload(Acked* acked, bool sync) {
    std::unique_ptr<WritableFile> f;
    STASH_RETURN_IF_ERROR(env_.NewWritableFile(path_, &f));
    if (sync) STASH_RETURN_IF_ERROR(env_.SyncDir(dir_));
    WalWriter w(std::move(f), 0);
    size_t next = 0;
    for (int g = 0; g < kGroups; g++) {
      size_t n = 1 + g % 3;
      for (size_t i = next; i < next + n && i < batches_.size(); i++) {
        for (const std::string& op : batches_[i].ops) w.AddRecord(op);
        w.EndBatch(batches_[i].seq);
      }
      next = std::min(next + n, batches_.size());
      if (sync && g % 3 == 2) {
        STASH_RETURN_IF_ERROR(w.Sync());
        acked->synced = next;
      } else {
        STASH_RETURN_IF_ERROR(w.Flush());
      }
      acked->flushed = next;
    }
    return w.Close();
  }

  // Replays the log as the newest one; expects no error and a prefix of batches_ of at least
  // `at_least` batches.
  void ExpectReplays(size_t at_least, const std::string& ctx) {
    std::unique_ptr<SequentialFile> f;
    ASSERT_TRUE(Env::Default()->NewSequentialFile(path_, &f).ok()) << ctx;
    WalReader reader(std::move(f), "000003.log", true, RecoveryMode::kStrict);
    WalBatch b;
    size_t count = 0;
    while (reader.ReadBatch(&b)) {
      ASSERT_LT(count, batches_.size()) << ctx;
      ASSERT_EQ(b.first_seq, batches_[count].seq) << ctx;
      ASSERT_EQ(b.records, batches_[count].ops) << ctx;
      count++;
    }
    ASSERT_TRUE(reader.status().ok()) << ctx << ": " << reader.status().ToString();
    ASSERT_GE(count, at_least) << ctx;
    last_reason_ = reader.DropReason();
  }

  FaultInjectionEnv env_;
  std::string dir_;
  std::string path_;
  std::vector<Batch> batches_;
  std::string last_reason_;  // DropReason of the last ExpectReplays
};

TEST_F(WalCrashTest, PowerLossAtEveryOpKeepsSyncedBatches) {
  Acked full;
  uint64_t before = env_.MutatingOps();
  ASSERT_TRUE(RunWorkload(&full, true).ok());
  uint64_t total_ops = env_.MutatingOps() - before;
  ASSERT_GT(full.synced, 0u);

  for (uint64_t k = 0; k <= total_ops; k++) {
    std::string ctx = "crash after " + std::to_string(k) + " ops";
    ASSERT_TRUE(env_.SimulateCrash().ok());
    std::filesystem::remove(path_);
    env_.CrashAfterOps(k);
    Acked acked;
    Status s = RunWorkload(&acked, true);
    ASSERT_EQ(s.ok(), k == total_ops) << ctx;
    ASSERT_EQ(env_.Crashed(), k < total_ops) << ctx;
    ASSERT_TRUE(env_.SimulateCrash().ok()) << ctx;
    if (Env::Default()->FileExists(path_)) {
      ExpectReplays(acked.synced, ctx);
      if (HasFatalFailure()) return;
    } else {
      ASSERT_EQ(acked.synced, 0u) << ctx;
    }
  }
}

// Regression: unsynced pages written back out of order leave a hole followed by valid records in
// the newest log; strict recovery called that corruption and refused to start.
TEST_F(WalCrashTest, PowerLossWithOutOfOrderWriteBackKeepsSyncedBatches) {
  Acked full;
  uint64_t before = env_.MutatingOps();
  ASSERT_TRUE(RunWorkload(&full, true).ok());
  uint64_t total_ops = env_.MutatingOps() - before;
  int dropped_with_valid_after = 0;
  for (uint64_t k = 0; k <= total_ops; k++) {
    for (uint32_t seed = 0; seed < 8; seed++) {
      std::string ctx = "crash after " + std::to_string(k) + " ops, seed " + std::to_string(seed);
      ASSERT_TRUE(env_.SimulateCrash().ok());
      std::filesystem::remove(path_);
      env_.SetUnsyncedPageFate(nullptr);
      env_.CrashAfterOps(k);
      Acked acked;
      (void)RunWorkload(&acked, true).ok();
      auto rng = std::make_shared<std::mt19937>(seed * 7919 + k);
      env_.SetUnsyncedPageFate([rng](const std::string&, uint64_t) {
        return static_cast<FaultInjectionEnv::PageFate>((*rng)() % 3);
      });
      ASSERT_TRUE(env_.SimulateCrash().ok()) << ctx;
      if (!Env::Default()->FileExists(path_)) {
        ASSERT_EQ(acked.synced, 0u) << ctx;
        continue;
      }
      ExpectReplays(acked.synced, ctx);
      if (HasFatalFailure()) return;
      dropped_with_valid_after += last_reason_.find("valid records follow") != std::string::npos;
    }
  }
  env_.SetUnsyncedPageFate(nullptr);
  EXPECT_GT(dropped_with_valid_after, 0) << "no crash left a hole before valid records";
}

TEST_F(WalCrashTest, ProcessDeathAfterDiskFullKeepsFlushedBatches) {
  Acked full;
  ASSERT_TRUE(RunWorkload(&full, false).ok());
  uint64_t total_bytes = 0;
  ASSERT_TRUE(Env::Default()->GetFileSize(path_, &total_bytes).ok());

  for (uint64_t n = 0; n < total_bytes; n += (n % 32768 < 2000 ? 7 : 331)) {
    std::string ctx = "disk full after " + std::to_string(n) + " bytes";
    env_.ResetState();
    env_.FailWritesAfterBytes(n, Status::NoSpace("disk full"));
    Acked acked;
    Status s = RunWorkload(&acked, false);
    ASSERT_TRUE(s.IsNoSpace()) << ctx << ": " << s.ToString();
    env_.ClearErrors();
    uint64_t size = 0;
    ASSERT_TRUE(Env::Default()->GetFileSize(path_, &size).ok());
    ASSERT_EQ(size, n) << ctx;  // the partial write landed
    // The process dies here: no SimulateCrash, the page cache keeps what was written.
    ExpectReplays(acked.flushed, ctx);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace stash::wal
