// RequestParser: the incremental parser of client requests (RESP multibulk arrays of bulk strings,
// and inline commands), with Redis 7.0's rules and error texts. The byte grammar is spelled out at
// the top of request_parser.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stash::resp {

struct ParserLimits {
  size_t max_bulk_len = 512ull << 20;      // proto-max-bulk-len
  size_t query_buffer_limit = 1ull << 30;  // client-query-buffer-limit: wire bytes of one command
  size_t max_inline_len = 64 * 1024;       // Redis PROTO_INLINE_MAX_SIZE (also caps count lines)
  int64_t max_multibulk_len = 1024ll * 1024 * 1024;  // more elements: "invalid multibulk length"
  // The client has not authenticated yet (requirepass set): Redis 7.0 then refuses more than
  // kUnauthMaxArgs elements and bulks longer than kUnauthMaxBulkLen. Set it false after AUTH.
  bool auth_required = false;
  static constexpr int64_t kUnauthMaxArgs = 10;
  static constexpr int64_t kUnauthMaxBulkLen = 16384;
};

enum class ParseStatus { kCommand, kNeedMore, kError };

// Error text when one command's wire bytes exceed ParserLimits::query_buffer_limit. (Redis closes
// such a client without a reply; StashDB replies this, then closes.)
inline constexpr std::string_view kQueryBufferLimitError =
    "ERR Protocol error: query buffer limit exceeded";

// Thread-safety: none; one parser belongs to one connection and is used by one thread at a time.
//
// The result depends only on the byte stream, never on how it was cut into Feed calls: a stream
// fed whole, byte by byte, or split anywhere yields the same commands and the same error. (Redis
// decides "too big" errors by what one read happened to bring; this parser decides them as Redis
// would if the bytes arrived one at a time.)
//
// Memory: nothing is allocated for an announced array or bulk length before its bytes arrive; the
// bytes of a bulk argument are copied once, into the argument, as they arrive; consumed bytes are
// dropped from the buffer.
class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {});

  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Takes effect from the next Next() call, also for a command already partly received.
  void SetLimits(const ParserLimits& limits);
  const ParserLimits& limits() const { return limits_; }

  // Appends bytes received from the socket. The bytes are copied; data need not outlive the call.
  // In the error state the bytes are dropped.
  void Feed(const char* data, size_t n);
  void Feed(std::string_view data) { Feed(data.data(), data.size()); }

  // Parses the next complete command. *argv's old contents are discarded (its capacity, and the
  // buffers of its strings, are reused).
  //  kCommand:  *argv holds the command's arguments (at least one). Empty inline lines, `*0` and
  //             `*-1` are skipped, never returned.
  //  kNeedMore: feed more bytes; *argv is empty.
  //  kError:    *error holds Redis's text without the leading '-' and the CRLF, e.g.
  //             "ERR Protocol error: invalid multibulk length". The connection must reply it and
  //             close. The parser stays in the error state: every later call returns the same.
  // REQUIRES: argv != nullptr, error != nullptr.
  ParseStatus Next(std::vector<std::string>* argv, std::string* error);

  // Bytes buffered and not yet consumed (CLIENT LIST qbuf). Bytes of a bulk argument that is
  // still arriving have already been moved into the argument and are not counted here.
  size_t BufferedBytes() const { return buf_.size() - rpos_; }

  // While a command is partly received: its wire bytes received so far, which is what
  // ParserLimits::query_buffer_limit bounds. Between commands: BufferedBytes().
  size_t PendingCommandBytes() const;

 private:
  enum class State { kCommandStart, kInline, kCount, kBulkHeader, kBulkData, kError };
  enum class Step { kContinue, kNeedMore, kCommand, kError };
  enum class Scan { kFound, kMissing, kTooLong };

  // A whole multibulk command already in the buffer, with nothing unusual about it, parsed
  // straight into *argv in one pass (the common case of a pipeline). False: nothing consumed, the
  // state machine below parses it.
  bool ParseWhole(std::vector<std::string>* argv);
  // Makes argv n strings long. Strings leaving it go to the spare slots of args_ (when larger),
  // strings joining it come from there: commands of different lengths reuse their buffers.
  void ResizeArgv(std::vector<std::string>* argv, size_t n);
  Step ParseInline();
  Step ParseCount();
  Step ParseBulks();  // loops over ParseBulkHeader and ParseBulkData
  Step ParseBulkHeader();
  Step ParseBulkData();
  Step Fail(std::string_view text);
  // Finds the CR of the count or bulk-header line at rpos_. kContinue: the CR is at rpos_ + *cr
  // and the byte after it has arrived.
  Step ReadCountLine(std::string_view too_big, size_t* cr);
  // Looks for `delim` in the line at rpos_ (remembering how far earlier calls looked). kTooLong:
  // more than max_inline_len bytes are here and none of them is `delim`.
  Scan FindDelim(char delim, size_t* offset);
  // True if an event needing the bytes up to rpos_ + rel_end ends beyond the query buffer limit.
  bool ExceedsLimit(size_t rel_end) const;
  // Takes larger string buffers from the caller's old *argv into spare argument slots.
  void ReclaimStrings(std::vector<std::string>* argv);
  // Starts the next argument in a reused string slot and returns it (empty).
  std::string& NewArg();
  // Splits an inline line like Redis's sdssplitargs into args_; false on unbalanced quotes.
  bool SplitInline(std::string_view line);
  void Consume(size_t n);
  void Compact();

  ParserLimits limits_;
  State state_ = State::kCommandStart;
  std::string buf_;  // received bytes; [rpos_, size) not yet consumed
  size_t rpos_ = 0;
  size_t scanned_ = 0;      // bytes at rpos_ known not to hold the delimiter being looked for
  uint64_t consumed_ = 0;   // stream offset of rpos_ (counts bytes moved straight into arguments)
  uint64_t cmd_start_ = 0;  // stream offset of the first byte of the current command
  int64_t args_left_ = 0;   // bulk arguments still to come in the current multibulk
  uint64_t bulk_len_ = 0;   // length of the bulk argument being read
  uint64_t bulk_left_ = 0;  // its bytes still to come, including the 2-byte terminator
  std::vector<std::string> args_;  // args_[0, argc_) is the command being parsed; more are spare
  size_t argc_ = 0;
  std::string error_;
};

}  // namespace stash::resp
