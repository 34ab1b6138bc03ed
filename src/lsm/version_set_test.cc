#include "lsm/version_set.h"

#include <gtest/gtest.h>

#include "lsm/compaction.h"
#include "lsm/db_testutil.h"
#include "lsm/filename.h"
#include "lsm/table_cache.h"

namespace stash {
namespace {

std::string IKey(std::string_view user_key, SequenceNumber seq, ValueType type = kTypeValue) {
  return std::string(InternalKey(user_key, seq, type).Encode());
}

// A VersionSet over a directory, with what it needs around it.
class VersionSetTest : public ::testing::Test {
 protected:
  VersionSetTest() : icmp_(BytewiseComparator()) {
    options_ = test::TinyOptions();
    EXPECT_TRUE(options_.env->CreateDirIfMissing(dir_.path()).ok());
    table_options_.comparator = &icmp_;
    table_cache_ = std::make_unique<TableCache>(dir_.path(), &table_options_, options_.env, 10);
    Reset();
  }
  ~VersionSetTest() override {
    std::lock_guard<std::mutex> lock(mu_);
    vset_.reset();
  }

  void Reset() {
    std::lock_guard<std::mutex> lock(mu_);
    vset_ = std::make_unique<VersionSet>(dir_.path(), &options_, table_cache_.get(), &icmp_);
  }

  Status Apply(VersionEdit* edit) {
    std::unique_lock<std::mutex> lock(mu_);
    return vset_->LogAndApply(edit, &lock);
  }

  Status Recover() {
    std::lock_guard<std::mutex> lock(mu_);
    return vset_->Recover();
  }

  // Adds file `number` at level covering user keys [lo, hi].
  Status AddFile(int level, uint64_t number, std::string_view lo, std::string_view hi,
                 uint64_t size = 1000) {
    VersionEdit edit;
    {
      std::lock_guard<std::mutex> lock(mu_);
      vset_->MarkFileNumberUsed(number);
    }
    edit.AddFile(level, number, size, IKey(lo, 100), IKey(hi, 90));
    return Apply(&edit);
  }

  test::TempDir dir_{"vset"};
  Options options_;
  InternalKeyComparator icmp_;
  TableOptions table_options_;
  std::unique_ptr<TableCache> table_cache_;
  std::mutex mu_;
  std::unique_ptr<VersionSet> vset_;
};

TEST_F(VersionSetTest, ManifestRecoveryRestoresFilesAndCounters) {
  ASSERT_TRUE(AddFile(0, 10, "a", "m").ok());
  ASSERT_TRUE(AddFile(0, 11, "c", "z").ok());
  ASSERT_TRUE(AddFile(2, 12, "a", "f").ok());
  ASSERT_TRUE(AddFile(2, 13, "g", "k").ok());
  VersionEdit edit;
  edit.RemoveFile(0, 10);
  edit.log_number = 14;
  {
    std::lock_guard<std::mutex> lock(mu_);
    vset_->MarkFileNumberUsed(20);
    vset_->SetLastSequence(777);
  }
  ASSERT_TRUE(Apply(&edit).ok());
  std::string before;
  uint64_t next_file;
  {
    std::lock_guard<std::mutex> lock(mu_);
    before = vset_->current()->DebugString();
    next_file = vset_->NextFileNumber();
  }

  Reset();
  Status s = Recover();
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(vset_->current()->DebugString(), before);
  EXPECT_EQ(vset_->LastSequence(), 777u);
  EXPECT_EQ(vset_->LogNumber(), 14u);
  EXPECT_GE(vset_->NextFileNumber(), next_file);
  EXPECT_EQ(vset_->current()->NumFiles(0), 1);
  EXPECT_EQ(vset_->current()->NumFiles(2), 2);
}

TEST_F(VersionSetTest, RecoveryThenMoreEditsStartsANewManifest) {
  ASSERT_TRUE(AddFile(1, 10, "a", "b").ok());
  uint64_t first_manifest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    first_manifest = vset_->ManifestFileNumber();
  }
  Reset();
  ASSERT_TRUE(Recover().ok());
  ASSERT_TRUE(AddFile(1, 30, "c", "d").ok());
  {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_NE(vset_->ManifestFileNumber(), first_manifest);
  }
  Reset();
  ASSERT_TRUE(Recover().ok());
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(vset_->current()->NumFiles(1), 2);
}

TEST_F(VersionSetTest, CorruptManifestRefusesToOpenNamingTheFile) {
  for (int i = 0; i < 20; i++) {
    ASSERT_TRUE(AddFile(1, 10 + i, std::string(1, static_cast<char>('a' + i)),
                        std::string(1, static_cast<char>('a' + i)))
                    .ok());
  }
  std::string manifest_name;
  ASSERT_TRUE(ReadCurrentFile(options_.env, dir_.path(), &manifest_name).ok());
  const std::string path = JoinPath(dir_.path(), manifest_name);
  std::string contents;
  ASSERT_TRUE(ReadFileToString(options_.env, path, &contents).ok());
  contents[contents.size() / 3] ^= 0x40;  // inside an early edit; valid edits follow
  ASSERT_TRUE(WriteStringToFile(options_.env, contents, path, true).ok());

  Reset();
  Status s = Recover();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(manifest_name), std::string::npos) << s.ToString();
}

