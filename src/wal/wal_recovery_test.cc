// Recovery semantics of WalReader: torn tails, corruption, point-in-time salvage. Logs are written
// by WalWriter to a real file once; the exhaustive truncation and bit-flip matrices then read
// in-memory variants of those bytes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "util/coding.h"
#include "util/crc32c.h"
#include "util/env.h"
#include "wal/log_format.h"
#include "wal/wal_reader.h"
#include "wal/wal_writer.h"

namespace stash::wal {
namespace {

constexpr char kName[] = "000009.log";

struct Batch {
  uint64_t seq = 0;
  std::vector<std::string> ops;
};

// A SequentialFile over bytes owned by the caller; hands out views into them (not into scratch).
class StringSource final : public SequentialFile {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  Status Read(size_t n, std::string_view* result, char*) override {
    n = std::min(n, data_.size() - pos_);
    *result = data_.substr(pos_, n);
    pos_ += n;
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    pos_ += std::min<uint64_t>(n, data_.size() - pos_);
    return Status::OK();
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

struct Outcome {
  std::vector<WalBatch> batches;
  Status status;
  uint64_t last_good = 0;
  bool torn = false;
  uint64_t dropped = 0;
  std::string reason;
  uint64_t synced = 0;
};

Outcome ReadLog(std::string_view data, bool newest, RecoveryMode mode) {
  WalReader reader(std::make_unique<StringSource>(data), kName, newest, mode);
  Outcome out;
  WalBatch b;
  while (reader.ReadBatch(&b)) out.batches.push_back(b);
  EXPECT_FALSE(reader.ReadBatch(&b));  // stays finished
  out.status = reader.status();
  out.last_good = reader.LastGoodOffset();
  out.torn = reader.DroppedTornTail();
  out.dropped = reader.DroppedBytes();
  out.reason = reader.DropReason();
  out.synced = reader.SyncedSize();
  return out;
}

// Writes batches through WalWriter to a real file and returns the file's bytes. With sync, each
// batch is synced, so the next one starts with a sync mark.
std::string WriteLog(const std::vector<Batch>& batches, bool sync = false) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("stash_wal_recovery_" + std::to_string(::getpid())))
                        .string();
  Env* env = Env::Default();
  EXPECT_TRUE(env->CreateDirIfMissing(dir).ok());
  std::string path = JoinPath(dir, kName);
  std::unique_ptr<WritableFile> f;
  EXPECT_TRUE(env->NewWritableFile(path, &f).ok());
  WalWriter w(std::move(f), 0);
  for (const Batch& b : batches) {
    for (const std::string& op : b.ops) w.AddRecord(op);
    w.EndBatch(b.seq);
    EXPECT_TRUE((sync ? w.Sync() : w.Flush()).ok());
  }
  EXPECT_TRUE(w.Close().ok());
  std::string data;
  EXPECT_TRUE(ReadFileToString(env, path, &data).ok());
  std::filesystem::remove_all(dir);
  return data;
}

// The batches a reader must deliver when the log holds the first `count` of `want`.
void ExpectPrefix(const std::vector<Batch>& want, size_t count, const std::vector<WalBatch>& got,
                  const std::string& context) {
  ASSERT_EQ(got.size(), count) << context;
  for (size_t i = 0; i < count; i++) {
    ASSERT_EQ(got[i].first_seq, want[i].seq) << context;
    ASSERT_EQ(got[i].records, want[i].ops) << context;
  }
}

// The offset named by a Corruption message "<file>: <what> at offset <n>...".
uint64_t OffsetInMessage(const std::string& msg) {
  size_t at = msg.find(" at offset ");
  EXPECT_NE(at, std::string::npos) << msg;
  if (at == std::string::npos) return UINT64_MAX;
  return std::stoull(msg.substr(at + 11));
}

// Start offsets of all physical records, walking the headers of an undamaged log.
std::vector<uint64_t> RecordStarts(std::string_view data) {
  std::vector<uint64_t> starts;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t in_block = pos % kBlockSize;
    if (kBlockSize - in_block < kHeaderSize) {
      pos += kBlockSize - in_block;
      continue;
    }
    starts.push_back(pos);
    size_t len = static_cast<uint8_t>(data[pos + 4]) | (static_cast<uint8_t>(data[pos + 5]) << 8);
    pos += kHeaderSize + len;
  }
  return starts;
}

class WalRecoveryTest : public ::testing::Test {
 protected:
  // With synced, every batch but the last is synced and recorded so by a sync mark: damage in
  // the newest log is an unsynced tail only from the end of the last but one batch on.
  void Build(std::vector<Batch> batches, bool synced = false) {
    batches_ = std::move(batches);
    data_ = WriteLog(batches_, synced);
    Outcome full = ReadLog(data_, true, RecoveryMode::kStrict);
    ASSERT_TRUE(full.status.ok());
    ExpectPrefix(batches_, batches_.size(), full.batches, "undamaged log");
    for (const WalBatch& b : full.batches) ends_.push_back(b.end_offset);
    ASSERT_EQ(ends_.back(), data_.size());
    unsynced_from_ = synced ? EndOfBatches(batches_.size() - 1) : 0;
    ASSERT_EQ(full.synced, unsynced_from_);
  }

