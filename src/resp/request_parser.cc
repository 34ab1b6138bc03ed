// Client request grammar (Redis 7.0, networking.c processInlineBuffer / processMultibulkBuffer):
//
//   request   := multibulk | inline            first byte '*' means multibulk, anything else inline
//   multibulk := '*' count CR X ( '$' len CR X <len bytes> Y Y ){count}
//   inline    := <line bytes> [CR] LF          split like sdssplitargs (see SplitInline)
//
//   count, len: Redis string2ll: "0" or -?[1-9][0-9]* within int64, at most 20 characters.
//   X: any one byte after the CR of a count line (Redis skips it unchecked; clients send LF).
//   Y Y: any two bytes after a bulk payload (Redis skips them unchecked; clients send CR LF).
//   count <= 0 (`*0`, `*-1`): skipped, no command. count > max_multibulk_len: error.
//   len < 0 or > max_bulk_len: error. An inline line that splits into no words: skipped.
//
// Errors (texts are Redis's), each decided at the byte where Redis would decide it if the bytes
// arrived one at a time:
//   "ERR Protocol error: invalid multibulk length"    count not a number or too large
//   "ERR Protocol error: expected '$', got 'X'"       a bulk header not starting with '$'
//   "ERR Protocol error: invalid bulk length"         len not a number, negative or too large
//   "ERR Protocol error: unauthenticated multibulk length"  auth_required and count > 10
//   "ERR Protocol error: unauthenticated bulk length"       auth_required and len > 16384
//   "ERR Protocol error: too big mbulk count string"  no CR in the first max_inline_len+1 bytes
//   "ERR Protocol error: too big bulk count string"   of a count / bulk header line
//   "ERR Protocol error: too big inline request"      no LF in the first max_inline_len+1 bytes
//   "ERR Protocol error: unbalanced quotes in request"
//   kQueryBufferLimitError                            a command longer than query_buffer_limit
//
// Deviation: Redis finds line ends with strchr, so a NUL byte hides the rest of the buffer and the
// client hangs until a "too big" error. Here lines are found with memchr; an inline line is cut at
// its first NUL before splitting, as sdssplitargs would cut it.
#include "resp/request_parser.h"

#include <algorithm>
#include <cstring>

namespace stash::resp {
namespace {

// Strings whose capacity is above this are freed instead of reused for the next command.
constexpr size_t kMaxReusedArgCapacity = 64 * 1024;
// Arguments up to this long are copied to the caller (if that needs no allocation), longer
// ones are swapped.
constexpr size_t kMaxCopiedArgLen = 64;
// After a command with more arguments than this, spare argument slots beyond it are freed.
constexpr size_t kMaxSpareArgs = 1024;
// The fast path (ParseWhole) takes commands of at most this many arguments.
constexpr int64_t kFastMaxArgs = 1024;
// Consumed bytes are moved out of the buffer once there are this many and at least as many as
// the bytes still to be parsed (so each byte is moved O(1) times).
constexpr size_t kCompactMinBytes = 4096;
// An empty buffer with more capacity than this is freed.
constexpr size_t kMaxIdleBufferCapacity = 256 * 1024;

// Redis's string2ll, byte for byte.
bool ParseInt64(const char* s, size_t len, int64_t* out) {
  if (len == 0 || len >= 21) return false;
  if (len == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  if (len <= 18 && s[0] >= '1' && s[0] <= '9') {  // the common case: cannot overflow
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  }
  size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative && ++i == len) return false;
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > UINT64_MAX / 10 || v * 10 > UINT64_MAX - digit) return false;
    v = v * 10 + digit;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

// isspace() in the C locale, which is what Redis runs with.
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// A byte that neither ends an unquoted word nor opens a quote.
bool IsPlainWordByte(char c) {
  return c != ' ' && c != '\n' && c != '\r' && c != '\t' && c != '"' && c != '\'';
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c <= '9') return c - '0';
  return (c | 0x20) - 'a' + 10;
}

// Appends n bytes to an argument of final length total, growing geometrically but never past
// total, so a large argument ends in exactly one allocation of its own size.
void AppendToArg(std::string* arg, const char* p, size_t n, uint64_t total) {
  const size_t need = arg->size() + n;
  if (need > arg->capacity()) {
    const uint64_t grown = std::max<uint64_t>(need, 2 * static_cast<uint64_t>(arg->capacity()));
    arg->reserve(static_cast<size_t>(std::min(grown, total)));
  }
  arg->append(p, n);
}

}  // namespace

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {}