TEST_F(VersionSetTest, CurrentNamingAMissingManifestIsCorruption) {
  ASSERT_TRUE(AddFile(1, 10, "a", "b").ok());
  std::string manifest_name;
  ASSERT_TRUE(ReadCurrentFile(options_.env, dir_.path(), &manifest_name).ok());
  ASSERT_TRUE(options_.env->RemoveFile(JoinPath(dir_.path(), manifest_name)).ok());
  Reset();
  Status s = Recover();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(manifest_name), std::string::npos) << s.ToString();
}

TEST_F(VersionSetTest, OverlappingFilesInALevelAreRejected) {
  ASSERT_TRUE(AddFile(1, 10, "a", "m").ok());
  Status s = AddFile(1, 11, "m", "z");  // shares user key "m" with #10
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(VersionSetTest, L0CompactionTakesEveryOverlappingFile) {
  ASSERT_TRUE(AddFile(0, 10, "a", "c").ok());
  ASSERT_TRUE(AddFile(0, 11, "b", "e").ok());
  ASSERT_TRUE(AddFile(0, 12, "x", "z").ok());
  ASSERT_TRUE(AddFile(0, 13, "d", "f").ok());
  ASSERT_TRUE(AddFile(1, 14, "a", "b").ok());
  ASSERT_TRUE(AddFile(1, 15, "y", "z").ok());
  ASSERT_TRUE(AddFile(3, 16, "c", "c").ok());
  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_TRUE(vset_->NeedsCompaction());  // 4 L0 files = trigger
  std::unique_ptr<Compaction> c = vset_->PickCompaction();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->level(), 0);
  // #10 overlaps #11, which overlaps #13: all three, but not the disjoint #12.
  std::vector<uint64_t> l0;
  for (const auto& f : c->inputs(0)) l0.push_back(f->number);
  EXPECT_EQ(l0, (std::vector<uint64_t>{10, 11, 13}));
  ASSERT_EQ(c->num_input_files(1), 1);
  EXPECT_EQ(c->inputs(1)[0]->number, 14u);
  EXPECT_FALSE(c->IsTrivialMove());
  // Key "c" has a file at L3, below the output level: its deletions must stay.
  EXPECT_TRUE(c->IsBaseLevelForKey("a"));
  EXPECT_FALSE(c->IsBaseLevelForKey("c"));
  EXPECT_TRUE(c->IsBaseLevelForKey("d"));
  c.reset();
}

TEST_F(VersionSetTest, SizeCompactionRoundRobinsThroughALevel) {
  // L1 over its 64 KiB target: three 40 KiB files.
  ASSERT_TRUE(AddFile(1, 10, "a", "b", 40 << 10).ok());
  ASSERT_TRUE(AddFile(1, 11, "c", "d", 40 << 10).ok());
  ASSERT_TRUE(AddFile(1, 12, "e", "f", 40 << 10).ok());
  std::vector<uint64_t> picked;
  for (int i = 0; i < 4; i++) {
    std::unique_lock<std::mutex> lock(mu_);
    std::unique_ptr<Compaction> c = vset_->PickCompaction();
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(c->level(), 1);
    ASSERT_EQ(c->num_input_files(0), 1);
    picked.push_back(c->inputs(0)[0]->number);
    EXPECT_TRUE(c->IsTrivialMove());
    c.reset();
  }
  EXPECT_EQ(picked, (std::vector<uint64_t>{10, 11, 12, 10}));
}

}  // namespace
}  // namespace stash
