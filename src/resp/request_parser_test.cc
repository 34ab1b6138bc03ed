#include "resp/request_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

// Allocation probe: while armed, records the number and the largest size of heap allocations, so
// tests can check that announced lengths are never allocated ahead of their bytes.
namespace {
std::atomic<bool> g_armed{false};
std::atomic<size_t> g_alloc_count{0};
std::atomic<size_t> g_alloc_max{0};
std::atomic<size_t> g_alloc_total{0};
// Out of line so that the compiler does not pair a visible free() with operator new.
[[gnu::noinline]] void Release(void* p) noexcept { std::free(p); }
}  // namespace

void* operator new(size_t n) {
  if (g_armed.load(std::memory_order_relaxed)) {
    g_alloc_count.fetch_add(1, std::memory_order_relaxed);
    g_alloc_total.fetch_add(n, std::memory_order_relaxed);
    size_t max = g_alloc_max.load(std::memory_order_relaxed);
    while (n > max && !g_alloc_max.compare_exchange_weak(max, n)) {
    }
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { Release(p); }
void operator delete(void* p, size_t) noexcept { Release(p); }

namespace stash::resp {
namespace {

class AllocProbe {
 public:
  AllocProbe() {
    g_alloc_count = 0;
    g_alloc_max = 0;
    g_alloc_total = 0;
    g_armed = true;
  }
  ~AllocProbe() { g_armed = false; }
  size_t count() const { return g_alloc_count; }
  size_t max() const { return g_alloc_max; }
  size_t total() const { return g_alloc_total; }
};

std::string Escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

// Feeds the pieces in order, draining Next() after each; describes every command and the error
// (if any) and the final state, one line each.
std::string RunPieces(const std::vector<std::string_view>& pieces,
                      const ParserLimits& limits = {}) {
  RequestParser parser(limits);
  std::vector<std::string> argv;
  std::string error;
  std::string log;
  for (std::string_view piece : pieces) {
    parser.Feed(piece.data(), piece.size());
    ParseStatus st;
    while ((st = parser.Next(&argv, &error)) == ParseStatus::kCommand) {
      log += "cmd";
      for (const std::string& a : argv) log += " [" + Escape(a) + "]";
      log += "\n";
    }
    EXPECT_TRUE(argv.empty());
    if (st == ParseStatus::kError) {
      EXPECT_EQ(parser.BufferedBytes(), 0u);
      return log + "error " + Escape(error) + "\n";
    }
  }
  return log + "need-more pending=" + std::to_string(parser.PendingCommandBytes()) + "\n";
}

std::string RunWhole(std::string_view in, const ParserLimits& limits = {}) {
  return RunPieces({in}, limits);
}

// Parses `in` whole, byte by byte, and split in two at every position; all must agree.
std::string RunAllSplits(std::string_view in, const ParserLimits& limits = {}) {
  const std::string whole = RunWhole(in, limits);
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < in.size(); i++) bytes.push_back(in.substr(i, 1));
  EXPECT_EQ(RunPieces(bytes, limits), whole) << "byte by byte: " << Escape(in);
  for (size_t k = 0; k <= in.size(); k++) {
    EXPECT_EQ(RunPieces({in.substr(0, k), in.substr(k)}, limits), whole)
        << "split at " << k << ": " << Escape(in);
  }
  return whole;
}

std::string Cmd(std::initializer_list<std::string_view> args) {
  std::string s = "cmd";
  for (std::string_view a : args) s += " [" + Escape(a) + "]";
  return s + "\n";
}
const std::string kIdle = "need-more pending=0\n";
std::string Err(std::string_view text) { return "error " + Escape(text) + "\n"; }

TEST(RequestParser, ParsesMultibulkAtEverySplit) {
  EXPECT_EQ(RunAllSplits("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"),
            Cmd({"SET", "key", "value"}) + kIdle);
  EXPECT_EQ(RunAllSplits("*1\r\n$0\r\n\r\n"), Cmd({""}) + kIdle);
}

TEST(RequestParser, ReportsPartialCommandAsPending) {
  EXPECT_EQ(RunAllSplits("*2\r\n$3\r\nGET\r\n$3\r\nke"), "need-more pending=19\n");
  EXPECT_EQ(RunAllSplits("GET ke"), "need-more pending=6\n");
}

TEST(RequestParser, SkipsEmptyArraysAndEmptyLines) {
  EXPECT_EQ(RunAllSplits("*0\r\n*-1\r\n*-7\r\n\r\n   \n\t\r\n\n*1\r\n$4\r\nPING\r\n"),
            Cmd({"PING"}) + kIdle);
}

TEST(RequestParser, BulkIsBinarySafe) {
  const std::string in("*2\r\n$4\r\n\0\r\n\0\r\n$5\r\n\r\n$\r\n\r\n", 25);
  EXPECT_EQ(RunAllSplits(in), Cmd({std::string_view("\0\r\n\0", 4), "\r\n$\r\n"}) + kIdle);
}

// Redis skips the two bytes after a payload and the byte after a count line's CR unchecked.
TEST(RequestParser, TerminatorBytesAreSkippedUncheckedLikeRedis) {
  EXPECT_EQ(RunAllSplits("*1\r\n$3\r\nfooXY*1\rZ$4\rZPING\r\n"),
            Cmd({"foo"}) + Cmd({"PING"}) + kIdle);
}

TEST(RequestParser, MixesInlineAndMultibulkInOnePipeline) {
  std::string in;
  std::string want;
  for (int i = 0; i < 300; i++) {
    const std::string key = "key:" + std::to_string(i);
    in += "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$1\r\nv\r\n";
    in += "PING\r\n";
    want += Cmd({"SET", key, "v"}) + Cmd({"PING"});
  }
  EXPECT_EQ(RunWhole(in), want + kIdle);
  std::vector<std::string_view> pieces;  // odd-sized pieces that cut commands everywhere
  for (size_t i = 0; i < in.size(); i += 37) pieces.push_back(std::string_view(in).substr(i, 37));
  EXPECT_EQ(RunPieces(pieces), want + kIdle);
}

TEST(RequestParser, InlineQuotingMatchesSdssplitargs) {
  EXPECT_EQ(RunAllSplits("SET \"a b\" 'c d'\r\n"), Cmd({"SET", "a b", "c d"}) + kIdle);
  EXPECT_EQ(RunAllSplits("ECHO \"\\x41\\n\"\r\n"), Cmd({"ECHO", "A\n"}) + kIdle);
  EXPECT_EQ(RunAllSplits("ECHO \"\\r\\t\\b\\a\\\\\\\"\\q\"\n"),
            Cmd({"ECHO", "\r\t\b\a\\\"q"}) + kIdle);
  EXPECT_EQ(RunAllSplits("ECHO \"\\x4g\" \"\\xFf\"\n"), Cmd({"ECHO", "x4g", "\xff"}) + kIdle);
  EXPECT_EQ(RunAllSplits("ECHO 'it\\'s' 'a\\nb'\n"), Cmd({"ECHO", "it's", "a\\nb"}) + kIdle);
  EXPECT_EQ(RunAllSplits("SET k \"\" ''\r\n"), Cmd({"SET", "k", "", ""}) + kIdle);
  EXPECT_EQ(RunAllSplits("  PING  \r\n"), Cmd({"PING"}) + kIdle);
  EXPECT_EQ(RunAllSplits("PING\n"), Cmd({"PING"}) + kIdle);
  EXPECT_EQ(RunAllSplits("a\"b c\" x'y'\n"), Cmd({"ab c", "xy"}) + kIdle);
  // Words end at space, tab, CR, LF; \v and \f separate only between words (C isspace).
  EXPECT_EQ(RunAllSplits("a\tb\vc\x0b d\rE\n"), Cmd({"a", "b\vc\v", "d", "E"}) + kIdle);
  EXPECT_EQ(RunAllSplits("\"a\"\t'b'\x0c\"c\"\n"), Cmd({"a", "b", "c"}) + kIdle);
  // Only the last CR before LF is part of the line end.
  EXPECT_EQ(RunAllSplits("ECHO \"x\r\"\r\n"), Cmd({"ECHO", "x\r"}) + kIdle);
  // An inline line is cut at its first NUL, as sdssplitargs reads it.
  EXPECT_EQ(RunAllSplits(std::string("GET a\0b\r\nPING\r\n", 15)),
            Cmd({"GET", "a"}) + Cmd({"PING"}) + kIdle);
  // A non-'*' first byte means inline, even '$'.
  EXPECT_EQ(RunAllSplits("$3\r\nfoo\r\n"), Cmd({"$3"}) + Cmd({"foo"}) + kIdle);
}

TEST(RequestParser, UnbalancedQuotesAreAnError) {
  const std::string err = Err("ERR Protocol error: unbalanced quotes in request");
  for (std::string_view in :
       {"SET \"foo\"bar\r\n", "SET 'foo'bar\r\n", "GET \"foo\r\n", "GET 'foo\r\n",
        "GET \"foo\\\"\n", "GET \"x\\\n", "a\"b\"c\n", "'a'\"b\"\n"}) {
    EXPECT_EQ(RunAllSplits(in), err) << Escape(in);
  }
  // The command before the bad line is still returned.
  EXPECT_EQ(RunAllSplits("PING\r\nGET \"x\r\n"), Cmd({"PING"}) + err);
}

TEST(RequestParser, MultibulkErrorTexts) {
  const std::string bad_count = Err("ERR Protocol error: invalid multibulk length");
  for (std::string_view in : {"*x\r\n", "*\r\n", "*01\r\n", "*+1\r\n", "*-0\r\n", "* 1\r\n",
                              "*1 \r\n", "*99999999999999999999\r\n", "*1073741825\r\n"}) {
    EXPECT_EQ(RunAllSplits(in), bad_count) << Escape(in);
  }
  EXPECT_EQ(RunAllSplits("*1073741824\r\n"), "need-more pending=13\n");
  // string2ll's int64 edges: the most negative count is valid (and skipped), one less is not.
  EXPECT_EQ(RunAllSplits("*-9223372036854775808\r\nPING\r\n"), Cmd({"PING"}) + kIdle);
  EXPECT_EQ(RunAllSplits("*-9223372036854775809\r\n"), bad_count);
  EXPECT_EQ(RunAllSplits("*9223372036854775807\r\n"), bad_count);
  EXPECT_EQ(RunAllSplits("*1\r\n$18446744073709551616\r\n"),
            Err("ERR Protocol error: invalid bulk length"));
  EXPECT_EQ(RunAllSplits("*1\r\nGET\r\n"), Err("ERR Protocol error: expected '$', got 'G'"));
  EXPECT_EQ(RunAllSplits("*2\r\n$1\r\na\r\n:1\r\n"),
            Err("ERR Protocol error: expected '$', got ':'"));
  EXPECT_EQ(RunAllSplits("*1\r\n\r\n"), Err("ERR Protocol error: expected '$', got '\r'"));
  const std::string bad_len = Err("ERR Protocol error: invalid bulk length");
  for (std::string_view in :
       {"*1\r\n$x\r\n", "*1\r\n$\r\n", "*1\r\n$-1\r\n", "*1\r\n$03\r\n", "*1\r\n$536870913\r\n"}) {
    EXPECT_EQ(RunAllSplits(in), bad_len) << Escape(in);
  }
  // The error is decided once the byte after the CR arrives, as in Redis.
  EXPECT_EQ(RunAllSplits("*1\r\n$x\r"), "need-more pending=7\n");
  EXPECT_EQ(RunAllSplits("*1\r\nGET"), "need-more pending=7\n");
}

TEST(RequestParser, TooLongLinesAreErrors) {
  ParserLimits limits;
  limits.max_inline_len = 16;
  EXPECT_EQ(RunAllSplits(std::string(16, 'a') + "\n", limits), Cmd({std::string(16, 'a')}) + kIdle);
  EXPECT_EQ(RunAllSplits(std::string(15, 'a') + "\r\n", limits),
            Cmd({std::string(15, 'a')}) + kIdle);
  const std::string inline_err = Err("ERR Protocol error: too big inline request");
  EXPECT_EQ(RunAllSplits(std::string(17, 'a'), limits), inline_err);
  EXPECT_EQ(RunAllSplits(std::string(17, 'a') + "\n", limits), inline_err);
  EXPECT_EQ(RunAllSplits(std::string(16, 'a') + "\r\n", limits), inline_err);
  EXPECT_EQ(RunAllSplits(std::string(16, 'a'), limits), "need-more pending=16\n");

  EXPECT_EQ(RunAllSplits("*" + std::string(16, '1'), limits),
            Err("ERR Protocol error: too big mbulk count string"));
  EXPECT_EQ(RunAllSplits("*" + std::string(15, '1'), limits), "need-more pending=16\n");
  EXPECT_EQ(RunAllSplits("*1\r\n$" + std::string(16, '1'), limits),
            Err("ERR Protocol error: too big bulk count string"));
  EXPECT_EQ(RunAllSplits("*1\r\n$" + std::string(15, '1'), limits), "need-more pending=20\n");

  // The default limit is Redis's 64 KiB.
  EXPECT_EQ(RunWhole(std::string(64 * 1024 + 1, 'a')), inline_err);
  EXPECT_EQ(RunWhole(std::string(64 * 1024, 'a') + "\n"),
            Cmd({std::string(64 * 1024, 'a')}) + kIdle);
  EXPECT_EQ(RunWhole("*" + std::string(64 * 1024, '1')),
            Err("ERR Protocol error: too big mbulk count string"));
}

TEST(RequestParser, BulkAndMultibulkLimits) {
  ParserLimits limits;
  limits.max_bulk_len = 10;
  limits.max_multibulk_len = 3;
  EXPECT_EQ(RunAllSplits("*3\r\n$10\r\n0123456789\r\n$0\r\n\r\n$1\r\nx\r\n", limits),
            Cmd({"0123456789", "", "x"}) + kIdle);
  EXPECT_EQ(RunAllSplits("*1\r\n$11\r\n", limits), Err("ERR Protocol error: invalid bulk length"));
  EXPECT_EQ(RunAllSplits("*4\r\n", limits), Err("ERR Protocol error: invalid multibulk length"));
}

TEST(RequestParser, UnauthenticatedClientsGetRedisSmallLimits) {
  ParserLimits limits;
  limits.auth_required = true;
  const std::string ten = "*10\r\n" + [] {
    std::string s;
    for (int i = 0; i < 10; i++) s += "$1\r\nx\r\n";
    return s;
  }();
  EXPECT_EQ(RunAllSplits(ten, limits),
            Cmd({"x", "x", "x", "x", "x", "x", "x", "x", "x", "x"}) + kIdle);
  EXPECT_EQ(RunAllSplits("*11\r\n", limits),
            Err("ERR Protocol error: unauthenticated multibulk length"));
  EXPECT_EQ(RunAllSplits("*1\r\n$16384\r\n", limits), "need-more pending=12\n");
  EXPECT_EQ(RunAllSplits("*1\r\n$16385\r\n", limits),
            Err("ERR Protocol error: unauthenticated bulk length"));
  // Redis checks the general limits first.
  EXPECT_EQ(RunAllSplits("*x\r\n", limits), Err("ERR Protocol error: invalid multibulk length"));
  // Inline commands are not limited this way (nor in Redis).
  EXPECT_EQ(RunAllSplits("a b c d e f g h i j k l\n", limits),
            Cmd({"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}) + kIdle);
  limits.auth_required = false;
  EXPECT_EQ(RunAllSplits("*11\r\n", limits), "need-more pending=5\n");
}

TEST(RequestParser, QueryBufferLimitBoundsOneCommand) {
  ParserLimits limits;
  limits.query_buffer_limit = 21;
  const std::string cmd21 = "*1\r\n$10\r\n0123456789\r\n";  // 21 bytes
  EXPECT_EQ(RunAllSplits(cmd21 + cmd21 + cmd21, limits),
            Cmd({"0123456789"}) + Cmd({"0123456789"}) + Cmd({"0123456789"}) + kIdle);
  const std::string limit_err = Err(kQueryBufferLimitError);
  EXPECT_EQ(RunAllSplits(cmd21 + "*1\r\n$11\r\n0123456789A\r\n", limits),
            Cmd({"0123456789"}) + limit_err);
  EXPECT_EQ(RunAllSplits("*1\r\n$100\r\n0123456789012", limits), limit_err);
  EXPECT_EQ(RunAllSplits("*2\r\n$3\r\nabc\r\n$3", limits), "need-more pending=15\n");
  EXPECT_EQ(RunAllSplits(std::string(21, 'a'), limits), "need-more pending=21\n");
  EXPECT_EQ(RunAllSplits(std::string(22, 'a'), limits), limit_err);
  EXPECT_EQ(RunAllSplits(std::string(20, 'a') + "\n", limits), Cmd({std::string(20, 'a')}) + kIdle);
  // Whichever the byte stream reaches first wins, however it is split.
  EXPECT_EQ(RunAllSplits("*1\r\n$9\r\n012345678\r\n*9\r\n*1\r\n$x\r\n", limits),
            Cmd({"012345678"}) + Err("ERR Protocol error: expected '$', got '*'"));
  limits.query_buffer_limit = 5;
  EXPECT_EQ(RunAllSplits("*1\r\n$x\r\n", limits), limit_err);
  EXPECT_EQ(RunAllSplits("*1\r\nx\r\n", limits), limit_err);
}

TEST(RequestParser, ErrorStateIsSticky) {
  RequestParser parser;
  std::vector<std::string> argv;
  std::string error;
  parser.Feed("*1\r\n$-5\r\n*1\r\n$4\r\nPING\r\n");
  ASSERT_EQ(parser.Next(&argv, &error), ParseStatus::kError);
  EXPECT_EQ(error, "ERR Protocol error: invalid bulk length");
  parser.Feed("*1\r\n$4\r\nPING\r\n");
  error.clear();
  argv = {"stale"};
  EXPECT_EQ(parser.Next(&argv, &error), ParseStatus::kError);
  EXPECT_EQ(error, "ERR Protocol error: invalid bulk length");
  EXPECT_TRUE(argv.empty());
  EXPECT_EQ(parser.BufferedBytes(), 0u);
}

TEST(RequestParser, ArgvIsEmptiedButKeepsItsCapacity) {
  RequestParser parser;
  std::vector<std::string> argv;
  std::string error;
  parser.Feed("MSET a 1 b 2 c 3 d 4\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
  ASSERT_EQ(parser.Next(&argv, &error), ParseStatus::kCommand);
  EXPECT_EQ(argv.size(), 9u);
  ASSERT_EQ(parser.Next(&argv, &error), ParseStatus::kCommand);
  EXPECT_EQ(argv, (std::vector<std::string>{"GET", "a"}));
  ASSERT_EQ(parser.Next(&argv, &error), ParseStatus::kNeedMore);
  EXPECT_TRUE(argv.empty());
  EXPECT_GE(argv.capacity(), 9u);
  EXPECT_EQ(parser.Next(&argv, &error), ParseStatus::kNeedMore);  // nothing new
  EXPECT_EQ(parser.BufferedBytes(), 0u);
}

TEST(RequestParser, SetLimitsAppliesToTheCommandInProgress) {
  RequestParser parser;
  std::vector<std::string> argv;
  std::string error;
  parser.Feed("*2\r\n$3\r\nGET\r\n");
  ASSERT_EQ(parser.Next(&argv, &error), ParseStatus::kNeedMore);
  ParserLimits limits;
  limits.max_bulk_len = 2;
  parser.SetLimits(limits);
  parser.Feed("$3\r\n");
  ASSERT_EQ(parser.Next(&argv, &error), ParseStatus::kError);
  EXPECT_EQ(error, "ERR Protocol error: invalid bulk length");
}

TEST(RequestParser, HugeAnnouncedLengthsAllocateNothingAhead) {
  RequestParser parser;
  std::vector<std::string> argv;
  std::string error;
  parser.Feed("*1000000\r\n$3\r\nfoo\r\n$3\r\nba");
  {
    AllocProbe probe;
    ASSERT_EQ(parser.Next(&argv, &error), ParseStatus::kNeedMore);
    EXPECT_LT(probe.max(), 1024u);
    EXPECT_LT(probe.total(), 4096u);
  }
  EXPECT_EQ(parser.BufferedBytes(), 0u);
  EXPECT_EQ(parser.PendingCommandBytes(), 25u);
  EXPECT_LT(argv.capacity(), 16u);

  RequestParser bulk;
  bulk.Feed("*1\r\n$536870912\r\nabc");
  {
    AllocProbe probe;
    ASSERT_EQ(bulk.Next(&argv, &error), ParseStatus::kNeedMore);
    bulk.Feed("defgh", 5);
    ASSERT_EQ(bulk.Next(&argv, &error), ParseStatus::kNeedMore);
    EXPECT_LT(probe.max(), 1024u);
  }
  EXPECT_EQ(bulk.PendingCommandBytes(), 24u);
}

TEST(RequestParser, LargeBulkArrivingInPiecesIsCopiedOnce) {
  constexpr size_t kLen = 32u << 20;
  constexpr size_t kPiece = 64u << 10;
  std::string payload(kPiece, 'x');
  RequestParser parser;
  std::vector<std::string> argv;
  std::string error;
  parser.Feed("*2\r\n$3\r\nSET\r\n$33554432\r\n");
  ASSERT_EQ(parser.Next(&argv, &error), ParseStatus::kNeedMore);
  {
    AllocProbe probe;
    for (size_t sent = 0; sent < kLen; sent += kPiece) {
      payload[0] = static_cast<char>('a' + (sent / kPiece) % 26);
      parser.Feed(payload.data(), payload.size());
      ASSERT_EQ(parser.Next(&argv, &error), ParseStatus::kNeedMore);
      ASSERT_EQ(parser.BufferedBytes(), 0u);  // payload went straight into the argument
    }
    parser.Feed("\r\n", 2);
    ASSERT_EQ(parser.Next(&argv, &error), ParseStatus::kCommand);
    EXPECT_LE(probe.max(), kLen + 1);        // one final buffer of exactly the argument's size
    EXPECT_LE(probe.total(), 2 * kLen + 1);  // geometric growth
  }
  ASSERT_EQ(argv.size(), 2u);
  ASSERT_EQ(argv[1].size(), kLen);
  for (size_t off = 0; off < kLen; off += kPiece) {
    ASSERT_EQ(argv[1][off], static_cast<char>('a' + (off / kPiece) % 26));
    ASSERT_EQ(argv[1][off + 1], 'x');
  }
}

// Whole commands already buffered take the fast path (ParseWhole); whatever it does not take
// falls back to the state machine. Parsed whole, split anywhere, or byte by byte (state machine
// only), every input must give the same commands and errors, at the limits' edges too.
TEST(RequestParser, WholeCommandsInTheBufferParseAsTheStateMachineDoes) {
  const std::string get = "*2\r\n$3\r\nGET\r\n$16\r\nkey:000000123456\r\n";
  EXPECT_EQ(RunAllSplits(get + get),
            Cmd({"GET", "key:000000123456"}) + Cmd({"GET", "key:000000123456"}) + kIdle);
  EXPECT_EQ(RunAllSplits("*3\r\n$0\r\n\r\n$1\r\nx\r\n$2\r\nab\r\n"), Cmd({"", "x", "ab"}) + kIdle);
  // Leading zeros, signs and 19+ digit numbers are the state machine's to judge.
  RunAllSplits("*02\r\n$1\r\na\r\n$1\r\nb\r\n");
  RunAllSplits("*2\r\n$01\r\na\r\n$1\r\nb\r\n");
  RunAllSplits("*+2\r\n$1\r\na\r\n$1\r\nb\r\n");
  RunAllSplits("*1\r\n$-1\r\n");
  RunAllSplits("*1\r\n$9999999999999999999\r\nx\r\n");
  RunAllSplits("*1\r\n$1x\r\na\r\n");
  RunAllSplits("*1\r\n:1\r\na\r\n");
  EXPECT_EQ(RunAllSplits("*1\r\n$3\nabc\r\n*1\r\n$1\r\nz\r\n"),
            RunWhole("*1\r\n$3\nabc\r\n*1\r\n$1\r\nz\r\n"));
  // Every limit at and around its edge.
  ParserLimits tight;
  tight.max_bulk_len = 3;
  tight.max_multibulk_len = 2;
  tight.max_inline_len = 3;
  tight.query_buffer_limit = 24;
  for (const char* in : {"*2\r\n$3\r\nabc\r\n$1\r\nd\r\n", "*2\r\n$4\r\nabcd\r\n$1\r\nd\r\n",
                         "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", "*1\r\n$10\r\n0123456789\r\n",
                         "*2\r\n$3\r\nabc\r\n$3\r\ndef\r\n"}) {
    RunAllSplits(in, tight);
  }
  ParserLimits unauth;
  unauth.auth_required = true;
  std::string many = "*11\r\n";
  for (int i = 0; i < 11; i++) many += "$1\r\na\r\n";
  EXPECT_EQ(RunAllSplits(many, unauth),
            Err("ERR Protocol error: unauthenticated multibulk length"));
  const std::string big(16385, 'b');
  EXPECT_EQ(RunWhole("*1\r\n$16385\r\n" + big + "\r\n", unauth),
            Err("ERR Protocol error: unauthenticated bulk length"));
}

// Commands of different lengths in turn reuse the argument buffers of the ones before.
TEST(RequestParser, AlternatingCommandLengthsDoNotAllocate) {
  std::string in;
  for (int i = 0; i < 500; i++) {
    in += "*3\r\n$3\r\nSET\r\n$24\r\nkey:00000000000" + std::to_string(100000000 + i) +
          "\r\n$20\r\nvalue-of-twenty-byte\r\n*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$24\r\n" +
          "key:00000000000" + std::to_string(100000000 + i) + "\r\n";
  }
  RequestParser parser;
  std::vector<std::string> argv;
  std::string error;
  parser.Feed(in);
  for (int i = 0; i < 6; i++) ASSERT_EQ(parser.Next(&argv, &error), ParseStatus::kCommand);
  AllocProbe probe;
  size_t commands = 0;
  while (parser.Next(&argv, &error) == ParseStatus::kCommand) commands++;
  EXPECT_EQ(commands, 1494u);
  EXPECT_EQ(probe.count(), 0u);
}

TEST(RequestParser, LongPipelineKeepsBufferSmall) {
  std::string chunk;
  for (int i = 0; i < 100; i++)
    chunk += "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000042\r\n$3\r\nabc\r\n";
  RequestParser parser;
  std::vector<std::string> argv;
  std::string error;
  size_t commands = 0;
  AllocProbe probe;
  for (int round = 0; round < 500; round++) {
    // Feed in pieces that cut commands, draining after each piece.
    for (size_t off = 0; off < chunk.size(); off += 1000) {
      parser.Feed(std::string_view(chunk).substr(off, 1000));
      while (parser.Next(&argv, &error) == ParseStatus::kCommand) commands++;
      ASSERT_LT(parser.BufferedBytes(), 50u);
    }
  }
  EXPECT_EQ(commands, 50000u);
  EXPECT_LT(probe.max(), 16u * 1024);
}

TEST(RequestParser, SteadyStatePipelineDoesNotAllocate) {
  std::string in;
  for (int i = 0; i < 1000; i++) {
    in += "*3\r\n$3\r\nSET\r\n$16\r\nkey:0000000" + std::to_string(10000 + i) +
          "\r\n$20\r\nvalue-of-twenty-byte\r\nPING\r\n";
  }
  RequestParser parser;
  std::vector<std::string> argv;
  std::string error;
  parser.Feed(in);
  for (int i = 0; i < 10; i++) ASSERT_EQ(parser.Next(&argv, &error), ParseStatus::kCommand);
  AllocProbe probe;
  size_t commands = 0;
  while (parser.Next(&argv, &error) == ParseStatus::kCommand) commands++;
  EXPECT_EQ(commands, 1990u);
  EXPECT_EQ(probe.count(), 0u);
}

// Random inputs built from protocol fragments, with tiny limits so that every limit path runs:
// any split must give the same result as parsing whole, and nothing may crash.
TEST(RequestParser, RandomInputsAreSplitInvariantAndNeverCrash) {
  static const std::vector<std::string> kFragments = {"*",
                                                      "$",
                                                      "\r\n",
                                                      "\r",
                                                      "\n",
                                                      "0",
                                                      "1",
                                                      "2",
                                                      "3",
                                                      "-1",
                                                      "17",
                                                      "x",
                                                      "ab",
                                                      " ",
                                                      "\t",
                                                      "\"",
                                                      "'",
                                                      "\\",
                                                      "\\x4",
                                                      "1\r\n$1\r\na\r\n",
                                                      "*1\r\n$4\r\nPING\r\n",
                                                      "PING\r\n",
                                                      "*0\r\n",
                                                      "*5\r\n",
                                                      "*12\r\n",
                                                      "$9\r\n123456789\r\n",
                                                      std::string(1, '\0'),
                                                      "\xff",
                                                      "99999999999999999999"};
  std::mt19937 rng(20240601);
  ParserLimits limits;
  limits.max_inline_len = 24;
  limits.max_bulk_len = 20;
  limits.max_multibulk_len = 6;
  limits.query_buffer_limit = 40;
  std::set<std::string> outcomes;  // the kinds of result seen, to show the inputs reach far
  for (int iter = 0; iter < 1500; iter++) {
    std::string in;
    const int parts = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < parts; i++) {
      if (rng() % 8 == 0) {
        in.push_back(static_cast<char>(rng()));
      } else {
        in += kFragments[rng() % kFragments.size()];
      }
    }
    ParserLimits use = iter % 2 == 0 ? limits : ParserLimits{};
    if (iter % 4 == 2) use.query_buffer_limit = 16;  // below max_inline_len
    if (iter % 3 == 0) use.auth_required = true;
    const std::string whole = RunWhole(in, use);
    if (whole.find("cmd") != std::string::npos) outcomes.insert("cmd");
    const size_t last = whole.rfind('\n', whole.size() - 2);
    outcomes.insert(whole.substr(last == std::string::npos ? 0 : last + 1, 30));
    std::vector<std::string_view> pieces;
    for (size_t off = 0; off < in.size();) {
      const size_t n = 1 + rng() % 7;
      pieces.push_back(std::string_view(in).substr(off, n));
      off += n;
    }
    ASSERT_EQ(RunPieces(pieces, use), whole) << Escape(in);
    if (iter % 10 == 0) RunAllSplits(in, use);
  }
  EXPECT_GE(outcomes.size(), 12u);
  for (const char* seen :
       {"cmd", "error ERR Protocol error: inva", "error ERR Protocol error: expe",
        "error ERR Protocol error: unba", "error ERR Protocol error: too ",
        "error ERR Protocol error: quer", "error ERR Protocol error: unau"}) {
    EXPECT_TRUE(std::any_of(outcomes.begin(), outcomes.end(), [&](const std::string& o) {
      return o.starts_with(seen);
    })) << seen;
  }
  for (int iter = 0; iter < 300; iter++) {  // plain random bytes
    std::string in(rng() % 200, '\0');
    for (char& c : in) c = static_cast<char>(rng());
    if (iter % 3 == 0) in[0] = '*';
    RunAllSplits(in, limits);
  }
}

}  // namespace
}  // namespace stash::resp
