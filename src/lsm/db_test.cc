#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "lsm/db_testutil.h"

namespace stash {
namespace {

using test::Contents;
using test::GetOrStatus;
using test::Key;
using test::TempDir;

class DBTest : public ::testing::Test {
 protected:
  void Open(const Options& options = test::TinyOptions()) {
    db_.reset();
    Status s = DB::Open(options, dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Reopen(const Options& options = test::TinyOptions()) {
    if (db_) {
      ASSERT_TRUE(db_->Close().ok());
    }
    Open(options);
  }
  Status Put(std::string_view k, std::string_view v) { return db_->Put(WriteOptions(), k, v); }
  Status Del(std::string_view k) { return db_->Delete(WriteOptions(), k); }
  std::string Get(std::string_view k, const Snapshot* snap = nullptr) {
    ReadOptions ro;
    ro.snapshot = snap;
    return GetOrStatus(db_.get(), k, ro);
  }

  TempDir dir_{"db"};
  std::unique_ptr<DB> db_;
};

TEST_F(DBTest, PutGetDeleteOverwrite) {
  Open();
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(Put("b", "2").ok());
  EXPECT_EQ(Get("a"), "1");
  ASSERT_TRUE(Put("a", "3").ok());
  EXPECT_EQ(Get("a"), "3");
  ASSERT_TRUE(Del("a").ok());
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(Get("b"), "2");
  ASSERT_TRUE(Del("never-there").ok());
  EXPECT_EQ(db_->LastSequence(), 5u);
  // The same through the flushed state.
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(Get("b"), "2");
  EXPECT_EQ(test::FilesAtLevel(db_.get(), 0), 1);
}

// A read made ahead for another thread comes from the tables (a key in a memtable is left to
// that thread), and is still the key's newest state while every later write is in a memtable
// and none of them is to that key.
TEST_F(DBTest, ReadAheadAndUnchangedSince) {
  Open();
  ASSERT_TRUE(Put("k", "1").ok());
  std::string value;
  uint64_t read_at = 0;
  EXPECT_TRUE(db_->ReadAhead("k", &value, &read_at).IsBusy());  // in the memtable
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->ReadAhead("k", &value, &read_at).ok());
  EXPECT_EQ(value, "1");
  EXPECT_EQ(read_at, db_->LastSequence());
  EXPECT_TRUE(db_->ReadAhead("absent", &value, &read_at).IsNotFound());
  EXPECT_TRUE(db_->UnchangedSince("k", read_at));
  EXPECT_TRUE(db_->UnchangedSince("absent", read_at));
  ASSERT_TRUE(Put("other", "x").ok());  // a write of another key changes nothing for k
  EXPECT_TRUE(db_->UnchangedSince("k", read_at));
  EXPECT_FALSE(db_->UnchangedSince("other", read_at));
  EXPECT_FALSE(db_->UnchangedSince("k", db_->LastSequence() + 1));  // a sequence not yet reached
  ASSERT_TRUE(Put("k", "2").ok());
  EXPECT_FALSE(db_->UnchangedSince("k", read_at));
  // Once the memtable that held later writes is flushed, nothing can be told about them.
  EXPECT_TRUE(db_->UnchangedSince("absent", read_at));  // the later writes are in memory
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_FALSE(db_->UnchangedSince("absent", read_at));
  ASSERT_TRUE(db_->ReadAhead("k", &value, &read_at).ok());
  EXPECT_EQ(value, "2");
  EXPECT_TRUE(db_->UnchangedSince("k", read_at));
  ASSERT_TRUE(db_->Flush().ok());  // nothing to switch: the read stays current
  EXPECT_TRUE(db_->UnchangedSince("k", read_at));
}

TEST_F(DBTest, EmptyValuesAndBinaryKeys) {
  Open();
  std::string binary("k\0\xff", 3);
  ASSERT_TRUE(Put(binary, "").ok());
  ASSERT_TRUE(Put("k", "x").ok());
  EXPECT_EQ(Get(binary), "");
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(Get(binary), "");
  auto c = Contents(db_.get());
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.begin()->first, "k");
}

TEST_F(DBTest, IteratorHidesDeletesAndShadowedVersions) {
  Open();
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 50; i++) ASSERT_TRUE(Put(Key(i), "v" + std::to_string(round)).ok());
    if (round == 1) {
      ASSERT_TRUE(db_->Flush().ok());
    }
  }
  for (int i = 0; i < 50; i += 2) ASSERT_TRUE(Del(Key(i)).ok());
  auto it = db_->NewIterator(ReadOptions());
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    EXPECT_EQ(it->key(), Key(2 * n + 1));
    EXPECT_EQ(it->value(), "v2");
    n++;
  }
  EXPECT_TRUE(it->status().ok());
  EXPECT_EQ(n, 25);
  it->Seek(Key(10));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(11));
  it->Seek(Key(49) + "x");
  EXPECT_FALSE(it->Valid());
}

