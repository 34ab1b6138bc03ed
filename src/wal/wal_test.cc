// Round trips through real files: WalWriter output read back by WalReader.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "util/coding.h"
#include "util/env.h"
#include "wal/log_format.h"
#include "wal/wal_reader.h"
#include "wal/wal_writer.h"

namespace stash::wal {
namespace {

struct Batch {
  uint64_t seq = 0;
  std::vector<std::string> ops;
};

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("stash_wal_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    ASSERT_TRUE(env_->CreateDirIfMissing(dir_).ok());
    path_ = JoinPath(dir_, "000007.log");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<WalWriter> OpenWriter(bool append) {
    std::unique_ptr<WritableFile> f;
    uint64_t size = 0;
    if (append) {
      EXPECT_TRUE(env_->GetFileSize(path_, &size).ok());
      EXPECT_TRUE(env_->NewAppendableFile(path_, &f).ok());
    } else {
      EXPECT_TRUE(env_->NewWritableFile(path_, &f).ok());
    }
    return std::make_unique<WalWriter>(std::move(f), size);
  }

  static void Add(WalWriter* w, const Batch& b) {
    for (const std::string& op : b.ops) w->AddRecord(op);
    w->EndBatch(b.seq);
  }

  // Reads every batch of the log as the newest log in strict mode; expects a clean end.
  std::vector<WalBatch> ReadAll() {
    std::unique_ptr<SequentialFile> f;
    EXPECT_TRUE(env_->NewSequentialFile(path_, &f).ok());
    WalReader reader(std::move(f), "000007.log", true, RecoveryMode::kStrict);
    std::vector<WalBatch> out;
    WalBatch b;
    while (reader.ReadBatch(&b)) out.push_back(b);
    EXPECT_TRUE(reader.status().ok()) << reader.status().ToString();
    EXPECT_FALSE(reader.DroppedTornTail()) << reader.DropReason();
    EXPECT_EQ(reader.DroppedBytes(), 0u);
    EXPECT_EQ(reader.LastGoodOffset(), out.empty() ? 0 : out.back().end_offset);
    return out;
  }

  static void ExpectSame(const std::vector<Batch>& want, const std::vector<WalBatch>& got) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); i++) {
      EXPECT_EQ(got[i].first_seq, want[i].seq) << "batch " << i;
      EXPECT_EQ(got[i].records, want[i].ops) << "batch " << i;
      if (i > 0) {
        EXPECT_GT(got[i].end_offset, got[i - 1].end_offset);
      }
    }
  }

  std::string FileBytes() {
    std::string data;
    EXPECT_TRUE(ReadFileToString(env_, path_, &data).ok());
    return data;
  }

  Env* env_ = Env::Default();
  std::string dir_;
  std::string path_;
};

TEST_F(WalTest, RoundTripsManyBatchesOfVariedSizes) {
  std::mt19937 rng(301);
  std::vector<Batch> batches;
  uint64_t seq = 1;
  for (int i = 0; i < 300; i++) {
    Batch b;
    b.seq = seq;
    int ops = static_cast<int>(rng() % 6);
    for (int k = 0; k < ops; k++) {
      size_t len = rng() % 10 == 0 ? rng() % (3 * kBlockSize) : rng() % 200;
      std::string op(len, '\0');
      for (char& c : op) c = static_cast<char>(rng());
      b.ops.push_back(std::move(op));
    }
    seq += b.ops.size() + 1;
    batches.push_back(std::move(b));
  }
  auto w = OpenWriter(false);
  for (size_t i = 0; i < batches.size(); i++) {
    Add(w.get(), batches[i]);
    if (i % 7 == 0) {
      ASSERT_TRUE(w->Flush().ok());
    }
    if (i % 50 == 0) {
      ASSERT_TRUE(w->Sync().ok());
    }
  }
  uint64_t size = w->Size();
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(FileBytes().size(), size);
  std::vector<WalBatch> got = ReadAll();
  ExpectSame(batches, got);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().end_offset, size);
}

