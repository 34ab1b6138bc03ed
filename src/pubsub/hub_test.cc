#include "pubsub/hub.h"

#include <gtest/gtest.h>

namespace stash::pubsub {
namespace {

// Collects every frame delivered to it, in its protocol.
class Recorder final : public Subscriber {
 public:
  explicit Recorder(int proto) : proto_(proto) {}
  void Deliver(const Frame& frame) override { frames.emplace_back(frame.Bytes(proto_)); }
  std::vector<std::string> frames;

 private:
  int proto_;
};

TEST(HubTest, PublishReachesChannelThenPatternSubscribersWithRedisFrames) {
  Hub hub;
  auto a = std::make_shared<Recorder>(2);
  auto b = std::make_shared<Recorder>(3);
  EXPECT_TRUE(hub.Subscribe(Kind::kChannel, "news", a));
  EXPECT_FALSE(hub.Subscribe(Kind::kChannel, "news", a));
  EXPECT_TRUE(hub.Subscribe(Kind::kPattern, "n*", a));
  EXPECT_TRUE(hub.Subscribe(Kind::kChannel, "news", b));
  EXPECT_EQ(hub.Publish("news", "hi"), 3u);
  EXPECT_EQ(hub.Receivers("news", false), 3u);
  ASSERT_EQ(a->frames.size(), 2u);
  EXPECT_EQ(a->frames[0], "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
  EXPECT_EQ(a->frames[1], "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
  ASSERT_EQ(b->frames.size(), 1u);
  EXPECT_EQ(b->frames[0], ">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
  EXPECT_EQ(hub.Publish("other", "x"), 0u);
}

TEST(HubTest, ShardChannelsAreApartFromChannelsAndPatterns) {
  Hub hub;
  auto a = std::make_shared<Recorder>(2);
  hub.Subscribe(Kind::kShard, "s", a);
  hub.Subscribe(Kind::kPattern, "*", a);
  EXPECT_EQ(hub.PublishShard("s", "m"), 1u);
  EXPECT_EQ(a->frames.back(), "*3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nm\r\n");
  EXPECT_EQ(hub.Publish("s", "m"), 1u);  // the pattern only
  EXPECT_EQ(hub.Count(Kind::kShard), 1u);
  EXPECT_EQ(hub.Count(Kind::kChannel), 0u);
  EXPECT_EQ(hub.Channels(Kind::kShard, nullptr), std::vector<std::string>{"s"});
}

TEST(HubTest, UnsubscribeForgetsEmptyChannelsAndPatterns) {
  Hub hub;
  auto a = std::make_shared<Recorder>(2);
  auto b = std::make_shared<Recorder>(2);
  hub.Subscribe(Kind::kChannel, "c1", a);
  hub.Subscribe(Kind::kChannel, "c1", b);
  hub.Subscribe(Kind::kChannel, "c2", a);
  hub.Subscribe(Kind::kPattern, "c?", a);
  EXPECT_EQ(hub.NumSub(Kind::kChannel, "c1"), 2u);
  EXPECT_TRUE(hub.Unsubscribe(Kind::kChannel, "c1", a.get()));
  EXPECT_FALSE(hub.Unsubscribe(Kind::kChannel, "c1", a.get()));
  EXPECT_EQ(hub.NumSub(Kind::kChannel, "c1"), 1u);
  EXPECT_TRUE(hub.Unsubscribe(Kind::kChannel, "c2", a.get()));
  EXPECT_EQ(hub.Count(Kind::kChannel), 1u);
  std::string pat = "c*";
  EXPECT_EQ(hub.Channels(Kind::kChannel, &pat), std::vector<std::string>{"c1"});
  EXPECT_TRUE(hub.Unsubscribe(Kind::kPattern, "c?", a.get()));
  EXPECT_EQ(hub.Count(Kind::kPattern), 0u);
  EXPECT_EQ(hub.Publish("c1", "x"), 1u);
  EXPECT_TRUE(a->frames.empty());
}

}  // namespace
}  // namespace stash::pubsub
