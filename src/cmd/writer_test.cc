// The real command handlers through the real Writer: every op of one request runs in one group.
#include <gtest/gtest.h>

#include "cmd/writer_testutil.h"
#include "util/clock.h"

namespace stash {
namespace {

class WriterGroupTest : public WriterTest {
 protected:
  WriterGroupTest() : WriterTest("writer_group") {}
  std::string Run(int db, const Commands& commands) {
    auto req = std::make_unique<WriteRequest>();
    req->db = db;
    for (const auto& argv : commands) req->ops.push_back({argv, table_.Find(argv[0])});
    std::promise<std::string> replies;
    req->done = [&](std::string r) { replies.set_value(std::move(r)); };
    auto future = replies.get_future();
    writer_->Submit(std::move(req));
    return future.get();
  }
  uint64_t Keys(int db) {
    uint64_t keys = 0, expires = 0;
    EXPECT_TRUE(store_->DbSize(db, NowMs(), &keys, &expires).ok());
    return keys;
  }
  std::string Get(int db, const std::string& key) {
    store::Record r;
    Status s = store_->Get(db, key, NowMs(), &r);
    return s.ok() ? r.payload : "(" + s.ToString() + ")";
  }
};

TEST_F(WriterGroupTest, WriteThenSwapDbInOneGroup) {
  writer_->Start();
  EXPECT_EQ(Run(0, {{"set", "a", "v"}}), "+OK\r\n");
  EXPECT_EQ(Run(0, {{"set", "b", "v"}, {"swapdb", "0", "1"}}), "+OK\r\n+OK\r\n");
  EXPECT_EQ(Keys(1), 2u);
  EXPECT_EQ(Keys(0), 0u);
  EXPECT_EQ(store_->counters(1).keys, 2u);
  EXPECT_EQ(Get(1, "b"), "v");
}

TEST_F(WriterGroupTest, PipelinedRewritesOfOneKeyKeepTheLastValue) {
  writer_->Start();
  EXPECT_EQ(Run(0, {{"set", "k", "1"},
                    {"set", "k", "2"},
                    {"mset", "k", "3", "k", "4"},
                    {"append", "k", "5"}}),
            "+OK\r\n+OK\r\n+OK\r\n:2\r\n");
  EXPECT_EQ(Get(0, "k"), "45");
  EXPECT_EQ(Keys(0), 1u);
  writer_->Stop();
  ASSERT_TRUE(store_->Close().ok());
  store_.reset();
  Options options = test::TinyOptions();
  options.env = &env_;
  ASSERT_TRUE(store::Store::Open(options, dir_.path(), 4, &store_).ok());
  writer_ = std::make_unique<Writer>(*store_, stats_);
  EXPECT_EQ(Get(0, "k"), "45");
  EXPECT_EQ(Keys(0), 1u);
}

}  // namespace
}  // namespace stash
