// DB::Resume: leaving the read-only error state without reopening, on FaultInjectionEnv. A full
// disk or a failed fsync in the WAL, a flush, a compaction or the MANIFEST; Resume while the
// disk is still full (refused, and nothing piles up); Resume once space is back; and a power
// loss at every step of Resume.
#include <gtest/gtest.h>

#include <map>

#include "lsm/db_fault_fixture.h"

namespace stash {
namespace {

using test::Contents;
using test::GetOrStatus;
using test::Key;

using DBResumeTest = test::FaultEnvDBTest;

std::string Value(int i) { return "v" + std::to_string(i) + std::string(80, 'x'); }

// Puts Key(i) = Value(i) for i = from, from + 1, ... until a Put fails (its Status in *failed) or
// `to` is reached. Returns how far it got: keys [from, result) were acknowledged.
int PutUntilError(DB* db, int from, int to, Status* failed) {
  int i = from;
  for (; i < to; i++) {
    *failed = db->Put(WriteOptions(), Key(i), Value(i));
    if (!failed->ok()) break;
  }
  return i;
}

// Every key in [from, to) is present with its value.
void ExpectKeys(DB* db, int from, int to) {
  for (int i = from; i < to; i++) ASSERT_EQ(GetOrStatus(db, Key(i)), Value(i)) << i;
}

// The .sst files in the directory are exactly those of the current version.
void ExpectNoStrayTables(DB* db, const std::vector<std::string>& files) {
  int on_disk = 0;
  for (const auto& name : files) on_disk += name.ends_with(".sst");
  int live = 0;
  for (const auto& level : db->GetStats().levels) live += level.files;
  EXPECT_EQ(on_disk, live);
}

TEST_F(DBResumeTest, ResumeWithoutAnErrorIsANoOp) {
  ASSERT_TRUE(Open(Opts(AppendFsync::kAlways)).ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", "1").ok());
  EXPECT_TRUE(db_->Resume().ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "b", "2").ok());
  EXPECT_EQ(GetOrStatus(db_.get(), "a"), "1");
}

class DBResumeModeTest : public test::FaultEnvDBTest,
                         public ::testing::WithParamInterface<AppendFsync> {};

// The disk fills up while writes go on (the WAL, or a flush in the background, hits it first).
// Resume is refused while it stays full, without leaving files behind; once space is back it
// succeeds, and after a power loss every write acknowledged before the error is there (flushed
// by Resume, whatever the appendfsync mode), as is every later one under appendfsync always.
TEST_P(DBResumeModeTest, FullDiskThenResumeKeepsEveryAcknowledgedWrite) {
  const AppendFsync mode = GetParam();
  ASSERT_TRUE(Open(Opts(mode)).ok());
  env_.FailWritesAfterBytes(20000, Status::NoSpace("injected: disk full"));
  Status failed;
  const int acked = PutUntilError(db_.get(), 0, 100000, &failed);
  ASSERT_TRUE(failed.IsNoSpace()) << failed.ToString();
  ASSERT_GT(acked, 10);
  EXPECT_TRUE(db_->BackgroundError().IsNoSpace());
  ExpectKeys(db_.get(), 0, acked);  // reads go on

  Status r = db_->Resume();
  EXPECT_TRUE(r.IsNoSpace()) << r.ToString();
  const std::vector<std::string> files = Files();
  for (int attempt = 0; attempt < 3; attempt++) {
    r = db_->Resume();
    EXPECT_TRUE(r.IsNoSpace()) << r.ToString();
    EXPECT_TRUE(db_->Put(WriteOptions(), "x", "y").IsNoSpace());
  }
  EXPECT_EQ(Files(), files) << "failed Resume attempts left files behind";

  env_.ClearErrors();  // space is back
  r = db_->Resume();
  ASSERT_TRUE(r.ok()) << r.ToString();
  EXPECT_TRUE(db_->BackgroundError().ok());
  EXPECT_TRUE(LogMentions("writes resumed"));
  const int more = PutUntilError(db_.get(), acked + 1, acked + 200, &failed);
  ASSERT_EQ(more, acked + 200) << failed.ToString();
  ExpectKeys(db_.get(), 0, acked);

  Crash();
  ASSERT_TRUE(Open(Opts(mode)).ok());
  ExpectKeys(db_.get(), 0, acked);
  // The write that failed was cut from the log: it is not half there, it is not there.
  EXPECT_EQ(GetOrStatus(db_.get(), Key(acked)), "NOT_FOUND");
  if (mode == AppendFsync::kAlways) ExpectKeys(db_.get(), acked + 1, acked + 200);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  ExpectNoStrayTables(db_.get(), Files());
}

INSTANTIATE_TEST_SUITE_P(Modes, DBResumeModeTest,
                         ::testing::Values(AppendFsync::kAlways, AppendFsync::kNo),
                         [](const auto& info) {
                           return info.param == AppendFsync::kAlways ? "Always" : "No";
                         });

TEST_F(DBResumeTest, FailedFsyncThenResume) {
  ASSERT_TRUE(Open(Opts(AppendFsync::kAlways)).ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", "1").ok());
  env_.SetSyncError(Status::IOError("injected fsync error"));
  EXPECT_TRUE(db_->Put(WriteOptions(), "b", "2").IsIOError());
  EXPECT_TRUE(db_->Resume().IsIOError());  // fsync still failing
  env_.ClearErrors();
  ASSERT_TRUE(db_->Resume().ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "c", "3").ok());
  Crash();
  ASSERT_TRUE(Open(Opts(AppendFsync::kAlways)).ok());
  EXPECT_EQ(GetOrStatus(db_.get(), "a"), "1");
  EXPECT_EQ(GetOrStatus(db_.get(), "b"), "NOT_FOUND");  // never acknowledged, cut from the log
  EXPECT_EQ(GetOrStatus(db_.get(), "c"), "3");
}

// The disk fills up at every point of a manual compaction (its flush, its tables, its MANIFEST
// edit, in steps of a few bytes): Resume then succeeds, the compaction can be rerun, a power
// loss keeps everything, and no partial table is left over. Each round overwrites the same keys,
// so the compaction's size stays the same while the byte budget grows.
TEST_F(DBResumeTest, FullDiskAtAnyByteOfAFlushOrCompactionThenResume) {
  constexpr int kKeys = 60;
  auto value = [](int round, int i) { return std::to_string(round) + "/" + Value(i); };
  auto expect_round = [&](int round) {
    for (int i = 0; i < kKeys; i++) ASSERT_EQ(GetOrStatus(db_.get(), Key(i)), value(round, i));
  };
  int failures = 0;
  int round = 0;
  for (uint64_t budget = 0;; budget += 131, round++) {
    ASSERT_LT(budget, 1u << 20) << "the compaction never completed";
    ASSERT_TRUE(Open(Opts(AppendFsync::kAlways)).ok());
    for (int i = 0; i < kKeys; i++) {
      ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), value(round, i)).ok());
    }
    env_.FailWritesAfterBytes(budget, Status::NoSpace("injected: disk full"));
    Status s = db_->CompactRange(nullptr, nullptr);
    env_.ClearErrors();
    const bool completed = s.ok();
    if (!completed) {
      failures++;
      ASSERT_TRUE(s.IsNoSpace()) << s.ToString();
      Status r = db_->Resume();
      ASSERT_TRUE(r.ok()) << "budget " << budget << ": " << r.ToString();
      ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
    }
    expect_round(round);
    Crash();
    ASSERT_TRUE(Open(Opts(AppendFsync::kAlways)).ok()) << "budget " << budget;
    expect_round(round);
    ExpectNoStrayTables(db_.get(), Files());
    if (completed) break;
  }
  EXPECT_GT(failures, 5);
}

