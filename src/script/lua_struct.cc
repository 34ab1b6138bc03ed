#include "script/lua_struct.h"

#include <lua.hpp>

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace stash::script {
namespace {

constexpr int kMaxIntSize = 32;
constexpr int kDefaultAlign = 8;  // what "!" alone means: double's alignment on x86-64

struct Options {
  bool little = true;
  size_t align = 1;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The number written at *fmt (advancing past it), or def when no digit is there.
int ReadNumber(lua_State* L, const char** fmt, int def) {
  if (!IsDigit(**fmt)) return def;
  int n = 0;
  do {
    const int digit = *(*fmt)++ - '0';
    if (n > (INT_MAX - digit) / 10) luaL_error(L, "integral size overflow");
    n = n * 10 + digit;
  } while (IsDigit(**fmt));
  return n;
}

// The size in bytes of option opt (reading its number from *fmt); 0 for s, c0 and non-data.
size_t OptionSize(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'b':
    case 'B':
    case 'x':
      return 1;
    case 'h':
    case 'H':
      return 2;
    case 'f':
      return 4;
    case 'l':
    case 'L':
    case 'T':
    case 'd':
      return 8;
    case 'c':
      return ReadNumber(L, fmt, 1);
    case 'i':
    case 'I': {
      const int n = ReadNumber(L, fmt, 4);
      if (n > kMaxIntSize) {
        luaL_error(L, "integral size %d is larger than limit of %d", n, kMaxIntSize);
      }
      return n;
    }
    default:
      return 0;
  }
}

// Zero bytes to put before an item of the given size at offset pos. As in Redis, the formula is
// applied as is when min(size, align) is not a power of 2 (i3, i5 ...).
size_t Padding(const Options& o, char opt, size_t size, size_t pos) {
  if (size <= 1 || opt == 'c') return 0;
  const size_t align = size < o.align ? size : o.align;
  return (align - (pos & (align - 1))) & (align - 1);
}

// Applies an option that is not data: space, endianness or alignment.
void Control(lua_State* L, char opt, const char** fmt, Options* o) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      o->little = false;
      return;
    case '<':
      o->little = true;
      return;
    case '!': {
      const int a = ReadNumber(L, fmt, kDefaultAlign);
      if (a == 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", a);
      o->align = a;
      return;
    }
    default:
      luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
  }
}

bool IsInteger(char opt) { return std::strchr("bBhHlLTiI", opt) != nullptr; }

// A number as Redis's x86-64 build converts it to an unsigned 64-bit integer: truncated, with
// NaN, -inf and numbers below -2^63 giving 2^63 and numbers from 2^64 up giving 0.
uint64_t ToUnsigned(lua_Number d) {
  if (std::isnan(d) || d < -0x1p63) return uint64_t{1} << 63;
  if (d < 0x1p63) return static_cast<uint64_t>(static_cast<int64_t>(d));
  if (d < 0x1p64) return static_cast<uint64_t>(d);
  return 0;
}

// (float)d, with numbers beyond float's range rounded as IEEE 754 does.
float ToFloat(lua_Number d) {
  if (std::isfinite(d) && std::fabs(d) > FLT_MAX) {
    return std::copysign(std::fabs(d) < 0x1.ffffffp127 ? FLT_MAX : INFINITY, d);
  }
  return static_cast<float>(d);
}

// Appends the size low bytes of v (zeros past the 8th) in the given byte order.
void PutInteger(luaL_Buffer* b, uint64_t v, size_t size, bool little) {
  char bytes[kMaxIntSize];
  for (size_t i = 0; i < size; i++) {
    bytes[little ? i : size - 1 - i] = static_cast<char>(i < 8 ? v >> (8 * i) : 0);
  }
  luaL_addlstring(b, bytes, size);
}

lua_Number GetInteger(const char* p, size_t size, bool little, bool is_signed) {
  uint64_t v = 0;  // bytes above the 8th are shifted out
  for (size_t i = 0; i < size; i++) {
    v = (v << 8) | static_cast<uint8_t>(p[little ? size - 1 - i : i]);
  }
  if (!is_signed) return static_cast<lua_Number>(v);
  // Sign extension from bit 8 * size - 1. Redis shifts a 64-bit mask by that count, which x86
  // takes modulo 64: a 9 to 32 byte integer is extended from bit (8 * size - 1) % 64 of its low
  // 8 bytes (i9 from bit 7, i12 from bit 31, i16 from bit 63).
  const uint64_t mask = ~uint64_t{0} << ((8 * size - 1) & 63);
  if ((v & mask) != 0) v |= mask;
  return static_cast<lua_Number>(static_cast<int64_t>(v));
}

// Copies n bytes of a float or double in the given byte order.
void CopyOrdered(void* to, const void* from, size_t n, bool little) {
  auto* out = static_cast<unsigned char*>(to);
  const auto* in = static_cast<const unsigned char*>(from);
  for (size_t i = 0; i < n; i++) out[i] = in[little ? i : n - 1 - i];  // x86-64 is little endian
}

int Pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Options o;
  int arg = 1;
  size_t total = 0;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_pushnil(L);  // below the buffer's pieces; a missing argument is reported as "got nil"
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    for (size_t pad = Padding(o, opt, size, total); pad > 0; pad--, total++) {
      luaL_addchar(&b, '\0');
    }
    if (IsInteger(opt)) {
      PutInteger(&b, ToUnsigned(luaL_checknumber(L, ++arg)), size, o.little);
    } else if (opt == 'x') {
      luaL_addchar(&b, '\0');
    } else if (opt == 'f' || opt == 'd') {
      const lua_Number d = luaL_checknumber(L, ++arg);
      const float f = opt == 'f' ? ToFloat(d) : 0;
      char bytes[8];
      CopyOrdered(bytes, opt == 'f' ? static_cast<const void*>(&f) : &d, size, o.little);
      luaL_addlstring(&b, bytes, size);
    } else if (opt == 'c' || opt == 's') {
      size_t len;
      const char* s = luaL_checklstring(L, ++arg, &len);
      if (size == 0) size = len;
      luaL_argcheck(L, len >= size, arg + 1, "string too short");  // Redis names the next argument
      luaL_addlstring(&b, s, size);
      if (opt == 's') {
        luaL_addchar(&b, '\0');
        size++;
      }
    } else {
      Control(L, opt, &fmt, &o);
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

int Unpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t len;
  const char* data = luaL_checklstring(L, 2, &len);
  // Unsigned, as in Redis: a negative position passes this check and then finds no data.
  size_t pos = static_cast<size_t>(luaL_optinteger(L, 3, 1));
  luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
  pos--;
  Options o;
  int n = 0;  // values pushed
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    pos += Padding(o, opt, size, pos);
    luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    if (IsInteger(opt)) {
      lua_pushnumber(L, GetInteger(data + pos, size, o.little, opt >= 'a'));
      n++;
    } else if (opt == 'f') {
      float f;
      CopyOrdered(&f, data + pos, 4, o.little);
      lua_pushnumber(L, f);
      n++;
    } else if (opt == 'd') {
      double d;
      CopyOrdered(&d, data + pos, 8, o.little);
      lua_pushnumber(L, d);
      n++;
    } else if (opt == 'c') {
      if (size == 0) {  // the length is the value unpacked just before, which this replaces
        if (n == 0 || !lua_isnumber(L, -1)) luaL_error(L, "format 'c0' needs a previous size");
        size = ToUnsigned(lua_tonumber(L, -1));
        lua_pop(L, 1);
        n--;
        luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
      }
      lua_pushlstring(L, data + pos, size);
      n++;
    } else if (opt == 's') {
      const void* end = std::memchr(data + pos, '\0', len - pos);
      if (end == nullptr) luaL_error(L, "unfinished string in data");
      size = static_cast<const char*>(end) - (data + pos) + 1;
      lua_pushlstring(L, data + pos, size - 1);
      n++;
    } else if (opt != 'x') {
      Control(L, opt, &fmt, &o);
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
  return n + 1;
}

int Size(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Options o;
  size_t pos = 0;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    const size_t size = OptionSize(L, opt, &fmt);
    pos += Padding(o, opt, size, pos);
    if (opt == 's') luaL_argerror(L, 1, "option 's' has no fixed size");
    if (opt == 'c' && size == 0) luaL_argerror(L, 1, "option 'c0' has no fixed size");
    // As in Redis, an unknown letter or digit counts 0 bytes instead of failing.
    const bool alnum = IsDigit(opt) || (opt >= 'a' && opt <= 'z') || (opt >= 'A' && opt <= 'Z');
    if (!alnum) Control(L, opt, &fmt, &o);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

int OpenStruct(lua_State* L) {
  lua_newtable(L);
  lua_pushcfunction(L, Pack);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, Unpack);
  lua_setfield(L, -2, "unpack");
  lua_pushcfunction(L, Size);
  lua_setfield(L, -2, "size");
  return 1;
}

}  // namespace stash::script
