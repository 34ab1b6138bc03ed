// Conversions between RESP and Lua values, as Redis 7.0 documents them for scripts.
//
// A command's reply to redis.call (RESP2, or RESP3 after redis.setresp(3)) becomes:
//   integer -> number, bulk string -> string, status -> {ok = s}, error -> {err = s},
//   array -> table (1..n), null bulk / null array -> false (RESP2) or nil (RESP3 null),
//   RESP3: boolean -> boolean, double -> {double = n}, map -> {map = {k = v}},
//   set -> {set = {m = true}}, big number -> {big_number = s},
//   verbatim -> {verbatim_string = {format = f, string = s}}; attributes are dropped.
// A script's result becomes a reply in the caller's protocol:
//   number -> integer (truncated), string -> bulk, nil -> null, boolean -> 1 / null while the
//   script speaks RESP2 and a RESP3 boolean after setresp(3), and a table is, by its first field
//   found in this order: err (an error), ok (a status), double, big_number, map, set,
//   verbatim_string, or else an array of t[1], t[2] ... up to the first nil.
// Tables are read raw (no metamethods run), so converting never runs script code.
#pragma once

#include <string>
#include <string_view>

struct lua_State;

namespace stash::resp {
class ReplyWriter;
}

namespace stash::script {

// Pushes the Lua value of one complete RESP reply (an error reply included, as {err = s}).
// False when the reply is malformed or nested too deep (nothing pushed).
bool PushReply(lua_State* L, std::string_view reply);

// Writes the value at index idx as a reply. script_resp is the script's redis.setresp.
void WriteValue(lua_State* L, int idx, int script_resp, resp::ReplyWriter& out);

// The text of an error as a script's error table holds it: "-CODE msg" keeps its code, a text
// without one (or without '-') gets "ERR"; the trailing CR/LF is cut.
std::string ErrorTableText(std::string_view error);

}  // namespace stash::script
