// libFuzzer target for RequestParser (build and run: scripts/fuzz-resp.sh).
//
// Input: byte 0 picks where the rest is cut in two (its low bit also sets auth_required for the
// default limits); the rest is the client byte stream. Each stream is parsed with default and
// with tiny limits, whole, cut in two, and (when short) one byte at a time. Invariants checked
// (a violation aborts):
//   - every cut gives the same commands, the same error and the same pending byte count;
//   - BufferedBytes() and PendingCommandBytes() never exceed the bytes fed;
//   - a command has at least one argument and its arguments hold no more bytes than were fed;
//   - an error text is one of the parser's texts, and the error state is sticky.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "resp/request_parser.h"

namespace {

using stash::resp::ParserLimits;
using stash::resp::ParseStatus;
using stash::resp::RequestParser;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "request_parser_fuzz: invariant violated: %s\n", what);
    std::abort();
  }
}

bool KnownError(std::string_view e) {
  static const std::string_view kTexts[] = {
      "ERR Protocol error: invalid multibulk length",
      "ERR Protocol error: invalid bulk length",
      "ERR Protocol error: unauthenticated multibulk length",
      "ERR Protocol error: unauthenticated bulk length",
      "ERR Protocol error: too big mbulk count string",
      "ERR Protocol error: too big bulk count string",
      "ERR Protocol error: too big inline request",
      "ERR Protocol error: unbalanced quotes in request",
      stash::resp::kQueryBufferLimitError,
  };
  for (std::string_view t : kTexts) {
    if (e == t) return true;
  }
  constexpr std::string_view kExpected = "ERR Protocol error: expected '$', got '";
  return e.size() == kExpected.size() + 2 && e.starts_with(kExpected) && e.back() == '\'';
}

// Feeds the pieces, draining after each, and returns a transcript of the results.
std::string Run(const std::vector<std::string_view>& pieces, const ParserLimits& limits) {
  RequestParser parser(limits);
  std::vector<std::string> argv;
  std::string error;
  std::string log;
  size_t fed = 0;
  for (std::string_view piece : pieces) {
    parser.Feed(piece.data(), piece.size());
    fed += piece.size();
    ParseStatus st;
    while ((st = parser.Next(&argv, &error)) == ParseStatus::kCommand) {
      Check(!argv.empty(), "command without arguments");
      size_t bytes = 0;
      log += "C";
      for (const std::string& a : argv) {
        bytes += a.size();
        log += std::to_string(a.size()) + ":" + a;
      }
      Check(bytes <= fed, "arguments hold more bytes than were fed");
    }
    Check(parser.BufferedBytes() <= fed, "BufferedBytes exceeds the input");
    Check(parser.PendingCommandBytes() <= fed, "PendingCommandBytes exceeds the input");
    Check(argv.empty(), "argv not empty after kNeedMore/kError");
    if (st == ParseStatus::kError) {
      Check(KnownError(error), "unknown error text");
      std::string again;
      parser.Feed("*1\r\n$4\r\nPING\r\n");
      Check(parser.Next(&argv, &again) == ParseStatus::kError && again == error,
            "error state not sticky");
      return log + "E" + error;
    }
  }
  return log + "N" + std::to_string(parser.PendingCommandBytes());
}

void RunAllWays(std::string_view in, size_t cut, const ParserLimits& limits) {
  const std::string whole = Run({in}, limits);
  Check(Run({in.substr(0, cut), in.substr(cut)}, limits) == whole, "cut changes the result");
  if (in.size() <= 256) {
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < in.size(); i++) bytes.push_back(in.substr(i, 1));
    Check(Run(bytes, limits) == whole, "byte-by-byte feeding changes the result");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t cut = static_cast<size_t>(data[0]) * in.size() / 255;
  ParserLimits defaults;
  defaults.auth_required = (data[0] & 1) != 0;
  RunAllWays(in, cut, defaults);
  ParserLimits tiny;
  tiny.max_inline_len = 24;
  tiny.max_bulk_len = 20;
  tiny.max_multibulk_len = 6;
  tiny.query_buffer_limit = 40;
  RunAllWays(in, cut, tiny);
  tiny.query_buffer_limit = 16;
  RunAllWays(in, cut, tiny);
  return 0;
}