  size_t BatchesEndingBy(uint64_t offset) const {
    return std::upper_bound(ends_.begin(), ends_.end(), offset) - ends_.begin();
  }
  uint64_t EndOfBatches(size_t count) const { return count == 0 ? 0 : ends_[count - 1]; }
  // A cut at len leaves only complete batches, possibly followed by (part of) a block trailer.
  bool CleanCut(uint64_t len) const {
    uint64_t good = EndOfBatches(BatchesEndingBy(len));
    if (len == good) return true;
    uint64_t left_in_block = kBlockSize - good % kBlockSize;
    return left_in_block < kHeaderSize && len - good <= left_in_block;
  }

  void CheckTruncation(uint64_t len) {
    std::string ctx = "cut at " + std::to_string(len);
    std::string_view cut(data_.data(), len);
    size_t count = BatchesEndingBy(len);
    uint64_t good = EndOfBatches(count);
    bool clean = CleanCut(len);

    Outcome newest = ReadLog(cut, true, RecoveryMode::kStrict);
    ASSERT_TRUE(newest.status.ok()) << ctx << ": " << newest.status.ToString();
    ExpectPrefix(batches_, count, newest.batches, ctx);
    ASSERT_EQ(newest.last_good, good) << ctx;
    ASSERT_EQ(newest.torn, !clean) << ctx << ": " << newest.reason;
    ASSERT_EQ(newest.dropped, clean ? 0 : len - good) << ctx;

    Outcome older = ReadLog(cut, false, RecoveryMode::kStrict);
    ExpectPrefix(batches_, count, older.batches, ctx);
    if (clean) {
      ASSERT_TRUE(older.status.ok()) << ctx << ": " << older.status.ToString();
    } else {
      ASSERT_TRUE(older.status.IsCorruption()) << ctx;
      ASSERT_EQ(older.status.message().rfind(std::string(kName) + ": ", 0), 0u) << ctx;
      uint64_t at = OffsetInMessage(older.status.message());
      ASSERT_GE(at, good) << ctx;
      ASSERT_LT(at, len) << ctx;
    }

    Outcome salvage = ReadLog(cut, false, RecoveryMode::kPointInTime);
    ASSERT_TRUE(salvage.status.ok()) << ctx;
    ExpectPrefix(batches_, count, salvage.batches, ctx);
    ASSERT_EQ(salvage.dropped, clean ? 0 : len - good) << ctx;
    ASSERT_EQ(salvage.reason.empty(), clean) << ctx;
  }

  void CheckFlip(uint64_t i, uint8_t mask) {
    std::string ctx = "flip " + std::to_string(mask) + " at " + std::to_string(i);
    std::string damaged = data_;
    damaged[i] = static_cast<char>(damaged[i] ^ mask);
    size_t count = BatchesEndingBy(i);
    uint64_t good = EndOfBatches(count);
    bool tail = i >= unsynced_from_;  // past what a sync mark proves synced

    Outcome newest = ReadLog(damaged, true, RecoveryMode::kStrict);
    ExpectPrefix(batches_, count, newest.batches, ctx);
    ASSERT_EQ(newest.last_good, good) << ctx;
    if (tail) {
      ASSERT_TRUE(newest.status.ok()) << ctx << ": " << newest.status.ToString();
      ASSERT_TRUE(newest.torn) << ctx;
      ASSERT_EQ(count + 1, batches_.size()) << ctx;
      ASSERT_EQ(newest.dropped, data_.size() - good) << ctx;
    } else {
      ASSERT_TRUE(newest.status.IsCorruption()) << ctx;
      const std::string& msg = newest.status.message();
      ASSERT_EQ(msg.rfind(std::string(kName) + ": ", 0), 0u) << ctx << ": " << msg;
      uint64_t at = OffsetInMessage(msg);
      ASSERT_LE(at, i) << ctx << ": " << msg;
      ASSERT_GE(at, good) << ctx << ": " << msg;
      ASSERT_LT(i - at, kBlockSize) << ctx << ": " << msg;
    }

    Outcome older = ReadLog(damaged, false, RecoveryMode::kStrict);
    ASSERT_TRUE(older.status.IsCorruption()) << ctx;
    ExpectPrefix(batches_, count, older.batches, ctx);

    Outcome salvage = ReadLog(damaged, true, RecoveryMode::kPointInTime);
    ASSERT_TRUE(salvage.status.ok()) << ctx;
    ExpectPrefix(batches_, count, salvage.batches, ctx);
    ASSERT_EQ(salvage.last_good, good) << ctx;
    ASSERT_EQ(salvage.torn, tail) << ctx;
    ASSERT_EQ(salvage.dropped, data_.size() - good) << ctx;
    ASSERT_FALSE(salvage.reason.empty()) << ctx;
  }

