#include "script/lua_convert.h"

#include <lua.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "resp/reply_writer.h"

namespace stash::script {
namespace {

constexpr int kMaxDepth = 1000;

class ReplyParser {
 public:
  ReplyParser(lua_State* L, std::string_view in) : L_(L), in_(in) {}

  bool Parse(int depth) {
    if (depth > kMaxDepth || !lua_checkstack(L_, 4)) return false;
    std::string_view line;
    if (pos_ >= in_.size() || !Line(&line) || line.empty()) return false;
    const char type = line[0];
    line.remove_prefix(1);
    switch (type) {
      case '+':
        return PushField("ok", line);
      case '-':
        return PushField("err", line);
      case ':': {
        int64_t v;
        if (!Int(line, &v)) return false;
        lua_pushnumber(L_, static_cast<lua_Number>(v));
        return true;
      }
      case '$':
      case '=': {
        int64_t n;
        if (!Int(line, &n)) return false;
        if (n < 0) {
          lua_pushboolean(L_, 0);
          return true;
        }
        if (in_.size() - pos_ < static_cast<size_t>(n) + 2) return false;
        std::string_view s = in_.substr(pos_, n);
        pos_ += n + 2;
        if (type == '$') {
          lua_pushlstring(L_, s.data(), s.size());
          return true;
        }
        if (s.size() < 4) return false;
        lua_newtable(L_);
        lua_pushliteral(L_, "verbatim_string");
        lua_newtable(L_);
        lua_pushlstring(L_, s.data(), 3);
        lua_setfield(L_, -2, "format");
        lua_pushlstring(L_, s.data() + 4, s.size() - 4);
        lua_setfield(L_, -2, "string");
        lua_rawset(L_, -3);
        return true;
      }
      case '*':
      case '>': {
        int64_t n;
        if (!Int(line, &n)) return false;
        if (n < 0) {
          lua_pushboolean(L_, 0);
          return true;
        }
        lua_createtable(L_, static_cast<int>(std::min<int64_t>(n, 1 << 16)), 0);
        for (int64_t i = 1; i <= n; i++) {
          if (!Parse(depth + 1)) return Drop(1);
          lua_rawseti(L_, -2, static_cast<int>(i));
        }
        return true;
      }
      case '%':
      case '~': {
        int64_t n;
        if (!Int(line, &n) || n < 0) return false;
        lua_newtable(L_);
        lua_pushstring(L_, type == '%' ? "map" : "set");
        lua_newtable(L_);
        for (int64_t i = 0; i < n; i++) {
          if (!Parse(depth + 1)) return Drop(3);
          if (type == '%') {
            if (!Parse(depth + 1)) return Drop(4);
          } else {
            lua_pushboolean(L_, 1);
          }
          if (lua_isnil(L_, -2)) {
            lua_pop(L_, 2);  // a nil key cannot be stored
          } else {
            lua_rawset(L_, -3);
          }
        }
        lua_rawset(L_, -3);
        return true;
      }
      case '|': {  // an attribute: read and dropped, then the value it annotates
        int64_t n;
        if (!Int(line, &n) || n < 0) return false;
        for (int64_t i = 0; i < 2 * n; i++) {
          if (!Parse(depth + 1)) return false;
          lua_pop(L_, 1);
        }
        return Parse(depth);
      }
      case '_':
        lua_pushnil(L_);
        return true;
      case '#':
        lua_pushboolean(L_, line == "t");
        return true;
      case ',': {
        std::string text(line);
        lua_newtable(L_);
        lua_pushnumber(L_, std::strtod(text.c_str(), nullptr));
        lua_setfield(L_, -2, "double");
        return true;
      }
      case '(':
        return PushField("big_number", line);
      default:
        return false;
    }
  }

 private:
  bool Line(std::string_view* line) {
    size_t end = in_.find("\r\n", pos_);
    if (end == std::string_view::npos) return false;
    *line = in_.substr(pos_, end - pos_);
    pos_ = end + 2;
    return true;
  }
  static bool Int(std::string_view s, int64_t* v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return ec == std::errc() && p == s.data() + s.size();
  }
  bool PushField(const char* name, std::string_view s) {
    lua_newtable(L_);
    lua_pushlstring(L_, s.data(), s.size());
    lua_setfield(L_, -2, name);
    return true;
  }
  bool Drop(int n) {
    lua_pop(L_, n);
    return false;
  }