TEST_F(DBTest, SnapshotsSeeTheStateWhenTaken) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(Put("b", "1").ok());
  const Snapshot* s1 = db_->GetSnapshot();
  ASSERT_TRUE(Put("a", "2").ok());
  ASSERT_TRUE(Del("b").ok());
  ASSERT_TRUE(Put("c", "2").ok());
  const Snapshot* s2 = db_->GetSnapshot();
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(Put("a", "3").ok());

  EXPECT_EQ(Get("a", s1), "1");
  EXPECT_EQ(Get("b", s1), "1");
  EXPECT_EQ(Get("c", s1), "NOT_FOUND");
  EXPECT_EQ(Get("a", s2), "2");
  EXPECT_EQ(Get("b", s2), "NOT_FOUND");
  EXPECT_EQ(Get("a"), "3");

  ReadOptions ro;
  ro.snapshot = s1;
  EXPECT_EQ(Contents(db_.get(), ro), (std::map<std::string, std::string>{{"a", "1"}, {"b", "1"}}));
  ro.snapshot = s2;
  EXPECT_EQ(Contents(db_.get(), ro), (std::map<std::string, std::string>{{"a", "2"}, {"c", "2"}}));
  // An iterator without a snapshot reads the state at its creation, not later writes.
  auto it = db_->NewIterator(ReadOptions());
  ASSERT_TRUE(Put("d", "4").ok());
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
  EXPECT_EQ(n, 2);  // a, c
  db_->ReleaseSnapshot(s1);
  db_->ReleaseSnapshot(s2);
}

TEST_F(DBTest, ReopenKeepsEverything) {
  Open();
  std::map<std::string, std::string> model;
  for (int i = 0; i < 2000; i++) {
    std::string k = Key(i % 700), v = "value" + std::to_string(i) + std::string(20, 'x');
    ASSERT_TRUE(Put(k, v).ok());
    model[k] = v;
    if (i % 7 == 0) {
      ASSERT_TRUE(Del(Key((i * 13) % 700)).ok());
      model.erase(Key((i * 13) % 700));
    }
  }
  const uint64_t seq = db_->LastSequence();
  Reopen();
  EXPECT_EQ(Contents(db_.get()), model);
  EXPECT_EQ(db_->LastSequence(), seq);
  EXPECT_GT(db_->GetStats().recovered_batches, 0u);
  // And once more, now that the recovered memtable went to L0 and nothing new was written.
  Reopen();
  EXPECT_EQ(Contents(db_.get()), model);
  EXPECT_EQ(db_->GetStats().recovered_batches, 0u);
  EXPECT_EQ(db_->LastSequence(), seq);
  ASSERT_TRUE(Put("after", "reopen").ok());
  EXPECT_EQ(db_->LastSequence(), seq + 1);
}