  std::vector<Batch> batches_;
  std::string data_;
  std::vector<uint64_t> ends_;
  uint64_t unsynced_from_ = 0;
};

std::vector<Batch> ShortLog() {
  return {{1, {"set a 1"}},
          {2, {"k", "", "vvvvvvvvvvvvvvvvvvvv"}},
          {5, {}},
          {5, {std::string(100, 'x')}},
          {6, {"del a", "set b 2"}},
          {8, {"last"}}};
}

// Crosses block boundaries: a record split FIRST/LAST across block 0 -> 1, and a batch that
// ends 4 bytes before the end of block 1, so the next batch follows a zero trailer.
std::vector<Batch> BoundaryLog() {
  std::vector<Batch> b;
  b.push_back({1, {std::string(kBlockSize - 200, 'x')}});  // ends at kBlockSize - 170
  b.push_back({2, {std::string(300, 'y'), "tiny"}});       // 'y' record crosses into block 1
  // Block 1 so far: LAST fragment of 'y' (7 + 137), "tiny" (11), batch-end (23) = 178 bytes.
  b.push_back({4, {std::string(kBlockSize - 178 - 4 - 30, 'z')}});  // ends 4 bytes short
  b.push_back({5, {"after padding", std::string(50, 'w')}});
  return b;
}

TEST_F(WalRecoveryTest, EveryTruncationOfShortLogKeepsExactlyTheCompleteBatches) {
  Build(ShortLog());
  for (uint64_t len = 0; len <= data_.size(); len++) {
    CheckTruncation(len);
    if (HasFatalFailure()) return;
  }
}

TEST_F(WalRecoveryTest, TruncationsAroundBlockBoundariesKeepTheCompleteBatches) {
  Build(BoundaryLog());
  ASSERT_EQ(ends_[2] % kBlockSize, kBlockSize - 4);
  for (uint64_t len = 0; len <= data_.size(); len++) {
    bool near_boundary = len % kBlockSize < 400 || len % kBlockSize > kBlockSize - 400;
    if (!near_boundary && len % 97 != 0 && len != data_.size()) continue;
    CheckTruncation(len);
    if (HasFatalFailure()) return;
  }
}

TEST_F(WalRecoveryTest, EveryByteFlipOfShortLogIsDetectedNeverMisread) {
  Build(ShortLog(), /*synced=*/true);
  for (uint8_t mask : {0x01, 0x80, 0xff}) {
    for (uint64_t i = 0; i < data_.size(); i++) {
      CheckFlip(i, mask);
      if (HasFatalFailure()) return;
    }
  }
}

TEST_F(WalRecoveryTest, ByteFlipsAroundBlockBoundariesAreDetected) {
  Build(BoundaryLog(), /*synced=*/true);
  for (uint64_t i = 0; i < data_.size(); i++) {
    bool near_boundary = i % kBlockSize < 300 || i % kBlockSize > kBlockSize - 300;
    if (!near_boundary && i % 89 != 0) continue;
    CheckFlip(i, 0x41);
    if (HasFatalFailure()) return;
  }
}

TEST_F(WalRecoveryTest, ZeroFilledTailIsTornTail) {
  Build(ShortLog());
  for (size_t zeros : {size_t{1}, size_t{6}, size_t{7}, size_t{5000}, 2 * kBlockSize}) {
    std::string ctx = std::to_string(zeros) + " zeros";
    std::string data = data_ + std::string(zeros, '\0');
    Outcome newest = ReadLog(data, true, RecoveryMode::kStrict);
    ASSERT_TRUE(newest.status.ok()) << ctx;
    ExpectPrefix(batches_, batches_.size(), newest.batches, ctx);
    EXPECT_TRUE(newest.torn) << ctx;
    EXPECT_EQ(newest.last_good, data_.size()) << ctx;
    EXPECT_EQ(newest.dropped, zeros) << ctx;
    EXPECT_NE(newest.reason.find("torn tail"), std::string::npos) << newest.reason;

    Outcome older = ReadLog(data, false, RecoveryMode::kStrict);
    EXPECT_TRUE(older.status.IsCorruption()) << ctx;
    EXPECT_EQ(older.batches.size(), batches_.size()) << ctx;
  }
}

TEST_F(WalRecoveryTest, DropsTornTailBatch) {
  // The writer flushed an unfinished batch (records without their batch-end) before a crash.
  std::string dir =
      (std::filesystem::temp_directory_path() / ("stash_wal_torn_" + std::to_string(::getpid())))
          .string();
  Env* env = Env::Default();
  ASSERT_TRUE(env->CreateDirIfMissing(dir).ok());
  std::string path = JoinPath(dir, kName);
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env->NewWritableFile(path, &f).ok());
  WalWriter w(std::move(f), 0);
  w.AddRecord("one");
  w.EndBatch(1);
  w.AddRecord("two");
  w.EndBatch(2);
  uint64_t good = w.Size();
  w.AddRecord("three");
  w.AddRecord(std::string(kBlockSize, 't'));
  ASSERT_TRUE(w.Close().ok());
  std::string data;
  ASSERT_TRUE(ReadFileToString(env, path, &data).ok());
  std::filesystem::remove_all(dir);

