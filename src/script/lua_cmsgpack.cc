#include "script/lua_cmsgpack.h"

#include <lua.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace stash::script {
namespace {

constexpr int kMaxNesting = 16;
constexpr char kTooManyValues[] =
    "too many return values at once; use unpack_one or unpack_limit instead.";

// ---- pack ----

// The bytes being encoded. They live in a userdata whose __gc frees them, so a Lua error raised
// half-way (a stack overflow, no memory) leaks nothing.
struct Buffer {
  char* data;
  size_t len;
  size_t cap;
};

int FreeBuffer(lua_State* L) {
  Buffer* b = static_cast<Buffer*>(lua_touserdata(L, 1));
  std::free(b->data);
  b->data = nullptr;
  return 0;
}

class Writer {
 public:
  Writer(lua_State* L, Buffer* b) : L_(L), b_(b) {}

  void Put(const void* p, size_t n) {
    if (b_->cap - b_->len < n) Grow(n);
    std::memcpy(b_->data + b_->len, p, n);
    b_->len += n;
  }
  void Byte(uint8_t b) { Put(&b, 1); }
  // tag, then the n low bytes of v, most significant first (MessagePack is big-endian).
  void Tagged(uint8_t tag, uint64_t v, int n) {
    uint8_t b[9] = {tag};
    for (int i = 0; i < n; i++) b[1 + i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
    Put(b, n + 1);
  }

 private:
  void Grow(size_t n) {
    size_t cap = b_->cap == 0 ? 256 : b_->cap * 2;
    while (cap - b_->len < n) cap *= 2;
    void* bigger = std::realloc(b_->data, cap);
    if (bigger == nullptr) luaL_error(L_, "not enough memory");
    b_->data = static_cast<char*>(bigger);
    b_->cap = cap;
  }

  lua_State* L_;
  Buffer* b_;
};

// A fix form (fix | n) for n <= 15, else tag16 or tag32 with a 2 or 4 byte count.
void Header(Writer* w, size_t n, uint8_t fix, uint8_t tag16, uint8_t tag32) {
  if (n <= 15) {
    w->Byte(static_cast<uint8_t>(fix | n));
  } else if (n <= 0xffff) {
    w->Tagged(tag16, n, 2);
  } else {
    w->Tagged(tag32, n, 4);
  }
}

void EncodeString(Writer* w, const char* s, size_t len) {
  if (len < 32) {
    w->Byte(static_cast<uint8_t>(0xa0 | len));
  } else if (len <= 0xff) {
    w->Tagged(0xd9, len, 1);
  } else if (len <= 0xffff) {
    w->Tagged(0xda, len, 2);
  } else {
    w->Tagged(0xdb, len, 4);
  }
  w->Put(s, len);
}

void EncodeInteger(Writer* w, int64_t v) {
  if (v >= 0) {
    const uint64_t u = static_cast<uint64_t>(v);
    if (u <= 0x7f) return w->Byte(static_cast<uint8_t>(u));
    if (u <= 0xff) return w->Tagged(0xcc, u, 1);
    if (u <= 0xffff) return w->Tagged(0xcd, u, 2);
    if (u <= 0xffffffff) return w->Tagged(0xce, u, 4);
    return w->Tagged(0xcf, u, 8);
  }
  const uint64_t bits = static_cast<uint64_t>(v);
  if (v >= -32) return w->Byte(static_cast<uint8_t>(bits));
  if (v >= INT8_MIN) return w->Tagged(0xd0, bits, 1);
  if (v >= INT16_MIN) return w->Tagged(0xd1, bits, 2);
  if (v >= INT32_MIN) return w->Tagged(0xd2, bits, 4);
  w->Tagged(0xd3, bits, 8);
}

void EncodeNumber(Writer* w, lua_Number d) {
  if (d >= -0x1p63 && d < 0x1p63 && std::trunc(d) == d) {  // false for NaN
    EncodeInteger(w, static_cast<int64_t>(d));
    return;
  }
  // (float)d is only defined for d within float's range; beyond it a float cannot hold d.
  const bool fits = std::isinf(d) || (std::fabs(d) <= 0x1.fffffep127 && static_cast<float>(d) == d);
  if (fits) {
    const float f = static_cast<float>(d);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    w->Tagged(0xca, bits, 4);
  } else {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    w->Tagged(0xcb, bits, 8);
  }
}

void Encode(lua_State* L, Writer* w, int index, int level);

// Whether the keys of the table at index are exactly 1..n; *n = its entry count.
bool IsArray(lua_State* L, int index, size_t* n) {
  size_t count = 0;
  lua_Number max = 0;
  bool positive_integers = true;
  lua_pushnil(L);
  while (lua_next(L, index)) {
    lua_pop(L, 1);
    count++;
    const lua_Number k = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
    if (k >= 1 && std::floor(k) == k) {
      if (k > max) max = k;
    } else {
      positive_integers = false;
    }
  }
  *n = count;
  return positive_integers && max == static_cast<lua_Number>(count);
}

// The stack checks use the sizes and texts of Redis's, so a script nesting tables near Lua's
// stack limit fails where it fails on Redis.
void EncodeTable(lua_State* L, Writer* w, int index, int level) {
  luaL_checkstack(L, 2, "in function table_is_an_array");
  size_t n;
  if (IsArray(L, index, &n)) {
    Header(w, n, 0x90, 0xdc, 0xdd);
    for (size_t i = 1; i <= n; i++) {
      lua_rawgeti(L, index, static_cast<int>(i));
      Encode(L, w, lua_gettop(L), level + 1);
      lua_pop(L, 1);
    }
    return;
  }
  luaL_checkstack(L, 3, "in function mp_encode_lua_table_as_map");
  Header(w, n, 0x80, 0xde, 0xdf);
  lua_pushnil(L);
  while (lua_next(L, index)) {
    lua_pushvalue(L, -2);  // the key, encoded from a copy as lua_next needs it intact
    Encode(L, w, lua_gettop(L), level + 1);
    lua_pop(L, 1);
    Encode(L, w, lua_gettop(L), level + 1);
    lua_pop(L, 1);
  }
}

// Encodes the value at the (absolute) stack index.
void Encode(lua_State* L, Writer* w, int index, int level) {
  switch (lua_type(L, index)) {
    case LUA_TBOOLEAN:
      w->Byte(lua_toboolean(L, index) ? 0xc3 : 0xc2);
      break;
    case LUA_TNUMBER:
      EncodeNumber(w, lua_tonumber(L, index));
      break;
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, index, &len);
      EncodeString(w, s, len);
      break;
    }
    case LUA_TTABLE:
      if (level < kMaxNesting) {
        EncodeTable(L, w, index, level);
        break;
      }
      [[fallthrough]];
    default:  // nil, and what MessagePack cannot hold: functions, userdata, threads
      w->Byte(0xc0);
  }
}

