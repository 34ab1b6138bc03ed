#include "util/fault_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

namespace stash {
namespace {

class FaultEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("stash_fault_env_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    ASSERT_TRUE(env_.CreateDirIfMissing(dir_).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return JoinPath(dir_, name); }

  std::string Contents(const std::string& name) {
    std::string data;
    Status s = ReadFileToString(Env::Default(), Path(name), &data);
    return s.ok() ? data : "<" + s.ToString() + ">";
  }
  bool Exists(const std::string& name) { return Env::Default()->FileExists(Path(name)); }

  std::unique_ptr<WritableFile> Create(const std::string& name) {
    std::unique_ptr<WritableFile> f;
    EXPECT_TRUE(env_.NewWritableFile(Path(name), &f).ok());
    return f;
  }

  // Writes a file directly through the real env: it counts as durable for the fault env.
  void WriteDurable(const std::string& name, const std::string& data) {
    ASSERT_TRUE(WriteStringToFile(Env::Default(), data, Path(name), true).ok());
  }

  FaultInjectionEnv env_;
  std::string dir_;
};

TEST_F(FaultEnvTest, SyncedDataSurvivesCrash) {
  auto f = Create("a");
  ASSERT_TRUE(f->Append("hello").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(f->Append(" world").ok());
  EXPECT_EQ(Contents("a"), "hello world");  // writes reach the real file at once
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Contents("a"), "hello");
}

TEST_F(FaultEnvTest, UnsyncedAppendIsLost) {
  auto f = Create("a");
  ASSERT_TRUE(env_.SyncDir(dir_ + "/").ok());  // trailing slash names the same directory
  ASSERT_TRUE(f->Append("gone").ok());
  ASSERT_TRUE(f->Flush().ok());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_TRUE(Exists("a"));
  EXPECT_EQ(Contents("a"), "");
}

TEST_F(FaultEnvTest, FileCreatedWithoutDirSyncVanishes) {
  auto f = Create("a");
  ASSERT_TRUE(f->Append("synced data").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_FALSE(Exists("a"));
}

TEST_F(FaultEnvTest, RenameWithoutDirSyncIsUndone) {
  WriteDurable("CURRENT", "old");
  auto f = Create("CURRENT.tmp");
  ASSERT_TRUE(f->Append("new").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(env_.RenameFile(Path("CURRENT.tmp"), Path("CURRENT")).ok());
  EXPECT_EQ(Contents("CURRENT"), "new");
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Contents("CURRENT"), "old");
  EXPECT_EQ(Contents("CURRENT.tmp"), "new");
}

TEST_F(FaultEnvTest, RenameFollowedByDirSyncSurvives) {
  WriteDurable("CURRENT", "old");
  auto f = Create("CURRENT.tmp");
  ASSERT_TRUE(f->Append("new").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(env_.RenameFile(Path("CURRENT.tmp"), Path("CURRENT")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(f->Append(" unsynced").ok());  // the renamed file is still tracked
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Contents("CURRENT"), "new");
  EXPECT_FALSE(Exists("CURRENT.tmp"));
}

TEST_F(FaultEnvTest, RemoveWithoutDirSyncIsUndone) {
  WriteDurable("old.log", "durable");
  WriteDurable("older.log", "durable too");
  ASSERT_TRUE(env_.RemoveFile(Path("older.log")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(env_.RemoveFile(Path("old.log")).ok());
  EXPECT_FALSE(Exists("old.log"));
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Contents("old.log"), "durable");
  EXPECT_FALSE(Exists("older.log"));
}

TEST_F(FaultEnvTest, RemovedFileComesBackWithOnlyItsSyncedBytes) {
  auto f = Create("a");
  ASSERT_TRUE(f->Append("kept").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Append("lost").ok());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(env_.RemoveFile(Path("a")).ok());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Contents("a"), "kept");
}

TEST_F(FaultEnvTest, AppendableFileStartsSyncedAtExistingSize) {
  WriteDurable("a", "abc");
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env_.NewAppendableFile(Path("a"), &f).ok());
  ASSERT_TRUE(f->Append("def").ok());
  EXPECT_EQ(Contents("a"), "abcdef");
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Contents("a"), "abc");

  // Reopened after a sync: the synced length carries over; a new file needs its dir synced.
  ASSERT_TRUE(env_.NewAppendableFile(Path("a"), &f).ok());
  ASSERT_TRUE(f->Append("123").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(env_.NewAppendableFile(Path("a"), &f).ok());
  ASSERT_TRUE(f->Append("456").ok());
  std::unique_ptr<WritableFile> g;
  ASSERT_TRUE(env_.NewAppendableFile(Path("b"), &g).ok());
  ASSERT_TRUE(g->Append("x").ok());
  ASSERT_TRUE(g->Sync().ok());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Contents("a"), "abc123");
  EXPECT_FALSE(Exists("b"));
}

TEST_F(FaultEnvTest, NoSpaceAfterBytesLetsPartialWriteLand) {
  auto f = Create("a");
  env_.FailWritesAfterBytes(10, Status::NoSpace("disk full"));
  ASSERT_TRUE(f->Append("123456").ok());
  ASSERT_TRUE(f->Flush().ok());
  EXPECT_TRUE(f->Append("abcdefgh").IsNoSpace());
  EXPECT_EQ(Contents("a"), "123456abcd");
  EXPECT_TRUE(f->Append("z").IsNoSpace());
  EXPECT_TRUE(f->Flush().IsNoSpace());
  EXPECT_EQ(Contents("a"), "123456abcd");
  env_.ClearErrors();
  ASSERT_TRUE(f->Append("!").ok());
  EXPECT_EQ(Contents("a"), "123456abcd!");
}

TEST_F(FaultEnvTest, WriteErrorFailsAppendAndFlushWithoutWriting) {
  auto f = Create("a");
  env_.SetWriteError(Status::IOError("injected"));
  EXPECT_TRUE(f->Append("x").IsIOError());
  EXPECT_TRUE(f->Flush().IsIOError());
  EXPECT_EQ(Contents("a"), "");
  env_.ClearErrors();
  EXPECT_TRUE(f->Append("y").ok());
  EXPECT_EQ(Contents("a"), "y");
}

TEST_F(FaultEnvTest, SyncErrorMakesNothingDurable) {
  auto f = Create("a");
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(f->Append("data").ok());
  env_.SetSyncError(Status::IOError("fsync failed"));
  EXPECT_TRUE(f->Sync().IsIOError());
  auto g = Create("b");
  EXPECT_TRUE(env_.SyncDir(dir_).IsIOError());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Contents("a"), "");
  EXPECT_FALSE(Exists("b"));
}

TEST_F(FaultEnvTest, CrashAfterOpsRefusesEveryLaterMutation) {
  WriteDurable("old", "x");
  uint64_t before = env_.MutatingOps();
  env_.CrashAfterOps(4);
  auto f = Create("a");                   // 1
  ASSERT_TRUE(f->Append("synced").ok());  // 2
  ASSERT_TRUE(f->Sync().ok());            // 3
  ASSERT_TRUE(env_.SyncDir(dir_).ok());   // 4
  EXPECT_FALSE(env_.Crashed());
  Status s = f->Append("refused");
  EXPECT_TRUE(s.IsIOError());
  EXPECT_EQ(s.message(), "simulated crash");
  EXPECT_TRUE(env_.Crashed());
  EXPECT_TRUE(f->Sync().IsIOError());
  EXPECT_TRUE(env_.RemoveFile(Path("old")).IsIOError());
  EXPECT_TRUE(env_.RenameFile(Path("old"), Path("new")).IsIOError());
  std::unique_ptr<WritableFile> g;
  EXPECT_TRUE(env_.NewWritableFile(Path("b"), &g).IsIOError());
  EXPECT_EQ(env_.MutatingOps() - before, 4u);
  EXPECT_EQ(Contents("a"), "synced");
  EXPECT_TRUE(Exists("old"));
  EXPECT_FALSE(Exists("b"));

  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_FALSE(env_.Crashed());
  EXPECT_EQ(Contents("a"), "synced");
  ASSERT_TRUE(env_.RemoveFile(Path("old")).ok());  // behaves normally again
}

TEST_F(FaultEnvTest, FilesOpenedBeforeCrashAreDead) {
  auto f = Create("a");
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_TRUE(f->Append("zombie").IsIOError());
  EXPECT_TRUE(f->Close().ok());
  EXPECT_EQ(Contents("a"), "");

  auto g = Create("b");  // tracked afresh
  ASSERT_TRUE(g->Append("fresh").ok());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_FALSE(Exists("b"));
}

TEST_F(FaultEnvTest, ResetStateForgetsTracking) {
  auto f = Create("a");
  ASSERT_TRUE(f->Append("unsynced").ok());
  env_.ResetState();
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Contents("a"), "unsynced");
}

TEST_F(FaultEnvTest, TruncateIsLostUnlessSynced) {
  auto f = Create("a");
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(f->Append("0123456789").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(env_.TruncateFile(Path("a"), 4).ok());
  EXPECT_EQ(Contents("a"), "0123");
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Contents("a"), "0123456789");  // ftruncate without fsync: the cut did not stick

  ASSERT_TRUE(env_.TruncateFile(Path("a"), 6).ok());
  ASSERT_TRUE(env_.TruncateFile(Path("a"), 2).ok());  // two cuts, the second one deeper
  std::unique_ptr<WritableFile> g;
  ASSERT_TRUE(env_.NewAppendableFile(Path("a"), &g).ok());
  ASSERT_TRUE(g->Append("xy").ok());  // written after the cut: lost along with it
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Contents("a"), "0123456789");