  Outcome newest = ReadLog(data, true, RecoveryMode::kStrict);
  ASSERT_TRUE(newest.status.ok());
  ASSERT_EQ(newest.batches.size(), 2u);
  EXPECT_EQ(newest.batches[1].records, std::vector<std::string>{"two"});
  EXPECT_TRUE(newest.torn);
  EXPECT_EQ(newest.last_good, good);
  EXPECT_EQ(newest.dropped, data.size() - good);

  Outcome older = ReadLog(data, false, RecoveryMode::kStrict);
  ASSERT_TRUE(older.status.IsCorruption());
  EXPECT_EQ(older.status.message(), std::string(kName) + ": incomplete batch at offset " +
                                        std::to_string(good) + " (log is not the newest)");
}

TEST_F(WalRecoveryTest, HoleInSyncedPartIsCorruption) {
  Build(ShortLog(), /*synced=*/true);
  std::string data = data_;
  std::fill(data.begin() + static_cast<long>(ends_[1]), data.begin() + static_cast<long>(ends_[2]),
            '\0');
  Outcome strict = ReadLog(data, true, RecoveryMode::kStrict);
  ASSERT_TRUE(strict.status.IsCorruption());
  EXPECT_EQ(OffsetInMessage(strict.status.message()), ends_[1]);
  EXPECT_NE(strict.status.message().find("valid records follow"), std::string::npos);
  EXPECT_NE(strict.status.message().find("a sync mark records " + std::to_string(unsynced_from_) +
                                         " bytes synced"),
            std::string::npos)
      << strict.status.message();
  EXPECT_EQ(strict.batches.size(), 2u);

  Outcome salvage = ReadLog(data, true, RecoveryMode::kPointInTime);
  ASSERT_TRUE(salvage.status.ok());
  ExpectPrefix(batches_, 2, salvage.batches, "salvage");
  EXPECT_FALSE(salvage.torn);
  EXPECT_EQ(salvage.last_good, ends_[1]);
  EXPECT_EQ(salvage.dropped, data.size() - ends_[1]);
  EXPECT_NE(salvage.reason.find("point-in-time"), std::string::npos);
}

// Regression: a power loss wrote back pages of the never-synced part of the newest log out of
// order, leaving a hole followed by valid records; strict recovery refused to start.
TEST_F(WalRecoveryTest, HoleInUnsyncedTailIsDroppedNotCorruption) {
  Build(ShortLog());  // nothing synced
  std::string data = data_;
  std::fill(data.begin() + static_cast<long>(ends_[1]), data.begin() + static_cast<long>(ends_[2]),
            '\0');
  Outcome strict = ReadLog(data, true, RecoveryMode::kStrict);
  ASSERT_TRUE(strict.status.ok()) << strict.status.ToString();
  ExpectPrefix(batches_, 2, strict.batches, "strict");
  EXPECT_TRUE(strict.torn);
  EXPECT_EQ(strict.last_good, ends_[1]);
  EXPECT_EQ(strict.dropped, data.size() - ends_[1]);
  EXPECT_NE(strict.reason.find("dropped unsynced tail"), std::string::npos) << strict.reason;
  EXPECT_NE(strict.reason.find("valid records follow"), std::string::npos) << strict.reason;

  // The same hole in a log that is not the newest: it was synced before the next log existed.
  Outcome older = ReadLog(data, false, RecoveryMode::kStrict);
  EXPECT_TRUE(older.status.IsCorruption());
}

