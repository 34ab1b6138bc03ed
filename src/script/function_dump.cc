#include "script/function_dump.h"

#include <cstdint>

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

// Reads an RDB string length at *p; false when it is not one (or is an encoded string).
bool GetLength(std::string_view in, size_t* p, uint64_t* n, std::string* error) {
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
      *error =
          "ERR DUMP payload holds a compressed or integer-encoded string, which StashDB "
          "does not read";
      return false;
  }
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
    if (static_cast<unsigned char>(in[p++]) != kFunctionOpcode) {
      *error = "ERR given type is not a function";
      return false;
    }
    uint64_t n;
    error->clear();
    if (!GetLength(in, &p, &n, error) || in.size() - p < n) {
      if (error->empty()) *error = "ERR DUMP payload is truncated";
      return false;
    }
    codes->emplace_back(in.substr(p, n));
    p += n;
  }
  return true;
}

}  // namespace stash::script
