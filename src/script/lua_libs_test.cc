// Tests of the cmsgpack and struct script libraries. The expected bytes and error texts were
// taken from Redis 7.0.15 running the same Lua snippets.
#include <gtest/gtest.h>

#include <lua.hpp>

#include <string>

#include "script/lua_cmsgpack.h"
#include "script/lua_struct.h"

namespace stash::script {
namespace {

// Lua helpers for the snippets: hex(s), and show(...) which renders any values (tables with
// sorted keys) so a test can compare them as one string.
constexpr char kHelpers[] = R"lua(
function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local function render(v)
  if type(v) == 'string' then
    return (string.format('%q', v):gsub('[%z\1-\31\127-\255]', function(c)
      return '\\' .. c:byte()
    end))
  elseif type(v) == 'number' then
    if v ~= v then return 'nan' end
    if v == math.floor(v) and math.abs(v) < 1e15 then return string.format('%d', v) end
    return string.format('%.17g', v)
  elseif type(v) == 'table' then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
      if type(a) ~= type(b) then return type(a) < type(b) end
      if type(a) == 'number' or type(a) == 'string' then return a < b end
      return render(a) < render(b)
    end)
    local out = {}
    for _, k in ipairs(keys) do out[#out + 1] = '[' .. render(k) .. ']=' .. render(v[k]) end
    return '{' .. table.concat(out, ',') .. '}'
  end
  return tostring(v)
end
function show(...)
  local out = {}
  for i = 1, select('#', ...) do out[i] = render((select(i, ...))) end
  return table.concat(out, ' ')
end
-- pcall(f, ...) as 'ok' or its error message.
function err(f, ...)
  local ok, e = pcall(f, ...)
  return ok and 'ok' or e
end
)lua";

class Lua {
 public:
  Lua() : L_(luaL_newstate()) {
    luaL_openlibs(L_);
    OpenCmsgpack(L_);
    lua_setglobal(L_, "cmsgpack");
    OpenStruct(L_);
    lua_setglobal(L_, "struct");
    if (luaL_dostring(L_, kHelpers) != 0) ADD_FAILURE() << lua_tostring(L_, -1);
    lua_settop(L_, 0);
  }
  ~Lua() { lua_close(L_); }
  Lua(const Lua&) = delete;
  Lua& operator=(const Lua&) = delete;

  // Runs chunk and returns its first result as a string, or "error: " and the error.
  std::string Run(const std::string& chunk) {
    std::string out;
    if (luaL_dostring(L_, chunk.c_str()) != 0) {
      out = std::string("error: ") + lua_tostring(L_, -1);
    } else if (lua_gettop(L_) > 0 && lua_isstring(L_, 1)) {
      size_t len;
      const char* s = lua_tolstring(L_, 1, &len);
      out.assign(s, len);
    } else {
      out = "<not a string>";
    }
    lua_settop(L_, 0);
    return out;
  }
  // The hex of cmsgpack.pack(args).
  std::string Pack(const std::string& args) {
    return Run("return hex(cmsgpack.pack(" + args + "))");
  }
  // show(the values of expression).
  std::string Show(const std::string& expression) { return Run("return show(" + expression + ")"); }
  // The error message of f(args) (or "ok").
  std::string Err(const std::string& f, const std::string& args) {
    return Run("return err(" + f + ", " + args + ")");
  }