void RequestParser::SetLimits(const ParserLimits& limits) { limits_ = limits; }

size_t RequestParser::PendingCommandBytes() const {
  if (state_ == State::kCommandStart || state_ == State::kError) return BufferedBytes();
  return static_cast<size_t>(consumed_ + BufferedBytes() - cmd_start_);
}

void RequestParser::Feed(const char* data, size_t n) {
  if (state_ == State::kError || n == 0) return;
  // Payload bytes of the argument being received go straight into it when nothing precedes them.
  if (state_ == State::kBulkData && rpos_ == buf_.size() && bulk_left_ > 2) {
    const size_t k = static_cast<size_t>(std::min<uint64_t>(n, bulk_left_ - 2));
    AppendToArg(&args_[argc_ - 1], data, k, bulk_len_);
    bulk_left_ -= k;
    consumed_ += k;
    data += k;
    n -= k;
    if (n == 0) return;
  }
  Compact();
  buf_.append(data, n);
}

void RequestParser::Compact() {
  if (rpos_ == 0) return;
  if (rpos_ == buf_.size()) {
    if (buf_.capacity() > kMaxIdleBufferCapacity) {
      std::string().swap(buf_);
    } else {
      buf_.clear();
    }
    rpos_ = 0;
  } else if (rpos_ >= kCompactMinBytes && rpos_ >= buf_.size() - rpos_) {
    buf_.erase(0, rpos_);
    rpos_ = 0;
  }
}

void RequestParser::Consume(size_t n) {
  rpos_ += n;
  consumed_ += n;
  scanned_ = 0;
}

bool RequestParser::ExceedsLimit(size_t rel_end) const {
  return consumed_ + rel_end - cmd_start_ > limits_.query_buffer_limit;
}

// The caller's old strings beyond the arguments in progress replace spare slots with smaller
// buffers, so that steady traffic parses without allocating.
void RequestParser::ReclaimStrings(std::vector<std::string>* argv) {
  for (size_t i = argc_; i < argv->size() && i < args_.size(); i++) {
    std::string& old = (*argv)[i];
    if (old.capacity() > args_[i].capacity() && old.capacity() <= kMaxReusedArgCapacity) {
      old.swap(args_[i]);
    }
  }
}

ParseStatus RequestParser::Next(std::vector<std::string>* argv, std::string* error) {
  while (true) {
    Step step = Step::kContinue;
    switch (state_) {
      case State::kError:
        argv->clear();
        *error = error_;
        return ParseStatus::kError;
      case State::kCommandStart:
        if (rpos_ == buf_.size()) {
          ReclaimStrings(argv);
          argv->clear();
          return ParseStatus::kNeedMore;
        }
        if (buf_[rpos_] == '*' && ParseWhole(argv)) return ParseStatus::kCommand;
        cmd_start_ = consumed_;
        state_ = buf_[rpos_] == '*' ? State::kCount : State::kInline;
        continue;
      case State::kInline:
        step = ParseInline();
        break;
      case State::kCount:
        step = ParseCount();
        break;
      case State::kBulkHeader:
      case State::kBulkData:
        step = ParseBulks();
        break;
    }
    switch (step) {
      case Step::kContinue:
        break;
      case Step::kNeedMore:
        // Everything buffered belongs to the unfinished command.
        if (ExceedsLimit(BufferedBytes())) {
          Fail(kQueryBufferLimitError);
          continue;
        }
        ReclaimStrings(argv);
        argv->clear();
        return ParseStatus::kNeedMore;
      case Step::kCommand:
        ReclaimStrings(argv);
        argv->resize(argc_);
        for (size_t i = 0; i < argc_; i++) {
          // Copying a short string is cheaper than swapping, unless it would allocate.
          const size_t len = args_[i].size();
          if (len <= kMaxCopiedArgLen && len <= (*argv)[i].capacity()) {
            (*argv)[i].assign(args_[i]);
          } else {
            (*argv)[i].swap(args_[i]);
            if (args_[i].capacity() > kMaxReusedArgCapacity) std::string().swap(args_[i]);
          }
        }
        if (args_.size() > kMaxSpareArgs) {
          args_.resize(kMaxSpareArgs);
          args_.shrink_to_fit();
        }
        argc_ = 0;
        state_ = State::kCommandStart;
        return ParseStatus::kCommand;
      case Step::kError:
        continue;  // reported by the kError state
    }
  }
}