  ASSERT_TRUE(TruncateFileDurably(&env_, Path("a"), 4).ok());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Contents("a"), "0123");
}

TEST_F(FaultEnvTest, UnsyncedPagesReachTheDiskInAnyOrder) {
  auto f = Create("a");
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(f->Append(std::string(5000, 's')).ok());
  ASSERT_TRUE(f->Sync().ok());
  // Unsynced, in 4 KiB pages: [5000, 8192) of page 1, pages 2 and 3, 100 bytes of page 4.
  ASSERT_TRUE(f->Append(std::string(3192, '1') + std::string(4096, '2') + std::string(4096, '3') +
                        std::string(100, '4'))
                  .ok());
  env_.SetUnsyncedPageFate([](const std::string&, uint64_t page) {
    using Fate = FaultInjectionEnv::PageFate;
    return page == 4096 ? Fate::kLost : page == 8192 ? Fate::kGarbage : Fate::kKept;
  });
  ASSERT_TRUE(env_.SimulateCrash().ok());
  std::string c = Contents("a");
  ASSERT_EQ(c.size(), 5000u + 3192 + 4096 + 4096 + 100);
  EXPECT_EQ(c.substr(0, 5000), std::string(5000, 's'));      // synced
  EXPECT_EQ(c.substr(5000, 3192), std::string(3192, '\0'));  // lost: a hole
  EXPECT_NE(c.substr(8192, 4096), std::string(4096, '2'));   // junk
  EXPECT_EQ(c.substr(12288, 4096), std::string(4096, '3'));  // kept, after the hole
  EXPECT_EQ(c.substr(16384), std::string(100, '4'));

  // Only lost pages after the last kept one: the file ends there.
  auto g = Create("b");
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(g->Append(std::string(3 * 4096, 'b')).ok());
  env_.SetUnsyncedPageFate([](const std::string&, uint64_t page) {
    return page == 0 ? FaultInjectionEnv::PageFate::kKept : FaultInjectionEnv::PageFate::kLost;
  });
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Contents("b"), std::string(4096, 'b'));
  env_.SetUnsyncedPageFate(nullptr);
}

