// ReplyWriter: encodes replies for one connection in RESP2 or RESP3. The bytes of every reply
// type are spelled out at the top of reply_writer.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stash::resp {

// Thread-safety: none; a writer and its output string belong to one connection.
// The writer only appends complete RESP elements (an aggregate header announces n elements; the
// caller writes those n next). It never reads or truncates what is already in *out.
class ReplyWriter {
 public:
  // Appends to *out, which it does not own. REQUIRES: out outlives the writer.
  explicit ReplyWriter(std::string* out) : out_(out) {}

  // 2 (the default) or 3; any other value is treated as 2. Affects the replies written after it.
  void SetProtocol(int proto) { proto_ = proto == 3 ? 3 : 2; }
  int protocol() const { return proto_; }

  void Simple(std::string_view s);  // +s (CR/LF inside s replaced by spaces)
  // -s. s carries its code ("ERR ...", "WRONGTYPE ..."); a leading '-' in s is not doubled.
  // CR/LF inside s are replaced by spaces, as Redis does.
  void Error(std::string_view s);
  void Integer(int64_t v);
  void Bulk(std::string_view s);  // binary safe
  void Null();                    // RESP2 $-1, RESP3 _
  void NullArray();               // RESP2 *-1, RESP3 _
  void ArrayHeader(size_t n);
  void MapHeader(size_t n);   // n key/value pairs follow: RESP3 %n, RESP2 *2n
  void SetHeader(size_t n);   // RESP3 ~n, RESP2 *n
  void PushHeader(size_t n);  // RESP3 >n, RESP2 *n
  // Redis 7.0 addReplyDouble: %.17g; inf / -inf spelled out; NaN written as "nan".
  // RESP3 ,d; RESP2 a bulk string.
  void Double(double d);
  // Redis's text of a double ("%.17g"; inf, -inf, nan): what Double sends.
  static std::string DoubleText(double d);
  void Bool(bool b);  // RESP3 #t / #f, RESP2 :1 / :0
  // RESP3 =len fmt:text; RESP2 a bulk string of text. REQUIRES: format.size() == 3 (another
  // size is replaced by "txt").
  void Verbatim(std::string_view text, std::string_view format = "txt");
  void BigNumber(std::string_view digits);                // RESP3 (digits; RESP2 a bulk string
  void BulkArray(const std::vector<std::string>& items);  // *n then n bulk strings

 private:
  void Header(char type, uint64_t n);        // <type><n>\r\n
  void Line(char type, std::string_view s);  // <type>s\r\n, CR/LF in s replaced by spaces

  std::string* out_;
  int proto_ = 2;
};

}  // namespace stash::resp
