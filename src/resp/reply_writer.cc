// Reply bytes (RESP2 and RESP3; every line ends in CR LF, written \r\n below):
//
//   simple string  +<text>\r\n                     text has no CR or LF
//   error          -<CODE> <text>\r\n               text has no CR or LF
//   integer        :<int64 decimal>\r\n
//   bulk string    $<len>\r\n<len bytes>\r\n
//   null           RESP2 $-1\r\n (bulk) or *-1\r\n (array); RESP3 _\r\n (both)
//   array          *<n>\r\n then n elements
//   map            RESP3 %<n>\r\n then n keys each followed by its value; RESP2 *<2n>\r\n
//   set            RESP3 ~<n>\r\n; RESP2 *<n>\r\n
//   push           RESP3 ><n>\r\n; RESP2 *<n>\r\n
//   double         RESP3 ,<%.17g | inf | -inf | nan>\r\n; RESP2 the same text as a bulk string
//   boolean        RESP3 #t\r\n / #f\r\n; RESP2 :1\r\n / :0\r\n
//   verbatim       RESP3 =<len>\r\n<3-byte format>:<text>\r\n, len = 4 + text length;
//                  RESP2 the text as a bulk string
//   big number     RESP3 (<digits>\r\n; RESP2 the digits as a bulk string
#include "resp/reply_writer.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace stash::resp {

void ReplyWriter::Header(char type, uint64_t n) {
  char buf[24];
  buf[0] = type;
  char* end = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n).ptr;
  *end++ = '\r';
  *end++ = '\n';
  out_->append(buf, static_cast<size_t>(end - buf));
}

void ReplyWriter::Line(char type, std::string_view s) {
  const size_t start = out_->size();
  out_->push_back(type);
  out_->append(s);
  for (size_t i = start + 1; i < out_->size(); i++) {
    char& c = (*out_)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
  out_->append("\r\n", 2);
}

void ReplyWriter::Simple(std::string_view s) { Line('+', s); }

void ReplyWriter::Error(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  Line('-', s);
}

void ReplyWriter::Integer(int64_t v) {
  char buf[24];
  buf[0] = ':';
  char* end = std::to_chars(buf + 1, buf + sizeof(buf) - 2, v).ptr;
  *end++ = '\r';
  *end++ = '\n';
  out_->append(buf, static_cast<size_t>(end - buf));
}

void ReplyWriter::Bulk(std::string_view s) {
  Header('$', s.size());
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyWriter::Null() { out_->append(proto_ == 3 ? "_\r\n" : "$-1\r\n"); }

void ReplyWriter::NullArray() { out_->append(proto_ == 3 ? "_\r\n" : "*-1\r\n"); }

void ReplyWriter::ArrayHeader(size_t n) { Header('*', n); }

void ReplyWriter::MapHeader(size_t n) {
  if (proto_ == 3) {
    Header('%', n);
  } else {
    Header('*', 2 * static_cast<uint64_t>(n));
  }
}

void ReplyWriter::SetHeader(size_t n) { Header(proto_ == 3 ? '~' : '*', n); }

void ReplyWriter::PushHeader(size_t n) { Header(proto_ == 3 ? '>' : '*', n); }

std::string ReplyWriter::DoubleText(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (std::isnan(d)) return "nan";  // glibc would print "-nan" for a NaN with the sign bit set
  char buf[64];
  const int n = std::snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, static_cast<size_t>(n));
}

void ReplyWriter::Double(double d) {
  const std::string text = DoubleText(d);
  if (proto_ == 3) {
    Line(',', text);
  } else {
    Bulk(text);
  }
}

void ReplyWriter::Bool(bool b) {
  if (proto_ == 3) {
    out_->append(b ? "#t\r\n" : "#f\r\n");
  } else {
    out_->append(b ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyWriter::Verbatim(std::string_view text, std::string_view format) {
  if (proto_ != 3) {
    Bulk(text);
    return;
  }
  if (format.size() != 3) format = "txt";
  Header('=', 4 + static_cast<uint64_t>(text.size()));
  out_->append(format);
  out_->push_back(':');
  out_->append(text);
  out_->append("\r\n", 2);
}

void ReplyWriter::BigNumber(std::string_view digits) {
  if (proto_ == 3) {
    Line('(', digits);
  } else {
    Bulk(digits);
  }
}

void ReplyWriter::BulkArray(const std::vector<std::string>& items) {
  ArrayHeader(items.size());
  for (const std::string& item : items) Bulk(item);
}

}  // namespace stash::resp