// The fast path. Every check the state machine makes is made here too, and anything it would
// treat specially (an error, a limit, a missing byte, an empty or long argument list, a long
// argument) makes this give up before consuming anything, so the state machine then decides it
// byte for byte.
bool RequestParser::ParseWhole(std::vector<std::string>* argv) {
  const char* const begin = buf_.data() + rpos_;
  const char* const end = buf_.data() + buf_.size();
  // The line at p ("*<n>" or "$<n>", then CR and one more byte) when <n> is a plain number of
  // at most 18 digits (no sign, no leading zero but "0"): its value and the byte after the line.
  auto read_line = [&](const char* p, int64_t* n) -> const char* {
    const char* q = p + 1;
    const char* const stop = end - q > 18 ? q + 18 : end;
    int64_t v = 0;
    while (q < stop && static_cast<unsigned char>(*q - '0') <= 9) v = v * 10 + (*q++ - '0');
    const size_t digits = static_cast<size_t>(q - p - 1);
    if (q == end || *q != '\r' || digits == 0 || (digits > 1 && p[1] == '0') ||
        digits + 1 > limits_.max_inline_len || end - q < 2) {
      return nullptr;
    }
    *n = v;
    return q + 2;
  };
  int64_t count = 0;
  const char* p = read_line(begin, &count);
  if (p == nullptr || count <= 0 || count > kFastMaxArgs || count > limits_.max_multibulk_len ||
      (limits_.auth_required && count > ParserLimits::kUnauthMaxArgs)) {
    return false;
  }
  if (argv->size() < static_cast<size_t>(count)) ResizeArgv(argv, static_cast<size_t>(count));
  for (int64_t i = 0; i < count; i++) {
    int64_t len = 0;
    if (p == end || *p != '$') return false;
    p = read_line(p, &len);
    if (p == nullptr || len < 0 || static_cast<uint64_t>(len) > limits_.max_bulk_len ||
        len > static_cast<int64_t>(kMaxReusedArgCapacity) ||
        (limits_.auth_required && len > ParserLimits::kUnauthMaxBulkLen) ||
        static_cast<size_t>(end - p) < static_cast<size_t>(len) + 2) {
      return false;
    }
    (*argv)[static_cast<size_t>(i)].assign(p, static_cast<size_t>(len));
    p += len + 2;
  }
  const size_t total = static_cast<size_t>(p - begin);
  if (total > limits_.query_buffer_limit) return false;
  ResizeArgv(argv, static_cast<size_t>(count));
  cmd_start_ = consumed_;
  Consume(total);
  return true;
}

void RequestParser::ResizeArgv(std::vector<std::string>* argv, size_t n) {
  const size_t old = argv->size();
  const size_t pooled = std::min(old, kMaxSpareArgs);
  if (args_.size() < pooled) args_.resize(pooled);
  for (size_t i = n; i < pooled; i++) {
    std::string& leaving = (*argv)[i];
    if (leaving.capacity() > args_[i].capacity() && leaving.capacity() <= kMaxReusedArgCapacity) {
      leaving.swap(args_[i]);
    }
  }
  argv->resize(n);
  for (size_t i = old; i < n && i < args_.size(); i++) (*argv)[i].swap(args_[i]);
}

