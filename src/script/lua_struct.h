// struct: the binary pack / unpack library Redis 7.0 gives scripts (Roberto Ierusalimschy's
// struct 0.2 as Redis ships it), written from its documented format and what Redis 7.0.15 on
// x86-64 observably does.
//
// struct.pack(fmt, v1, ...) -> string; struct.unpack(fmt, data [, pos]) -> the values, then the
// position after them (pos and the result count bytes from 1); struct.size(fmt) -> bytes.
// Format letters (spaces are ignored; anything else is "invalid format option"):
//   > big endian, < little endian (the default), ![n] align to n (a power of 2; 8 without n):
//     afterwards an item of size s starts at a multiple of min(s, n), except c and s
//   x one zero byte / skip a byte
//   b B (1 byte), h H (2), l L (8), T (8), i[n] I[n] (n bytes, 4 by default, at most 32):
//     integers, lower case signed; beyond 8 bytes only the low 8 bytes carry the value, and a
//     signed one is sign-extended from bit (8n - 1) % 64 of them, as Redis on x86-64 does
//   f d: float and double
//   s: a zero-terminated string (no fixed size)
//   c[n]: n bytes of a string (1 by default); c0 packs the whole string, and on unpack takes its
//     length from the value unpacked just before it (which it replaces)
#pragma once

struct lua_State;

namespace stash::script {

// Pushes the struct module table and returns 1, like a luaopen_ function; sets no global.
int OpenStruct(lua_State* L);

}  // namespace stash::script