 private:
  lua_State* L_;
};

// ---- cmsgpack ----

TEST(Cmsgpack, OpenPushesTheModuleWithoutGlobals) {
  lua_State* L = luaL_newstate();
  EXPECT_EQ(OpenCmsgpack(L), 1);
  ASSERT_EQ(lua_gettop(L), 1);
  EXPECT_TRUE(lua_istable(L, 1));
  lua_getglobal(L, "cmsgpack");
  EXPECT_TRUE(lua_isnil(L, -1));
  lua_close(L);

  Lua lua;
  EXPECT_EQ(lua.Show("cmsgpack._NAME, cmsgpack._VERSION"), R"("cmsgpack" "lua-cmsgpack 0.4.0")");
  EXPECT_EQ(lua.Run("return type(cmsgpack.unpack_one) .. type(cmsgpack.unpack_limit)"),
            "functionfunction");
}

TEST(Cmsgpack, PacksScalarsAsRedisDoes) {
  Lua lua;
  EXPECT_EQ(lua.Pack("nil, true, false"), "c0c3c2");
  EXPECT_EQ(lua.Pack("0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296"),
            "007fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000");
  EXPECT_EQ(lua.Pack("-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649"),
            "ffe0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffff");
  EXPECT_EQ(lua.Pack("-2^63"), "d38000000000000000");
  EXPECT_EQ(lua.Pack("2^53 + 1"), "cf0020000000000000");  // 2^53 + 1 is 2^53 as a double
  EXPECT_EQ(lua.Pack("-0.0"), "00");
  // Numbers that are not integers in [-2^63, 2^63): float32 when exact, else float64.
  EXPECT_EQ(lua.Pack("1.5"), "ca3fc00000");
  EXPECT_EQ(lua.Pack("0.1"), "cb3fb999999999999a");
  EXPECT_EQ(lua.Pack("1e300"), "cb7e37e43c8800759c");
  EXPECT_EQ(lua.Pack("1e39"), "cb48078287f49c4a1d");
  EXPECT_EQ(lua.Pack("3.4028234663852886e+38"), "ca7f7fffff");
  EXPECT_EQ(lua.Pack("2^63"), "ca5f000000");
  EXPECT_EQ(lua.Pack("2^64"), "ca5f800000");
  EXPECT_EQ(lua.Pack("-2^64"), "cadf800000");
  EXPECT_EQ(lua.Pack("math.huge, -math.huge"), "ca7f800000caff800000");
  EXPECT_EQ(lua.Pack("-(0/0)").substr(0, 2), "cb");  // NaN: float64
}

TEST(Cmsgpack, PacksStringsWithTheShortestHeader) {
  Lua lua;
  EXPECT_EQ(lua.Pack("''"), "a0");
  EXPECT_EQ(lua.Pack("'abc'"), "a3616263");
  EXPECT_EQ(lua.Run("return hex(cmsgpack.pack(string.rep('a', 31)):sub(1, 2))"), "bf61");
  EXPECT_EQ(lua.Run("return hex(cmsgpack.pack(string.rep('a', 32)):sub(1, 3))"), "d92061");
  EXPECT_EQ(lua.Run("return hex(cmsgpack.pack(string.rep('a', 255)):sub(1, 3))"), "d9ff61");
  EXPECT_EQ(lua.Run("return hex(cmsgpack.pack(string.rep('a', 256)):sub(1, 4))"), "da010061");
  EXPECT_EQ(lua.Run("return hex(cmsgpack.pack(string.rep('a', 65535)):sub(1, 4))"), "daffff61");
  EXPECT_EQ(lua.Run("return hex(cmsgpack.pack(string.rep('a', 65536)):sub(1, 6))"), "db0001000061");
  EXPECT_EQ(lua.Run("return #cmsgpack.pack(string.rep('a', 70000))"), "70005");
}

TEST(Cmsgpack, PacksTablesAsArraysOrMaps) {
  Lua lua;
  EXPECT_EQ(lua.Pack("{1, 2, 'a'}"), "930102a161");
  EXPECT_EQ(lua.Pack("{}"), "90");
  EXPECT_EQ(lua.Pack("{[1] = true, [2] = false, [3.0] = 0}"), "93c3c200");
  EXPECT_EQ(lua.Pack("{a = 1}"), "81a16101");
  EXPECT_EQ(lua.Pack("{[1] = 1, [3] = 3}"), "8201010303");
  EXPECT_EQ(lua.Pack("{1, 2, nil, 4}"), "83010102020404");
  EXPECT_EQ(lua.Pack("{[0] = 1}"), "810001");
  EXPECT_EQ(lua.Pack("{[0.5] = 1, [2] = 2}"), "82ca3f000000010202");
  EXPECT_EQ(lua.Pack("{[true] = 1}"), "81c301");
  EXPECT_EQ(lua.Pack("{x = {1, 2}}"), "81a178920102");
  EXPECT_EQ(lua.Pack("1, {2}, 'x', nil, true"), "019102a178c0c3");
  EXPECT_EQ(lua.Pack("function() end, {function() end, 1}"), "c092c001");
  // Header sizes.
  EXPECT_EQ(lua.Run("local t = {} for i = 1, 15 do t[i] = i end return hex(cmsgpack.pack(t))"),
            "9f0102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(lua.Run("local t = {} for i = 1, 16 do t[i] = i end return hex(cmsgpack.pack(t))"),
            "dc00100102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(lua.Run("local t = {} for i = 1, 65536 do t[i] = 1 end "
                    "return hex(cmsgpack.pack(t):sub(1, 6))"),
            "dd0001000001");
  EXPECT_EQ(lua.Run("local t = {} for i = 1, 15 do t['k' .. i] = i end "
                    "return hex(cmsgpack.pack(t):sub(1, 1))"),
            "8f");
  EXPECT_EQ(lua.Run("local t = {} for i = 1, 16 do t['k' .. i] = i end "
                    "return hex(cmsgpack.pack(t):sub(1, 3))"),
            "de0010");
  EXPECT_EQ(lua.Run("local t = {} for i = 1, 65536 do t['k' .. i] = 1 end "
                    "return hex(cmsgpack.pack(t):sub(1, 5))"),
            "df00010000");
}

