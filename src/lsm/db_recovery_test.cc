// Crash and error behaviour of the DB, on FaultInjectionEnv: what survives a simulated power
// loss under each appendfsync mode, the read-only error state, WAL tails and corruption.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "lsm/db_fault_fixture.h"
#include "lsm/filename.h"
#include "util/fault_env.h"

namespace stash {
namespace {

using test::Contents;
using test::GetOrStatus;
using test::Key;

using DBRecoveryTest = test::FaultEnvDBTest;

// Batch `id` writes 3 keys; all of them or none must survive.
WriteBatch MakeBatch(int id) {
  WriteBatch b;
  for (int j = 0; j < 3; j++) {
    b.Put("b" + std::to_string(id) + "/" + std::to_string(j),
          std::to_string(id) + std::string(30, 'z'));
  }
  return b;
}

// Checks that every batch in `acked` is fully present and every batch is all-or-nothing.
void CheckBatches(DB* db, const std::vector<int>& acked, int max_id) {
  auto contents = Contents(db);
  std::map<int, int> ops_per_batch;
  for (const auto& [k, v] : contents) {
    if (k[0] != 'b') continue;
    int id = std::stoi(k.substr(1, k.find('/') - 1));
    ASSERT_EQ(v, std::to_string(id) + std::string(30, 'z')) << k;
    ops_per_batch[id]++;
  }
  for (const auto& [id, n] : ops_per_batch) {
    ASSERT_EQ(n, 3) << "batch " << id << " half applied";
    ASSERT_LT(id, max_id);
  }
  for (int id : acked) {
    ASSERT_EQ(ops_per_batch.count(id), 1u) << "acknowledged batch " << id << " lost";
  }
}

TEST_F(DBRecoveryTest, CrashWithAppendfsyncAlwaysKeepsEveryAcknowledgedBatch) {
  std::mt19937 rng(7);
  std::vector<int> all_acked;
  int next_id = 0;
  for (int round = 0; round < 12; round++) {
    ASSERT_TRUE(Open(Opts(AppendFsync::kAlways)).ok());
    CheckBatches(db_.get(), all_acked, next_id);
    // Crash somewhere in the next stretch of work: WAL writes, log switches, flushes,
    // compactions and MANIFEST updates all happen within it.
    env_.CrashAfterOps(50 + rng() % 1500);
    std::mutex mu;
    std::vector<std::thread> threads;
    std::atomic<int> id_source{next_id};
    for (int t = 0; t < 4; t++) {
      threads.emplace_back([&] {
        while (true) {
          int id = id_source++;
          if (id >= next_id + 4000) return;
          WriteBatch b = MakeBatch(id);
          if (!db_->Write(WriteOptions(), &b).ok()) return;
          std::lock_guard<std::mutex> lock(mu);
          all_acked.push_back(id);
        }
      });
    }
    for (auto& th : threads) th.join();
    next_id = id_source.load() + 8;
    EXPECT_TRUE(env_.Crashed());
    EXPECT_FALSE(db_->BackgroundError().ok());
    Crash();
  }
  ASSERT_TRUE(Open(Opts(AppendFsync::kAlways)).ok());
  CheckBatches(db_.get(), all_acked, next_id);
  EXPECT_GT(all_acked.size(), 100u);
  // Still a working database.
  WriteBatch b = MakeBatch(next_id);
  ASSERT_TRUE(db_->Write(WriteOptions(), &b).ok());
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  all_acked.push_back(next_id);
  CheckBatches(db_.get(), all_acked, next_id + 1);
}

// A crash at every point of a sweep over the operations of a single writer (open, writes, log
// switches, flushes, compactions, MANIFEST and CURRENT updates): what was acknowledged survives,
// and what survives is a prefix of the writes.
TEST_F(DBRecoveryTest, CrashAtAnyPointKeepsAnAcknowledgedPrefix) {
  int survived_total = 0;
  for (uint64_t crash_after = 0; crash_after < 1500; crash_after += 23) {
    test::TempDir dir("sweep");
    env_.CrashAfterOps(crash_after);
    Options o = Opts(AppendFsync::kAlways);
    int acked = 0;
    {
      std::unique_ptr<DB> db;
      if (DB::Open(o, dir.path(), &db).ok()) {
        for (; acked < 400; acked++) {
          WriteBatch b;
          b.Put(Key(acked), std::string(40, 'p'));
          b.Put("last", std::to_string(acked));
          if (!db->Write(WriteOptions(), &b).ok()) break;
        }
      }
      env_.CrashAfterOps(0);
    }
    Status crash = env_.SimulateCrash();
    ASSERT_TRUE(crash.ok()) << "crash after " << crash_after << " ops: " << crash.ToString();
    std::unique_ptr<DB> db;
    Status s = DB::Open(o, dir.path(), &db);
    ASSERT_TRUE(s.ok()) << "crash after " << crash_after << " ops: " << s.ToString();
    auto c = Contents(db.get());
    int present = 0;
    while (c.count(Key(present)) > 0) present++;
    ASSERT_GE(present, acked) << "crash after " << crash_after;
    ASSERT_LE(present, acked + 1) << "crash after " << crash_after;  // the one in flight
    ASSERT_EQ(c.size(), present == 0 ? 0u : present + 1u) << "crash after " << crash_after;
    if (present > 0) {
      ASSERT_EQ(c["last"], std::to_string(present - 1));
    }
    survived_total += present;
    db.reset();
    env_.ResetState();  // this directory is about to go; stop tracking it
  }
  EXPECT_GT(survived_total, 1000);
}

TEST_F(DBRecoveryTest, CrashWithEverysecLosesOnlyASuffix) {
  Options o = Opts(AppendFsync::kEverySec);
  o.memtable_size = 1 << 20;  // one log for the whole test: only the syncer makes it durable
  ASSERT_TRUE(Open(o).ok());
  auto put = [&](int i) {
    WriteBatch b;
    b.Put(Key(i), "v");
    b.Put("last", std::to_string(i));
    ASSERT_TRUE(db_->Write(WriteOptions(), &b).ok());
  };
  for (int i = 0; i < 2000; i++) put(i);
  // Long enough for the background sync to run at least once.
  for (int waited = 0; waited < 40 && db_->GetStats().wal_syncs == 0; waited++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GT(db_->GetStats().wal_syncs, 0u);
  for (int i = 2000; i < 4000; i++) put(i);
  Crash();

  ASSERT_TRUE(Open(o).ok());
  auto c = Contents(db_.get());
  int present = 0;
  while (c.count(Key(present)) > 0) present++;
  EXPECT_GE(present, 2000) << "synced writes were lost";
  for (int i = present; i < 4000; i++) ASSERT_EQ(c.count(Key(i)), 0u) << "a hole before " << i;
  if (present > 0) {
    EXPECT_EQ(GetOrStatus(db_.get(), "last"), std::to_string(present - 1));
  }
}

TEST_F(DBRecoveryTest, WalWriteErrorMakesTheDbReadOnly) {
  ASSERT_TRUE(Open(Opts(AppendFsync::kNo)).ok());
  for (int i = 0; i < 100; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), "v").ok());
  env_.SetWriteError(Status::IOError("injected write error"));
  Status s = db_->Put(WriteOptions(), "x", "y");
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  env_.ClearErrors();
  EXPECT_FALSE(db_->BackgroundError().ok());
  Status again = db_->Put(WriteOptions(), "x", "y");
  EXPECT_EQ(again.ToString(), db_->BackgroundError().ToString());
  EXPECT_FALSE(db_->Flush().ok());
  // Reads keep working.
  EXPECT_EQ(GetOrStatus(db_.get(), Key(7)), "v");
  EXPECT_EQ(GetOrStatus(db_.get(), "x"), "NOT_FOUND");
  EXPECT_EQ(Contents(db_.get()).size(), 100u);
  EXPECT_TRUE(LogMentions("read-only"));
  db_.reset();
  ASSERT_TRUE(Open(Opts(AppendFsync::kNo)).ok());
  EXPECT_EQ(Contents(db_.get()).size(), 100u);
  EXPECT_TRUE(db_->Put(WriteOptions(), "x", "y").ok());
}

TEST_F(DBRecoveryTest, WalSyncErrorMakesTheDbReadOnly) {
  ASSERT_TRUE(Open(Opts(AppendFsync::kAlways)).ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", "1").ok());
  env_.SetSyncError(Status::IOError("injected fsync error"));
  Status s = db_->Put(WriteOptions(), "b", "2");
  EXPECT_FALSE(s.ok());
  env_.ClearErrors();
  EXPECT_FALSE(db_->Put(WriteOptions(), "c", "3").ok());
  EXPECT_EQ(GetOrStatus(db_.get(), "a"), "1");
  EXPECT_FALSE(db_->BackgroundError().ok());
}

TEST_F(DBRecoveryTest, FullDiskDuringFlushMakesTheDbReadOnly) {
  ASSERT_TRUE(Open(Opts(AppendFsync::kNo)).ok());
  for (int i = 0; i < 50; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), "v").ok());
  // The WAL is already written; the next bytes to go anywhere are the flush's table.
  env_.FailWritesAfterBytes(100, Status::NoSpace("injected: disk full"));
  Status s = db_->Flush();
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  EXPECT_TRUE(db_->BackgroundError().IsNoSpace()) << db_->BackgroundError().ToString();
  EXPECT_EQ(GetOrStatus(db_.get(), Key(3)), "v");
  EXPECT_EQ(Contents(db_.get()).size(), 50u);
  env_.ClearErrors();
  EXPECT_TRUE(db_->Put(WriteOptions(), "x", "y").IsNoSpace());
  db_.reset();
  ASSERT_TRUE(Open(Opts(AppendFsync::kNo)).ok());
  EXPECT_EQ(Contents(db_.get()).size(), 50u);
}