TEST_F(WalRecoveryTest, SyncMarkAfterTheHoleProvesItSynced) {
  // Synced batches, then a hole in batch 1's records: only the sync mark after it (found by
  // the scan past the damage) tells that the hole lies in the synced part.
  Build(ShortLog(), /*synced=*/true);
  std::string data = data_;
  data[ends_[0] + 20] ^= 0x40;
  Outcome o = ReadLog(data, true, RecoveryMode::kStrict);
  ASSERT_TRUE(o.status.IsCorruption());
  EXPECT_EQ(o.synced, unsynced_from_);
}

TEST_F(WalRecoveryTest, PayloadEmbeddingLogBytesDoesNotHideTornTail) {
  // The last batch carries a complete log as an op payload; cutting that batch short must still
  // read as a torn tail: the embedded records are not valid at their new offsets.
  std::string embedded = WriteLog(ShortLog());
  std::vector<Batch> batches = {{1, {"first"}}, {2, {embedded + std::string(100, 'e')}}};
  Build(batches);
  std::string_view cut(data_.data(), data_.size() - 60);
  Outcome newest = ReadLog(cut, true, RecoveryMode::kStrict);
  ASSERT_TRUE(newest.status.ok()) << newest.status.ToString();
  EXPECT_TRUE(newest.torn);
  ExpectPrefix(batches_, 1, newest.batches, "cut");
}

// Appends one physical record as a writer would place it at the end of *log.
void PutRecord(std::string* log, uint8_t type, std::string_view payload) {
  char header[kHeaderSize];
  header[4] = static_cast<char>(payload.size() & 0xff);
  header[5] = static_cast<char>(payload.size() >> 8);
  header[6] = static_cast<char>(type);
  EncodeFixed32(header,
                crc32c::Mask(RecordCrc(log->size(), header + 4, payload.data(), payload.size())));
  log->append(header, kHeaderSize);
  log->append(payload);
}

std::string BatchEnd(uint64_t seq, uint32_t count, uint32_t crc) {
  std::string body;
  PutFixed64(&body, seq);
  PutFixed32(&body, count);
  PutFixed32(&body, crc32c::Mask(crc));
  return body;
}

TEST(WalReader, BatchCountMismatchIsCorruptionEvenAtTail) {
  std::string log;
  PutRecord(&log, kKindOp | kFragmentFull, "a");
  PutRecord(&log, kKindBatchEnd | kFragmentFull, BatchEnd(1, 2, ExtendBatchCrc(0, "a", 1)));
  Outcome o = ReadLog(log, true, RecoveryMode::kStrict);
  ASSERT_TRUE(o.status.IsCorruption());
  EXPECT_EQ(o.status.message(),
            std::string(kName) + ": batch-end record counts 2 ops but 1 precede it at offset 8");
}

TEST(WalReader, BatchChecksumMismatchIsCorruption) {
  std::string log;
  PutRecord(&log, kKindOp | kFragmentFull, "a");
  PutRecord(&log, kKindBatchEnd | kFragmentFull, BatchEnd(1, 1, ExtendBatchCrc(0, "b", 1)));
  Outcome o = ReadLog(log, true, RecoveryMode::kStrict);
  ASSERT_TRUE(o.status.IsCorruption());
  EXPECT_NE(o.status.message().find("batch checksum mismatch at offset 8"), std::string::npos);
}

TEST(WalReader, FragmentWithoutStartIsCorruption) {
  std::string log;
  PutRecord(&log, kKindOp | kFragmentFull, "a");
  PutRecord(&log, kKindBatchEnd | kFragmentFull, BatchEnd(1, 1, ExtendBatchCrc(0, "a", 1)));
  uint64_t good = log.size();
  PutRecord(&log, kKindOp | kFragmentLast, "orphan");
  Outcome o = ReadLog(log, true, RecoveryMode::kStrict);
  ASSERT_TRUE(o.status.IsCorruption());
  EXPECT_EQ(o.batches.size(), 1u);
  EXPECT_EQ(OffsetInMessage(o.status.message()), good);

  Outcome salvage = ReadLog(log, true, RecoveryMode::kPointInTime);
  EXPECT_TRUE(salvage.status.ok());
  EXPECT_EQ(salvage.batches.size(), 1u);
  EXPECT_EQ(salvage.last_good, good);
}