// Upvalue 1: the buffers' metatable.
int Pack(lua_State* L) {
  const int n = lua_gettop(L);
  if (n == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(L, n)) return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
  Buffer* buffer = static_cast<Buffer*>(lua_newuserdata(L, sizeof(Buffer)));
  *buffer = Buffer{nullptr, 0, 0};
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_setmetatable(L, -2);
  Writer w(L, buffer);
  // Redis encodes argument i from a copy on top of the i - 1 results before it; the buffer and
  // nils hold the stack at that height, where its stack overflow errors are decided.
  for (int i = 1; i <= n; i++) {
    if (i > 1) lua_pushnil(L);
    Encode(L, &w, i, 0);
  }
  lua_settop(L, n + 1);
  lua_pushlstring(L, buffer->data, buffer->len);
  std::free(buffer->data);  // now rather than when the buffer is collected
  buffer->data = nullptr;
  return 1;
}

// ---- unpack ----

struct Cursor {
  const uint8_t* p;
  size_t left;
};

void Need(lua_State* L, const Cursor& c, size_t n) {
  if (c.left < n) luaL_error(L, "Missing bytes in input.");
}

// The next n bytes as a big-endian unsigned number.
uint64_t Take(lua_State* L, Cursor* c, int n) {
  Need(L, *c, n);
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v = (v << 8) | c->p[i];
  c->p += n;
  c->left -= n;
  return v;
}

void PushString(lua_State* L, Cursor* c, uint64_t n) {
  Need(L, *c, n);
  lua_pushlstring(L, reinterpret_cast<const char*>(c->p), n);
  c->p += n;
  c->left -= n;
}

void Decode(lua_State* L, Cursor* c);

void DecodeArray(lua_State* L, Cursor* c, uint64_t n) {
  luaL_checkstack(L, 2, "in function mp_decode_to_lua_array");
  lua_newtable(L);
  for (uint64_t i = 1; i <= n; i++) {
    lua_pushnumber(L, static_cast<lua_Number>(i));
    Decode(L, c);
    lua_rawset(L, -3);
  }
}

void DecodeMap(lua_State* L, Cursor* c, uint64_t n) {
  lua_newtable(L);
  for (uint64_t i = 0; i < n; i++) {
    Decode(L, c);       // key
    Decode(L, c);       // value
    lua_rawset(L, -3);  // a nil or NaN key raises Lua's own error, as in Redis
  }
}