TEST(Cmsgpack, TablesNestedSixteenDeepBecomeNil) {
  Lua lua;
  const std::string arrays16 = "91919191919191919191919191919191";
  EXPECT_EQ(lua.Run("local t = 1 for i = 1, 16 do t = {t} end return hex(cmsgpack.pack(t))"),
            arrays16 + "01");
  EXPECT_EQ(lua.Run("local t = 1 for i = 1, 17 do t = {t} end return hex(cmsgpack.pack(t))"),
            arrays16 + "c0");
  EXPECT_EQ(lua.Run("local t = {} t[1] = t return hex(cmsgpack.pack(t))"), arrays16 + "c0");
  EXPECT_EQ(lua.Run("local t = {} t.x = t return hex(cmsgpack.pack(t))"),
            "81a17881a17881a17881a17881a17881a17881a17881a17881a17881a17881a17881a178"
            "81a17881a17881a17881a178c0");
}

TEST(Cmsgpack, PackNeedsAnArgument) {
  Lua lua;
  EXPECT_EQ(lua.Run("return err(cmsgpack.pack)"),
            "bad argument #0 to '?' (MessagePack pack needs input.)");
}

TEST(Cmsgpack, PackFailsWhereRedisRunsOutOfLuaStack) {
  Lua lua;
  const std::string ones =
      "local function args(n, last) local t = {} for i = 1, n do t[i] = 1 end "
      "t[n] = last or 1 return unpack(t, 1, n) end ";
  EXPECT_EQ(lua.Run(ones + "return #cmsgpack.pack(args(4000))"), "4000");
  EXPECT_EQ(lua.Run(ones + "return err(cmsgpack.pack, args(4001))"),
            "bad argument #0 to '?' (Too many arguments for MessagePack pack.)");
  EXPECT_EQ(lua.Run(ones + "return #cmsgpack.pack(args(3999, {}))"), "3999");
  EXPECT_EQ(lua.Run(ones + "return err(cmsgpack.pack, args(4000, {}))"),
            "stack overflow (in function table_is_an_array)");
  EXPECT_EQ(lua.Run(ones + "return #cmsgpack.pack(args(3998, {a = 1}))"), "4001");
  EXPECT_EQ(lua.Run(ones + "return err(cmsgpack.pack, args(3999, {a = 1}))"),
            "stack overflow (in function mp_encode_lua_table_as_map)");
}

TEST(Cmsgpack, RoundTripsEveryType) {
  Lua lua;
  const char* values[] = {
      "nil",
      "true",
      "false",
      "0",
      "127",
      "128",
      "255",
      "256",
      "65535",
      "65536",
      "4294967295",
      "4294967296",
      "2^53",
      "-1",
      "-32",
      "-33",
      "-128",
      "-129",
      "-32768",
      "-32769",
      "-2147483648",
      "-2147483649",
      "-2^63",
      "1.5",
      "0.1",
      "-1e300",
      "2^63",
      "math.huge",
      "''",
      "'a\\0b'",
      "string.rep('x', 31)",
      "string.rep('x', 32)",
      "string.rep('x', 255)",
      "string.rep('x', 256)",
      "string.rep('x', 65535)",
      "string.rep('x', 65536)",
      "{}",
      "{1, 'two', {3, {4}}, false}",
      "{a = 1, b = {c = 'd'}, [7] = 7, [1.5] = true}",
  };
  for (const char* v : values) {
    EXPECT_EQ(lua.Show(std::string("cmsgpack.unpack(cmsgpack.pack(") + v + "))"), lua.Show(v)) << v;
  }
  EXPECT_EQ(lua.Show("cmsgpack.unpack(cmsgpack.pack(1, 'a', {2}))"), R"(1 "a" {[1]=2})");
  EXPECT_EQ(lua.Run("local t = {} for i = 1, 70000 do t[i] = i end "
                    "local u = cmsgpack.unpack(cmsgpack.pack(t)) return #u .. ' ' .. u[70000]"),
            "70000 70000");
}

TEST(Cmsgpack, UnpacksEveryFormat) {
  Lua lua;
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\0\127\224\255'))"), "0 127 -32 -1");
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\192\194\195'))"), "nil false true");
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\204\200\205\1\2\206\1\2\3\4'))"), "200 258 16909060");
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\207\0\32\0\0\0\0\0\1'))"), "9007199254740992");
  // uint64 is read as int64, as in Redis.
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\207\255\255\255\255\255\255\255\255'))"), "-1");
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\208\128\209\128\0\210\128\0\0\0'))"),
            "-128 -32768 -2147483648");
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\211\128\0\0\0\0\0\0\0'))"), "-9.2233720368547758e+18");
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\202\63\192\0\0\203\63\185\153\153\153\153\153\154'))"),
            "1.5 0.10000000000000001");
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\202\127\192\0\0'))"), "nan");
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\162ab\217\2ab\218\0\2ab\219\0\0\0\2ab'))"),
            R"("ab" "ab" "ab" "ab")");
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\146\1\2\220\0\2\1\2\221\0\0\0\2\1\2'))"),
            "{[1]=1,[2]=2} {[1]=1,[2]=2} {[1]=1,[2]=2}");
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\129\1\2\222\0\1\1\2\223\0\0\0\1\1\2'))"),
            "{[1]=2} {[1]=2} {[1]=2}");
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\146\192\1'))"), "{[2]=1}");
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\129\1\192'))"), "{}");
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\130\1\2\1\3'))"), "{[1]=3}");
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack('\129\145\1\1'))"), "{[{[1]=1}]=1}");
  EXPECT_EQ(lua.Show("cmsgpack.unpack('')"), "");
  EXPECT_EQ(lua.Show("cmsgpack.unpack(1)"), "49");  // the number is read as the string "1"
  // The decoded map keeps the key order Redis's decoded map has (seen when packed again).
  EXPECT_EQ(lua.Run(R"(return hex(cmsgpack.pack(cmsgpack.unpack(
                           '\154\192\1\192\2\192\3\192\4\192\5'))))"),
            "850603020108040a050402");
}

