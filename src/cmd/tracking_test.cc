#include "cmd/tracking.h"

#include <gtest/gtest.h>

#include "cmd/session.h"
#include "cmd/subscriptions.h"

namespace stash {
namespace {

// A connection that is always "this thread": delivered frames land in output at once.
class Link final : public SessionLink {
 public:
  std::string& Output() override { return output; }
  bool CheckOutputLimit() override { return true; }
  void Flush() override {}
  void CloseAfterReply() override {}
  bool Closing() const override { return false; }
  void Post(std::function<void()>) override {}  // frames are already in output
  std::shared_ptr<void> KeepAlive() override { return nullptr; }
  void Kill(const std::string&) override {}
  LinkFacts Facts() const override { return {}; }
  bool OnOwnThread() const override { return true; }
  std::string output;
};

struct Client {
  explicit Client(int proto) : mailbox(std::make_shared<Mailbox>(link, proto)) {}
  Link link;
  std::shared_ptr<Mailbox> mailbox;
  std::string Take() { return std::exchange(link.output, ""); }
};

using Event = Tracker::Event;

TEST(TrackerTest, ADefaultModeKeyIsInvalidatedOnceForEachReader) {
  Tracker t;
  Client a(3);
  ASSERT_EQ(t.Enable(1, a.mailbox, {}, nullptr), "");
  t.Remember(1, {"k"}, false);
  t.Apply({{Event::kTouch, "k", 2}}, nullptr);
  EXPECT_EQ(a.Take(), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
  t.Apply({{Event::kTouch, "k", 2}}, nullptr);  // not read again: nothing
  EXPECT_EQ(a.Take(), "");
}

TEST(TrackerTest, OwnInvalidationsWaitForTheReplyAndNoloopSkipsThem) {
  Tracker t;
  Client a(3);
  ASSERT_EQ(t.Enable(1, a.mailbox, {}, nullptr), "");
  t.Remember(1, {"k"}, false);
  std::string after;
  t.Apply({{Event::kTouch, "k", 1}}, [&](uint64_t id) { return id == 1 ? &after : nullptr; });
  EXPECT_EQ(a.Take(), "");
  EXPECT_EQ(after, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
  TrackingOptions noloop;
  noloop.noloop = true;
  ASSERT_EQ(t.Enable(1, a.mailbox, noloop, nullptr), "");
  t.Remember(1, {"k"}, false);
  after.clear();
  t.Apply({{Event::kTouch, "k", 1}}, [&](uint64_t) { return &after; });
  EXPECT_EQ(after + a.Take(), "");
}

TEST(TrackerTest, BroadcastSendsOneMessagePerPrefixWithSortedKeys) {
  Tracker t;
  Client a(3);
  TrackingOptions o;
  o.bcast = true;
  o.prefixes = {"u:", "v:"};
  ASSERT_EQ(t.Enable(1, a.mailbox, o, nullptr), "");
  t.Apply({{Event::kTouch, "u:2", 9}, {Event::kTouch, "x", 9}, {Event::kTouch, "u:1", 9}}, nullptr);
  EXPECT_EQ(a.Take(), ">2\r\n$10\r\ninvalidate\r\n*2\r\n$3\r\nu:1\r\n$3\r\nu:2\r\n");
  TrackingOptions overlap;
  overlap.bcast = true;
  overlap.prefixes = {"u"};
  EXPECT_EQ(t.Enable(1, a.mailbox, overlap, nullptr),
            "ERR Prefix 'u' overlaps with an existing prefix 'u:'. Prefixes for a single client "
            "must not overlap.");
}

TEST(TrackerTest, FlushSendsANullInTheTrackingClientsProtocolThroughTheRedirect) {
  Tracker t;
  Client a(2), r(2);
  r.mailbox->SetSubscribed(true);
  TrackingOptions o;
  o.redirect = 7;
  ASSERT_EQ(t.Enable(1, a.mailbox, o, r.mailbox), "");
  t.Remember(1, {"k"}, false);
  t.Apply({{Event::kFlush, "", 0}, {Event::kTouch, "k", 0}}, nullptr);
  EXPECT_EQ(r.Take(), "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n");
  EXPECT_EQ(a.Take(), "");
  r.mailbox->Close();  // the target is gone: a RESP2 client hears nothing, but is marked
  t.Apply({{Event::kFlush, "", 0}}, nullptr);
  EXPECT_TRUE(t.Info(1).broken_redirect);
}

}  // namespace
}  // namespace stash