TEST_F(DBRecoveryTest, FullDiskInTheWalMakesTheDbReadOnly) {
  ASSERT_TRUE(Open(Opts(AppendFsync::kNo)).ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", "1").ok());
  env_.FailWritesAfterBytes(3000, Status::NoSpace("injected: disk full"));
  Status s;
  for (int i = 0; i < 2000 && s.ok(); i++) {
    s = db_->Put(WriteOptions(), Key(1000 + i), std::string(50, 'f'));
  }
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  EXPECT_TRUE(db_->BackgroundError().IsNoSpace()) << db_->BackgroundError().ToString();
  EXPECT_EQ(GetOrStatus(db_.get(), "a"), "1");
}

TEST_F(DBRecoveryTest, ReplayReportsProgressAndWhatItRecovered) {
  Options o = Opts(AppendFsync::kAlways);
  o.memtable_size = 1 << 20;  // everything stays in the log
  ASSERT_TRUE(Open(o).ok());
  for (int i = 0; i < 200; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), "v").ok());
  Crash();
  o.replay_progress_interval_micros = 0;  // report before every batch
  ASSERT_TRUE(Open(o).ok());
  EXPECT_TRUE(LogMentions("replaying ")) << "no progress line";
  EXPECT_TRUE(LogMentions("(100%)") || LogMentions("(99%)"));
  EXPECT_TRUE(LogMentions("replayed 1 log(s), 200 batches"));
  DbStats st = db_->GetStats();
  EXPECT_EQ(st.recovered_logs, 1u);
  EXPECT_EQ(st.recovered_batches, 200u);
  EXPECT_GT(st.recovered_bytes, 200u * 10);
  EXPECT_GT(st.recovery_micros, 0u);
  EXPECT_EQ(st.wal_live_bytes, 0u);  // replayed into L0, the new log is empty
  ASSERT_TRUE(db_->Put(WriteOptions(), "x", "y").ok());
  EXPECT_GT(db_->GetStats().wal_live_bytes, 0u);
}