TEST_F(DBTest, SecondOpenOfTheSameDirectoryIsBusy) {
  Open();
  std::unique_ptr<DB> second;
  Status s = DB::Open(test::TinyOptions(), dir_.path(), &second);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_EQ(second, nullptr);
  ASSERT_TRUE(db_->Close().ok());
  s = DB::Open(test::TinyOptions(), dir_.path(), &second);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(DBTest, OpenWithoutCreateIfMissingFails) {
  Options o = test::TinyOptions();
  o.create_if_missing = false;
  std::unique_ptr<DB> db;
  Status s = DB::Open(o, dir_.path() + "/nothing", &db);
  EXPECT_FALSE(s.ok());
}

TEST_F(DBTest, InvalidOptionsAreRejected) {
  Options o = test::TinyOptions();
  o.l0_stop_trigger = 1;
  std::unique_ptr<DB> db;
  EXPECT_TRUE(DB::Open(o, dir_.path(), &db).IsInvalidArgument());
}

TEST_F(DBTest, WriteGroupAppliesEveryBatchInOrder) {
  Open();
  WriteBatch a, b, c;
  a.Put("x", "1");
  a.Put("y", "1");
  b.Delete("x");
  c.Put("x", "3");
  WriteBatch* batches[] = {&a, &b, &c};
  ASSERT_TRUE(db_->WriteGroup(batches, /*sync=*/true).ok());
  EXPECT_EQ(a.Sequence(), 1u);
  EXPECT_EQ(b.Sequence(), 3u);
  EXPECT_EQ(c.Sequence(), 4u);
  EXPECT_EQ(Get("x"), "3");
  EXPECT_EQ(Get("y"), "1");
  EXPECT_EQ(db_->LastSequence(), 4u);
  WriteBatch empty;
  ASSERT_TRUE(db_->Write(WriteOptions(), &empty).ok());
  EXPECT_EQ(db_->LastSequence(), 4u);
}

TEST_F(DBTest, ConcurrentWritersAllLandWithGroupCommit) {
  Options o = test::TinyOptions();
  o.memtable_size = 64 << 10;
  o.appendfsync = AppendFsync::kAlways;  // makes the leader slow, so groups form
  Open(o);
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; i++) {
        WriteBatch batch;
        batch.Put("t" + std::to_string(t) + "/" + Key(i), std::to_string(i));
        batch.Put("last/" + std::to_string(t), std::to_string(i));
        if (!db_->Write(WriteOptions(), &batch).ok()) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  DbStats st = db_->GetStats();
  EXPECT_EQ(st.last_sequence, uint64_t{kThreads} * kPerThread * 2);
  EXPECT_LT(st.wal_syncs, uint64_t{kThreads} * kPerThread) << "no group formed";
  for (int t = 0; t < kThreads; t++) {
    EXPECT_EQ(Get("last/" + std::to_string(t)), std::to_string(kPerThread - 1));
    for (int i = 0; i < kPerThread; i++) {
      ASSERT_EQ(Get("t" + std::to_string(t) + "/" + Key(i)), std::to_string(i));
    }
  }
  Reopen();
  EXPECT_EQ(Contents(db_.get()).size(), size_t{kThreads} * kPerThread + kThreads);
}

// The writer's use of reads made ahead on another thread: whenever UnchangedSince accepts such a
// read, it equals what the writer would read itself, through writes, flushes and compactions.
TEST_F(DBTest, ReadAheadAcceptedByUnchangedSinceIsAlwaysCurrent) {
  Open();
  constexpr int kKeys = 200;
  struct Ahead {
    int key;
    Status status;
    std::string value;
    uint64_t read_at;
  };
  std::mutex mu;
  std::deque<Ahead> queue;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    std::mt19937 rng(7);
    while (!stop) {
      Ahead a{static_cast<int>(rng() % kKeys), Status(), "", 0};
      a.status = db_->ReadAhead(Key(a.key), &a.value, &a.read_at);
      std::lock_guard<std::mutex> lock(mu);
      if (queue.size() < 1000) queue.push_back(std::move(a));
    }
  });
  std::mt19937 rng(11);
  int accepted = 0, checked = 0, errors = 0;
  for (int i = 0; i < 20000 && errors == 0; i++) {
    const int k = static_cast<int>(rng() % kKeys);
    if (rng() % 4 == 0) {
      ASSERT_TRUE(Del(Key(k)).ok());
    } else {
      ASSERT_TRUE(Put(Key(k), std::to_string(i) + std::string(40, 'v')).ok());
    }
    if (i % 3000 == 0) {
      ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
    }
    std::deque<Ahead> taken;
    {
      std::lock_guard<std::mutex> lock(mu);
      taken.swap(queue);
    }
    for (const Ahead& a : taken) {
      if (a.status.IsBusy() || !db_->UnchangedSince(Key(a.key), a.read_at)) continue;
      checked++;
      std::string now;
      Status s = db_->Get(ReadOptions(), Key(a.key), &now);
      if (s.ok() != a.status.ok() || s.IsNotFound() != a.status.IsNotFound() ||
          (s.ok() && now != a.value)) {
        errors++;
        ADD_FAILURE() << "key " << a.key << ": read ahead " << a.status.ToString() << " " << a.value
                      << ", now " << s.ToString() << " " << now;
      }
      accepted++;
    }
  }
  stop = true;
  reader.join();
  EXPECT_EQ(errors, 0);
  EXPECT_GT(accepted, 100) << "checked " << checked;  // the test did test something
  EXPECT_GT(db_->GetStats().flushes, 5u);
}