// Decodes one value from c and pushes it.
void Decode(lua_State* L, Cursor* c) {
  Need(L, *c, 1);
  luaL_checkstack(L, 1, kTooManyValues);
  const uint8_t tag = *c->p;
  c->p++;
  c->left--;
  if (tag <= 0x7f) return lua_pushnumber(L, tag);
  if (tag <= 0x8f) return DecodeMap(L, c, tag & 0x0f);
  if (tag <= 0x9f) return DecodeArray(L, c, tag & 0x0f);
  if (tag <= 0xbf) return PushString(L, c, tag & 0x1f);
  if (tag >= 0xe0) return lua_pushnumber(L, static_cast<int8_t>(tag));
  switch (tag) {
    case 0xc0:
      return lua_pushnil(L);
    case 0xc2:
    case 0xc3:
      return lua_pushboolean(L, tag == 0xc3);
    case 0xca: {
      const uint32_t bits = static_cast<uint32_t>(Take(L, c, 4));
      float f;
      std::memcpy(&f, &bits, 4);
      return lua_pushnumber(L, f);
    }
    case 0xcb: {
      const uint64_t bits = Take(L, c, 8);
      double d;
      std::memcpy(&d, &bits, 8);
      return lua_pushnumber(L, d);
    }
    case 0xcc:
      return lua_pushnumber(L, static_cast<lua_Number>(Take(L, c, 1)));
    case 0xcd:
      return lua_pushnumber(L, static_cast<lua_Number>(Take(L, c, 2)));
    case 0xce:
      return lua_pushnumber(L, static_cast<lua_Number>(Take(L, c, 4)));
    case 0xcf:  // read as int64, as Redis does: 2^63 and above come out negative
    case 0xd3:
      return lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(Take(L, c, 8))));
    case 0xd0:
      return lua_pushnumber(L, static_cast<int8_t>(Take(L, c, 1)));
    case 0xd1:
      return lua_pushnumber(L, static_cast<int16_t>(Take(L, c, 2)));
    case 0xd2:
      return lua_pushnumber(L, static_cast<int32_t>(Take(L, c, 4)));
    case 0xd9:
      return PushString(L, c, Take(L, c, 1));
    case 0xda:
      return PushString(L, c, Take(L, c, 2));
    case 0xdb:
      return PushString(L, c, Take(L, c, 4));
    case 0xdc:
      return DecodeArray(L, c, Take(L, c, 2));
    case 0xdd:
      return DecodeArray(L, c, Take(L, c, 4));
    case 0xde:
      return DecodeMap(L, c, Take(L, c, 2));
    case 0xdf:
      return DecodeMap(L, c, Take(L, c, 4));
    default:  // c1, bin 8/16/32, ext and fixext: Redis's cmsgpack knows none of them
      luaL_error(L, "Bad data format in input.");
  }
}

// Decodes up to limit values of the string at index 1, from byte offset. With limit and offset 0
// it decodes all and returns just the values; else it returns the next offset (-1 at the end)
// before them.
int UnpackFrom(lua_State* L, lua_Integer limit, lua_Integer offset) {
  size_t len;
  const char* s = lua_tolstring(L, 1, &len);
  // Redis prints these numbers with %d, i.e. their low 32 bits.
  if (offset < 0 || limit < 0) {
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                      static_cast<int>(offset), static_cast<int>(len));
  }
  if (offset > static_cast<lua_Integer>(len)) {
    return luaL_error(L, "Start offset %d greater than input length %d.", static_cast<int>(offset),
                      static_cast<int>(len));
  }
  const bool all = limit == 0 && offset == 0;
  Cursor c{reinterpret_cast<const uint8_t*>(s) + offset, len - static_cast<size_t>(offset)};
  int count = 0;
  while (c.left > 0 && (all || count < limit)) {
    if (!all) luaL_checkstack(L, 2, "in function mp_unpack_full");
    Decode(L, &c);
    count++;
  }
  if (all) return count;
  lua_pushinteger(L, c.left == 0 ? -1 : static_cast<lua_Integer>(len - c.left));
  lua_insert(L, -(count + 1));
  return count + 1;
}

int Unpack(lua_State* L) {
  luaL_checkstring(L, 1);
  return UnpackFrom(L, 0, 0);
}

// Both check their numbers before the string, as Redis does, and drop the other arguments.
int UnpackOne(lua_State* L) {
  const lua_Integer offset = luaL_optinteger(L, 2, 0);
  luaL_checkstring(L, 1);
  lua_settop(L, 1);
  return UnpackFrom(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  const lua_Integer limit = luaL_checkinteger(L, 2);
  const lua_Integer offset = luaL_optinteger(L, 3, 0);
  luaL_checkstring(L, 1);
  lua_settop(L, 1);
  return UnpackFrom(L, limit, offset);
}

}  // namespace

int OpenCmsgpack(lua_State* L) {
  lua_newtable(L);
  lua_newtable(L);  // the metatable of pack's buffers
  lua_pushcfunction(L, FreeBuffer);
  lua_setfield(L, -2, "__gc");
  lua_pushcclosure(L, Pack, 1);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, Unpack);
  lua_setfield(L, -2, "unpack");
  lua_pushcfunction(L, UnpackOne);
  lua_setfield(L, -2, "unpack_one");
  lua_pushcfunction(L, UnpackLimit);
  lua_setfield(L, -2, "unpack_limit");
  // The module's name and the version of the API it follows, for scripts that check them.
  lua_pushliteral(L, "cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushliteral(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  return 1;
}

}  // namespace stash::script
