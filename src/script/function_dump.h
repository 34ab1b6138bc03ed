// Redis 7.0's FUNCTION DUMP payload, which FUNCTION RESTORE reads back:
//   for each library: 0xf5, then its code as an RDB string: the length in the first byte's low
//     6 bits (00xxxxxx), in 14 bits (01xxxxxx + 1 byte, big-endian), or after 0x80 in 4 bytes
//     or after 0x81 in 8 bytes (big-endian), then the bytes;
//   then the RDB version, 2 bytes little-endian (10), and the CRC-64/Jones of everything before
//     it, 8 bytes little-endian (util/crc64.h).
// StashDB writes codes uncompressed; it reads Redis's other string forms too: LZF-compressed
// (0xc3, then the compressed and the plain length, then the LZF data, which Redis writes for
// code longer than 20 bytes) and integers (0xc0-0xc2: 1, 2 or 4 bytes little-endian).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace stash::script {

std::string EncodeFunctionDump(const std::vector<std::string>& codes);
// False with Redis's error text.
bool DecodeFunctionDump(std::string_view payload, std::vector<std::string>* codes,
                        std::string* error);

}  // namespace stash::script