TEST_F(DBTest, ConcurrentReadersDuringWritesFlushesAndCompactions) {
  Open();
  // Each writer round r writes every key of its range with value "r"; readers check that a
  // key's value never goes backwards and that a scan sees a consistent round per key.
  constexpr int kKeys = 300;
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::thread writer([&] {
    for (int round = 1; round <= 15 && errors == 0; round++) {
      for (int i = 0; i < kKeys; i++) {
        if (!db_->Put(WriteOptions(), Key(i), std::to_string(round) + std::string(30, 'p')).ok()) {
          errors++;
        }
      }
      if (round % 5 == 0 && !db_->CompactRange(nullptr, nullptr).ok()) errors++;
    }
    stop = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; r++) {
    readers.emplace_back([&, r] {
      std::mt19937 rng(r);
      std::vector<int> seen(kKeys, 0);
      while (!stop) {
        int i = static_cast<int>(rng() % kKeys);
        std::string v;
        Status s = db_->Get(ReadOptions(), Key(i), &v);
        if (s.ok()) {
          int round = std::stoi(v);
          if (round < seen[i]) errors++;
          seen[i] = round;
        } else if (!s.IsNotFound()) {
          errors++;
        }
        if (rng() % 50 == 0) {
          // A scan at one sequence: rounds never increase with the key (key order = write order
          // within a round).
          auto it = db_->NewIterator(ReadOptions());
          int prev = INT32_MAX;
          for (it->SeekToFirst(); it->Valid(); it->Next()) {
            int round = std::stoi(std::string(it->value()));
            if (round > prev) errors++;
            prev = round;
          }
          if (!it->status().ok()) errors++;
        }
      }
    });
  }
  writer.join();
  for (auto& th : readers) th.join();
  EXPECT_EQ(errors.load(), 0);
  DbStats st = db_->GetStats();
  EXPECT_GT(st.flushes, 10u);
  EXPECT_GT(st.compactions, 0u);
}

TEST_F(DBTest, StatsCountWork) {
  Open();
  for (int i = 0; i < 3000; i++) ASSERT_TRUE(Put(Key(i % 1000), std::string(50, 'v')).ok());
  ASSERT_TRUE(db_->Flush().ok());
  DbStats st = db_->GetStats();
  EXPECT_GT(st.flushes, 0u);
  EXPECT_GT(st.flush_bytes_written, 0u);
  EXPECT_GT(st.user_bytes_written, 3000u * 50);
  EXPECT_GT(st.wal_bytes_written, st.user_bytes_written / 2);
  EXPECT_GT(st.write_amplification, 1.0);
  EXPECT_EQ(st.levels.size(), 7u);
  EXPECT_EQ(st.last_sequence, 3000u);
  std::string v;
  for (int i = 0; i < 100; i++) ASSERT_TRUE(db_->Get(ReadOptions(), Key(i), &v).ok());
  st = db_->GetStats();
  EXPECT_GT(st.block_cache_hits + st.block_cache_misses, 0u);
}

// With block_cache_includes_tables, the open tables' index blocks and filters and the cached
// blocks share block_cache_size: the cache's capacity is what the tables leave (at least an
// eighth), so their sum stays within it as the data grows.
TEST_F(DBTest, OpenTablesAndBlockCacheShareOneBudget) {
  Options o = test::TinyOptions();
  o.block_cache_size = 64 << 10;
  o.block_cache_includes_tables = true;
  Open(o);
  for (int i = 0; i < 20000; i++) ASSERT_TRUE(Put(Key(i), std::string(20, 'v')).ok());
  ASSERT_TRUE(db_->Flush().ok());
  std::string v;
  for (int i = 0; i < 20000; i += 7) ASSERT_TRUE(db_->Get(ReadOptions(), Key(i), &v).ok());
  DbStats st = db_->GetStats();
  ASSERT_GT(st.table_memory, 0u);
  EXPECT_EQ(st.block_cache_capacity,
            std::max<uint64_t>(
                o.block_cache_size - std::min<uint64_t>(st.table_memory, o.block_cache_size),
                o.block_cache_size / 8));
  EXPECT_LE(st.block_cache_usage, st.block_cache_capacity);
  if (st.table_memory < o.block_cache_size * 7 / 8) {
    EXPECT_LE(st.table_memory + st.block_cache_usage, o.block_cache_size);
  }

  Options apart = o;  // without: the cache keeps its whole size
  apart.block_cache_includes_tables = false;
  Reopen(apart);
  for (int i = 0; i < 20000; i += 7) ASSERT_TRUE(db_->Get(ReadOptions(), Key(i), &v).ok());
  st = db_->GetStats();
  EXPECT_GT(st.table_memory, 0u);
  EXPECT_EQ(st.block_cache_capacity, o.block_cache_size);
}

// Open descriptors of this process on .sst files: (all, those whose file was deleted).
std::pair<int, int> OpenTableFiles() {
  int all = 0;
  int deleted = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    char target[4096];
    const ssize_t n = readlink(e.path().c_str(), target, sizeof(target) - 1);
    if (n <= 0) continue;
    const std::string t(target, static_cast<size_t>(n));
    if (t.find(".sst") == std::string::npos) continue;
    all++;
    if (t.ends_with(" (deleted)")) deleted++;
  }
  return {all, deleted};
}