TEST_F(DBRecoveryTest, TornTailIsTruncatedAndReported) {
  ASSERT_TRUE(Open(Opts(AppendFsync::kNo)).ok());
  for (int i = 0; i < 20; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), "v").ok());
  db_.reset();
  // A write cut short: the first bytes of a record header and payload.
  const std::string log = NewestLog();
  uint64_t size;
  ASSERT_TRUE(Env::Default()->GetFileSize(log, &size).ok());
  std::string contents;
  ASSERT_TRUE(ReadFileToString(Env::Default(), log, &contents).ok());
  contents.append("\x12\x34\x56\x78\x20\x00", 6);
  ASSERT_TRUE(WriteStringToFile(Env::Default(), contents, log, true).ok());
  ASSERT_TRUE(Open(Opts(AppendFsync::kNo)).ok());
  EXPECT_EQ(Contents(db_.get()).size(), 20u);
  DbStats st = db_->GetStats();
  EXPECT_EQ(st.recovered_batches, 20u);
  EXPECT_EQ(st.torn_tail_dropped_bytes, 6u);
  EXPECT_TRUE(LogMentions("torn tail of 6 bytes at offset " + std::to_string(size)));
}

TEST_F(DBRecoveryTest, CorruptLogRefusesToOpenInStrictModeAndKeepsAPrefixInPointInTime) {
  // Synced writes (and a clean close) record in the log that all of it was synced: damage
  // anywhere in it cannot be a power loss's doing.
  ASSERT_TRUE(Open(Opts(AppendFsync::kAlways)).ok());
  for (int i = 0; i < 200; i++) {
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), std::string(20, 'c')).ok());
  }
  db_.reset();
  const std::string log = NewestLog();
  std::string contents;
  ASSERT_TRUE(ReadFileToString(Env::Default(), log, &contents).ok());
  contents[contents.size() / 2] ^= 0x01;
  ASSERT_TRUE(WriteStringToFile(Env::Default(), contents, log, true).ok());

  Status s = Open(Opts(AppendFsync::kNo));
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(log.substr(log.rfind('/') + 1)), std::string::npos) << s.ToString();

  Options pit = Opts(AppendFsync::kNo);
  pit.wal_recovery = wal::RecoveryMode::kPointInTime;
  ASSERT_TRUE(Open(pit).ok());
  auto c = Contents(db_.get());
  EXPECT_GT(c.size(), 50u);
  EXPECT_LT(c.size(), 200u);
  for (size_t i = 0; i < c.size(); i++) ASSERT_EQ(c.count(Key(static_cast<int>(i))), 1u);
  EXPECT_TRUE(LogMentions("point-in-time"));
  // The salvaged state is now the database; a strict reopen is clean.
  db_.reset();
  ASSERT_TRUE(Open(Opts(AppendFsync::kNo)).ok());
  EXPECT_EQ(Contents(db_.get()).size(), c.size());
}