TEST_F(WalTest, RecordLargerThanBlockIsSplitIntoFirstMiddleLast) {
  std::string big(2 * kBlockSize + 100, 'b');
  big[kBlockSize] = 'x';
  auto w = OpenWriter(false);
  Add(w.get(), {5, {big}});
  ASSERT_TRUE(w->Close().ok());
  std::string data = FileBytes();
  ASSERT_GT(data.size(), 2 * kBlockSize);
  EXPECT_EQ(static_cast<uint8_t>(data[6]), kKindOp | kFragmentFirst);
  EXPECT_EQ(static_cast<uint8_t>(data[kBlockSize + 6]), kKindOp | kFragmentMiddle);
  EXPECT_EQ(static_cast<uint8_t>(data[2 * kBlockSize + 6]), kKindOp | kFragmentLast);
  ExpectSame({{5, {big}}}, ReadAll());
}

TEST_F(WalTest, EmptyPayloadsAndEmptyBatchesRoundTrip) {
  std::vector<Batch> batches = {{1, {""}}, {2, {}}, {2, {"", "a", ""}}, {5, {}}};
  auto w = OpenWriter(false);
  for (const Batch& b : batches) Add(w.get(), b);
  ASSERT_TRUE(w->Close().ok());
  ExpectSame(batches, ReadAll());
}

TEST_F(WalTest, BatchEndingExactlyAtBlockBoundary) {
  // op record (7 + L) + batch-end record (7 + 16) == kBlockSize.
  std::string op(kBlockSize - 2 * kHeaderSize - kBatchEndSize, 'q');
  std::vector<Batch> batches = {{1, {op}}, {2, {"next"}}};
  auto w = OpenWriter(false);
  Add(w.get(), batches[0]);
  EXPECT_EQ(w->Size(), kBlockSize);
  Add(w.get(), batches[1]);
  ASSERT_TRUE(w->Close().ok());
  std::string data = FileBytes();
  EXPECT_EQ(static_cast<uint8_t>(data[kBlockSize + 6]), kKindOp | kFragmentFull);
  std::vector<WalBatch> got = ReadAll();
  ExpectSame(batches, got);
  EXPECT_EQ(got[0].end_offset, kBlockSize);
}

TEST_F(WalTest, BlockTrailerIsZeroPaddedAndSevenByteTailGetsEmptyFirstFragment) {
  // Batch 1 ends 3 bytes before the block end: those 3 bytes become padding.
  std::string op1(kBlockSize - 3 - 2 * kHeaderSize - kBatchEndSize, 'p');
  // Batch 2's op then fills block 1 up to exactly 7 bytes before its end: the batch-end record
  // starts there as a zero-length FIRST fragment.
  std::string op2(kBlockSize - 2 * kHeaderSize, 'r');
  std::vector<Batch> batches = {{1, {op1}}, {2, {op2}}, {3, {"z"}}};
  auto w = OpenWriter(false);
  for (const Batch& b : batches) Add(w.get(), b);
  ASSERT_TRUE(w->Close().ok());
  std::string data = FileBytes();
  EXPECT_EQ(data.substr(kBlockSize - 3, 3), std::string(3, '\0'));
  size_t empty_first = 2 * kBlockSize - kHeaderSize;
  EXPECT_EQ(static_cast<uint8_t>(data[empty_first + 6]), kKindBatchEnd | kFragmentFirst);
  EXPECT_EQ(data[empty_first + 4], 0);
  EXPECT_EQ(data[empty_first + 5], 0);
  EXPECT_EQ(static_cast<uint8_t>(data[2 * kBlockSize + 6]), kKindBatchEnd | kFragmentLast);
  ExpectSame(batches, ReadAll());
}

TEST_F(WalTest, ReopenAndAppendAtUnalignedSize) {
  std::vector<Batch> batches = {{1, {"alpha", "beta"}}, {3, {std::string(40000, 'g')}}};
  auto w = OpenWriter(false);
  for (const Batch& b : batches) Add(w.get(), b);
  ASSERT_TRUE(w->Close().ok());
  ASSERT_NE(FileBytes().size() % kBlockSize, 0u);

  for (int round = 0; round < 3; round++) {
    w = OpenWriter(true);
    Batch b{10 + static_cast<uint64_t>(round),
            {"round" + std::to_string(round), std::string(9000, 'h')}};
    Add(w.get(), b);
    batches.push_back(b);
    ASSERT_TRUE(w->Sync().ok());
    ASSERT_TRUE(w->Close().ok());
  }
  ExpectSame(batches, ReadAll());
}