// Point reads keep the tables they open in the files' pins (TableCache::GetPinned) while the
// Version's files fit in the pin slots (a quarter of max_open_files). A pinned table must close
// once its file leaves every Version (compacted away), and with more files than that nothing is
// pinned, so the limit on open files holds.
TEST_F(DBTest, PinnedTablesCloseWhenTheirFilesLeaveEveryVersion) {
  Options o = test::TinyOptions();
  Open(o);
  for (int round = 0; round < 6; round++) {
    for (int i = round; i < 3000; i += 6) ASSERT_TRUE(Put(Key(i), "v" + std::to_string(i)).ok());
    ASSERT_TRUE(db_->Flush().ok());
  }
  std::string v;
  for (int i = 0; i < 3000; i += 5) {
    ASSERT_TRUE(db_->Get(ReadOptions(), Key(i), &v).ok());
    EXPECT_EQ(v, "v" + std::to_string(i));
  }
  EXPECT_GT(OpenTableFiles().first, 0);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  for (int i = 0; i < 3000; i += 5) ASSERT_TRUE(db_->Get(ReadOptions(), Key(i), &v).ok());
  EXPECT_EQ(OpenTableFiles().second, 0) << "a compacted-away table is still open";

  // More files than the pin slots: reads go through the cache alone, and pins and cache together
  // never keep more than max_open_files tables open.
  Options few = o;
  few.max_open_files = 20;
  Reopen(few);
  for (int round = 0; round < 40; round++) {
    for (int i = round; i < 4000; i += 40) ASSERT_TRUE(Put(Key(i), "w").ok());
    ASSERT_TRUE(db_->Flush().ok());
  }
  for (int i = 0; i < 4000; i += 3) ASSERT_TRUE(db_->Get(ReadOptions(), Key(i), &v).ok());
  EXPECT_LE(OpenTableFiles().first, few.max_open_files);
}

// Tables of levels below Options::compression_min_level are written uncompressed (a flush goes
// to L0), the rest with the configured compression.
TEST_F(DBTest, LevelsBelowTheCompressionMinLevelAreUncompressed) {
  auto l0_table_bytes = [&](int min_level) {
    Options o = test::TinyOptions();
    o.compression = TableOptions::Compression::kZstd;
    o.compression_min_level = min_level;
    o.memtable_size = 1 << 20;  // one flush, one L0 table
    Reopen(o);
    const std::string value(400, 'z');  // compresses to almost nothing
    for (int i = 0; i < 200; i++) EXPECT_TRUE(Put(Key(i), value).ok());
    EXPECT_TRUE(db_->Flush().ok());
    std::string v;
    EXPECT_TRUE(db_->Get(ReadOptions(), Key(7), &v).ok());
    EXPECT_EQ(v, value);
    uint64_t bytes = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      if (e.path().extension() == ".sst") bytes += e.file_size();
    }
    EXPECT_TRUE(db_->Close().ok());
    db_.reset();
    std::filesystem::remove_all(dir_.path());
    std::filesystem::create_directories(dir_.path());
    return bytes;
  };
  EXPECT_GT(l0_table_bytes(2), 200u * 400);      // L0 < 2: raw
  EXPECT_LT(l0_table_bytes(0), 200u * 400 / 2);  // every level compressed
}

}  // namespace
}  // namespace stash