  lua_State* L_;
  std::string_view in_;
  size_t pos_ = 0;
};

// The string field name of the table at idx (raw), or false.
bool RawStringField(lua_State* L, int idx, const char* name, std::string* out) {
  lua_pushstring(L, name);
  lua_rawget(L, idx);
  const bool found = lua_type(L, -1) == LUA_TSTRING;
  if (found) {
    size_t len;
    const char* s = lua_tolstring(L, -1, &len);
    out->assign(s, len);
  }
  lua_pop(L, 1);
  return found;
}

// Pushes t[name] (raw) for the table at idx; true when it has type type.
bool RawField(lua_State* L, int idx, const char* name, int type) {
  lua_pushstring(L, name);
  lua_rawget(L, idx);
  if (lua_type(L, -1) == type) return true;
  lua_pop(L, 1);
  return false;
}

int64_t ToInteger(lua_Number n) {
  // Redis casts; a value outside long long (inf, nan) comes out as its minimum on x86.
  if (!(n >= -9223372036854775808.0 && n < 9223372036854775808.0)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(n);
}

void Write(lua_State* L, int idx, int script_resp, resp::ReplyWriter& out, int depth);

// The table at the top of the stack (popped) as a map of its keys and values, or a set of its
// keys.
void WriteEntries(lua_State* L, bool map, int script_resp, resp::ReplyWriter& out, int depth) {
  const int m = lua_gettop(L);
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, m) != 0) {
    n++;
    lua_pop(L, 1);
  }
  if (map) {
    out.MapHeader(n);
  } else {
    out.SetHeader(n);
  }
  lua_pushnil(L);
  while (lua_next(L, m) != 0) {
    Write(L, -2, script_resp, out, depth + 1);
    if (map) Write(L, -1, script_resp, out, depth + 1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

void Write(lua_State* L, int idx, int script_resp, resp::ReplyWriter& out, int depth) {
  if (depth > kMaxDepth || !lua_checkstack(L, 4)) {
    out.Error("ERR reached lua stack limit");
    return;
  }
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, idx, &len);
      out.Bulk(std::string_view(s, len));
      return;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, idx)) {
          out.Integer(1);
        } else {
          out.Null();
        }
      } else {
        out.Bool(lua_toboolean(L, idx));
      }
      return;
    case LUA_TNUMBER:
      out.Integer(ToInteger(lua_tonumber(L, idx)));
      return;
    case LUA_TTABLE:
      break;
    default:
      out.Null();
      return;
  }
  const int t = lua_gettop(L) + 1;
  lua_pushvalue(L, idx);  // at t
  std::string s;
  if (RawStringField(L, t, "err", &s)) {
    if (s.empty() || s[0] == '-') {  // sent as it is (Error drops one '-')
      std::string text(1, '-');
      text.append(s);
      out.Error(text);
    } else {
      out.Error(s);
    }
  } else if (RawStringField(L, t, "ok", &s)) {
    out.Simple(s);
  } else if (RawField(L, t, "double", LUA_TNUMBER)) {
    out.Double(lua_tonumber(L, -1));
    lua_pop(L, 1);
  } else if (RawStringField(L, t, "big_number", &s)) {
    out.BigNumber(s);
  } else if (RawField(L, t, "map", LUA_TTABLE)) {
    WriteEntries(L, true, script_resp, out, depth);
  } else if (RawField(L, t, "set", LUA_TTABLE)) {
    WriteEntries(L, false, script_resp, out, depth);
  } else if (RawField(L, t, "verbatim_string", LUA_TTABLE)) {
    const int v = lua_gettop(L);
    std::string format, text;
    if (RawStringField(L, v, "format", &format) && RawStringField(L, v, "string", &text)) {
      out.Verbatim(text, format);
    } else {
      out.Null();
    }
    lua_pop(L, 1);
  } else {
    size_t n = 0;
    while (true) {
      lua_rawgeti(L, t, static_cast<int>(n + 1));
      const bool nil = lua_isnil(L, -1);
      lua_pop(L, 1);
      if (nil) break;
      n++;
    }
    out.ArrayHeader(n);
    for (size_t i = 1; i <= n; i++) {
      lua_rawgeti(L, t, static_cast<int>(i));
      Write(L, -1, script_resp, out, depth + 1);
      lua_pop(L, 1);
    }
  }
  lua_settop(L, t - 1);
}

}  // namespace

bool PushReply(lua_State* L, std::string_view reply) {
  const int top = lua_gettop(L);
  ReplyParser parser(L, reply);
  if (parser.Parse(0)) return true;
  lua_settop(L, top);
  return false;
}

void WriteValue(lua_State* L, int idx, int script_resp, resp::ReplyWriter& out) {
  Write(L, idx < 0 ? lua_gettop(L) + 1 + idx : idx, script_resp, out, 0);
}

std::string ErrorTableText(std::string_view error) {
  std::string_view code = "ERR", msg = error;
  if (!error.empty() && error[0] == '-') {
    const size_t space = error.find(' ');
    if (space == std::string_view::npos) {
      msg = error.substr(1);
    } else {
      code = error.substr(1, space - 1);
      msg = error.substr(space + 1);
    }
  }
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.remove_suffix(1);
  while (!msg.empty() && (msg.front() == '\r' || msg.front() == '\n')) msg.remove_prefix(1);
  std::string out(code);
  out += ' ';
  out += msg;
  return out;
}

}  // namespace stash::script
