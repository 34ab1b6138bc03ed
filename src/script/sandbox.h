// The globals a script sees, as Redis 7.0 gives them: only an allowed list of Lua's base
// functions and the libraries (string, table, math, coroutine, cjson, bit, struct, cmsgpack,
// redis); everything read-only.
//
// How, without Redis's patched Lua: the globals table is an empty proxy whose metatable reads
// through to the real table and refuses writes ("Attempt to modify a readonly table"); reading a
// name that is not there raises "Script attempted to access nonexistent global variable 'x'".
// Each library is such a proxy too, and rawset and setmetatable refuse the proxies. The proxy
// is the thread's global table, so loadstring'ed chunks get it as well.
#pragma once

struct lua_State;

namespace stash::script {

// Builds the sandbox from the globals of L (every library opened) and makes it L's globals.
// Leaves the real globals table (where KEYS and ARGV are set) in the registry under
// kGlobalsKey.
void Sandbox(lua_State* L);

inline constexpr const char* kGlobalsKey = "stash.globals";

// Function libraries (FUNCTION LOAD). Their code runs first in load globals that hold only
// `redis` with register_function (the C function at the top of the stack, popped), log, the
// LOG_* constants and REDIS_VERSION(_NUM); anything else is a nonexistent global. REQUIRES:
// Sandbox ran.
void BuildLoadGlobals(lua_State* L);
// Pushes a fresh read-only environment for one library's code, reading the load globals.
void PushLibraryEnv(lua_State* L);
// Once the library has loaded: its environment (at idx) reads the globals scripts see, so its
// functions run as scripts do (without KEYS and ARGV).
void ActivateLibraryEnv(lua_State* L, int idx);

}  // namespace stash::script
