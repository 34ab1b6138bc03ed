#include "lsm/write_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lsm/memtable.h"

namespace stash {
namespace {

// Renders a batch's ops as "Put(k, v)Delete(k)...", failing on a bad status.
class Printer final : public WriteBatch::Handler {
 public:
  Status Put(std::string_view key, std::string_view value) override {
    out += "Put(" + std::string(key) + ", " + std::string(value) + ")";
    return Status::OK();
  }
  Status Delete(std::string_view key) override {
    out += "Delete(" + std::string(key) + ")";
    return Status::OK();
  }
  std::string out;
};

std::string Print(const WriteBatch& batch) {
  Printer printer;
  Status s = batch.Iterate(&printer);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return printer.out;
}

// The memtable contents as "Put(k, v)@seq Delete(k)@seq ...", in internal-key order.
std::string PrintMemTable(MemTable* mem) {
  std::string out;
  auto iter = mem->NewIterator();
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    ParsedInternalKey key;
    EXPECT_TRUE(ParseInternalKey(iter->key(), &key));
    if (key.type == kTypeValue) {
      out += "Put(" + std::string(key.user_key) + ", " + std::string(iter->value()) + ")";
    } else {
      out += "Delete(" + std::string(key.user_key) + ")";
    }
    out += "@" + std::to_string(key.sequence) + " ";
  }
  return out;
}

TEST(WriteBatch, EmptyBatchIsJustTheHeader) {
  WriteBatch batch;
  EXPECT_EQ(batch.Count(), 0u);
  EXPECT_EQ(batch.Sequence(), 0u);
  EXPECT_EQ(batch.ApproximateSize(), 12u);
  EXPECT_EQ(Print(batch), "");
  EXPECT_TRUE(batch.OpRecords().empty());
}

TEST(WriteBatch, EncodesOpsAsDocumented) {
  WriteBatch batch;
  batch.SetSequence(0x0102);
  batch.Put("k", "vv");
  batch.Delete("d");
  std::vector<std::string_view> records = batch.OpRecords();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0], std::string("\x01\x01k\x02vv", 6));
  EXPECT_EQ(records[1], std::string({'\0', '\x01', 'd'}));
  EXPECT_EQ(batch.ApproximateSize(), 12u + 6 + 3);
  EXPECT_EQ(batch.Sequence(), 0x0102u);
  EXPECT_EQ(batch.Count(), 2u);
}

TEST(WriteBatch, IterateReplaysOpsInOrder) {
  WriteBatch batch;
  batch.Put("foo", "bar");
  batch.Delete("box");
  batch.Put("baz", "boo");
  batch.Put("foo", "");
  EXPECT_EQ(batch.Count(), 4u);
  EXPECT_EQ(Print(batch), "Put(foo, bar)Delete(box)Put(baz, boo)Put(foo, )");
}

TEST(WriteBatch, HandlerErrorStopsIteration) {
  class FailOnDelete final : public WriteBatch::Handler {
   public:
    Status Put(std::string_view, std::string_view) override {
      puts++;
      return Status::OK();
    }
    Status Delete(std::string_view) override { return Status::IOError("stop"); }
    int puts = 0;
  };
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Delete("b");
  batch.Put("c", "3");
  FailOnDelete handler;
  Status s = batch.Iterate(&handler);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_EQ(handler.puts, 1);
}

TEST(WriteBatch, ClearDropsOpsAndSequence) {
  WriteBatch batch;
  batch.SetSequence(77);
  batch.Put("a", "1");
  batch.Clear();
  EXPECT_EQ(batch.Count(), 0u);
  EXPECT_EQ(batch.Sequence(), 0u);
  EXPECT_EQ(batch.ApproximateSize(), 12u);
  EXPECT_EQ(Print(batch), "");
}