TEST(Cmsgpack, UnpackErrors) {
  Lua lua;
  for (const char* data : {"\\145", "\\205\\1", "\\217", "\\217\\5ab", "\\218\\0",
                           "\\219\\0\\0\\0\\2a", "\\220\\0\\2\\1", "\\221\\0\\0\\0", "\\202\\0\\0",
                           "\\203\\0\\0", "\\204", "\\208", "\\129\\192", "\\221\\0\\16\\0\\0"}) {
    EXPECT_EQ(lua.Err("cmsgpack.unpack", std::string("'") + data + "'"), "Missing bytes in input.")
        << data;
  }
  // c1, bin, ext and fixext are not decoded (the type byte is refused before its length).
  for (const char* data :
       {"\\193", "\\196", "\\196\\1a", "\\197\\0\\1a", "\\198\\0\\0\\0\\1a", "\\199\\1\\5a",
        "\\200\\0\\1\\5a", "\\201\\0\\0\\0\\1\\5a", "\\212\\5a", "\\213\\5ab", "\\214\\5abcd",
        "\\215\\5abcdabcd", "\\146\\193", "\\146\\1\\193"}) {
    EXPECT_EQ(lua.Err("cmsgpack.unpack", std::string("'") + data + "'"),
              "Bad data format in input.")
        << data;
  }
  EXPECT_EQ(lua.Err("cmsgpack.unpack", R"('\129\192\1')"), "table index is nil");
  EXPECT_EQ(lua.Err("cmsgpack.unpack", R"('\130\192\1\193')"), "table index is nil");
  EXPECT_EQ(lua.Err("cmsgpack.unpack", R"('\129\203\255\248\0\0\0\0\0\0\1')"),
            "table index is NaN");
  EXPECT_EQ(lua.Err("cmsgpack.unpack", "{}"),
            "bad argument #1 to '?' (string expected, got table)");
}

TEST(Cmsgpack, UnpackOneAndLimitReturnTheNextOffset) {
  Lua lua;
  const std::string data = "cmsgpack.pack(1, 2, 3)";
  EXPECT_EQ(lua.Show("cmsgpack.unpack_one(" + data + ")"), "1 1");
  EXPECT_EQ(lua.Show("cmsgpack.unpack_one(" + data + ", 1)"), "2 2");
  EXPECT_EQ(lua.Show("cmsgpack.unpack_one(" + data + ", 2)"), "-1 3");
  EXPECT_EQ(lua.Show("cmsgpack.unpack_one(" + data + ", 3)"), "-1");
  EXPECT_EQ(lua.Show("cmsgpack.unpack_one(" + data + ", 1.9)"), "2 2");
  EXPECT_EQ(lua.Show("cmsgpack.unpack_one('')"), "-1");
  EXPECT_EQ(lua.Show("cmsgpack.unpack_limit(" + data + ", 2)"), "2 1 2");
  EXPECT_EQ(lua.Show("cmsgpack.unpack_limit(" + data + ", 5)"), "-1 1 2 3");
  EXPECT_EQ(lua.Show("cmsgpack.unpack_limit(" + data + ", 2, 1)"), "-1 2 3");
  EXPECT_EQ(lua.Show("cmsgpack.unpack_limit(" + data + ", '2')"), "2 1 2");
  EXPECT_EQ(lua.Show("cmsgpack.unpack_limit(" + data + ", 2^32)"), "-1 1 2 3");
  // Limit 0: everything without an offset from offset 0, else nothing and the offset.
  EXPECT_EQ(lua.Show("cmsgpack.unpack_limit(" + data + ", 0)"), "1 2 3");
  EXPECT_EQ(lua.Show("cmsgpack.unpack_limit(" + data + ", 0, 1)"), "1");
  EXPECT_EQ(lua.Show("cmsgpack.unpack_limit(" + data + ", 0, 3)"), "-1");
  // A value cut short past the limit is not read.
  EXPECT_EQ(lua.Show(R"(cmsgpack.unpack_limit('\1\2\145', 2))"), "2 1 2");
  EXPECT_EQ(lua.Err("cmsgpack.unpack_limit", R"('\1\2\145', 3)"), "Missing bytes in input.");
  EXPECT_EQ(lua.Err("cmsgpack.unpack_one", R"('\1\2\193', 2)"), "Bad data format in input.");
}