TEST_F(DBRecoveryTest, CorruptManifestRefusesToOpenNamingIt) {
  ASSERT_TRUE(Open(Opts(AppendFsync::kNo)).ok());
  for (int i = 0; i < 30; i++) {
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), "v").ok());
    ASSERT_TRUE(db_->Flush().ok());
  }
  db_.reset();
  std::string manifest;
  ASSERT_TRUE(ReadCurrentFile(Env::Default(), dir_.path(), &manifest).ok());
  const std::string path = JoinPath(dir_.path(), manifest);
  std::string contents;
  ASSERT_TRUE(ReadFileToString(Env::Default(), path, &contents).ok());
  contents[20] ^= 0x10;
  ASSERT_TRUE(WriteStringToFile(Env::Default(), contents, path, true).ok());
  Status s = Open(Opts(AppendFsync::kNo));
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(manifest), std::string::npos) << s.ToString();
}

TEST_F(DBRecoveryTest, MissingTableFileRefusesToOpen) {
  ASSERT_TRUE(Open(Opts(AppendFsync::kNo)).ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", "b").ok());
  ASSERT_TRUE(db_->Flush().ok());
  db_.reset();
  std::vector<std::string> names;
  ASSERT_TRUE(Env::Default()->GetChildren(dir_.path(), &names).ok());
  for (const auto& name : names) {
    if (name.ends_with(".sst")) {
      ASSERT_TRUE(Env::Default()->RemoveFile(JoinPath(dir_.path(), name)).ok());
    }
  }
  Status s = Open(Opts(AppendFsync::kNo));
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(".sst"), std::string::npos);
}

}  // namespace
}  // namespace stash