RequestParser::Step RequestParser::Fail(std::string_view text) {
  state_ = State::kError;
  error_.assign(text);
  argc_ = 0;
  std::vector<std::string>().swap(args_);
  std::string().swap(buf_);
  rpos_ = 0;
  scanned_ = 0;
  return Step::kError;
}

RequestParser::Scan RequestParser::FindDelim(char delim, size_t* offset) {
  const size_t avail = BufferedBytes();
  const size_t window = avail > limits_.max_inline_len ? limits_.max_inline_len + 1 : avail;
  if (scanned_ < window) {
    const char* line = buf_.data() + rpos_;
    const void* hit = std::memchr(line + scanned_, delim, window - scanned_);
    if (hit != nullptr) {
      *offset = static_cast<size_t>(static_cast<const char*>(hit) - line);
      scanned_ = *offset;
      return Scan::kFound;
    }
    scanned_ = window;
  }
  return avail > limits_.max_inline_len ? Scan::kTooLong : Scan::kMissing;
}

RequestParser::Step RequestParser::ParseInline() {
  size_t lf = 0;
  switch (FindDelim('\n', &lf)) {
    case Scan::kMissing:
      return Step::kNeedMore;
    case Scan::kTooLong:
      return Fail(ExceedsLimit(limits_.max_inline_len + 1)
                      ? kQueryBufferLimitError
                      : std::string_view("ERR Protocol error: too big inline request"));
    case Scan::kFound:
      break;
  }
  if (ExceedsLimit(lf + 1)) return Fail(kQueryBufferLimitError);
  std::string_view line(buf_.data() + rpos_, lf);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  Consume(lf + 1);  // only moves rpos_: line stays valid
  if (!SplitInline(line)) return Fail("ERR Protocol error: unbalanced quotes in request");
  if (argc_ == 0) {
    state_ = State::kCommandStart;
    return Step::kContinue;
  }
  return Step::kCommand;
}

RequestParser::Step RequestParser::ReadCountLine(std::string_view too_big, size_t* cr) {
  switch (FindDelim('\r', cr)) {
    case Scan::kMissing:
      return Step::kNeedMore;
    case Scan::kTooLong:
      return Fail(ExceedsLimit(limits_.max_inline_len + 1) ? kQueryBufferLimitError : too_big);
    case Scan::kFound:
      if (BufferedBytes() < *cr + 2) return Step::kNeedMore;
      break;
  }
  if (ExceedsLimit(*cr + 2)) return Fail(kQueryBufferLimitError);
  return Step::kContinue;
}

RequestParser::Step RequestParser::ParseCount() {
  size_t cr = 0;
  const Step step = ReadCountLine("ERR Protocol error: too big mbulk count string", &cr);
  if (step != Step::kContinue) return step;
  int64_t count = 0;  // the line is "*<count>": cr >= 1
  if (!ParseInt64(buf_.data() + rpos_ + 1, cr - 1, &count) || count > limits_.max_multibulk_len) {
    return Fail("ERR Protocol error: invalid multibulk length");
  }
  if (limits_.auth_required && count > ParserLimits::kUnauthMaxArgs) {
    return Fail("ERR Protocol error: unauthenticated multibulk length");
  }
  Consume(cr + 2);
  if (count <= 0) {
    state_ = State::kCommandStart;
  } else {
    args_left_ = count;
    state_ = State::kBulkHeader;
  }
  return Step::kContinue;
}

RequestParser::Step RequestParser::ParseBulks() {
  while (true) {
    const Step step = state_ == State::kBulkHeader ? ParseBulkHeader() : ParseBulkData();
    if (step != Step::kContinue || state_ == State::kError) return step;
  }
}

