// Tests of WatchRegistry (watch.h) on a real Store: which changes mark a watcher dirty, the
// rules for keys already expired when WATCHed (Redis 7.0 multi.c: touchWatchedKey,
// touchAllWatchedKeysInDb, isWatchedKeyExpired), and the pruning of watchers that are gone.
// Then WATCH and EXEC through the real Writer (writer.h): order within one group, replies, and
// a failed WAL write.
#include "cmd/watch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cmd/command_table.h"
#include "cmd/stats.h"
#include "cmd/writer.h"
#include "cmd/writer_testutil.h"
#include "lsm/db_testutil.h"
#include "lsm/write_batch.h"
#include "store/expire_cycle.h"
#include "store/store.h"
#include "store/txn.h"
#include "util/fault_env.h"

namespace stash {
namespace {

using store::Record;
using store::Txn;

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// An expiry time long past by the wall clock (DbChanging reads it), and the time of commands.
constexpr int64_t kPast = 1000;
const int64_t kNow = WallMs();

class WatchTest : public testing::Test {
 protected:
  WatchTest() : dir_("watch") {
    Status s = store::Store::Open(test::TinyOptions(), dir_.path(), 4, &store_);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  // Runs fn as one committed command, its Txn reporting to the registry (as on the writer).
  template <typename Fn>
  void Command(Fn&& fn) {
    Txn txn(*store_, &watches_);
    WriteBatch batch;
    txn.BeginCommand(&batch);
    fn(txn);
    txn.EndCommand();
    ASSERT_TRUE(store_->Commit(txn, &batch).ok());
  }

  void Set(int db, const std::string& key, int64_t expire_at = 0) {
    Record r;
    r.payload = "v";
    r.expire_at_ms = expire_at;
    Command([&](Txn& t) { EXPECT_TRUE(t.Put(db, key, r).ok()); });
  }
  bool Del(int db, const std::string& key, int64_t now = kNow) {
    bool live = false;
    Command([&](Txn& t) { EXPECT_FALSE(store::ReadFailed(t.Delete(db, key, now, &live))); });
    return live;
  }

  std::shared_ptr<WatchState> Watching(int db, const std::string& key, int64_t now = kNow) {
    auto state = std::make_shared<WatchState>();
    Watch(state, db, key, now);
    return state;
  }
  void Watch(const std::shared_ptr<WatchState>& state, int db, const std::string& key,
             int64_t now = kNow) {
    Command([&](Txn& t) { watches_.Watch(state, db, key, t, now); });
  }
  bool ExpiredSinceWatch(const WatchState& state, int64_t now = kNow) {
    Txn txn(*store_, &watches_);
    return watches_.ExpiredSinceWatch(state, txn, now);
  }
  static bool Dirty(const std::shared_ptr<WatchState>& s) { return s->dirty.load(); }

  test::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  WatchRegistry watches_;
};

TEST_F(WatchTest, PutAndDeleteMarkOnlyWatchersOfThatDbAndKey) {
  Set(0, "k");
  auto k0 = Watching(0, "k");
  auto k1 = Watching(1, "k");
  auto j0 = Watching(0, "j");
  auto k0_again = Watching(0, "k");
  Set(0, "k");
  EXPECT_TRUE(Dirty(k0));
  EXPECT_TRUE(Dirty(k0_again));
  EXPECT_FALSE(Dirty(k1));
  EXPECT_FALSE(Dirty(j0));
  EXPECT_FALSE(Del(0, "j"));  // deleting a missing key changes nothing
  EXPECT_FALSE(Dirty(j0));
  EXPECT_FALSE(Del(1, "k"));
  EXPECT_FALSE(Dirty(k1));
  Set(1, "k");
  EXPECT_TRUE(Dirty(k1));
  EXPECT_FALSE(Dirty(j0));
}

TEST_F(WatchTest, ChangesBeforeWatchDoNotCount) {
  Set(0, "k");
  Del(0, "k");
  Set(0, "k");
  auto s = Watching(0, "k");
  EXPECT_FALSE(Dirty(s));
  EXPECT_FALSE(ExpiredSinceWatch(*s));
  EXPECT_TRUE(Del(0, "k"));
  EXPECT_TRUE(Dirty(s));
}

TEST_F(WatchTest, WatchingAKeyTwiceKeepsOneEntry) {
  auto s = Watching(0, "k");
  Watch(s, 0, "k");
  Watch(s, 1, "k");
  Watch(s, 0, "j");
  ASSERT_EQ(s->keys.size(), 3u);
  EXPECT_EQ(watches_.watched_keys(), 3u);
  Set(0, "j");
  EXPECT_TRUE(Dirty(s));
}

TEST_F(WatchTest, WatchSeesTheGroupsEarlierWrites) {
  auto s = std::make_shared<WatchState>();
  Record r;
  r.payload = "v";
  r.expire_at_ms = kPast;
  // One group: another client's write of an already expired value, then this WATCH.
  Command([&](Txn& t) {
    EXPECT_TRUE(t.Put(0, "k", r).ok());
    watches_.Watch(s, 0, "k", t, kNow);
  });
  EXPECT_FALSE(Dirty(s));
  ASSERT_EQ(s->keys.size(), 1u);
  EXPECT_TRUE(s->keys[0].expired_at_watch);
}

// --- expiry ---

TEST_F(WatchTest, KeyLiveAtWatchThatExpiresCountsAsChanged) {
  Set(0, "k", kNow + 100);
  auto s = Watching(0, "k");
  EXPECT_FALSE(s->keys[0].expired_at_watch);
  EXPECT_FALSE(ExpiredSinceWatch(*s, kNow + 99));
  EXPECT_TRUE(ExpiredSinceWatch(*s, kNow + 100));  // expired, not yet reclaimed
  EXPECT_FALSE(Dirty(s));
  EXPECT_FALSE(Del(0, "k", kNow + 100));  // reclaimed
  EXPECT_TRUE(Dirty(s));
  EXPECT_FALSE(ExpiredSinceWatch(*s, kNow + 100));  // gone; the dirty flag tells
}

TEST_F(WatchTest, ReclaimingAKeyExpiredAtWatchIsNoChange) {
  Set(0, "k", kPast);
  auto s = Watching(0, "k");
  ASSERT_TRUE(s->keys[0].expired_at_watch);
  EXPECT_FALSE(ExpiredSinceWatch(*s));
  EXPECT_FALSE(Del(0, "k"));
  EXPECT_FALSE(Dirty(s));
  EXPECT_FALSE(s->keys[0].expired_at_watch);  // gone now: a new key would be a change
  Set(0, "k", kPast);
  EXPECT_TRUE(Dirty(s));
}

TEST_F(WatchTest, WritingAKeyExpiredAtWatchIsAChange) {
  Set(0, "k", kPast);
  auto s = Watching(0, "k");
  Set(0, "k");
  EXPECT_TRUE(Dirty(s));
}

TEST_F(WatchTest, ExpireCycleReclaimFollowsTheSameRule) {
  Set(0, "live", kNow + 50);
  Set(0, "dead", kPast);
  auto live = Watching(0, "live");
  auto dead = Watching(0, "dead");
  store::ExpireCycleResult r = store::ExpireCycle(*store_, kNow + 50, 100, &watches_);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.reclaimed, 2u);
  EXPECT_TRUE(Dirty(live));
  EXPECT_FALSE(Dirty(dead));
  EXPECT_FALSE(ExpiredSinceWatch(*dead, kNow + 50));
}

// --- FLUSHDB / FLUSHALL / SWAPDB (DbChanging) ---

TEST_F(WatchTest, FlushDbChangesWatchedKeysThatExist) {
  Set(0, "k");
  Set(1, "j");
  auto k = Watching(0, "k");
  auto missing = Watching(0, "missing");
  auto j_in_0 = Watching(0, "j");  // j exists only in db 1
  auto k_in_1 = Watching(1, "k");
  Command([](Txn& t) { t.FlushDb(0); });
  EXPECT_TRUE(Dirty(k));
  EXPECT_FALSE(Dirty(missing));
  EXPECT_FALSE(Dirty(j_in_0));
  EXPECT_FALSE(Dirty(k_in_1));
  Command([](Txn& t) {
    for (int db = 0; db < t.databases(); db++) t.FlushDb(db);  // FLUSHALL
  });
  EXPECT_FALSE(Dirty(j_in_0));
  EXPECT_FALSE(Dirty(k_in_1));
  EXPECT_FALSE(Dirty(missing));
}

TEST_F(WatchTest, FlushDbCountsAKeyExpiredSinceWatch) {
  Set(0, "k", kNow + 10);
  auto s = Watching(0, "k");
  ASSERT_FALSE(s->keys[0].expired_at_watch);
  Command([](Txn& t) { t.FlushDb(0); });  // present (expired by now or not): a change
  EXPECT_TRUE(Dirty(s));
}

TEST_F(WatchTest, FlushDbOfAKeyExpiredAtWatchIsNoChange) {
  Set(0, "k", kPast);
  auto s = Watching(0, "k");
  Command([](Txn& t) { t.FlushDb(0); });
  EXPECT_FALSE(Dirty(s));
  EXPECT_FALSE(s->keys[0].expired_at_watch);
  Set(0, "k");
  EXPECT_TRUE(Dirty(s));
}

TEST_F(WatchTest, SwapDbChangesKeysPresentInEitherDb) {
  Set(0, "only0");
  Set(1, "only1");
  Set(0, "both");
  Set(1, "both");
  auto only0 = Watching(0, "only0");
  auto only1_from_0 = Watching(0, "only1");
  auto both = Watching(0, "both");
  auto neither = Watching(0, "neither");
  auto in_1 = Watching(1, "only0");
  auto in_2 = Watching(2, "only0");
  Command([](Txn& t) { t.SwapDb(0, 1); });
  EXPECT_TRUE(Dirty(only0));
  EXPECT_TRUE(Dirty(only1_from_0));
  EXPECT_TRUE(Dirty(both));
  EXPECT_FALSE(Dirty(neither));
  EXPECT_TRUE(Dirty(in_1));  // db 1 receives only0
  EXPECT_FALSE(Dirty(in_2));
}

TEST_F(WatchTest, SwapDbInvolvingKeysExpiredAtWatch) {
  // Watched key expired at WATCH; the other db has nothing: it just disappears.
  Set(0, "a", kPast);
  // Watched key expired at WATCH; the other db has another expired one: still invisible.
  Set(0, "b", kPast);
  Set(1, "b", kPast);
  // Watched key expired at WATCH; the other db has a live one: it appears.
  Set(0, "c", kPast);
  Set(1, "c");
  // Watched key missing; the other db has an expired one: still nothing to see.
  Set(1, "d", kPast);
  auto a = Watching(0, "a");
  auto b = Watching(0, "b");
  auto c = Watching(0, "c");
  auto d = Watching(0, "d");
  Command([](Txn& t) { t.SwapDb(0, 1); });
  EXPECT_FALSE(Dirty(a));
  EXPECT_FALSE(Dirty(b));
  EXPECT_TRUE(Dirty(c));
  EXPECT_FALSE(Dirty(d));
  EXPECT_FALSE(a->keys[0].expired_at_watch);
  EXPECT_TRUE(b->keys[0].expired_at_watch);
  EXPECT_TRUE(d->keys[0].expired_at_watch);  // an expired d now sits in db 0
  EXPECT_FALSE(ExpiredSinceWatch(*d));
  EXPECT_FALSE(ExpiredSinceWatch(*b));
}

// --- bookkeeping ---

TEST_F(WatchTest, GoneWatchersAreIgnoredAndPruned) {
  std::vector<std::shared_ptr<WatchState>> states;
  for (int i = 0; i < 10; i++) states.push_back(Watching(0, "gone" + std::to_string(i)));
  auto kept = states[3];
  states.clear();  // the connections unwatched or closed
  EXPECT_EQ(watches_.watched_keys(), 10u);
  Set(0, "gone1");  // no watcher to mark, nothing breaks
  Command([](Txn& t) { t.FlushDb(0); });
  auto big = std::make_shared<WatchState>();
  // The 4096th watch since the last prune drops the nine dead entries.
  Command([&](Txn& t) {
    for (int i = 0; i < 4096 - 10 - 1; i++)
      watches_.Watch(big, 1, "k" + std::to_string(i), t, kNow);
  });
  EXPECT_EQ(watches_.watched_keys(), 10u + 4085u);
  Watch(big, 1, "last");
  EXPECT_EQ(watches_.watched_keys(), 1u + 4086u);
  Set(0, "gone3");
  EXPECT_TRUE(Dirty(kept));
  Set(1, "k4000");
  EXPECT_TRUE(Dirty(big));
}

// --- through the Writer ---

class WriterExecTest : public WriterTest {
 protected:
  WriterExecTest() : WriterTest("writer_exec") {}
  std::string Get(const std::string& key) {
    store::Record r;
    Status s = store_->Get(0, key, WallMs(), &r);
    return s.ok() ? r.payload : s.ToString();
  }
};

TEST_F(WriterExecTest, ExecRepliesOneArrayOfItsCommands) {
  writer_->Start();
  EXPECT_EQ(Run({{"set", "a", "1"}, {"incr", "a"}, {"incrby", "a", "x"}, {"incr", "a"}}, true),
            "*4\r\n+OK\r\n:2\r\n-ERR value is not an integer or out of range\r\n:3\r\n");
  EXPECT_EQ(Run({}, true), "*0\r\n");
  EXPECT_EQ(Get("a"), "3");
}

TEST_F(WriterExecTest, DirtyWatchRepliesNullAndRunsNothing) {
  writer_->Start();
  auto s = std::make_shared<WatchState>();
  EXPECT_EQ(Run({{"watch", "k", "j"}}, false, s), "+OK\r\n");
  EXPECT_EQ(Run({{"set", "k", "other"}}), "+OK\r\n");
  EXPECT_EQ(Run({{"set", "k", "mine"}, {"set", "n", "1"}}, true, s), "*-1\r\n");
  EXPECT_EQ(Get("k"), "other");
  EXPECT_TRUE(Get("n").starts_with("NotFound"));
  auto s3 = std::make_shared<WatchState>();
  EXPECT_EQ(Run({{"watch", "k"}}, false, s3, 3), "+OK\r\n");
  EXPECT_EQ(Run({{"del", "k"}}), ":1\r\n");
  EXPECT_EQ(Run({{"set", "k", "mine"}}, true, s3, 3), "_\r\n");
}

TEST_F(WriterExecTest, WriteBeforeExecInOneGroupAborts) {
  auto s = std::make_shared<WatchState>();
  // Queued before the writer starts: one group, run in this order.
  auto watch = Submit({{"watch", "k"}}, false, s);
  auto other = Submit({{"set", "k", "other"}});
  auto exec = Submit({{"set", "k", "mine"}}, true, s);
  writer_->Start();
  EXPECT_EQ(watch.get(), "+OK\r\n");
  EXPECT_EQ(other.get(), "+OK\r\n");
  EXPECT_EQ(exec.get(), "*-1\r\n");
  EXPECT_EQ(Get("k"), "other");
}

TEST_F(WriterExecTest, WriteAfterExecInOneGroupDoesNotAbort) {
  auto s = std::make_shared<WatchState>();
  auto watch = Submit({{"watch", "k"}}, false, s);
  auto exec = Submit({{"set", "k", "mine"}, {"append", "k", "+"}}, true, s);
  auto other = Submit({{"append", "k", "other"}});
  writer_->Start();
  EXPECT_EQ(watch.get(), "+OK\r\n");
  EXPECT_EQ(exec.get(), "*2\r\n+OK\r\n:5\r\n");
  EXPECT_EQ(other.get(), ":10\r\n");
  EXPECT_EQ(Get("k"), "mine+other");
}

TEST_F(WriterExecTest, KeyExpiredSinceWatchAborts) {
  writer_->Start();
  auto s = std::make_shared<WatchState>();
  EXPECT_EQ(Run({{"set", "k", "v", "px", "30"}}), "+OK\r\n");
  EXPECT_EQ(Run({{"watch", "k"}}, false, s), "+OK\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(Run({{"set", "n", "1"}}, true, s), "*-1\r\n");
}

TEST_F(WriterExecTest, FailedWalWriteRepliesOneErrorForAnExec) {
  writer_->Start();
  EXPECT_EQ(Run({{"set", "a", "1"}}), "+OK\r\n");
  env_.SetWriteError(Status::IOError("injected"));
  // The EXEC and the pipeline share the group whose write fails.
  writer_->Stop();
  writer_ = std::make_unique<Writer>(*store_, stats_);
  auto exec = Submit({{"set", "a", "2"}, {"incr", "a"}, {"incr", "a"}}, true);
  auto empty = Submit({}, true);
  auto pipeline = Submit({{"set", "b", "1"}, {"set", "c", "1"}});
  writer_->Start();
  std::string e = exec.get();
  EXPECT_TRUE(
      e.starts_with("-EXECABORT Transaction discarded because of: MISCONF Errors writing "
                    "to the write-ahead log: "))
      << e;
  EXPECT_EQ(e.find("\r\n"), e.size() - 2) << "one reply line: " << e;
  std::string m = empty.get();
  EXPECT_TRUE(m.starts_with("-EXECABORT")) << m;
  EXPECT_EQ(m.find("\r\n"), m.size() - 2) << m;
  std::string p = pipeline.get();
  EXPECT_TRUE(p.starts_with("-MISCONF Errors writing to the write-ahead log: ")) << p;
  size_t first = p.find("\r\n");
  EXPECT_EQ(p.find("\r\n", first + 2), p.size() - 2) << "two reply lines: " << p;
  EXPECT_EQ(Get("a"), "1");
}

}  // namespace
}  // namespace stash
