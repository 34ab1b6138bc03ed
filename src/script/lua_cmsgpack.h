// cmsgpack: the MessagePack library Redis 7.0 gives scripts (its lua-cmsgpack 0.4.0), written
// from the MessagePack specification and what Redis 7.0.15 observably does.
//
// pack(v1, ...) encodes each argument and concatenates the results (an error without argument):
//   nil c0, false c2, true c3;
//   a number equal to an integer in [-2^63, 2^63) -> the shortest int form: positive fixint or
//   uint8 cc / uint16 cd / uint32 ce / uint64 cf when >= 0, negative fixint or int8 d0 / int16 d1
//   / int32 d2 / int64 d3 when < 0; any other number -> float32 ca when a float holds it exactly,
//   else float64 cb;
//   a string -> fixstr a0-bf (< 32 bytes), str8 d9, str16 da, str32 db;
//   a table whose keys are exactly the integers 1..n -> fixarray 9x / array16 dc / array32 dd of
//   t[1..n] (an empty table is an empty array), any other table -> fixmap 8x / map16 de / map32 df
//   in lua_next order; a table nested 16 tables deep, and any other type, encodes as nil.
// unpack(data) returns every value in data. unpack_one(data [, offset]) and unpack_limit(data,
// limit [, offset]) decode at most 1 / limit values from byte offset (0-based) and return first
// the offset of the next value, or -1 at the end of data (limit 0 with offset 0 behaves like
// unpack). Integers decode to numbers (uint64 through int64, as Redis), str to strings, arrays
// to tables 1..n, maps to tables; bin, ext and c1 are "Bad data format in input." (Redis 7.0's
// cmsgpack decodes neither), a value cut short is "Missing bytes in input.". Other errors, down
// to the "stack overflow (...)" ones met near Lua's 8000-slot stack limit, read as in Redis.
#pragma once

struct lua_State;

namespace stash::script {

// Pushes the cmsgpack module table and returns 1, like a luaopen_ function; sets no global.
int OpenCmsgpack(lua_State* L);

}  // namespace stash::script
