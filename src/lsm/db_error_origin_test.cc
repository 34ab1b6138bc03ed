// What a read-only error says it came from (DB::BackgroundErrorOrigin), and Resume after a
// compaction that could not read its inputs: writes stay refused while the tables still fail
// to read (no flapping between accepted and refused), and come back once they read whole.
#include <gtest/gtest.h>

#include "lsm/db_fault_fixture.h"

namespace stash {
namespace {

using test::GetOrStatus;
using test::Key;

using DBErrorOriginTest = test::FaultEnvDBTest;

TEST_F(DBErrorOriginTest, WalWriteErrorSaysSo) {
  ASSERT_TRUE(Open(Opts(AppendFsync::kNo)).ok());
  EXPECT_EQ(db_->BackgroundErrorOrigin(), "");
  env_.SetWriteError(Status::IOError("injected write"));
  EXPECT_FALSE(db_->Put(WriteOptions(), "a", "1").ok());
  EXPECT_EQ(db_->BackgroundErrorOrigin(), "write-ahead log write");
  env_.ClearErrors();
  EXPECT_TRUE(db_->Resume().ok());
  EXPECT_EQ(db_->BackgroundErrorOrigin(), "");
  EXPECT_EQ(db_->GetStats().last_background_error_origin, "write-ahead log write");
}

TEST_F(DBErrorOriginTest, RegressionCompactionReadErrorIsNotAWalErrorAndDoesNotFlap) {
  Options o = Opts(AppendFsync::kNo);
  o.block_cache_size = 0;
  ASSERT_TRUE(Open(o).ok());
  for (int i = 0; i < 2000; i++) {
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), std::string(40, 'v')).ok());
  }
  ASSERT_TRUE(db_->Flush().ok());
  env_.SetReadError(Status::IOError("injected read error"), ".sst");
  Status s = db_->CompactRange(nullptr, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(db_->BackgroundErrorOrigin(), "table read (compaction)");
  EXPECT_NE(db_->BackgroundError().ToString().find(".sst"), std::string::npos)
      << "the error names the table: " << db_->BackgroundError().ToString();
  // While the tables still fail to read, every retry is refused before writes come back.
  for (int attempt = 0; attempt < 3; attempt++) {
    EXPECT_FALSE(db_->Resume().ok());
    EXPECT_FALSE(db_->Put(WriteOptions(), "refused", "1").ok());
    EXPECT_EQ(db_->BackgroundErrorOrigin(), "table read (compaction)");
  }
  env_.SetReadError(Status::OK());
  ASSERT_TRUE(db_->Resume().ok());
  EXPECT_TRUE(db_->Put(WriteOptions(), "accepted", "1").ok());
  EXPECT_EQ(GetOrStatus(db_.get(), Key(7)), std::string(40, 'v'));
}

// A group whose fdatasync failed was in the log, complete, while its writer was told it failed:
// a kill before the retry made a restart replay it. An error must mean "not applied".
TEST_F(DBErrorOriginTest, RegressionFailedFsyncGroupIsNotReplayedAfterAKill) {
  ASSERT_TRUE(Open(Opts(AppendFsync::kAlways)).ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "before", "1").ok());
  env_.SetSyncError(Status::IOError("injected fdatasync error"));
  Status s = db_->Put(WriteOptions(), "refused", "1");
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(IsOutcomeUnknown(s)) << s.ToString();
  // The process dies (no Resume, no power loss: what reached the file stays there).
  env_.ClearErrors();
  db_.reset();
  ASSERT_TRUE(Open(Opts(AppendFsync::kAlways)).ok());
  EXPECT_EQ(GetOrStatus(db_.get(), "before"), "1");
  EXPECT_EQ(GetOrStatus(db_.get(), "refused"), "NOT_FOUND");
}

TEST_F(DBErrorOriginTest, ACutThatFailsTooMakesTheOutcomeUnknown) {
  ASSERT_TRUE(Open(Opts(AppendFsync::kAlways)).ok());
  env_.SetSyncError(Status::IOError("injected fdatasync error"));
  env_.CrashAfterOps(1);  // the failing sync counts; the truncate that follows is refused
  Status s = db_->Put(WriteOptions(), "k", "1");
  EXPECT_TRUE(IsOutcomeUnknown(s)) << s.ToString();
  env_.ClearErrors();
}

}  // namespace
}  // namespace stash
