#include "script/function_dump.h"

#include <cstdint>
#include <string>

#include "util/crc64.h"

namespace stash::script {
namespace {

constexpr unsigned char kFunctionOpcode = 0xf5;  // RDB_OPCODE_FUNCTION2
constexpr uint16_t kRdbVersion = 10;
constexpr const char* kBadPayload = "ERR DUMP payload version or checksum are wrong";

void PutLength(std::string* out, uint64_t n) {
  if (n < 64) {
    out->push_back(static_cast<char>(n));
  } else if (n < 16384) {
    out->push_back(static_cast<char>(0x40 | (n >> 8)));
    out->push_back(static_cast<char>(n & 0xff));
  } else {
    const bool big = n > UINT32_MAX;
    out->push_back(static_cast<char>(big ? 0x81 : 0x80));
    for (int i = big ? 7 : 3; i >= 0; i--) out->push_back(static_cast<char>(n >> (8 * i)));
  }
}

// LZF (liblzf's format, which RDB uses): a control byte c < 32 copies the next c + 1 bytes; else
// it is a back reference of length (c >> 5) + 2 (when c >> 5 == 7, the next byte adds to it) at
// distance ((c & 31) << 8) + the next byte + 1.
bool LzfDecompress(std::string_view in, size_t out_len, std::string* out) {
  out->clear();
  out->reserve(out_len);
  for (size_t i = 0; i < in.size();) {
    const auto c = static_cast<unsigned char>(in[i++]);
    if (c < 32) {
      if (in.size() - i < static_cast<size_t>(c) + 1 || out->size() + c + 1 > out_len) return false;
      out->append(in.substr(i, c + 1));
      i += c + 1;
      continue;
    }
    size_t len = c >> 5;
    if (len == 7) {
      if (i >= in.size()) return false;
      len += static_cast<unsigned char>(in[i++]);
    }
    if (i >= in.size()) return false;
    const size_t distance = ((c & 31u) << 8) + static_cast<unsigned char>(in[i++]) + 1;
    len += 2;
    if (distance > out->size() || out->size() + len > out_len) return false;
    const size_t from = out->size() - distance;
    for (size_t k = 0; k < len; k++) out->push_back((*out)[from + k]);  // may overlap
  }
  return out->size() == out_len;
}

// Reads an RDB length at *p (*encoded: the special string encodings 0xc0-0xc3, *n is which).
bool GetLength(std::string_view in, size_t* p, uint64_t* n, bool* encoded = nullptr) {
  if (*p >= in.size()) return false;
  const auto b = static_cast<unsigned char>(in[(*p)++]);
  switch (b >> 6) {
    case 0:
      *n = b & 0x3f;
      return true;
    case 1:
      if (*p >= in.size()) return false;
      *n = (static_cast<uint64_t>(b & 0x3f) << 8) | static_cast<unsigned char>(in[(*p)++]);
      return true;
    case 2: {
      const int bytes = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
      if (bytes == 0 || in.size() - *p < static_cast<size_t>(bytes)) return false;
      *n = 0;
      for (int i = 0; i < bytes; i++) *n = (*n << 8) | static_cast<unsigned char>(in[(*p)++]);
      return true;
    }
    default:
      if (encoded == nullptr) return false;
      *encoded = true;
      *n = b & 0x3f;
      return true;
  }
}

// Reads an RDB string at *p: plain, an integer (0xc0-0xc2: 1, 2 or 4 bytes little-endian,
// becoming its decimal text) or LZF-compressed (0xc3 compressed-length length data).
bool GetString(std::string_view in, size_t* p, std::string* s) {
  uint64_t n;
  bool encoded = false;
  if (!GetLength(in, p, &n, &encoded)) return false;
  if (!encoded) {
    if (in.size() - *p < n) return false;
    s->assign(in.substr(*p, n));
    *p += n;
    return true;
  }
  if (n <= 2) {
    const size_t bytes = size_t{1} << n;
    if (in.size() - *p < bytes) return false;
    uint32_t u = 0;
    for (size_t i = 0; i < bytes; i++) {
      u |= static_cast<uint32_t>(static_cast<unsigned char>(in[*p + i])) << (8 * i);
    }
    *p += bytes;
    const int64_t v = bytes == 1   ? static_cast<int8_t>(u)
                      : bytes == 2 ? static_cast<int16_t>(u)
                                   : static_cast<int32_t>(u);
    *s = std::to_string(v);
    return true;
  }
  if (n != 3) return false;
  uint64_t clen, len;
  if (!GetLength(in, p, &clen) || !GetLength(in, p, &len) || in.size() - *p < clen) return false;
  if (!LzfDecompress(in.substr(*p, clen), len, s)) return false;
  *p += clen;
  return true;
}

}  // namespace

std::string EncodeFunctionDump(const std::vector<std::string>& codes) {
  std::string out;
  for (const std::string& code : codes) {
    out.push_back(static_cast<char>(kFunctionOpcode));
    PutLength(&out, code.size());
    out += code;
  }
  out.push_back(static_cast<char>(kRdbVersion & 0xff));
  out.push_back(static_cast<char>(kRdbVersion >> 8));
  const uint64_t crc = Crc64(0, out);
  for (int i = 0; i < 8; i++) out.push_back(static_cast<char>(crc >> (8 * i)));
  return out;
}

bool DecodeFunctionDump(std::string_view payload, std::vector<std::string>* codes,
                        std::string* error) {
  if (payload.size() < 10) {
    *error = kBadPayload;
    return false;
  }
  const size_t body = payload.size() - 10;
  const uint16_t version = static_cast<unsigned char>(payload[body]) |
                           static_cast<unsigned char>(payload[body + 1]) << 8;
  uint64_t crc = 0;
  for (int i = 7; i >= 0; i--) crc = (crc << 8) | static_cast<unsigned char>(payload[body + 2 + i]);
  if (version > kRdbVersion || crc != Crc64(0, payload.substr(0, body + 2))) {
    *error = kBadPayload;
    return false;
  }
  std::string_view in = payload.substr(0, body);
  codes->clear();
  for (size_t p = 0; p < in.size();) {
    const auto type = static_cast<unsigned char>(in[p++]);
    if (type != kFunctionOpcode) {
      // 0xf6 is Redis 7.0-rc's opcode, whose engine name no release writes.
      *error = type == 0xf6 ? "ERR Failed loading engine name" : "ERR given type is not a function";
      return false;
    }
    std::string code;
    if (!GetString(in, &p, &code)) {
      *error = "ERR Failed loading library payload";
      return false;
    }
    codes->push_back(std::move(code));
  }
  return true;
}

}  // namespace stash::script