TEST(Cmsgpack, UnpackOffsetAndLimitErrors) {
  Lua lua;
  const std::string data = "cmsgpack.pack(1, 2, 3)";
  EXPECT_EQ(lua.Err("cmsgpack.unpack_one", data + ", 4"),
            "Start offset 4 greater than input length 3.");
  EXPECT_EQ(lua.Err("cmsgpack.unpack_one", "'', 1"), "Start offset 1 greater than input length 0.");
  // Redis prints the low 32 bits of these numbers.
  EXPECT_EQ(lua.Err("cmsgpack.unpack_limit", data + ", 1, 2^32"),
            "Start offset 0 greater than input length 3.");
  EXPECT_EQ(lua.Err("cmsgpack.unpack_one", data + ", -1"),
            "Invalid request to unpack with offset of -1 and limit of 3.");
  EXPECT_EQ(lua.Err("cmsgpack.unpack_limit", data + ", -1"),
            "Invalid request to unpack with offset of 0 and limit of 3.");
  EXPECT_EQ(lua.Err("cmsgpack.unpack_limit", data + ", 1, -2^32 + 1"),
            "Invalid request to unpack with offset of 1 and limit of 3.");
  // The numbers are checked before the string.
  EXPECT_EQ(lua.Err("cmsgpack.unpack_limit", "nil, 'x'"),
            "bad argument #2 to '?' (number expected, got string)");
  EXPECT_EQ(lua.Err("cmsgpack.unpack_limit", "nil, 1"),
            "bad argument #1 to '?' (string expected, got nil)");
  EXPECT_EQ(lua.Err("cmsgpack.unpack_one", "nil, 'x'"),
            "bad argument #2 to '?' (number expected, got string)");
  EXPECT_EQ(lua.Err("cmsgpack.unpack_limit", data),
            "bad argument #2 to '?' (number expected, "
            "got no value)");
}

TEST(Cmsgpack, TooManyValuesOrTooDeepRaisesStackOverflow) {
  Lua lua;
  EXPECT_EQ(lua.Run("return select('#', cmsgpack.unpack(string.rep('\\1', 7999)))"), "7999");
  EXPECT_EQ(lua.Err("cmsgpack.unpack", "string.rep('\\1', 8000)"),
            "stack overflow (too many return values at once; use unpack_one or unpack_limit "
            "instead.)");
  EXPECT_EQ(lua.Run("return select('#', cmsgpack.unpack_limit(string.rep('\\1', 7998), 7998))"),
            "7999");
  EXPECT_EQ(lua.Err("cmsgpack.unpack_limit", "string.rep('\\1', 7999), 7999"),
            "stack overflow (in function mp_unpack_full)");
  EXPECT_EQ(lua.Run("return type(cmsgpack.unpack(string.rep('\\145', 3999) .. '\\1'))"), "table");
  EXPECT_EQ(lua.Err("cmsgpack.unpack", "string.rep('\\145', 4000) .. '\\1'"),
            "stack overflow (in function mp_decode_to_lua_array)");
  EXPECT_EQ(lua.Err("cmsgpack.unpack", "string.rep('\\129\\1', 4000) .. '\\1'"),
            "stack overflow (too many return values at once; use unpack_one or unpack_limit "
            "instead.)");
}

// ---- struct ----

TEST(Struct, OpenPushesTheModuleWithoutGlobals) {
  lua_State* L = luaL_newstate();
  EXPECT_EQ(OpenStruct(L), 1);
  ASSERT_EQ(lua_gettop(L), 1);
  EXPECT_TRUE(lua_istable(L, 1));
  lua_getglobal(L, "struct");
  EXPECT_TRUE(lua_isnil(L, -1));
  lua_close(L);
}