TEST_F(FaultEnvTest, SyncHookRunsWithoutTheEnvLock) {
  auto f = Create("a");
  auto g = Create("b");
  std::string seen;
  env_.SetSyncHook([&](const std::string& path) {
    seen = path;
    EXPECT_TRUE(g->Append("x").ok());  // the env is not locked: this would deadlock
  });
  ASSERT_TRUE(f->SyncFlushed().ok());
  EXPECT_EQ(seen, Path("a"));
  env_.SetSyncHook(nullptr);
}

TEST_F(FaultEnvTest, ConcurrentWritersAreSafe) {
  constexpr int kThreads = 4;
  constexpr int kAppends = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([this, t] {
      auto f = Create("f" + std::to_string(t));
      for (int i = 0; i < kAppends; i++) {
        EXPECT_TRUE(f->Append("0123456789").ok());
        if (i == kAppends / 2) {
          EXPECT_TRUE(f->Sync().ok());
          EXPECT_TRUE(env_.SyncDir(dir_).ok());
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(env_.SimulateCrash().ok());
  for (int t = 0; t < kThreads; t++) {
    // A thread's file exists if some SyncDir ran after its creation (at the latest its own).
    EXPECT_EQ(Contents("f" + std::to_string(t)).size(), 10u * (kAppends / 2 + 1));
  }
}

TEST_F(FaultEnvTest, ReadErrorFailsReadsOfMatchingFilesOpenOrNew) {
  WriteDurable("a.sst", "alpha");
  WriteDurable("b.log", "bravo");
  std::unique_ptr<RandomAccessFile> a;
  ASSERT_TRUE(env_.NewRandomAccessFile(Path("a.sst"), &a).ok());
  char scratch[8];
  std::string_view got;
  env_.SetReadError(Status::IOError("injected read"), ".sst");
  EXPECT_TRUE(a->Read(0, 5, &got, scratch).IsIOError());  // opened before the injection
  std::unique_ptr<RandomAccessFile> again;
  EXPECT_TRUE(env_.NewRandomAccessFile(Path("a.sst"), &again).IsIOError());
  std::unique_ptr<RandomAccessFile> b;
  ASSERT_TRUE(env_.NewRandomAccessFile(Path("b.log"), &b).ok());  // another path part
  ASSERT_TRUE(b->Read(0, 5, &got, scratch).ok());
  EXPECT_EQ(got, "bravo");
  env_.SetReadError(Status::OK());
  ASSERT_TRUE(a->Read(0, 5, &got, scratch).ok());
  EXPECT_EQ(got, "alpha");
  env_.SetReadError(Status::IOError("x"));
  env_.ClearErrors();
  EXPECT_TRUE(a->Read(0, 5, &got, scratch).ok());
}

}  // namespace
}  // namespace stash