RequestParser::Step RequestParser::ParseBulkHeader() {
  size_t cr = 0;
  const Step step = ReadCountLine("ERR Protocol error: too big bulk count string", &cr);
  if (step != Step::kContinue) return step;
  const char* line = buf_.data() + rpos_;
  if (line[0] != '$') {
    std::string text = "ERR Protocol error: expected '$', got ' '";
    text[text.size() - 2] = line[0];
    return Fail(text);
  }
  int64_t len = 0;
  if (!ParseInt64(line + 1, cr - 1, &len) || len < 0 ||
      static_cast<uint64_t>(len) > limits_.max_bulk_len) {
    return Fail("ERR Protocol error: invalid bulk length");
  }
  if (limits_.auth_required && len > ParserLimits::kUnauthMaxBulkLen) {
    return Fail("ERR Protocol error: unauthenticated bulk length");
  }
  Consume(cr + 2);
  bulk_len_ = static_cast<uint64_t>(len);
  bulk_left_ = bulk_len_ + 2;
  NewArg();
  state_ = State::kBulkData;
  return Step::kContinue;
}

RequestParser::Step RequestParser::ParseBulkData() {
  std::string& arg = args_[argc_ - 1];
  const size_t avail = BufferedBytes();
  const bool complete = bulk_left_ <= avail;
  if (complete && ExceedsLimit(static_cast<size_t>(bulk_left_))) {
    return Fail(kQueryBufferLimitError);
  }
  const size_t take = complete ? static_cast<size_t>(bulk_left_) : avail;
  const uint64_t payload_left = bulk_left_ > 2 ? bulk_left_ - 2 : 0;
  const size_t copy = static_cast<size_t>(std::min<uint64_t>(take, payload_left));
  AppendToArg(&arg, buf_.data() + rpos_, copy, bulk_len_);
  Consume(take);
  bulk_left_ -= take;
  if (!complete) return Step::kNeedMore;
  if (--args_left_ > 0) {
    state_ = State::kBulkHeader;
    return Step::kContinue;
  }
  return Step::kCommand;
}

std::string& RequestParser::NewArg() {
  if (argc_ == args_.size()) args_.emplace_back();
  std::string& arg = args_[argc_++];
  if (arg.capacity() > kMaxReusedArgCapacity) {
    std::string().swap(arg);
  } else {
    arg.clear();
  }
  return arg;
}

// sdssplitargs: blanks (C isspace) separate words; "double quotes" take \n \r \t \b \a, \xHH and
// \<any> escapes; 'single quotes' take only \'; a closing quote must be followed by a blank or the
// end of the line. A quote may open in the middle of a word: a"b c" is the single word `ab c`.
bool RequestParser::SplitInline(std::string_view line) {
  line = line.substr(0, line.find('\0'));
  const char* p = line.data();
  const char* const end = p + line.size();
  auto at = [end](const char* q) { return q < end ? *q : '\0'; };
  while (true) {
    while (p < end && IsSpace(*p)) p++;
    if (p == end) return true;
    std::string& word = NewArg();
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      const char c = at(p);
      if (in_double) {
        if (c == '\\' && at(p + 1) == 'x' && IsHexDigit(at(p + 2)) && IsHexDigit(at(p + 3))) {
          word.push_back(static_cast<char>(HexValue(p[2]) * 16 + HexValue(p[3])));
          p += 3;
        } else if (c == '\\' && at(p + 1) != '\0') {
          p++;
          switch (*p) {
            case 'n':
              word.push_back('\n');
              break;
            case 'r':
              word.push_back('\r');
              break;
            case 't':
              word.push_back('\t');
              break;
            case 'b':
              word.push_back('\b');
              break;
            case 'a':
              word.push_back('\a');
              break;
            default:
              word.push_back(*p);
              break;
          }
        } else if (c == '"') {
          if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          word.push_back(c);
        }
      } else if (in_single) {
        if (c == '\\' && at(p + 1) == '\'') {
          p++;
          word.push_back('\'');
        } else if (c == '\'') {
          if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          word.push_back(c);
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default: {  // a run of plain bytes at once
            const char* run = p;
            while (p + 1 < end && IsPlainWordByte(p[1])) p++;
            word.append(run, static_cast<size_t>(p - run + 1));
            break;
          }
        }
      }
      if (p < end) p++;
    }
  }
}

}  // namespace stash::resp