TEST(Struct, PacksEachFormatLetter) {
  Lua lua;
  EXPECT_EQ(lua.Run("return hex(struct.pack('bBhHlLT', 1, 2, 3, 4, 5, 6, 7))"),
            "010203000400050000000000000006000000000000000700000000000000");
  EXPECT_EQ(lua.Run("return hex(struct.pack('>bBhHlLT', -1, 255, -1, 65535, -1, 2^32, 7))"),
            "ffffffffffffffffffffffffffff00000001000000000000000000000007");
  EXPECT_EQ(lua.Run("return hex(struct.pack('i', 1) .. struct.pack('<i', 1) .. "
                    "struct.pack('>i', 1))"),
            "010000000100000000000001");
  EXPECT_EQ(lua.Run("return hex(struct.pack('>i1i2i3i4i5i6i7i8', 1, 2, 3, 4, 5, 6, 7, 8))"),
            "010002000003000000040000000005000000000006000000000000070000000000000008");
  EXPECT_EQ(lua.Run("return hex(struct.pack('<I3i3', 0x123456, -2))"), "563412feffff");
  // Past 8 bytes: the value's 8 bytes, then zeros.
  EXPECT_EQ(lua.Run("return hex(struct.pack('>i16', -1))"), "0000000000000000ffffffffffffffff");
  EXPECT_EQ(lua.Run("return hex(struct.pack('<i9', 1))"), "010000000000000000");
  EXPECT_EQ(lua.Run("return hex(struct.pack('>i0', 1))"), "");
  EXPECT_EQ(lua.Run("return hex(struct.pack('>fd', 1.5, 1.5))"), "3fc000003ff8000000000000");
  EXPECT_EQ(lua.Run("return hex(struct.pack('<fd', 1.5, 1.5))"), "0000c03f000000000000f83f");
  EXPECT_EQ(lua.Run("return hex(struct.pack('>f', 0.1) .. struct.pack('>f', 1e300))"),
            "3dcccccd7f800000");
  EXPECT_EQ(lua.Run("return hex(struct.pack('s', 'a\\0b'))"), "61006200");
  EXPECT_EQ(lua.Run("return hex(struct.pack('c', 'abc') .. struct.pack('c2', 'abc'))"), "616162");
  EXPECT_EQ(lua.Run("return hex(struct.pack('c0', 'abc'))"), "616263");
  EXPECT_EQ(lua.Run("return hex(struct.pack('xxb', 1) .. struct.pack(' b x b ', 1, 2))"),
            "000001010002");
  EXPECT_EQ(lua.Run("return hex(struct.pack('b', '12') .. struct.pack('s', 12))"), "0c313200");
  EXPECT_EQ(lua.Run("return hex(struct.pack('', 1))"), "");
}

TEST(Struct, ConvertsNumbersAsRedisOnX86) {
  Lua lua;
  EXPECT_EQ(lua.Run("return hex(struct.pack('>L', 1.9) .. struct.pack('>L', -1.9))"),
            "0000000000000001ffffffffffffffff");
  EXPECT_EQ(lua.Run("return hex(struct.pack('>L', 2^63) .. struct.pack('>L', 2^64))"),
            "80000000000000000000000000000000");
  EXPECT_EQ(lua.Run("return hex(struct.pack('>L', 0/0) .. struct.pack('>L', -1/0))"),
            "80000000000000008000000000000000");
  EXPECT_EQ(lua.Run("return hex(struct.pack('>I8', 2^63 + 2^12))"), "8000000000001000");
  EXPECT_EQ(lua.Run("return hex(struct.pack('>I4', 2^32 + 5))"), "00000005");
}

TEST(Struct, AlignsAfterBang) {
  Lua lua;
  EXPECT_EQ(lua.Run("return hex(struct.pack('!4bi', 1, 2))"), "0100000002000000");
  EXPECT_EQ(lua.Run("return hex(struct.pack('!2bi', 1, 2))"), "010002000000");
  EXPECT_EQ(lua.Run("return hex(struct.pack('!bhbibl', 1, 2, 3, 4, 5, 6))"),
            "010002000300000004000000050000000600000000000000");
  EXPECT_EQ(lua.Run("return hex(struct.pack('!bd', 1, 2))"), "01000000000000000000000000000040");
  EXPECT_EQ(lua.Run("return hex(struct.pack('!4b!1i', 1, 2))"), "0102000000");
  // Sizes that are not powers of 2 use the same formula as Redis.
  EXPECT_EQ(lua.Run("return hex(struct.pack('!bi3', 1, 2))"), "010000020000");
  EXPECT_EQ(lua.Run("return hex(struct.pack('!bbi3', 1, 1, 2))"), "0101020000");
  EXPECT_EQ(lua.Run("return hex(struct.pack('!bi6', 1, 2))"), "010000000000020000000000");
  // c and s are never aligned.
  EXPECT_EQ(lua.Run("return hex(struct.pack('!4bc2i', 1, 'ab', 3))"), "0161620003000000");
  EXPECT_EQ(lua.Run("return hex(struct.pack('!4bs', 1, 'ab'))"), "01616200");
  EXPECT_EQ(lua.Show("struct.unpack('!bi', '\\1\\0\\0\\0\\2\\0\\0\\0\\0', 2)"), "0 2 9");
}