// Regression: when a compaction's MANIFEST edit failed to sync, its output tables were deleted
// at once (the error was recorded only after the file cleanup ran), yet the edit itself had
// reached the file: the next open found a MANIFEST naming missing tables. Files now stay until
// a MANIFEST written after the failure is durable.
TEST_F(DBResumeTest, RegressionFailedManifestSyncDeletedCompactionOutputs) {
  for (const bool resume : {false, true}) {
    ASSERT_TRUE(Open(Opts(AppendFsync::kNo)).ok());
    Status failed;
    for (int round = 0; round < 3; round++) {
      ASSERT_EQ(PutUntilError(db_.get(), 0, 40, &failed), 40);
      ASSERT_TRUE(db_->Flush().ok());
    }
    env_.SetSyncError(Status::IOError("injected MANIFEST fsync error"), "MANIFEST");
    Status s = db_->CompactRange(nullptr, nullptr);
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    env_.ClearErrors();
    if (resume) {
      ASSERT_TRUE(db_->Resume().ok());
      ASSERT_EQ(PutUntilError(db_.get(), 40, 80, &failed), 80);
      ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
    }
    db_.reset();  // a clean close: what the failed edit wrote is still in the MANIFEST
    Status open = Open(Opts(AppendFsync::kNo));
    ASSERT_TRUE(open.ok()) << "resume=" << resume << ": " << open.ToString();
    ExpectKeys(db_.get(), 0, resume ? 80 : 40);
  }
}

// A power loss at every step of a Resume after a WAL error: the DB always reopens (the failed
// log is cut back before a newer log exists) with every acknowledged write.
TEST_F(DBResumeTest, CrashAtAnyStepOfResumeKeepsEveryAcknowledgedWrite) {
  int next = 0;
  for (uint64_t crash_after = 0; crash_after < 40; crash_after++) {
    ASSERT_TRUE(Open(Opts(AppendFsync::kAlways)).ok()) << "crash_after " << crash_after;
    ExpectKeys(db_.get(), 0, next);
    Status failed;
    next = PutUntilError(db_.get(), next, next + 30, &failed);
    ASSERT_TRUE(failed.ok()) << failed.ToString();
    env_.FailWritesAfterBytes(150, Status::NoSpace("injected: disk full"));
    next = PutUntilError(db_.get(), next, next + 1000, &failed);
    ASSERT_TRUE(failed.IsNoSpace()) << failed.ToString();
    env_.ClearErrors();
    env_.CrashAfterOps(crash_after);
    db_->Resume().IgnoreError();
    Crash();
  }
  ASSERT_TRUE(Open(Opts(AppendFsync::kAlways)).ok());
  ExpectKeys(db_.get(), 0, next);
}

}  // namespace
}  // namespace stash