TEST_F(WalTest, ReopenInsideBlockTrailerPadsBeforeAppending) {
  // The first log ends 2 bytes short of the block end (too few for a header, no padding yet).
  std::string op(kBlockSize - 2 - 2 * kHeaderSize - kBatchEndSize, 'k');
  std::vector<Batch> batches = {{1, {op}}};
  auto w = OpenWriter(false);
  Add(w.get(), batches[0]);
  ASSERT_TRUE(w->Close().ok());
  ASSERT_EQ(FileBytes().size(), kBlockSize - 2);
  ExpectSame(batches, ReadAll());

  w = OpenWriter(true);
  batches.push_back({2, {"after reopen"}});
  Add(w.get(), batches.back());
  ASSERT_TRUE(w->Close().ok());
  std::string data = FileBytes();
  EXPECT_EQ(data.substr(kBlockSize - 2, 2), std::string(2, '\0'));
  ExpectSame(batches, ReadAll());
}

// Counts the calls a WalWriter makes, to pin the one-write-per-commit-group contract.
class CountingFile final : public WritableFile {
 public:
  Status Append(std::string_view data) override {
    appends++;
    if (!fail.ok()) return fail;
    bytes.append(data);
    return Status::OK();
  }
  Status Flush() override {
    flushes++;
    return Status::OK();
  }
  Status Sync() override {
    syncs++;
    return Status::OK();
  }
  Status SyncFlushed() override {
    syncs++;
    return Status::OK();
  }
  Status Close() override { return Status::OK(); }
  int appends = 0, flushes = 0, syncs = 0;
  std::string bytes;
  Status fail;
};

TEST(WalWriter, WritesWholeCommitGroupWithOneAppendAndFlush) {
  auto file = std::make_unique<CountingFile>();
  CountingFile* f = file.get();
  WalWriter w(std::move(file), 0);
  for (int i = 0; i < 100; i++) {
    w.AddRecord("op" + std::to_string(i));
    w.AddRecord(std::string(1000, 'v'));
    w.EndBatch(static_cast<uint64_t>(i) * 2);
  }
  EXPECT_EQ(f->appends, 0);
  ASSERT_TRUE(w.Flush().ok());
  EXPECT_EQ(f->appends, 1);
  EXPECT_EQ(f->flushes, 1);
  EXPECT_EQ(f->bytes.size(), w.Size());
  ASSERT_TRUE(w.Flush().ok());  // nothing pending: no write at all
  EXPECT_EQ(f->appends, 1);
  w.AddRecord("x");
  w.EndBatch(1000);
  ASSERT_TRUE(w.Sync().ok());
  EXPECT_EQ(f->appends, 2);
  EXPECT_EQ(f->syncs, 1);
}

TEST(WalWriter, FailedWriteIsSticky) {
  auto file = std::make_unique<CountingFile>();
  CountingFile* f = file.get();
  WalWriter w(std::move(file), 0);
  w.AddRecord("a");
  w.EndBatch(1);
  f->fail = Status::NoSpace("disk full");
  EXPECT_TRUE(w.Flush().IsNoSpace());
  f->fail = Status::OK();
  w.AddRecord("b");
  w.EndBatch(2);
  EXPECT_TRUE(w.Flush().IsNoSpace());
  EXPECT_TRUE(w.Sync().IsNoSpace());
  EXPECT_TRUE(w.Close().IsNoSpace());
  EXPECT_EQ(f->appends, 1);
}

class FailingSource final : public SequentialFile {
 public:
  Status Read(size_t, std::string_view*, char*) override { return Status::IOError("read failed"); }
  Status Skip(uint64_t) override { return Status::IOError("skip failed"); }
};

TEST(WalReader, ReadErrorIsReported) {
  WalReader reader(std::make_unique<FailingSource>(), "000001.log", true, RecoveryMode::kStrict);
  WalBatch b;
  EXPECT_FALSE(reader.ReadBatch(&b));
  EXPECT_TRUE(reader.status().IsIOError());
  EXPECT_FALSE(reader.ReadBatch(&b));
}

}  // namespace
}  // namespace stash::wal
