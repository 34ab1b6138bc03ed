#include "resp/reply_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace stash::resp {
namespace {

// Writes with a fresh writer in the given protocol and returns the bytes.
template <typename Fn>
std::string Write(int proto, Fn fn) {
  std::string out;
  ReplyWriter w(&out);
  w.SetProtocol(proto);
  fn(w);
  return out;
}

// Expects the same bytes in RESP2 and RESP3.
template <typename Fn>
void ExpectBoth(const std::string& want, Fn fn) {
  EXPECT_EQ(Write(2, fn), want);
  EXPECT_EQ(Write(3, fn), want);
}

TEST(ReplyWriter, DefaultsToResp2AndAppends) {
  std::string out = "keep";
  ReplyWriter w(&out);
  EXPECT_EQ(w.protocol(), 2);
  w.Null();
  EXPECT_EQ(out, "keep$-1\r\n");
  w.SetProtocol(3);
  EXPECT_EQ(w.protocol(), 3);
  w.Null();
  EXPECT_EQ(out, "keep$-1\r\n_\r\n");
  w.SetProtocol(7);
  EXPECT_EQ(w.protocol(), 2);
}

TEST(ReplyWriter, SimpleAndError) {
  ExpectBoth("+OK\r\n", [](ReplyWriter& w) { w.Simple("OK"); });
  ExpectBoth("+\r\n", [](ReplyWriter& w) { w.Simple(""); });
  ExpectBoth("+a b c\r\n", [](ReplyWriter& w) { w.Simple("a\rb\nc"); });
  ExpectBoth("-ERR unknown command 'x'\r\n",
             [](ReplyWriter& w) { w.Error("ERR unknown command 'x'"); });
  ExpectBoth("-WRONGTYPE Operation\r\n", [](ReplyWriter& w) { w.Error("-WRONGTYPE Operation"); });
  ExpectBoth("-ERR bad  text\r\n", [](ReplyWriter& w) { w.Error("ERR bad\r\ntext"); });
  ExpectBoth("-ERR Protocol error: expected '$', got ' '\r\n",
             [](ReplyWriter& w) { w.Error("ERR Protocol error: expected '$', got '\r'"); });
}

TEST(ReplyWriter, Integer) {
  ExpectBoth(":0\r\n", [](ReplyWriter& w) { w.Integer(0); });
  ExpectBoth(":-42\r\n", [](ReplyWriter& w) { w.Integer(-42); });
  ExpectBoth(":9223372036854775807\r\n",
             [](ReplyWriter& w) { w.Integer(std::numeric_limits<int64_t>::max()); });
  ExpectBoth(":-9223372036854775808\r\n",
             [](ReplyWriter& w) { w.Integer(std::numeric_limits<int64_t>::min()); });
}

TEST(ReplyWriter, BulkIsBinarySafe) {
  ExpectBoth("$5\r\nhello\r\n", [](ReplyWriter& w) { w.Bulk("hello"); });
  ExpectBoth("$0\r\n\r\n", [](ReplyWriter& w) { w.Bulk(""); });
  ExpectBoth(std::string("$4\r\n\0\r\n\0\r\n", 10),
             [](ReplyWriter& w) { w.Bulk(std::string_view("\0\r\n\0", 4)); });
}

TEST(ReplyWriter, Nulls) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Null(); }), "$-1\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Null(); }), "_\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.NullArray(); }), "*-1\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.NullArray(); }), "_\r\n");
}

TEST(ReplyWriter, AggregateHeaders) {
  ExpectBoth("*0\r\n", [](ReplyWriter& w) { w.ArrayHeader(0); });
  ExpectBoth("*3\r\n", [](ReplyWriter& w) { w.ArrayHeader(3); });
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.MapHeader(3); }), "*6\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.MapHeader(3); }), "%3\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.MapHeader(0); }), "*0\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.SetHeader(2); }), "*2\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.SetHeader(2); }), "~2\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.PushHeader(3); }), "*3\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.PushHeader(3); }), ">3\r\n");
  ExpectBoth("*18446744073709551615\r\n", [](ReplyWriter& w) { w.ArrayHeader(SIZE_MAX); });
}

TEST(ReplyWriter, DoubleUsesRedis70Formatting) {
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(1.5); }), ",1.5\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Double(1.5); }), "$3\r\n1.5\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(0.1); }), ",0.10000000000000001\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Double(0.1); }), "$19\r\n0.10000000000000001\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(3); }), ",3\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(-0.0); }), ",-0\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(1e300); }), ",1.0000000000000001e+300\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(INFINITY); }), ",inf\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(-INFINITY); }), ",-inf\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Double(INFINITY); }), "$3\r\ninf\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Double(-INFINITY); }), "$4\r\n-inf\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(std::nan("")); }), ",nan\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(-std::nan("")); }), ",nan\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Double(std::nan("")); }), "$3\r\nnan\r\n");
}

TEST(ReplyWriter, Bool) {
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Bool(true); }), "#t\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Bool(false); }), "#f\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Bool(true); }), ":1\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Bool(false); }), ":0\r\n");
}

TEST(ReplyWriter, Verbatim) {
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Verbatim("# Server\r\nx:1\r\n"); }),
            "=19\r\ntxt:# Server\r\nx:1\r\n\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Verbatim("**hi**", "mkd"); }), "=10\r\nmkd:**hi**\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Verbatim("", "txt"); }), "=4\r\ntxt:\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Verbatim("x", "markdown"); }), "=5\r\ntxt:x\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Verbatim("# Server\r\n", "mkd"); }),
            "$10\r\n# Server\r\n\r\n");
}

TEST(ReplyWriter, BigNumber) {
  EXPECT_EQ(
      Write(3, [](ReplyWriter& w) { w.BigNumber("-3492890328409238509324850943850943825024385"); }),
      "(-3492890328409238509324850943850943825024385\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.BigNumber("12345678901234567890"); }),
            "$20\r\n12345678901234567890\r\n");
}

TEST(ReplyWriter, BulkArray) {
  ExpectBoth("*3\r\n$1\r\na\r\n$0\r\n\r\n$3\r\nbcd\r\n", [](ReplyWriter& w) {
    w.BulkArray({"a", "", "bcd"});
  });
  ExpectBoth("*0\r\n", [](ReplyWriter& w) { w.BulkArray({}); });
}

TEST(ReplyWriter, NestedReplyInBothProtocols) {
  auto hello = [](ReplyWriter& w) {
    w.MapHeader(2);
    w.Bulk("server");
    w.Bulk("stashdb");
    w.Bulk("proto");
    w.Integer(w.protocol());
  };
  EXPECT_EQ(Write(2, hello), "*4\r\n$6\r\nserver\r\n$7\r\nstashdb\r\n$5\r\nproto\r\n:2\r\n");
  EXPECT_EQ(Write(3, hello), "%2\r\n$6\r\nserver\r\n$7\r\nstashdb\r\n$5\r\nproto\r\n:3\r\n");
}

}  // namespace
}  // namespace stash::resp