TEST(Struct, PackErrors) {
  Lua lua;
  EXPECT_EQ(lua.Err("struct.pack", "'=i', 1"),
            "bad argument #1 to '?' (invalid format option '=')");
  EXPECT_EQ(lua.Err("struct.pack", "'q', 1"), "bad argument #1 to '?' (invalid format option 'q')");
  EXPECT_EQ(lua.Err("struct.pack", "'i 4', 1"),
            "bad argument #1 to '?' (invalid format option '4')");
  EXPECT_EQ(lua.Err("struct.pack", "'!3b', 1"), "alignment 3 is not a power of 2");
  EXPECT_EQ(lua.Err("struct.pack", "'!0'"), "alignment 0 is not a power of 2");
  EXPECT_EQ(lua.Err("struct.pack", "'i33', 1"), "integral size 33 is larger than limit of 32");
  EXPECT_EQ(lua.Err("struct.pack", "'c2147483648', 'a'"), "integral size overflow");
  EXPECT_EQ(lua.Err("struct.pack", "'!4294967296b', 1"), "integral size overflow");
  // Redis names the argument after the short string.
  EXPECT_EQ(lua.Err("struct.pack", "'c5', 'abc'"), "bad argument #3 to '?' (string too short)");
  EXPECT_EQ(lua.Err("struct.pack", "'bc5', 1, 'abc'"), "bad argument #4 to '?' (string too short)");
  EXPECT_EQ(lua.Err("struct.pack", "'b'"), "bad argument #2 to '?' (number expected, got nil)");
  EXPECT_EQ(lua.Err("struct.pack", "'s'"), "bad argument #2 to '?' (string expected, got nil)");
  EXPECT_EQ(lua.Err("struct.pack", "'b', 'x'"),
            "bad argument #2 to '?' (number expected, got string)");
  EXPECT_EQ(lua.Err("struct.pack", "nil"), "bad argument #1 to '?' (string expected, got nil)");
}

TEST(Struct, UnpacksEachFormatLetter) {
  Lua lua;
  EXPECT_EQ(lua.Show("struct.unpack('>i', '\\0\\0\\0\\1')"), "1 5");
  EXPECT_EQ(lua.Show("struct.unpack('<i', '\\0\\0\\0\\1')"), "16777216 5");
  EXPECT_EQ(lua.Show("struct.unpack('bBhH', '\\255\\255\\255\\255\\255\\255')"),
            "-1 255 -1 65535 7");
  EXPECT_EQ(lua.Show("struct.unpack('>i3I3', '\\255\\255\\254\\255\\255\\254')"), "-2 16777214 7");
  EXPECT_EQ(lua.Show("struct.unpack('lLT', string.rep('\\255', 24))"),
            "-1 1.8446744073709552e+19 1.8446744073709552e+19 25");
  EXPECT_EQ(lua.Show("struct.unpack('>i8', '\\128\\0\\0\\0\\0\\0\\0\\1')"),
            "-9.2233720368547758e+18 9");
  EXPECT_EQ(lua.Show("struct.unpack('i0', 'abc')"), "0 1");
  // Past 8 bytes, the low 8 bytes, sign-extended from bit (8n - 1) % 64 as in Redis on x86-64.
  EXPECT_EQ(lua.Show("struct.unpack('>i9', '\\1\\0\\0\\0\\0\\0\\0\\0\\1')"), "1 10");
  EXPECT_EQ(lua.Show("struct.unpack('>i9', '\\0\\255\\255\\255\\255\\255\\255\\255\\254')"),
            "-2 10");
  EXPECT_EQ(lua.Show("struct.unpack('>i16', string.rep('\\255', 16))"), "-1 17");
  EXPECT_EQ(lua.Show("struct.unpack('>I16', string.rep('\\255', 16))"),
            "1.8446744073709552e+19 17");
  EXPECT_EQ(lua.Show("struct.unpack('<i10', struct.pack('<i10', -2147483649))"), "-1 11");
  EXPECT_EQ(lua.Show("struct.unpack('<i12', struct.pack('<i12', -2^63))"), "-2147483648 13");
  EXPECT_EQ(lua.Show("struct.unpack('>fd', struct.pack('>fd', 0.1, 0.1))"),
            "0.10000000149011612 0.10000000000000001 13");
  EXPECT_EQ(lua.Show("struct.unpack('ss', 'abc\\0def\\0')"), R"("abc" "def" 9)");
  EXPECT_EQ(lua.Show("struct.unpack('cc2', 'abc')"), R"("a" "bc" 4)");
  EXPECT_EQ(lua.Show("struct.unpack('xb', 'ab')"), "98 3");
  EXPECT_EQ(lua.Show("struct.unpack('', 'abc')"), "1");
  // c0 takes its length from the value before it, and replaces it.
  EXPECT_EQ(lua.Show("struct.unpack('bc0b', '\\2abc')"), R"("ab" 99 5)");
  EXPECT_EQ(lua.Show("struct.unpack('sc0', '2\\0abc')"), R"("ab" 5)");
  EXPECT_EQ(lua.Show("struct.unpack('fc0', struct.pack('f', -0.5) .. 'abc')"), R"("" 5)");
  // Positions.
  EXPECT_EQ(lua.Show("struct.unpack('>i', '\\0\\0\\0\\1\\2', 2)"), "258 6");
  EXPECT_EQ(lua.Show("struct.unpack('>i0', 'abcde', 6)"), "0 6");
  EXPECT_EQ(lua.Show("struct.unpack('', 'abc', -1)"), "-1");
  EXPECT_EQ(lua.Show("struct.unpack('b', 'abc', '2')"), "98 3");
}

