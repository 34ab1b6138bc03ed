// CRC-64/Jones (reflected, polynomial 0xad93d23594c935a9, init 0, no final xor): the checksum
// Redis puts at the end of DUMP and FUNCTION DUMP payloads.
#pragma once

#include <cstdint>
#include <string_view>

namespace stash {

uint64_t Crc64(uint64_t crc, std::string_view data);

}  // namespace stash
