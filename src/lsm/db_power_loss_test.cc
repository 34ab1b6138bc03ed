// The WAL under power loss as it really happens (FaultInjectionEnv): unsynced pages reach the
// disk in any order, a truncate without fsync is undone, and the everysec fsync runs beside
// commits. Each test pins a defect recovery or the sync thread once had.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <random>
#include <thread>

#include "lsm/db_fault_fixture.h"
#include "lsm/filename.h"
#include "util/fault_env.h"
#include "wal/wal_reader.h"
#include "wal/wal_writer.h"

namespace stash {
namespace {

using test::Contents;
using test::Key;
using Fate = FaultInjectionEnv::PageFate;

using DBPowerLossTest = test::FaultEnvDBTest;

// How many of Key(0), Key(1), ... are present, checking that no key after them is.
int PresentPrefix(DB* db) {
  auto c = Contents(db);
  int present = 0;
  while (c.count(Key(present)) > 0) present++;
  for (const auto& [k, v] : c) {
    if (k.starts_with("key")) {
      EXPECT_LT(k, Key(present)) << "a hole before " << k;
    }
  }
  return present;
}

// Regression: the everysec thread ran fdatasync holding the log mutex, so every commit waited
// behind the once-a-second fsync.
TEST_F(DBPowerLossTest, EverysecFsyncDoesNotBlockCommits) {
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool entered = false;
    bool open = false;
  };
  auto gate = std::make_shared<Gate>();
  env_.SetSyncHook([gate](const std::string& path) {
    if (!path.ends_with(".log")) return;
    std::unique_lock<std::mutex> lock(gate->mu);
    gate->entered = true;
    gate->cv.notify_all();
    gate->cv.wait(lock, [&] { return gate->open; });
  });
  auto open_gate = [gate] {
    std::lock_guard<std::mutex> lock(gate->mu);
    gate->open = true;
    gate->cv.notify_all();
  };
  Options o = Opts(AppendFsync::kEverySec);
  o.memtable_size = 1 << 20;  // no log switch (whose sync would also wait at the gate)
  ASSERT_TRUE(Open(o).ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", "1").ok());
  bool entered;
  {
    std::unique_lock<std::mutex> lock(gate->mu);
    entered = gate->cv.wait_for(lock, std::chrono::seconds(5), [&] { return gate->entered; });
  }
  if (!entered) open_gate();
  ASSERT_TRUE(entered) << "the everysec thread never synced";

  // The sync is in flight and stays there until the gate opens.
  auto put = std::async(std::launch::async, [&] { return db_->Put(WriteOptions(), "b", "2"); });
  const bool done = put.wait_for(std::chrono::seconds(3)) == std::future_status::ready;
  open_gate();
  EXPECT_TRUE(done) << "a commit waited for the everysec fsync";
  EXPECT_TRUE(put.get().ok());
  EXPECT_EQ(test::GetOrStatus(db_.get(), "b"), "2");
  db_.reset();
  env_.SetSyncHook(nullptr);
}

// Regression: after a power loss the unsynced part of the newest log held a hole followed by
// valid records (pages written back out of order); strict recovery refused to start.
TEST_F(DBPowerLossTest, HoleInUnsyncedTailOfNewestLogIsDroppedNotCorruption) {
  Options o = Opts(AppendFsync::kNo);
  o.memtable_size = 1 << 20;  // one log, never synced
  ASSERT_TRUE(Open(o).ok());
  for (int i = 0; i < 2000; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), "v").ok());
  env_.SetUnsyncedPageFate([](const std::string& path, uint64_t page) {
    return path.ends_with(".log") && page != 8192 ? Fate::kKept : Fate::kLost;
  });
  Crash();
  env_.SetUnsyncedPageFate(nullptr);

  Status s = Open(o);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const int present = PresentPrefix(db_.get());
  EXPECT_GT(present, 100);   // everything before the hole
  EXPECT_LT(present, 2000);  // nothing from the hole on
  EXPECT_TRUE(LogMentions("dropped unsynced tail"));
  EXPECT_TRUE(LogMentions("valid records follow it"));
  EXPECT_GT(db_->GetStats().torn_tail_dropped_bytes, 0u);
}