TEST(Struct, UnpackErrors) {
  Lua lua;
  EXPECT_EQ(lua.Err("struct.unpack", "'>i', '\\0\\0\\0'"),
            "bad argument #2 to '?' (data string too short)");
  EXPECT_EQ(lua.Err("struct.unpack", "'c4', 'abc'"),
            "bad argument #2 to '?' (data string too short)");
  EXPECT_EQ(lua.Err("struct.unpack", "'x', ''"), "bad argument #2 to '?' (data string too short)");
  EXPECT_EQ(lua.Err("struct.unpack", "'bc0', '\\5abc'"),
            "bad argument #2 to '?' (data string too short)");
  EXPECT_EQ(lua.Err("struct.unpack", "'b', 'abc', -1"),
            "bad argument #2 to '?' (data string too short)");
  EXPECT_EQ(lua.Err("struct.unpack", "'!4', 'abc', -1"),
            "bad argument #2 to '?' (data string too short)");
  EXPECT_EQ(lua.Err("struct.unpack", "'>i0', 'abcde', 7"),
            "bad argument #2 to '?' (data string too short)");
  EXPECT_EQ(lua.Err("struct.unpack", "'b', 'abc', 0"),
            "bad argument #3 to '?' (offset must be 1 or greater)");
  EXPECT_EQ(lua.Err("struct.unpack", "'s', 'abc'"), "unfinished string in data");
  EXPECT_EQ(lua.Err("struct.unpack", "'c0', 'abc'"), "format 'c0' needs a previous size");
  EXPECT_EQ(lua.Err("struct.unpack", "'bc0c0', '\\2abc'"), "format 'c0' needs a previous size");
  EXPECT_EQ(lua.Err("struct.unpack", "'q', 'abc'"),
            "bad argument #1 to '?' (invalid format option 'q')");
  EXPECT_EQ(lua.Err("struct.unpack", "'>i33', 'abc'"),
            "integral size 33 is larger than limit of 32");
  EXPECT_EQ(lua.Err("struct.unpack", "'>i'"),
            "bad argument #2 to '?' (string expected, got no "
            "value)");
  EXPECT_EQ(lua.Err("struct.unpack", "string.rep('b', 7998), string.rep('\\1', 7998)"),
            "stack overflow (too many results)");
  EXPECT_EQ(lua.Run("return select('#', struct.unpack(string.rep('b', 7997), "
                    "string.rep('\\1', 7997)))"),
            "7998");
}

TEST(Struct, Size) {
  Lua lua;
  EXPECT_EQ(lua.Show("struct.size('bBhHlLTi')"), "34");
  EXPECT_EQ(lua.Show("struct.size('!bBhHlLTi')"), "36");
  EXPECT_EQ(lua.Show("struct.size('!4bd'), struct.size('!bd'), struct.size('fd')"), "12 16 12");
  EXPECT_EQ(lua.Show("struct.size('>i3<i5'), struct.size('c3'), struct.size('x'), "
                     "struct.size('i0'), struct.size('')"),
            "8 3 1 0 0");
  EXPECT_EQ(lua.Show("struct.size('c2147483647c2147483647c2147483647')"), "6442450941");
  // As in Redis, letters and digits that are no option count 0 bytes here.
  EXPECT_EQ(lua.Show("struct.size('q'), struct.size('b2')"), "0 1");
  EXPECT_EQ(lua.Err("struct.size", "'='"), "bad argument #1 to '?' (invalid format option '=')");
  EXPECT_EQ(lua.Err("struct.size", "'s'"), "bad argument #1 to '?' (option 's' has no fixed size)");
  EXPECT_EQ(lua.Err("struct.size", "'bc0'"),
            "bad argument #1 to '?' (option 'c0' has no fixed size)");
  EXPECT_EQ(lua.Err("struct.size", "'!3'"), "alignment 3 is not a power of 2");
  EXPECT_EQ(lua.Err("struct.size", "'i33'"), "integral size 33 is larger than limit of 32");
}

TEST(Struct, RoundTrips) {
  Lua lua;
  EXPECT_EQ(lua.Show("struct.unpack('>hHlL', struct.pack('>hHlL', -2, 65534, -3, 3))"),
            "-2 65534 -3 3 21");
  EXPECT_EQ(lua.Show("struct.unpack('<!4bhbib', struct.pack('<!4bhbib', -1, -2, -3, -4, -5))"),
            "-1 -2 -3 -4 -5 14");
  EXPECT_EQ(lua.Show("struct.unpack('>!8bdbf', struct.pack('>!8bdbf', 1, 0.1, 2, 0.5))"),
            "1 0.10000000000000001 2 0.5 25");
  EXPECT_EQ(lua.Show("struct.unpack('s c3 i2', struct.pack('s c3 i2', 'hello', 'abc', 513))"),
            R"("hello" "abc" 513 12)");
  EXPECT_EQ(lua.Show("struct.unpack('>I8i8', struct.pack('>I8i8', 2^53, -2^53))"),
            "9007199254740992 -9007199254740992 17");
}

}  // namespace
}  // namespace stash::script