TEST(WriteBatch, AppendConcatenatesOpsAndKeepsSequence) {
  WriteBatch a;
  WriteBatch b;
  a.SetSequence(200);
  b.SetSequence(300);
  a.Append(b);
  EXPECT_EQ(Print(a), "");
  b.Put("x", "1");
  a.Append(b);
  EXPECT_EQ(Print(a), "Put(x, 1)");
  b.Clear();
  b.Delete("y");
  b.Put("z", "2");
  a.Append(b);
  EXPECT_EQ(Print(a), "Put(x, 1)Delete(y)Put(z, 2)");
  EXPECT_EQ(a.Count(), 3u);
  EXPECT_EQ(a.Sequence(), 200u);
  a.Append(a);
  EXPECT_EQ(Print(a), "Put(x, 1)Delete(y)Put(z, 2)Put(x, 1)Delete(y)Put(z, 2)");
  EXPECT_EQ(a.Count(), 6u);
}

TEST(WriteBatch, InsertIntoGivesConsecutiveSequences) {
  InternalKeyComparator cmp(BytewiseComparator());
  MemTable* mem = new MemTable(cmp);
  mem->Ref();
  WriteBatch batch;
  batch.SetSequence(100);
  batch.Put("foo", "bar");
  batch.Delete("box");
  batch.Put("baz", "boo");
  batch.Put("foo", "new");
  ASSERT_TRUE(batch.InsertInto(mem).ok());
  EXPECT_EQ(PrintMemTable(mem),
            "Put(baz, boo)@102 Delete(box)@101 Put(foo, new)@103 Put(foo, bar)@100 ");
  EXPECT_EQ(mem->SmallestSequence(), 100u);
  EXPECT_EQ(mem->LargestSequence(), 103u);
  mem->Unref();
}

TEST(WriteBatch, OpRecordsRoundTripThroughFromWalRecords) {
  WriteBatch batch;
  batch.Put("alpha", "1");
  batch.Delete("beta");
  batch.Put(std::string(200, 'k'), std::string(70000, 'v'));  // multi-byte varint lengths
  batch.Put("", "");

  std::vector<std::string> records;
  for (std::string_view r : batch.OpRecords()) records.emplace_back(r);
  std::vector<std::string> via_callback;
  batch.ForEachOpRecord([&](std::string_view r) { via_callback.emplace_back(r); });
  EXPECT_EQ(records, via_callback);

  WriteBatch rebuilt;
  rebuilt.Put("stale", "contents are replaced");
  ASSERT_TRUE(WriteBatch::FromWalRecords(555, records, &rebuilt).ok());
  EXPECT_EQ(rebuilt.Sequence(), 555u);
  EXPECT_EQ(rebuilt.Count(), 4u);
  EXPECT_EQ(Print(rebuilt), Print(batch));
  EXPECT_EQ(rebuilt.ApproximateSize(), batch.ApproximateSize());
}

TEST(WriteBatch, FromWalRecordsRejectsMalformedRecords) {
  const std::string put("\x01\x01k\x01v", 5);
  const std::string del("\x00\x01k", 3);
  std::vector<std::string> bad = {
      "",                                          // empty record
      put.substr(0, 4),                            // value truncated
      put.substr(0, 3),                            // value length missing
      del.substr(0, 2),                            // key truncated
      put + "x",                                   // trailing byte
      put + del,                                   // two ops in one record
      std::string("\x02\x01k", 3),                 // unknown type
      std::string("\x01\xff\xff\xff\xff\xff", 6),  // overlong varint
  };
  for (const std::string& record : bad) {
    WriteBatch out;
    Status s = WriteBatch::FromWalRecords(1, {put, record, del}, &out);
    EXPECT_TRUE(s.IsCorruption()) << testing::PrintToString(record);
    EXPECT_EQ(out.Count(), 0u);
  }
  WriteBatch out;
  EXPECT_TRUE(WriteBatch::FromWalRecords(1, {put, del}, &out).ok());
  EXPECT_EQ(Print(out), "Put(k, v)Delete(k)");
  EXPECT_TRUE(WriteBatch::FromWalRecords(kMaxSequenceNumber, {put, del}, &out).IsCorruption());
  EXPECT_TRUE(WriteBatch::FromWalRecords(kMaxSequenceNumber - 1, {put, del}, &out).ok());
}

}  // namespace
}  // namespace stash
