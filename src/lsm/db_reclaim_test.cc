// DB::ReclaimRanges: tables of a dead key range leave the tree and the disk without new writes,
// keys outside the ranges stay intact, snapshots older than the call hold it back, the rate
// limit paces it, and it is safe while writes, flushes and compactions run.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "lsm/db_testutil.h"

namespace stash {
namespace {

using test::Contents;
using test::GetOrStatus;

// Drops every key starting with the dead prefix (0 = none); DropsRange confirms exactly the
// range of that prefix when confirm is set.
class DeadPrefixFilter final : public CompactionFilter {
 public:
  bool Drop(int, std::string_view key, std::string_view, uint64_t, uint64_t) override {
    char d = dead.load();
    return d != 0 && !key.empty() && key[0] == d;
  }
  bool DropsRange(std::string_view begin, std::string_view end) override {
    char d = dead.load();
    return confirm.load() && d != 0 && begin == std::string(1, d) &&
           end == std::string(1, static_cast<char>(d + 1));
  }
  std::atomic<char> dead{0};
  std::atomic<bool> confirm{true};
};

std::string PrefixKey(char prefix, int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%c%07d", prefix, i);
  return buf;
}

const std::vector<std::pair<std::string, std::string>> kRangeB = {{"b", "c"}};

class DBReclaimTest : public ::testing::Test {
 protected:
  DBReclaimTest() {
    options_ = test::TinyOptions();
    options_.env = test::SyncFreeEnv::Get();
    options_.compaction_filter = &filter_;
    options_.reclaim_bytes_per_second = 0;
  }
  void Open() {
    db_.reset();
    Status s = DB::Open(options_, dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // keys of each of a, b and c in random order, values of ~100 bytes; the model keeps a and c.
  void Fill(int keys) {
    std::mt19937 rng(7);
    std::vector<std::string> order;
    for (char p : {'a', 'b', 'c'}) {
      for (int i = 0; i < keys; i++) order.push_back(PrefixKey(p, i));
    }
    std::shuffle(order.begin(), order.end(), rng);
    for (const std::string& k : order) {
      std::string v = k + std::string(90, 'v');
      ASSERT_TRUE(db_->Put(WriteOptions(), k, v).ok());
      if (k[0] != 'b') live_[k] = v;
    }
    ASSERT_TRUE(db_->Flush().ok());
  }
  // Until every ReclaimRanges call is served.
  void WaitForReclaims() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (db_->GetStats().pending_reclaims > 0) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "reclaim did not finish";
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  std::set<uint64_t> LiveTables() {
    std::set<uint64_t> out;
    const std::string levels = test::DebugLevels(db_.get());  // "L1: #12(4096) #13(512)\n..."
    for (size_t at = levels.find('#'); at != std::string::npos; at = levels.find('#', at + 1)) {
      out.insert(std::stoull(levels.substr(at + 1)));
    }
    return out;
  }
  // The .sst files on disk, and their bytes.
  std::set<uint64_t> DiskTables(uint64_t* bytes = nullptr) {
    std::set<uint64_t> out;
    if (bytes != nullptr) *bytes = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      if (e.path().extension() != ".sst") continue;
      out.insert(std::stoull(e.path().stem().string()));
      if (bytes != nullptr) *bytes += e.file_size();
    }
    return out;
  }
  // Until the disk holds exactly the live tables (a compaction may still be finishing). Call it
  // while no iterator is open: tables a pinned Version reads stay until a later flush or
  // compaction deletes them.
  void ExpectDiskMatchesTree() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (DiskTables() != LiveTables()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << test::DebugLevels(db_.get());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  // Until no flush or size compaction is due (those running when the filter turns would drop
  // part of the range themselves, leaving less for the reclaim to show).
  void WaitForQuietTree() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (DbStats st = db_->GetStats();
         st.immutable_memtables > 0 || st.pending_compaction_bytes > 0; st = db_->GetStats()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << test::DebugLevels(db_.get());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  bool AnyBKeyVisible() {
    for (const auto& [k, v] : Contents(db_.get())) {
      if (k[0] == 'b') return true;
    }
    return false;
  }
  int LevelsWithFiles() {
    int n = 0;
    for (const auto& l : db_->GetStats().levels) n += l.files > 0;
    return n;
  }

  test::TempDir dir_{"dbr"};
  DeadPrefixFilter filter_;
  Options options_;
  std::unique_ptr<DB> db_;
  std::map<std::string, std::string> live_;
};

TEST_F(DBReclaimTest, RemovesTablesInsideTheRangeAndRewritesItsBoundaries) {
  Open();
  Fill(1500);
  WaitForQuietTree();
  ASSERT_GE(LevelsWithFiles(), 2) << test::DebugLevels(db_.get());
  const uint64_t before = test::TotalTableBytes(db_.get());
  const std::set<uint64_t> tables_before = LiveTables();

  filter_.dead = 'b';
  ASSERT_TRUE(db_->ReclaimRanges(kRangeB).ok());
  WaitForReclaims();

  DbStats st = db_->GetStats();
  EXPECT_GE(st.reclaimed_files, 4u) << test::DebugLevels(db_.get());
  // Size compactions running meanwhile drop some of the range through the filter themselves.
  EXPECT_GT(st.reclaimed_bytes, before / 8);
  const uint64_t after = test::TotalTableBytes(db_.get());
  EXPECT_LT(after, before * 3 / 4) << before << " -> " << after;
  ExpectDiskMatchesTree();
  uint64_t disk_bytes;
  std::set<uint64_t> on_disk = DiskTables(&disk_bytes);
  EXPECT_EQ(disk_bytes, test::TotalTableBytes(db_.get()));
  size_t gone = 0;
  for (uint64_t n : tables_before) gone += on_disk.count(n) == 0;
  EXPECT_GE(gone, st.reclaimed_files);

  EXPECT_FALSE(AnyBKeyVisible());
  EXPECT_EQ(Contents(db_.get()), live_);
  EXPECT_EQ(GetOrStatus(db_.get(), PrefixKey('a', 3)), live_[PrefixKey('a', 3)]);
  EXPECT_EQ(GetOrStatus(db_.get(), PrefixKey('c', 1499)), live_[PrefixKey('c', 1499)]);
  EXPECT_TRUE(db_->BackgroundError().ok());

  ASSERT_TRUE(db_->Close().ok());
  Open();
  EXPECT_EQ(Contents(db_.get()), live_);
  EXPECT_EQ(LiveTables(), DiskTables());
}

TEST_F(DBReclaimTest, WithoutTheFiltersConfirmationTablesAreRewrittenNotRemoved) {
  filter_.confirm = false;
  Open();
  Fill(1000);
  const uint64_t before = test::TotalTableBytes(db_.get());
  filter_.dead = 'b';
  ASSERT_TRUE(db_->ReclaimRanges(kRangeB).ok());
  WaitForReclaims();
  DbStats st = db_->GetStats();
  EXPECT_EQ(st.reclaimed_files, 0u);
  EXPECT_GT(st.reclaimed_bytes, before / 8);
  EXPECT_LT(test::TotalTableBytes(db_.get()), before * 3 / 4);
  ExpectDiskMatchesTree();  // before any iterator pins a Version (and its obsolete tables)
  EXPECT_FALSE(AnyBKeyVisible());
  EXPECT_EQ(Contents(db_.get()), live_);
}

TEST_F(DBReclaimTest, WaitsUntilNoSnapshotOlderThanTheCallIsLeft) {
  // Levels big enough that no size compaction follows CompactRange: one would apply the filter
  // (which drops values the old snapshot still sees, as CompactionFilter documents).
  options_.max_bytes_for_level_base = 64 << 20;
  Open();
  Fill(500);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());  // settled: nothing else runs
  const Snapshot* old = db_->GetSnapshot();
  const std::set<uint64_t> tables = LiveTables();
  // The write that kills the range (the store's FLUSHDB): the snapshot predates it.
  ASSERT_TRUE(db_->Put(WriteOptions(), "slot-map", "b is gone").ok());
  live_["slot-map"] = "b is gone";
  filter_.dead = 'b';
  ASSERT_TRUE(db_->ReclaimRanges(kRangeB).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(db_->GetStats().pending_reclaims, 1);
  EXPECT_EQ(LiveTables(), tables);
  ReadOptions at_old;
  at_old.snapshot = old;
  const std::string k = PrefixKey('b', 42);
  EXPECT_EQ(GetOrStatus(db_.get(), k, at_old), k + std::string(90, 'v'));
  // A snapshot taken after the call does not hold it back.
  const Snapshot* newer = db_->GetSnapshot();
  db_->ReleaseSnapshot(old);
  WaitForReclaims();
  EXPECT_GT(db_->GetStats().reclaimed_files, 0u);
  EXPECT_FALSE(AnyBKeyVisible());
  db_->ReleaseSnapshot(newer);
  EXPECT_EQ(Contents(db_.get()), live_);
}

TEST_F(DBReclaimTest, RewritesArePacedByTheRateWhileFlushesGoOn) {
  filter_.confirm = false;  // everything is rewritten, so everything is paced
  constexpr uint64_t kRate = 100 << 10;
  options_.reclaim_bytes_per_second = kRate;
  Open();
  Fill(1000);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  filter_.dead = 'b';
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(db_->ReclaimRanges(kRangeB).ok());
  // Flushes (and so writers) never wait for the pauses.
  for (int i = 0; i < 20 && db_->GetStats().pending_reclaims > 0; i++) {
    const auto t = std::chrono::steady_clock::now();
    ASSERT_TRUE(db_->Put(WriteOptions(), PrefixKey('d', i), "x").ok());
    ASSERT_TRUE(db_->Flush().ok());
    EXPECT_LT(std::chrono::steady_clock::now() - t, std::chrono::milliseconds(2000));
  }
  WaitForReclaims();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Every rewrite but the last was followed by a pause of (read + written) / rate, and the bytes
  // freed were read: all of them but the last two tables' worth took their time.
  const uint64_t freed = db_->GetStats().reclaimed_bytes;
  const uint64_t slack = 2 * options_.target_file_size;
  ASSERT_GT(freed, 2 * slack);
  EXPECT_GE(elapsed, std::chrono::microseconds((freed - slack) * 1000000 / kRate));
  EXPECT_FALSE(AnyBKeyVisible());
}

TEST_F(DBReclaimTest, SafeWhileWritesFlushesAndCompactionsRun) {
  Open();
  Fill(800);
  filter_.dead = 'b';
  std::atomic<bool> stop{false};
  std::map<std::string, std::string> written;  // only the writer thread touches it until join
  std::thread writer([&] {
    std::mt19937 rng(3);
    for (int i = 0; !stop.load() || i < 2000; i++) {
      char p = (rng() & 1) ? 'a' : 'c';
      std::string k = PrefixKey(p, static_cast<int>(rng() % 3000));
      std::string v = std::to_string(i) + std::string(80, 'w');
      if (!db_->Put(WriteOptions(), k, v).ok()) return;
      written[k] = v;
      if (i >= 20000) return;
    }
  });
  std::thread reader([&] {
    while (!stop.load()) {
      auto it = db_->NewIterator(ReadOptions());
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
      }
      EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    }
  });
  for (int round = 0; round < 3; round++) {
    ASSERT_TRUE(db_->ReclaimRanges(kRangeB).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  WaitForReclaims();
  stop = true;
  writer.join();
  reader.join();
  ASSERT_TRUE(db_->BackgroundError().ok()) << db_->BackgroundError().ToString();
  for (const auto& [k, v] : written) live_[k] = v;
  EXPECT_FALSE(AnyBKeyVisible());
  EXPECT_EQ(Contents(db_.get()), live_);
  ASSERT_TRUE(db_->Close().ok());
  Open();
  EXPECT_EQ(Contents(db_.get()), live_);
}

TEST_F(DBReclaimTest, AnEmptyRangeIsRefused) {
  Open();
  EXPECT_TRUE(db_->ReclaimRanges({{"b", "b"}}).IsInvalidArgument());
  EXPECT_TRUE(db_->ReclaimRanges({{"c", "b"}}).IsInvalidArgument());
  EXPECT_TRUE(db_->ReclaimRanges({}).ok());
  EXPECT_EQ(db_->GetStats().pending_reclaims, 0);
}

}  // namespace
}  // namespace stash