// A WritableFile keeping its bytes in a string.
class StringSink final : public WritableFile {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  Status Append(std::string_view data) override {
    out_->append(data);
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status SyncFlushed() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }

 private:
  std::string* out_;
};

TEST(WalWriter, SyncIsRecordedByASyncMarkWithTheNextRecord) {
  std::string log;
  WalWriter w(std::make_unique<StringSink>(&log), 0);
  w.AddRecord("a");
  w.EndBatch(1);
  ASSERT_TRUE(w.Sync().ok());
  const uint64_t synced = w.Size();
  EXPECT_EQ(ReadLog(log, true, RecoveryMode::kStrict).synced, 0u);  // nothing after the sync yet
  w.AddRecord("b");
  w.EndBatch(2);
  ASSERT_TRUE(w.Flush().ok());
  Outcome o = ReadLog(log, true, RecoveryMode::kStrict);
  ASSERT_TRUE(o.status.ok());
  ASSERT_EQ(o.batches.size(), 2u);
  EXPECT_EQ(o.batches[1].records, std::vector<std::string>{"b"});
  EXPECT_EQ(o.synced, synced);
  EXPECT_EQ(o.batches[1].start_offset, synced + kHeaderSize + kSyncMarkSize);

  // A sync run beside the writer (everysec) is recorded the same way.
  const uint64_t flushed = w.FlushedSize();
  w.AddRecord("c");  // encoded, not flushed: the sync does not cover it
  ASSERT_TRUE(w.SyncFlushed().ok());
  w.RecordSync(flushed, Status::OK());
  w.EndBatch(3);
  ASSERT_TRUE(w.Flush().ok());
  o = ReadLog(log, true, RecoveryMode::kStrict);
  ASSERT_TRUE(o.status.ok());
  ASSERT_EQ(o.batches.size(), 3u);
  EXPECT_EQ(o.batches[2].records, std::vector<std::string>{"c"});  // the mark sits inside it
  EXPECT_EQ(o.synced, flushed);
}

TEST(WalWriter, SyncMarkIsNeverFragmented) {
  for (size_t left = 1; left <= 20; left++) {
    std::string log;
    WalWriter w(std::make_unique<StringSink>(&log), 0);
    // One op filling the block up to `left` bytes (batch-end 23 bytes, op header 7).
    w.AddRecord(std::string(kBlockSize - left - 23 - kHeaderSize, 'x'));
    w.EndBatch(1);
    ASSERT_TRUE(w.Sync().ok());
    ASSERT_EQ(kBlockSize - w.Size(), left);
    const uint64_t synced = w.Size();
    w.AddRecord("y");
    w.EndBatch(2);
    w.AddRecord("z");
    w.EndBatch(3);
    ASSERT_TRUE(w.Flush().ok());
    for (uint64_t start : RecordStarts(log)) {
      const auto type = static_cast<uint8_t>(log[start + 6]);
      if ((type & kKindMask) == kKindSyncMark) {
        EXPECT_EQ(type & kFragmentMask, kFragmentFull) << "left " << left;
      }
    }
    Outcome o = ReadLog(log, true, RecoveryMode::kStrict);
    ASSERT_TRUE(o.status.ok()) << "left " << left << ": " << o.status.ToString();
    EXPECT_EQ(o.batches.size(), 3u) << "left " << left;
    EXPECT_EQ(o.synced, synced) << "left " << left;
  }
}

TEST(WalReader, RecordMovedToAnotherOffsetIsInvalid) {
  std::string log;
  PutRecord(&log, kKindOp | kFragmentFull, "a");
  PutRecord(&log, kKindBatchEnd | kFragmentFull, BatchEnd(1, 1, ExtendBatchCrc(0, "a", 1)));
  std::string shifted = std::string(1, 'S') + log;  // every record one byte later
  Outcome o = ReadLog(shifted, true, RecoveryMode::kStrict);
  EXPECT_TRUE(o.status.ok());
  EXPECT_TRUE(o.torn);
  EXPECT_TRUE(o.batches.empty());
}

}  // namespace
}  // namespace stash::wal