// Any page fate, any seed: a power loss under everysec costs only writes that were not synced,
// recovery never refuses to start, and what it keeps is a prefix of the writes.
TEST_F(DBPowerLossTest, OutOfOrderWriteBackAfterPowerLossKeepsASyncedPrefix) {
  Options o = Opts(AppendFsync::kEverySec);
  o.memtable_size = 1 << 20;
  int next = 0;
  bool saw_hole = false;
  for (uint32_t seed = 1; seed <= 6; seed++) {
    Status s = Open(o);
    ASSERT_TRUE(s.ok()) << "seed " << seed << ": " << s.ToString();
    next = PresentPrefix(db_.get());
    // Synced: written, then two whole syncs ran after the writes were done.
    for (int i = 0; i < 150; i++) {
      ASSERT_TRUE(db_->Put(WriteOptions(), Key(next + i), std::string(40, 's')).ok());
    }
    const int synced = next + 150;
    const uint64_t syncs = db_->GetStats().wal_syncs;
    for (int tick = 0; db_->GetStats().wal_syncs < syncs + 2; tick++) {
      ASSERT_LT(tick, 100) << "the everysec thread does not sync";
      ASSERT_TRUE(db_->Put(WriteOptions(), "tick", std::to_string(tick)).ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // Not synced: several pages of writes that a power loss scatters.
    for (int i = 150; i < 450; i++) {
      ASSERT_TRUE(db_->Put(WriteOptions(), Key(next + i), std::string(40, 'u')).ok());
    }
    auto rng = std::make_shared<std::mt19937>(seed);
    env_.SetUnsyncedPageFate([rng](const std::string& path, uint64_t) {
      if (!path.ends_with(".log")) return Fate::kLost;
      return static_cast<Fate>((*rng)() % 3);
    });
    Crash();
    env_.SetUnsyncedPageFate(nullptr);

    s = Open(o);
    ASSERT_TRUE(s.ok()) << "seed " << seed << ": " << s.ToString();
    const int present = PresentPrefix(db_.get());
    ASSERT_GE(present, synced) << "seed " << seed << ": synced writes were lost";
    ASSERT_LE(present, next + 450) << "seed " << seed;
    saw_hole = saw_hole || LogMentions("valid records follow it");
  }
  EXPECT_TRUE(saw_hole) << "no seed left a hole followed by valid records";
}

// Damage that a power loss cannot explain still refuses to start: a sync mark proves that the
// damaged bytes had been synced (here the one a clean Close writes).
TEST_F(DBPowerLossTest, DamageInSyncedPartOfNewestLogStaysCorruption) {
  Options o = Opts(AppendFsync::kEverySec);
  o.memtable_size = 1 << 20;
  ASSERT_TRUE(Open(o).ok());
  for (int i = 0; i < 300; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), "v").ok());
  db_.reset();
  const std::string log = NewestLog();
  std::string contents;
  ASSERT_TRUE(ReadFileToString(Env::Default(), log, &contents).ok());
  const size_t at = contents.size() / 2;
  contents[at] ^= 0x08;
  ASSERT_TRUE(WriteStringToFile(Env::Default(), contents, log, true).ok());

  Status s = Open(o);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(log.substr(log.rfind('/') + 1)), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("bytes synced"), std::string::npos) << s.ToString();
}

// Regression: recovery cut the torn tail of the newest log without fsyncing the cut and then
// created a new log; a power loss before the MANIFEST named the new log undid the cut, and the
// old log, no longer the newest, read as corrupt.
TEST_F(DBPowerLossTest, TornTailCutSurvivesAPowerLossDuringRecovery) {
  Options o = Opts(AppendFsync::kNo);
  o.memtable_size = 1 << 20;
  bool finished = false;
  for (uint64_t crash_after = 0; !finished; crash_after++) {
    ASSERT_LT(crash_after, 200u);
    const std::string ctx = "crash after " + std::to_string(crash_after) + " ops";
    test::TempDir dir("torncut");
    {
      std::unique_ptr<DB> db;
      ASSERT_TRUE(DB::Open(o, dir.path(), &db).ok());
      for (int i = 0; i < 20; i++) ASSERT_TRUE(db->Put(WriteOptions(), Key(i), "v").ok());
    }
    env_.ResetState();  // all of it on disk now
    std::vector<std::string> names;
    ASSERT_TRUE(Env::Default()->GetChildren(dir.path(), &names).ok());
    std::string log;
    for (const auto& name : names) {
      if (name.ends_with(".log")) log = JoinPath(dir.path(), name);
    }
    std::string contents;
    ASSERT_TRUE(ReadFileToString(Env::Default(), log, &contents).ok());
    contents.append("\x12\x34\x56\x78\x20\x00", 6);  // a write cut short
    ASSERT_TRUE(WriteStringToFile(Env::Default(), contents, log, true).ok());

    env_.CrashAfterOps(crash_after);
    {
      std::unique_ptr<DB> db;
      Status s = DB::Open(o, dir.path(), &db);
      finished = s.ok() && !env_.Crashed();
      env_.CrashAfterOps(0);
    }
    ASSERT_TRUE(env_.SimulateCrash().ok()) << ctx;
    std::unique_ptr<DB> db;
    Status s = DB::Open(o, dir.path(), &db);
    ASSERT_TRUE(s.ok()) << ctx << ": " << s.ToString();
    ASSERT_EQ(PresentPrefix(db.get()), 20) << ctx;
    db.reset();
    env_.ResetState();
  }
}

// Rewrites the newest log of dir as two logs: batches [0, first_end) stay in it, batches
// [second_begin, end) go to the log numbered one higher.
void SplitNewestLog(const std::string& log, size_t first_end, size_t second_begin) {
  std::vector<wal::WalBatch> batches;
  {
    std::unique_ptr<SequentialFile> file;
    ASSERT_TRUE(Env::Default()->NewSequentialFile(log, &file).ok());
    wal::WalReader reader(std::move(file), log, true, wal::RecoveryMode::kStrict);
    wal::WalBatch b;
    while (reader.ReadBatch(&b)) batches.push_back(b);
    ASSERT_TRUE(reader.status().ok());
  }
  auto write = [&](const std::string& path, size_t begin, size_t end) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(Env::Default()->NewWritableFile(path, &file).ok());
    wal::WalWriter w(std::move(file), 0);
    for (size_t i = begin; i < end; i++) {
      for (const std::string& op : batches[i].records) w.AddRecord(op);
      w.EndBatch(batches[i].first_seq);
    }
    ASSERT_TRUE(w.Close().ok());
  };
  const size_t slash = log.rfind('/');
  uint64_t number;
  FileType type;
  ASSERT_TRUE(ParseFileName(log.substr(slash + 1), &number, &type));
  write(log, 0, first_end);
  write(LogFileName(log.substr(0, slash), number + 1), second_begin, batches.size());
}

class DBLogSequenceTest : public test::FaultEnvDBTest {
 protected:
  // Ten single-put batches (sequences 1..10) left in one log, which is then split.
  void MakeLogs(size_t first_end, size_t second_begin) {
    Options o = Opts(AppendFsync::kNo);
    o.memtable_size = 1 << 20;
    ASSERT_TRUE(Open(o).ok());
    for (int i = 0; i < 10; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), "v").ok());
    db_.reset();
    first_log_ = NewestLog();
    SplitNewestLog(first_log_, first_end, second_begin);
    second_log_ = NewestLog();
    ASSERT_NE(first_log_, second_log_);
  }
  std::string first_log_, second_log_;
};

// Regression: replay did not check that sequence numbers continue across logs; a lost stretch
// of batches between two logs went unnoticed.
TEST_F(DBLogSequenceTest, SequenceGapBetweenLogsIsCorruption) {
  MakeLogs(5, 6);  // batch 6 (sequence 6) is missing
  Status s = Open(Opts(AppendFsync::kNo));
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(second_log_ + ": batch at offset 0 starts at sequence 7, expected 6"),
            std::string::npos)
      << s.ToString();
  EXPECT_NE(s.ToString().find("gap"), std::string::npos) << s.ToString();

  Options pit = Opts(AppendFsync::kNo);
  pit.wal_recovery = wal::RecoveryMode::kPointInTime;
  ASSERT_TRUE(Open(pit).ok());
  EXPECT_EQ(PresentPrefix(db_.get()), 5);
}

TEST_F(DBLogSequenceTest, SequenceOverlapBetweenLogsIsCorruption) {
  MakeLogs(5, 4);  // batch 5 (sequence 5) is in both logs
  Status s = Open(Opts(AppendFsync::kNo));
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(second_log_ + ": batch at offset 0 starts at sequence 5, expected 6"),
            std::string::npos)
      << s.ToString();
  EXPECT_NE(s.ToString().find("overlaps"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace stash
