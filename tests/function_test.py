"""Redis 7.0 functions (functions.c, function_lua.c): FUNCTION LOAD [REPLACE] | DELETE | FLUSH |
LIST | STATS | DUMP | RESTORE | KILL | HELP, FCALL and FCALL_RO, compared with a stock
redis-server.

Most tests are corpora of commands run on stashd and on Redis (each after FLUSHALL, FUNCTION
FLUSH and SCRIPT FLUSH, over one connection each, in RESP2 and again in RESP3 after HELLO 3) whose
replies must be the same bytes: FUNCTION LOAD of valid libraries (the two-argument and the table
forms of redis.register_function, flags, descriptions, several functions and local helpers per
library, multi-line code) and of every kind of bad one (metadata, compile errors with their line
numbers, errors while registering, globals at load time, a library or a function that exists,
REPLACE, the load timeout); FCALL and FCALL_RO (keys and arguments, KEYS and ARGV absent, numkeys
errors, unknown functions, write flags, errors raised inside functions with 'script: <name>, on
@user_function:<line>.', redis.call/pcall, setresp(3), MULTI/EXEC, WATCH); FUNCTION LIST (an
unordered set of libraries: Redis lists them, and a library's functions, in its hash tables'
order; stashd lists the libraries by name), STATS, DELETE, FLUSH, HELP and KILL and their
argument errors; RESTORE's policies and errors, with payloads crafted with Redis's CRC64.

Payloads move between the servers both ways (Redis compresses long library code with LZF, stashd
does not: the bytes of FUNCTION DUMP may differ, what they restore may not). Libraries are data
in stashd: they survive a clean restart and a kill -9 right after the reply (LOAD, DELETE, FLUSH,
RESTORE), FLUSHALL and SCRIPT FLUSH keep them (compared with Redis). A function or a script
running past busy-reply-threshold makes the server answer BUSY; FUNCTION STATS shows it; SCRIPT
KILL, FUNCTION KILL and their errors, UNKILLABLE and SHUTDOWN NOSAVE behave as in Redis."""
import io
import signal
import struct
import time
import unittest

from differential import Conn, RedisServer, read_raw, stashd_only, typed
from script_util import ScriptCompareTestCase
from stashd import Stashd, encode_command, read_reply


def lib(name, body, meta=""):
    """A library's code: the shebang line naming it, then body."""
    return "#!lua name=%s%s\n%s" % (name, meta, body)


def fcall(name, keys=(), args=(), cmd="FCALL"):
    return [cmd, name, str(len(keys))] + list(keys) + list(args)


def parse(raw):
    return read_reply(io.BytesIO(raw))


def crc64(data):
    """Redis's crc64 (Jones, reflected), which ends DUMP payloads."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x95AC9329AC4BC9B5 if crc & 1 else 0)
    return crc


def rdb_string(s):
    s = s.encode() if isinstance(s, str) else s
    n = len(s)
    if n < 64:
        return bytes([n]) + s
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF]) + s
    return b"\x80" + struct.pack(">I", n) + s


def payload(*codes, version=10, opcode=0xF5, body=None):
    """A FUNCTION DUMP payload: each library's code after the FUNCTION2 opcode (or body as is),
    the RDB version and the CRC64 of it all."""
    if body is None:
        body = b"".join(bytes([opcode]) + rdb_string(c) for c in codes)
    body += struct.pack("<H", version)
    return body + struct.pack("<Q", crc64(body))


def _sorted_items(items):
    return sorted(items, key=repr)


def normalise_list(raw):
    """A FUNCTION LIST reply as a typed value (differential.typed) with its libraries, and each
    library's functions, in a fixed order: Redis gives both in its dict order. Errors as they
    are."""
    t = typed(raw)
    if t[0] != "*":
        return t
    libs = []
    for library in t[1]:
        if library[0] == "%":
            pairs = [(k, (v[0], _sorted_items(v[1])) if k == ("$", b"functions") else v)
                     for k, v in library[1]]
            libs.append((library[0], pairs))
        elif library[0] == "*":
            items = list(library[1])
            for i in range(0, len(items) - 1, 2):
                if items[i] == ("$", b"functions"):
                    items[i + 1] = (items[i + 1][0], _sorted_items(items[i + 1][1]))
            libs.append((library[0], items))
        else:
            libs.append(library)
    return (t[0], _sorted_items(libs))


def is_function_list(cmd):
    return len(cmd) >= 2 and cmd[0].upper() == "FUNCTION" and cmd[1].upper() == "LIST"


def without_duration(raw):
    """A FUNCTION STATS reply as a typed value with running_script's duration_ms replaced by
    whether it is a non-negative integer."""
    def walk(v):
        if v[0] in "*~" and v[1] is not None:
            items = [walk(i) for i in v[1]]
            for i in range(len(items) - 1):
                if items[i] == ("$", b"duration_ms"):
                    items[i + 1] = ("duration", items[i + 1][0] == ":" and items[i + 1][1] >= 0)
            return (v[0], items)
        if v[0] == "%":
            return (v[0], [(k, ("duration", w[0] == ":" and w[1] >= 0))
                           if k == ("$", b"duration_ms") else (k, walk(w)) for k, w in v[1]])
        return v
    return walk(typed(raw))


# A library with several functions, local helpers and lines that matter.
MULTI_LIB = lib("multi", """
local function helper(x)
  return 'h:' .. x
end

local function incr_by(keys, args)
  return redis.call('incrby', keys[1], args[1])
end

local function boom(keys, args)
  local t = {}
  error('boom at line 13')
end

redis.register_function('helper_call', function(keys, args) return helper(args[1]) end)
redis.register_function('incr_by', incr_by)
redis.register_function('boom', boom)
redis.register_function{
  function_name = 'described',
  callback = function() return 'd' end,
  description = 'a description',
}
""")

# The functions most FCALL tests run.
CALLS_LIB = lib("calls", """
redis.register_function('echo', function(keys, args) return {keys, args} end)
redis.register_function('counts', function(keys, args) return {#keys, #args} end)
redis.register_function('argtypes', function(keys, args)
  return {type(keys), type(args), type(keys[1]), type(args[1])}
end)
redis.register_function('keys_global', function() return KEYS end)
redis.register_function('argv_global', function()
  return ARGV
end)
redis.register_function('set', function(keys, args)
  return redis.call('set', keys[1], args[1])
end)
redis.register_function('get', function(keys) return redis.call('get', keys[1]) end)
redis.register_function{function_name = 'ro_get', flags = {'no-writes'},
  callback = function(keys) return redis.call('get', keys[1]) end}
redis.register_function{function_name = 'ro_set', flags = {'no-writes'},
  callback = function(keys, args)
    local x = 1
    return redis.call('set', keys[1], args[1])
  end}
redis.register_function{function_name = 'ro_pset', flags = {'no-writes'},
  callback = function(keys, args)
    return redis.pcall('set', keys[1], args[1])
  end}
redis.register_function('raise', function(keys, args)
  local a = 1

  error(args[1])
end)
redis.register_function('raise_table', function() error({err = 'MYCODE custom'}) end)
redis.register_function('ret_err', function() return {err = 'RETCODE returned'} end)
redis.register_function('ret_err_reply', function() return redis.error_reply('ER x') end)
redis.register_function('ret_status', function() return redis.status_reply('FINE') end)
redis.register_function('call_bad', function(keys)
  return redis.call('incr', keys[1])
end)
redis.register_function('call_nosuch', function()
  return redis.call('nosuch')
end)
redis.register_function('pcall_bad', function(keys)
  local r = redis.pcall('incr', keys[1])
  return {type(r), r.err}
end)
redis.register_function('pcall_ret', function(keys) return redis.pcall('incr', keys[1]) end)
redis.register_function('nil_index', function()
  local t = nil
  return t.x
end)
redis.register_function('write_global', function() x = 1 end)
redis.register_function('resp3', function(keys)
  redis.setresp(3)
  return {redis.call('hgetall', keys[1]), redis.call('get', 'nokey'),
          redis.call('zscore', 'z', 'm')}
end)
redis.register_function('resp3_types', function(keys)
  redis.setresp(3)
  local h = redis.call('hgetall', keys[1])
  return {type(h), type(h.map), type(redis.call('get', 'nokey'))}
end)
redis.register_function('values', function()
  return {1, 3.99, 'x', true, false, {double = 1.5}, {map = {a = 1}}, {set = {b = true}}}
end)
redis.register_function('nested_fcall', function() return redis.call('fcall', 'echo', 0) end)
redis.register_function('eval_inside', function() return redis.call('eval', 'return 1', 0) end)
redis.register_function('register_late', function()
  return redis.register_function('late', function() return 1 end)
end)
redis.register_function('globals', function()
  return {type(string), type(math), type(table), type(cjson), type(redis.call),
          type(redis.register_function), type(redis.setresp), type(redis.sha1hex)}
end)
redis.register_function('select_db', function(keys)
  redis.call('select', 1)
  return redis.call('set', keys[1], 'in db1')
end)
redis.register_function('script_flush', function() return redis.call('script', 'flush') end)
redis.register_function('function_flush', function()
  return redis.call('function', 'flush')
end)
""")


class FunctionTestCase(ScriptCompareTestCase):
    """stashd (self.server) and a stock redis-server (self.ref); FUNCTION LIST's replies are
    compared as normalise_list() says."""

    maxDiff = None
    RESET = (("FLUSHALL",), ("FUNCTION", "FLUSH"), ("SCRIPT", "FLUSH"))

    def same_reply(self, cmd, got, want):
        if isinstance(got, bytes) and is_function_list(cmd):
            return normalise_list(got) == normalise_list(want)
        return got == want


class FunctionLoadTest(FunctionTestCase):
    def test_valid_libraries(self):
        libs = [
            lib("two_arg", "redis.register_function('f_two', function(keys, args)\n"
                           "  return {keys, args}\nend)"),
            lib("table_form", "redis.register_function{function_name = 'f_table',\n"
                              "  callback = function(keys, args) return 'table' end}"),
            lib("flagged", "redis.register_function{function_name = 'f_flags',\n"
                           "  callback = function() return 'flags' end,\n"
                           "  flags = {'no-writes', 'allow-oom', 'allow-stale', 'no-cluster',\n"
                           "           'allow-cross-slot-keys'},\n"
                           "  description = 'all the flags'}\n"
                           "redis.register_function{function_name = 'f_noflags',\n"
                           "  callback = function() return 'none' end, flags = {}}\n"
                           "redis.register_function{function_name = 'f_one_flag',\n"
                           "  callback = function() return 'one' end, flags = {'allow-stale'}}"),
            MULTI_LIB,
            lib("A1_b", "redis.log(redis.LOG_NOTICE, 'loading A1_b')\n"
                        "local n = redis.LOG_WARNING\n"
                        "redis.register_function('F_9', function() return n end)"),
            lib("_", "redis.register_function('_', function() return '_' end)"),
            lib("spaces", "redis.register_function('f_spaces', function() return 's' end)",
                meta="  "),
            lib("desc_empty", "redis.register_function{function_name = 'f_desc',\n"
                              "  callback = function() return 1 end, description = ''}"),
            lib("crlf", "redis.register_function('f_crlf', function() return 'crlf' end)\r\n"),
            "#!lua name=shebang_only_line\nredis.register_function('f_line', "
            "function() return 'line' end)",
            lib("big", "-- %s\nlocal s = '%s'\nredis.register_function('f_big', "
                       "function() return #s end)" % ("c" * 100000, "s" * 100000)),
        ]
        commands = [["FUNCTION", "LOAD", code] for code in libs]
        commands += [
            fcall("f_two", ["k1", "k2"], ["a1"]), fcall("f_table"), fcall("f_flags"),
            fcall("f_noflags"), fcall("f_one_flag"), fcall("helper_call", [], ["x"]),
            fcall("incr_by", ["n"], ["5"]), fcall("incr_by", ["n"], ["-2"]), ["GET", "n"],
            fcall("described"), fcall("F_9"), fcall("_"), fcall("f_spaces"), fcall("f_desc"),
            fcall("f_crlf"), fcall("f_line"), fcall("f_big"), fcall("f_flags", cmd="FCALL_RO"),
            ["FUNCTION", "LIST"], ["FUNCTION", "LIST", "WITHCODE"], ["FUNCTION", "STATS"],
        ]
        self.compare(commands)

    def test_metadata_errors(self):
        body = "redis.register_function('mf', function() return 1 end)"
        codes = [
            body, "", "#!", "#!lua", "#!lua\n" + body, "#!lua name=\n" + body,
            "#!lua name=a-b\n" + body, "#!lua name=a.b\n" + body, "#!lua name=a b\n" + body,
            "#!lua name=" + "x" * 300 + "\n" + body, "#!js name=js\n" + body,
            "#!luajit name=lj\n" + body, "#! name=n\n" + body, "#!LUA name=upper\n" + body,
            "#!lua name=a foo=bar\n" + body, "#!lua name=a flags=no-writes\n" + body,
            "#!lua name=a name=b\n" + body, "#!lua name=a name=a\n" + body,
            "#!lua Name=a\n" + body, "#!lua name\n" + body, "#!lua =a\n" + body,
            "#!lua name=a=b\n" + body, " #!lua name=a\n" + body, "--#!lua name=a\n" + body,
            "#!lua name=ok", "#!lua name=ok\n", "#!lua name=a\tb\n" + body,
            "#!lua name=\xc3\xa9\n" + body,
        ]
        commands = []
        for code in codes:  # each on its own: FUNCTION LIST shows what loaded
            commands += [["FUNCTION", "LOAD", code], ["FUNCTION", "LIST"], ["FUNCTION", "FLUSH"]]
        self.compare(commands)

    def test_compile_errors(self):
        self.compare([["FUNCTION", "LOAD", lib("bad", code)] for code in [
            "return {a", "local x =\n\n", "x = = 1", "\n\nfor i=1 do end",
            "redis.register_function('f', function() return 1 end)\nreturn +",
            "redis.register_function('f', function()\n  return 'unfinished\nend)",
            "local function f()\n  if true then\n    return 1\nend\n"
            "redis.register_function('f', f)",
            "\n\n\n\nfunction f(\nend", "return [[unclosed", "goto x", "local t = {1,,2}",
            "\x00", "redis.register_function('f', function() return 1 end) end",
        ]] + [["FUNCTION", "LIST"]])

    def test_registration_errors(self):
        ok = "function() return 1 end"
        self.compare([["FUNCTION", "LOAD", lib("reg", code)] for code in [
            "", "-- nothing\nlocal x = 1", "redis.register_function()",
            "redis.register_function('f')", "redis.register_function('f', 'notfunc')",
            "redis.register_function('f', nil)", "redis.register_function(nil, %s)" % ok,
            "redis.register_function({}, %s)" % ok, "redis.register_function(1, %s)" % ok,
            "redis.register_function('f', %s, 'extra')" % ok,
            "redis.register_function{function_name = 'f'}",
            "redis.register_function{callback = %s}" % ok, "redis.register_function{}",
            "redis.register_function{function_name = 'f', callback = 'x'}",
            "redis.register_function{function_name = 5, callback = %s}" % ok,
            "redis.register_function{function_name = 'f', callback = %s,\n"
            "  flags = {'bogus'}}" % ok,
            "redis.register_function{function_name = 'f', callback = %s,\n"
            "  flags = {'no-writes', 'NO-WRITES'}}" % ok,
            "redis.register_function{function_name = 'f', callback = %s,\n"
            "  flags = 'no-writes'}" % ok,
            "redis.register_function{function_name = 'f', callback = %s, flags = {1}}" % ok,
            "redis.register_function{function_name = 'f', callback = %s,\n"
            "  flags = {'no-writes', 'allow-oom', 'no-script'}}" % ok,
            "redis.register_function{function_name = 'f', callback = %s, foo = 1}" % ok,
            "redis.register_function{function_name = 'f', callback = %s,\n"
            "  description = 5}" % ok,
            "redis.register_function{function_name = 'f', callback = %s,\n"
            "  description = {}}" % ok,
            "redis.register_function{'f', %s}" % ok,
            "redis.register_function('bad-name', %s)" % ok,
            "redis.register_function('', %s)" % ok,
            "redis.register_function('a b', %s)" % ok,
            "redis.register_function('%s', %s)" % ("n" * 200, ok),
            "redis.register_function('dup', %s)\n\nredis.register_function('dup', %s)" % (ok, ok),
            "redis.register_function('dup', %s)\nredis.register_function('DUP', %s)" % (ok, ok),
            "redis.register_function('good', %s)\nredis.register_function('bad!', %s)" % (ok, ok),
            "redis.register_function('good', %s)\n\nerror('after registering')" % ok,
        ]] + [["FUNCTION", "LIST"], ["FUNCTION", "STATS"]])

    def test_load_time_environment(self):
        # While a library loads, only redis.register_function, redis.log and the constants exist.
        reg = "redis.register_function('f', function() return 1 end)\n"
        self.compare([["FUNCTION", "LOAD", lib("env", reg + code)] for code in [
            "redis.call('set', 'x', 'y')", "redis.pcall('set', 'x', 'y')", "\n\nerror('boom')",
            "local t = type(1)", "local s = string.rep('x', 2)", "local m = math.floor(1.5)",
            "print('x')", "local k = KEYS", "local a = ARGV", "local c = cjson",
            "local g = _G", "local p = pairs({})", "local t = table", "local b = bit",
            "redis.setresp(3)", "redis.sha1hex('x')", "redis.error_reply('x')",
            "redis.status_reply('x')", "redis.set_repl(redis.REPL_ALL)", "redis.breakpoint()",
            "redis.acl_check_cmd('get')", "x = 1", "\nglobal_var = 'v'", "redis.x = 1",
            "redis.register_function = nil", "local t = nil\nlocal y = t.z",
            "local s = 'a'\nreturn s + 1", "return redis.nosuch()",
            "redis.log(redis.LOG_WARNING, 'fine at load time')",
            "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
            "redis.log()", "redis.log(99, 'x')",
        ]] + [["FUNCTION", "LIST"]])

    def test_load_timeout(self):
        # Redis stops a library's load after 500 ms.
        self.compare([["FUNCTION", "LOAD", lib("spin", code)] for code in [
            "while true do end",
            "redis.register_function('f', function() return 1 end)\nlocal i = 0\n"
            "while i < 1e15 do i = i + 1 end",
        ]] + [["FUNCTION", "LIST"], ["PING"]], protos=(2,))

    def test_existing_library_and_replace(self):
        v1 = lib("rep", "redis.register_function('rf', function() return 'v1' end)\n"
                        "redis.register_function('rf_old', function() return 'old' end)")
        v2 = lib("rep", "redis.register_function('rf', function() return 'v2' end)")
        other = lib("other", "redis.register_function('of', function() return 'o' end)")
        steal = lib("rep", "redis.register_function('of', function() return 'stolen' end)")
        bad = lib("rep", "redis.register_function('rf', function() return 'v3' end)\nreturn +")
        self.compare([
            ["FUNCTION", "LOAD", v1], ["FUNCTION", "LOAD", v1], ["FUNCTION", "LOAD", v2],
            fcall("rf"), ["FUNCTION", "LOAD", "REPLACE", v2], ["FUNCTION", "LOAD", "replace", v2],
            fcall("rf"), fcall("rf_old"), ["FUNCTION", "LOAD", other],
            ["FUNCTION", "LOAD", "REPLACE", steal], fcall("rf"), fcall("of"),
            ["FUNCTION", "LOAD", "REPLACE", bad], fcall("rf"),
            ["FUNCTION", "LOAD", "REPLACE", "REPLACE", v1], fcall("rf"), fcall("rf_old"),
            ["FUNCTION", "LOAD", "REPLACE", lib("rep", "local x = 1")], fcall("rf"),
            ["FUNCTION", "LOAD", "REPLACE", lib("brand_new", "redis.register_function("
                                                             "'bn', function() return 1 end)")],
            ["FUNCTION", "LOAD", "REPLACE", lib("rep2", "redis.register_function("
                                                        "'rf', function() return 1 end)")],
            ["FUNCTION", "LIST"], ["FUNCTION", "STATS"],
            ["FUNCTION", "LOAD"], ["FUNCTION", "LOAD", "REPLACE"],
            ["FUNCTION", "LOAD", "bogus", v1], ["FUNCTION", "LOAD", v1, "REPLACE"],
            ["FUNCTION", "LOAD", "REPLACE", "bogus", v1],
        ])

    def test_names_and_case(self):
        # Library names are case-sensitive, function names are not (Redis's dict types).
        self.compare([
            ["FUNCTION", "LOAD", lib("Case", "redis.register_function('MyFunc', "
                                             "function() return 'mine' end)")],
            fcall("MyFunc"), fcall("myfunc"), fcall("MYFUNC", cmd="FCALL_RO"),
            ["FUNCTION", "LOAD", lib("case", "redis.register_function('myfunc', "
                                             "function() return 'other' end)")],
            ["FUNCTION", "LOAD", lib("case", "redis.register_function('other', "
                                             "function() return 'other' end)")],
            ["FUNCTION", "DELETE", "CASE"], ["FUNCTION", "DELETE", "case"],
            ["FUNCTION", "LIST", "LIBRARYNAME", "c*"], ["FUNCTION", "LIST"],
        ])


class FcallTest(FunctionTestCase):
    def test_keys_arguments_and_numkeys(self):
        self.compare([["FUNCTION", "LOAD", CALLS_LIB]] + [
            fcall("echo", ["k1", "k2"], ["a1", "a2", "a3"]), fcall("echo"),
            fcall("echo", ["k"]), fcall("echo", [], ["a", "", "b"]),
            fcall("echo", ["x\x00y", "\r\n"]), fcall("counts", ["a", "b", "c"]),
            fcall("counts", [], ["a", "b"]), fcall("argtypes", ["k"], ["5"]), fcall("argtypes"),
            fcall("keys_global", ["k"]), fcall("argv_global", [], ["a"]),
            fcall("echo", ["k"], cmd="FCALL_RO"),
            ["FCALL", "echo", "-1"], ["FCALL", "echo", "2", "a"], ["FCALL", "echo", "x"],
            ["FCALL", "echo", "1.5"], ["FCALL", "echo", ""], ["FCALL", "echo", " 1"],
            ["FCALL", "echo", "99999999999999999999"], ["FCALL", "echo", "-9223372036854775808"],
            ["FCALL", "echo", "01", "k"], ["FCALL", "echo", "1"], ["FCALL_RO", "echo", "-1"],
            ["FCALL_RO", "echo", "3", "a", "b"], ["FCALL", "nosuch", "0"],
            ["FCALL", "nosuch", "-1"], ["FCALL", "nosuch", "x"], ["FCALL_RO", "nosuch", "0"],
            ["FCALL", "", "0"], ["FCALL"], ["FCALL", "echo"], ["FCALL_RO"], ["FCALL_RO", "echo"],
        ])

    def test_write_flags(self):
        self.compare([["FUNCTION", "LOAD", CALLS_LIB], ["SET", "k", "v"]] + [
            fcall("ro_get", ["k"], cmd="FCALL_RO"), fcall("ro_get", ["k"]),
            fcall("get", ["k"], cmd="FCALL_RO"), fcall("set", ["k"], ["w"], cmd="FCALL_RO"),
            fcall("echo", cmd="FCALL_RO"), ["GET", "k"],
            fcall("ro_set", ["k"], ["x"]), fcall("ro_set", ["k"], ["x"], cmd="FCALL_RO"),
            fcall("ro_pset", ["k"], ["x"]), ["GET", "k"], fcall("set", ["k"], ["w"]),
            ["GET", "k"],
        ])

    def test_errors_inside_functions(self):
        self.compare([["FUNCTION", "LOAD", CALLS_LIB], ["FUNCTION", "LOAD", MULTI_LIB],
                      ["SET", "str", "text"]] + [
            fcall("raise", [], ["my message"]), fcall("raise", [], ["-CODE with code"]),
            fcall("raise_table"), fcall("ret_err"), fcall("ret_err_reply"), fcall("ret_status"),
            fcall("call_bad", ["str"]), fcall("call_nosuch"), fcall("pcall_bad", ["str"]),
            fcall("pcall_ret", ["str"]), fcall("nil_index"), fcall("write_global"),
            fcall("boom"), fcall("nested_fcall"), fcall("eval_inside"), fcall("register_late"),
            fcall("script_flush"), fcall("function_flush"), fcall("echo"),
            fcall("raise", [], ["ro"], cmd="FCALL_RO"),
        ])

    def test_calls_values_and_resp3(self):
        self.compare([["FUNCTION", "LOAD", CALLS_LIB], ["HSET", "h", "f1", "v1"],
                      ["ZADD", "z", "1.5", "m"]] + [
            fcall("resp3", ["h"]), fcall("resp3_types", ["h"]), fcall("values"),
            fcall("globals"), fcall("select_db", ["sk"]), ["GET", "sk"], ["SELECT", "1"],
            ["GET", "sk"], ["SELECT", "0"],
            fcall("set", ["k"], ["v"]), ["GET", "k"], fcall("get", ["k"]),
            fcall("set", ["k"], ["v2"]), fcall("ro_get", ["k"], cmd="FCALL_RO"),
        ])

    def test_eval_and_functions_are_apart(self):
        # An EVAL script sees neither register_function nor the functions; a function's Lua
        # globals are not EVAL's.
        self.compare([["FUNCTION", "LOAD", CALLS_LIB]] + [
            ["EVAL", "return type(redis.register_function)", "0"],
            ["EVAL", "return redis.call('fcall', 'echo', 0)", "0"],
            ["EVAL", "return redis.call('fcall_ro', 'echo', 0)", "0"],
            ["EVAL", "return redis.call('function', 'list')", "0"],
            ["EVAL", "return redis.pcall('function', 'load', ARGV[1])", "0",
             lib("from_eval", "redis.register_function('fe', function() return 1 end)")],
            ["FUNCTION", "LIST", "LIBRARYNAME", "from_eval"],
        ])

    def test_fcall_inside_multi_exec(self):
        self.compare([
            ["FUNCTION", "LOAD", CALLS_LIB], ["MULTI"], fcall("set", ["mk"], ["1"]),
            ["INCR", "mk"], fcall("get", ["mk"]), fcall("raise", [], ["in multi"]),
            fcall("nosuch"), ["FCALL", "echo", "-1"], fcall("ro_get", ["mk"], cmd="FCALL_RO"),
            fcall("set", ["mk"], ["2"], cmd="FCALL_RO"), fcall("echo", ["a"], ["b"]),
            ["EXEC"], ["GET", "mk"],
            ["MULTI"], ["FUNCTION", "LOAD", lib("in_multi", "redis.register_function("
                                                            "'im', function() return 'im' end)")],
            fcall("im"), ["FUNCTION", "DELETE", "in_multi"], fcall("im"), ["EXEC"],
            ["MULTI"], ["FCALL"], fcall("echo"), ["EXEC"],
            ["MULTI"], ["FUNCTION", "FLUSH"], fcall("echo"), ["DISCARD"], fcall("echo"),
        ])

    def test_watch_sees_a_functions_write(self):
        def scenario(port):
            c1, c2 = Conn(port), Conn(port)
            try:
                out = [c1.call_raw("FLUSHALL"), c1.call_raw("FUNCTION", "FLUSH"),
                       c1.call_raw("FUNCTION", "LOAD", CALLS_LIB), c1.call_raw("SET", "k", "1")]
                for cmd in (fcall("set", ["k"], ["2"]), fcall("get", ["k"]),
                            fcall("ro_get", ["k"], cmd="FCALL_RO"), fcall("set", ["o"], ["x"]),
                            fcall("ro_pset", ["k"], ["3"])):
                    out.append(c1.call_raw("WATCH", "k"))
                    out.append(c2.call_raw(*cmd))
                    out += [c1.call_raw("MULTI"), c1.call_raw("GET", "k"), c1.call_raw("EXEC")]
                return out
            finally:
                c1.close()
                c2.close()

        out = self.both(scenario)
        self.assertEqual(out[8], b"*-1\r\n")  # the function's SET aborts the transaction
        self.assertEqual(out[13], b"*1\r\n$1\r\n2\r\n")  # a function reading k does not

    def test_pipelined_fcalls_reply_in_order(self):
        c = Conn(self.server.port)
        try:
            c.call("FUNCTION", "FLUSH")
            self.assertEqual(c.call("FUNCTION", "LOAD", lib("pipe", (
                "redis.register_function('pinc', function(keys, args)\n"
                "  return {args[1], redis.call('incr', keys[1])}\nend)\n"
                "redis.register_function{function_name = 'pecho', flags = {'no-writes'},\n"
                "  callback = function(keys, args) return args[1] end}"))), b"pipe")
            c.call("DEL", "pc")
            commands = []
            for i in range(300):
                if i % 3 == 0:
                    commands.append(fcall("pinc", ["pc"], [str(i)]))
                elif i % 3 == 1:
                    commands.append(fcall("pecho", [], [str(i)], cmd="FCALL_RO"))
                else:
                    commands.append(["GET", "pc"])
            replies = c.pipeline(commands)
            n = 0
            for i, reply in enumerate(replies):
                if i % 3 == 0:
                    n += 1
                    self.assertEqual(reply, [str(i).encode(), n])
                elif i % 3 == 1:
                    self.assertEqual(reply, str(i).encode())
                else:
                    self.assertEqual(reply, str(n).encode())
            self.assertEqual(c.call("FUNCTION", "DELETE", "pipe"), "OK")
        finally:
            c.close()

    def test_python_client(self):
        import redis
        r = self.server.client()
        try:
            r.function_flush()
            self.assertEqual(r.function_load(lib("py", (
                "redis.register_function('py_incr', function(keys, args)\n"
                "  return redis.call('incrby', keys[1], args[1])\nend)\n"
                "redis.register_function{function_name = 'py_get', flags = {'no-writes'},\n"
                "  callback = function(keys) return redis.call('get', keys[1]) end}"))), b"py")
            r.delete("pyk")
            self.assertEqual(r.fcall("py_incr", 1, "pyk", 5), 5)
            self.assertEqual(r.fcall_ro("py_get", 1, "pyk"), b"5")
            with self.assertRaisesRegex(redis.exceptions.ResponseError, "write flag"):
                r.fcall_ro("py_incr", 1, "pyk", 1)
            listed = r.function_list()
            self.assertEqual(len(listed), 1)
            self.assertEqual(listed[0][1], b"py")
            dump = r.function_dump()
            r.function_flush()
            self.assertEqual(r.function_list(), [])
            self.assertTrue(r.function_restore(dump))
            self.assertEqual(r.fcall("py_incr", 1, "pyk", 1), 6)
            self.assertTrue(r.function_delete("py"))
        finally:
            r.close()


class FunctionAdminTest(FunctionTestCase):
    def test_list(self):
        libs = [lib("alpha", "redis.register_function('a1', function() return 1 end)\n"
                             "redis.register_function{function_name = 'a2',\n"
                             "  callback = function() return 2 end, flags = {'no-writes'},\n"
                             "  description = 'second'}\n"
                             "redis.register_function('a3', function() return 3 end)"),
                lib("beta", "redis.register_function('b1', function() return 1 end)"),
                lib("alphabet", "redis.register_function('ab', function() return 1 end)"),
                lib("gamma_1", "redis.register_function('g1', function() return 1 end)"),
                lib("star", "redis.register_function('s1', function() return 1 end)")]
        self.compare([["FUNCTION", "LIST"]] + [["FUNCTION", "LOAD", code] for code in libs] + [
            ["FUNCTION", "LIST"], ["FUNCTION", "LIST", "WITHCODE"], ["function", "list"],
            ["FUNCTION", "LIST", "LIBRARYNAME", "alpha"],
            ["FUNCTION", "LIST", "LIBRARYNAME", "alpha*"],
            ["FUNCTION", "LIST", "LIBRARYNAME", "*a"], ["FUNCTION", "LIST", "LIBRARYNAME", "?eta"],
            ["FUNCTION", "LIST", "LIBRARYNAME", "[ab]*"],
            ["FUNCTION", "LIST", "LIBRARYNAME", "[^a]*"],
            ["FUNCTION", "LIST", "LIBRARYNAME", "gamma_[0-9]"],
            ["FUNCTION", "LIST", "LIBRARYNAME", "ALPHA"],
            ["FUNCTION", "LIST", "LIBRARYNAME", "nomatch"],
            ["FUNCTION", "LIST", "LIBRARYNAME", ""], ["FUNCTION", "LIST", "LIBRARYNAME", "*"],
            ["FUNCTION", "LIST", "LIBRARYNAME", "b*", "WITHCODE"],
            ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "b*"],
            ["FUNCTION", "LIST", "withcode", "libraryname", "beta"],
            ["FUNCTION", "LIST", "LIBRARYNAME"], ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME"],
            ["FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b"],
            ["FUNCTION", "LIST", "WITHCODE", "WITHCODE"], ["FUNCTION", "LIST", "bogus"],
            ["FUNCTION", "LIST", "LIBRARYNAME", "a", "bogus"],
        ])

    @stashd_only
    def test_list_is_sorted_by_name(self):
        # Where Redis leaves the order open, stashd lists the libraries by name.
        c = Conn(self.server.port)
        try:
            c.call("FUNCTION", "FLUSH")
            for name in ["zeta", "alpha", "Mid", "beta_2", "beta_10"]:
                body = "\n".join("redis.register_function('%s_%s', function() return 1 end)"
                                 % (name, f) for f in ["z", "a", "m"])
                self.assertEqual(c.call("FUNCTION", "LOAD", lib(name, body)), name.encode())
            listed = c.call("FUNCTION", "LIST")
            names = [dict(zip(l[::2], l[1::2]))[b"library_name"] for l in listed]
            self.assertEqual(names, [b"Mid", b"alpha", b"beta_10", b"beta_2", b"zeta"])
            for name, l in zip(names, listed):
                fns = [dict(zip(f[::2], f[1::2]))[b"name"]
                       for f in dict(zip(l[::2], l[1::2]))[b"functions"]]
                self.assertEqual(sorted(fns), [name + s for s in (b"_a", b"_m", b"_z")])
            c.call("FUNCTION", "FLUSH")
        finally:
            c.close()

    def test_stats_delete_flush_kill_help(self):
        one = lib("one", "redis.register_function('f1', function() return 1 end)\n"
                         "redis.register_function('f2', function() return 2 end)")
        two = lib("two", "redis.register_function('f3', function() return 3 end)")
        self.compare([
            ["FUNCTION", "STATS"], ["FUNCTION", "LOAD", one], ["FUNCTION", "LOAD", two],
            ["FUNCTION", "STATS"], ["FUNCTION", "DELETE", "one"], ["FUNCTION", "DELETE", "one"],
            fcall("f1"), fcall("f3"), ["FUNCTION", "STATS"], ["FUNCTION", "DELETE", "nosuch"],
            ["FUNCTION", "DELETE", ""], ["FUNCTION", "DELETE"], ["FUNCTION", "DELETE", "a", "b"],
            ["FUNCTION", "LOAD", one], ["FUNCTION", "FLUSH"], ["FUNCTION", "STATS"],
            ["FUNCTION", "LIST"], fcall("f3"), ["FUNCTION", "LOAD", one],
            ["FUNCTION", "FLUSH", "ASYNC"], ["FUNCTION", "LIST"], ["FUNCTION", "LOAD", one],
            ["FUNCTION", "FLUSH", "SYNC"], ["FUNCTION", "LIST"], ["FUNCTION", "LOAD", one],
            ["FUNCTION", "FLUSH", "async"], ["FUNCTION", "LOAD", one],
            ["FUNCTION", "FLUSH", "bogus"], ["FUNCTION", "LIST"],
            ["FUNCTION", "FLUSH", "ASYNC", "SYNC"], ["FUNCTION", "FLUSH", "SYNC", "x"],
            ["FUNCTION", "LIST"], ["FUNCTION", "STATS", "x"], ["FUNCTION", "DUMP", "x"],
            ["FUNCTION", "KILL"], ["FUNCTION", "KILL", "x"], ["SCRIPT", "KILL"],
            ["FUNCTION", "HELP"], ["function", "help"], ["FUNCTION", "HELP", "x"],
            ["FUNCTION", "bogus"], ["FUNCTION", "bogus", "x"], ["FUNCTION", ""], ["FUNCTION"],
        ])

    def test_flushall_and_script_flush_keep_functions(self):
        keep = lib("keep", "redis.register_function('kf', function(keys)\n"
                           "  return redis.call('exists', keys[1])\nend)")
        self.compare([
            ["FUNCTION", "LOAD", keep], ["SET", "k", "v"], ["SCRIPT", "LOAD", "return 'cached'"],
            ["FLUSHALL"], fcall("kf", ["k"]), ["FLUSHALL", "ASYNC"], ["FLUSHDB"],
            ["FUNCTION", "LIST"], fcall("kf", ["k"]),
            ["EVALSHA", "0b4a12e28f0a16fd42d56da0a8f1457a7f4e8c3b", "0"],
            ["SCRIPT", "EXISTS", "0b4a12e28f0a16fd42d56da0a8f1457a7f4e8c3b"],
            ["SCRIPT", "FLUSH"], fcall("kf", ["k"]),
            ["SCRIPT", "EXISTS", "0b4a12e28f0a16fd42d56da0a8f1457a7f4e8c3b"],
            ["FUNCTION", "LIST"], ["FUNCTION", "FLUSH"], ["SCRIPT", "LOAD", "return 'cached'"],
            ["SCRIPT", "EXISTS", "0b4a12e28f0a16fd42d56da0a8f1457a7f4e8c3b"],
        ])


class FunctionDumpRestoreTest(FunctionTestCase):
    LIBS = [
        lib("dr_a", "redis.register_function('dra', function(keys, args)\n"
                    "  return 'a:' .. (args[1] or '')\nend)"),
        lib("dr_b", "redis.register_function{function_name = 'drb', flags = {'no-writes'},\n"
                    "  callback = function() return 'b' end, description = 'bee'}\n"
                    "redis.register_function('drb2', function() return 'b2' end)"),
        lib("short", "redis.register_function('s', function() return 1 end)"),
    ]

    def load_all(self, c):
        for code in self.LIBS:
            c.call("FUNCTION", "LOAD", code)

    def listing(self, port, proto=2):
        c = Conn(port, proto)
        try:
            return normalise_list(c.call_raw("FUNCTION", "LIST", "WITHCODE"))
        finally:
            c.close()

    def move(self, src, dst, round_trip):
        """FUNCTION DUMP on port src (after FLUSH and loading LIBS), RESTORE on port dst: the
        same libraries, which work. round_trip: and dst's DUMP restores on src."""
        self.reset()
        s, d = Conn(src), Conn(dst)
        try:
            self.load_all(s)
            dump = s.call("FUNCTION", "DUMP")
            self.assertIsInstance(dump, bytes)
            self.assertEqual(d.call("FUNCTION", "RESTORE", dump), "OK")
            for proto in (2, 3):
                self.assertEqual(self.listing(dst, proto), self.listing(src, proto))
            self.assertEqual(d.call("FCALL", "dra", "0", "x"), b"a:x")
            self.assertEqual(d.call("FCALL_RO", "drb", "0"), b"b")
            self.assertEqual(d.call("FCALL", "s", "0"), 1)
            if not round_trip:
                return
            # A dump of the restored libraries restores on the other side again.
            again = d.call("FUNCTION", "DUMP")
            s.call("FUNCTION", "FLUSH")
            self.assertEqual(s.call("FUNCTION", "RESTORE", again), "OK")
            self.assertEqual(self.listing(src), self.listing(dst))
        finally:
            s.close()
            d.close()

    def test_redis_payload_restores_on_stashd(self):
        # Redis compresses the longer libraries' code with LZF.
        self.move(self.ref.port, self.server.port, True)

    def test_stashd_payload_restores_on_redis(self):
        self.move(self.server.port, self.ref.port, False)

    def test_dump_of_nothing_and_a_short_library(self):
        # Code too short for LZF: the payloads are the same bytes.
        def scenario(port):
            c = Conn(port)
            try:
                out = [c.call_raw("FUNCTION", "FLUSH"), c.call_raw("FUNCTION", "DUMP")]
                out.append(c.call_raw("FUNCTION", "LOAD", self.LIBS[2]))
                out.append(c.call_raw("FUNCTION", "DUMP"))
                return out
            finally:
                c.close()
        out = self.both(scenario)
        self.assertEqual(parse(out[3]), payload(self.LIBS[2]))

    def test_restore_policies(self):
        a, b, short = self.LIBS
        a2 = lib("dr_a", "redis.register_function('dra', function() return 'a2' end)")
        clash = lib("dr_c", "redis.register_function('dra', function() return 'c' end)")
        long_code = lib("long", "redis.register_function('lf', function()\n  return '%s'\nend)"
                        % ("abc" * 3000))
        flush = ["FUNCTION", "FLUSH"]
        self.compare([
            ["FUNCTION", "RESTORE", payload(a)], fcall("dra"),
            ["FUNCTION", "RESTORE", payload(a)], fcall("dra"), ["FUNCTION", "LIST"],
            flush, ["FUNCTION", "LOAD", a], ["FUNCTION", "RESTORE", payload(a), "APPEND"],
            fcall("dra"),
            flush, ["FUNCTION", "LOAD", a], ["FUNCTION", "RESTORE", payload(a2), "append"],
            fcall("dra"),
            flush, ["FUNCTION", "LOAD", a], ["FUNCTION", "RESTORE", payload(a2), "REPLACE"],
            fcall("dra"), ["FUNCTION", "LIST"],
            flush, ["FUNCTION", "LOAD", a], ["FUNCTION", "LOAD", short],
            ["FUNCTION", "RESTORE", payload(clash)], ["FUNCTION", "LIST"],
            flush, ["FUNCTION", "LOAD", a], ["FUNCTION", "LOAD", short],
            ["FUNCTION", "RESTORE", payload(clash), "REPLACE"], ["FUNCTION", "LIST"],
            flush, ["FUNCTION", "LOAD", a], ["FUNCTION", "RESTORE", payload(b), "FLUSH"],
            ["FUNCTION", "LIST"], fcall("dra"),
            flush, ["FUNCTION", "LOAD", a], ["FUNCTION", "RESTORE", payload(b, short), "flush"],
            ["FUNCTION", "LIST"],
            flush, ["FUNCTION", "LOAD", a], ["FUNCTION", "LOAD", b],
            ["FUNCTION", "RESTORE", payload(b, a2), "REPLACE"], ["FUNCTION", "LIST"],
            fcall("dra"),
            flush, ["FUNCTION", "RESTORE", payload(short, b)], ["FUNCTION", "STATS"],
            ["FUNCTION", "RESTORE", payload(long_code)], fcall("lf"),
            ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "long"],
        ])

    def test_restore_errors(self):
        # Each after loading dr_a: a failed RESTORE leaves it as it was.
        a, b, short = self.LIBS
        good = payload(a)
        flipped = bytearray(good)
        flipped[10] ^= 1
        bad_crc = good[:-1] + bytes([good[-1] ^ 0xFF])
        cases = [
            [good, "bogus"], [good, ""], [good, "FLUSH", "x"], [bytes(flipped)], [bad_crc],
            [""], ["x"], [good[:-10]], [good + b"x"], [payload(a, version=11)],
            [payload(short, version=9)], [payload(body=b"")], [payload("return 1")],
            [payload(lib("rb", "return +"))], [payload(lib("rb", "local x = 1"))],
            [payload(short, opcode=0xF6)], [payload(short, opcode=0x00)],
            [payload(body=b"\xf5\xc0\x05")], [payload(body=b"\xf5")],
            [payload(body=b"\xf5\x40")], [payload(body=b"\xf5\x10abc")],
            [payload(short, short)], [payload(short, a)], [payload(short, a), "FLUSH", "x"],
            [payload(lib("p1", "redis.register_function('pf', function() return 1 end)"),
                     lib("p2", "redis.register_function('pf', function() return 2 end)"))],
        ]
        commands = [["FUNCTION", "RESTORE"]]
        for case in cases:
            commands += [["FUNCTION", "FLUSH"], ["FUNCTION", "LOAD", a],
                         ["FUNCTION", "RESTORE"] + case, fcall("dra"), fcall("s")]
        self.compare(commands)


class FunctionDurabilityTest(unittest.TestCase):
    """Libraries are data: they survive restarts and kill -9 (stashd only)."""

    maxDiff = None

    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in reversed(self.servers):
            s.cleanup()

    def start(self, dir=None):
        s = Stashd(dir=dir)
        self.servers.append(s)
        return s

    def stop(self, s, sig=signal.SIGTERM):
        code = s.stop(sig)
        if sig == signal.SIGTERM:
            self.assertEqual(code, 0, s.output())

    def state(self, port):
        c = Conn(port)
        try:
            return (normalise_list(c.call_raw("FUNCTION", "LIST", "WITHCODE")),
                    c.call_raw("FUNCTION", "STATS"))
        finally:
            c.close()

    @stashd_only
    def test_libraries_survive_a_clean_restart(self):
        s1 = self.start()
        c = Conn(s1.port)
        for code in FunctionDumpRestoreTest.LIBS + [MULTI_LIB]:
            self.assertIsInstance(c.call("FUNCTION", "LOAD", code), bytes)
        self.assertEqual(c.call("FUNCTION", "DELETE", "dr_b"), "OK")
        self.assertEqual(c.call("FUNCTION", "LOAD", "REPLACE", lib(
            "dr_a", "redis.register_function('dra2', function() return 'replaced' end)")),
            b"dr_a")
        self.assertEqual(c.call("SET", "n", "1"), "OK")
        c.close()
        before = self.state(s1.port)
        self.stop(s1)
        s2 = self.start(dir=s1.dir)
        self.assertEqual(self.state(s2.port), before)
        c = Conn(s2.port)
        try:
            self.assertEqual(c.call("FCALL", "dra2", "0"), b"replaced")
            self.assertEqual(c.call("FCALL", "dra", "0")[0], "error")
            self.assertEqual(c.call("FCALL", "drb", "0"), ("error", "ERR Function not found"))
            self.assertEqual(c.call(*fcall("incr_by", ["n"], ["41"])), 42)
            self.assertEqual(c.call("FCALL", "s", "0"), 1)
            self.assertEqual(c.call("FUNCTION", "FLUSH"), "OK")
        finally:
            c.close()
        self.stop(s2)
        s3 = self.start(dir=s1.dir)
        self.assertEqual(self.state(s3.port)[0], ("*", []))
        self.stop(s3)

    @stashd_only
    def test_failed_restore_changes_nothing(self):
        """Each failed RESTORE (a library that fails to load, one that exists, a function of
        another library) leaves the libraries as they were, and so does the restart after."""
        a, b, short = FunctionDumpRestoreTest.LIBS
        s1 = self.start()
        c = Conn(s1.port)
        seen, want = [], []
        for args in [[payload("return 1")], [payload(a)], [payload(short, b)],
                     [payload(b, lib("c", "redis.register_function('dra', function() end)"))],
                     [payload(lib("c", "redis.register_function('dra', function() end)")),
                      "REPLACE"]]:
            self.assertEqual(c.call("FUNCTION", "FLUSH"), "OK")
            self.assertEqual(c.call("FUNCTION", "LOAD", a), b"dr_a")
            self.assertEqual(c.call("FUNCTION", "LOAD", short), b"short")
            before = self.state(s1.port)
            reply = c.call("FUNCTION", "RESTORE", *args)
            seen.append((reply, self.state(s1.port) == before))
            want.append((reply if isinstance(reply, tuple) else ("error", "an error"), True))
        c.close()
        self.stop(s1)
        s2 = self.start(dir=s1.dir)
        after_restart = self.state(s2.port) == before
        self.stop(s2)
        self.assertEqual((seen, after_restart), (want, True),
                         "(reply, libraries unchanged) after each failed RESTORE; then whether "
                         "the libraries are the same after a restart")

    @stashd_only
    def test_kill9_right_after_each_change(self):
        a, b, short = FunctionDumpRestoreTest.LIBS
        steps = [
            (["FUNCTION", "LOAD", a], [b"dr_a"]),
            (["FUNCTION", "LOAD", "REPLACE", lib(
                "dr_a", "redis.register_function('dra', function() return 'v2' end)")],
             [b"dr_a"]),
            (["FUNCTION", "LOAD", b], [b"dr_a", b"dr_b"]),
            (["FUNCTION", "DELETE", "dr_a"], [b"dr_b"]),
            (["FUNCTION", "FLUSH"], []),
            (["FUNCTION", "RESTORE", payload(a, short)], [b"dr_a", b"short"]),
            (["FUNCTION", "RESTORE", payload(b), "FLUSH"], [b"dr_b"]),
            (["FUNCTION", "FLUSH", "ASYNC"], []),
            (["FUNCTION", "LOAD", short], [b"short"]),
            (["FLUSHALL"], [b"short"]),
        ]
        server = self.start()
        dra = None
        for cmd, names in steps:
            if cmd[:2] == ["FUNCTION", "LOAD"] and "dr_a" in cmd[-1]:
                dra = b"v2" if cmd[2] == "REPLACE" else b"a:"
            elif cmd[:2] == ["FUNCTION", "RESTORE"] and b"dr_a" in cmd[2]:
                dra = b"a:"
            c = Conn(server.port)
            reply = c.call(*cmd)
            self.assertNotIsInstance(reply, tuple, (cmd, reply))
            # SIGKILL as soon as the reply arrives.
            server.proc.send_signal(signal.SIGKILL)
            c.close()
            self.stop(server, signal.SIGKILL)
            server = self.start(dir=server.dir)
            c = Conn(server.port)
            try:
                listed = c.call("FUNCTION", "LIST")
                got = [dict(zip(l[::2], l[1::2]))[b"library_name"] for l in listed]
                self.assertEqual(sorted(got), names, cmd)
                if b"dr_a" in names:
                    self.assertEqual(c.call("FCALL", "dra", "0"), dra, cmd)
                if b"dr_b" in names:
                    self.assertEqual(c.call("FCALL_RO", "drb", "0"), b"b")
            finally:
                c.close()
        self.stop(server)


class BusyTest(FunctionTestCase):
    """A function or script running past busy-reply-threshold (100 ms here). The scenarios run on
    Redis, then on stashd, one at a time (a 2-core machine)."""

    SPIN = lib("spin", """
redis.register_function('spin', function(keys, args)
  local i = 0
  while true do i = i + 1 end
end)
redis.register_function{function_name = 'spin_ro', flags = {'no-writes'},
  callback = function()
    while true do end
  end}
redis.register_function('write_spin', function(keys)
  redis.call('set', keys[1], 'written')
  while true do end
end)
redis.register_function('quick', function() return 'quick' end)
""")

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            if cls.ref.proc.poll() is None:  # still running a script: never left behind
                cls.ref.proc.kill()
                cls.ref.proc.wait()

    def wait_busy(self, c):
        """Until a PING on c gets BUSY; returns that reply."""
        deadline = time.time() + 20
        while True:
            reply = c.call_raw("PING")
            if reply.startswith(b"-BUSY"):
                return reply
            self.assertLess(time.time(), deadline, "never BUSY: %r" % reply)
            time.sleep(0.02)

    def start_busy(self, port, cmd):
        """(runner, admin, other): runner has sent cmd, which runs past the threshold."""
        admin = Conn(port)
        assert admin.call("CONFIG", "SET", "busy-reply-threshold", "100") == "OK"
        admin.call("FLUSHALL")
        admin.call("FUNCTION", "FLUSH")
        assert admin.call("FUNCTION", "LOAD", self.SPIN) == b"spin"
        other = Conn(port, 3)
        runner = Conn(port)
        runner.sock.settimeout(60)
        runner.sock.sendall(encode_command(*cmd))
        return runner, admin, other

    def finish(self, port, conns):
        """Closes conns; kills what still runs (so that the next test starts idle) and sets the
        threshold back."""
        for c in conns:
            c.close()
        c = Conn(port)
        try:
            deadline = time.time() + 30
            while c.call_raw("PING").startswith(b"-BUSY") and time.time() < deadline:
                c.call_raw("FUNCTION", "KILL")
                c.call_raw("SCRIPT", "KILL")
                time.sleep(0.05)
            c.call("CONFIG", "SET", "busy-reply-threshold", "5000")
            c.call("FUNCTION", "FLUSH")
        finally:
            c.close()

    def busy_function(self, port, fn, keys=()):
        runner, admin, other = self.start_busy(port, fcall(fn, keys))
        try:
            out = [self.wait_busy(admin)]
            for cmd in (["GET", "k"], ["SET", "k", "v"], fcall("quick"),
                        ["EVAL", "return 1", "0"], ["FUNCTION", "LOAD", "x"]):
                out.append(admin.call_raw(*cmd))
            out.append(other.call_raw("PING"))
            out.append(without_duration(admin.call_raw("FUNCTION", "STATS")))
            out.append(without_duration(other.call_raw("FUNCTION", "STATS")))
            out.append(admin.call_raw("SCRIPT", "KILL"))
            out.append(admin.call_raw("FUNCTION", "KILL"))
            out.append(read_raw(runner.file) if out[-1] == b"+OK\r\n" else None)
            out.append(admin.call_raw("PING"))
            out.append(admin.call_raw("FCALL", "quick", "0"))
            out.append(admin.call_raw("FUNCTION", "KILL"))
            out.append(admin.call_raw("FUNCTION", "STATS"))
            return out
        finally:
            self.finish(port, [runner, admin, other])

    def test_busy_function_and_function_kill(self):
        def scenario(port):
            return self.busy_function(port, "spin", ["k"])
        out = self.both(scenario)
        self.assertTrue(out[0].startswith(b"-BUSY"), out)
        self.assertEqual(out[10], b"+OK\r\n")

    def test_busy_read_only_function(self):
        def scenario(port):
            return self.busy_function(port, "spin_ro")
        self.both(scenario)

    def test_busy_eval_and_script_kill(self):
        def scenario(port):
            runner, admin, other = self.start_busy(
                port, ["EVAL", "local i = 0\nwhile true do i = i + 1 end", "0"])
            try:
                out = [self.wait_busy(admin), admin.call_raw("GET", "k"),
                       admin.call_raw("FCALL", "quick", "0"), other.call_raw("PING"),
                       without_duration(admin.call_raw("FUNCTION", "STATS")),
                       admin.call_raw("FUNCTION", "KILL"), admin.call_raw("SCRIPT", "KILL")]
                out.append(read_raw(runner.file) if out[-1] == b"+OK\r\n" else None)
                out += [admin.call_raw("PING"), admin.call_raw("SCRIPT", "KILL")]
                return out
            finally:
                self.finish(port, [runner, admin, other])
        out = self.both(scenario)
        self.assertTrue(out[0].startswith(b"-BUSY"), out)
        self.assertEqual(out[6], b"+OK\r\n")

    @stashd_only
    def test_unkillable_function_and_shutdown_nosave(self):
        def scenario(port, proc):
            runner, admin, other = self.start_busy(port, fcall("write_spin", ["w"]))
            try:
                out = [self.wait_busy(admin), admin.call_raw("FUNCTION", "KILL"),
                       admin.call_raw("SCRIPT", "KILL"), admin.call_raw("GET", "w"),
                       without_duration(other.call_raw("FUNCTION", "STATS"))]
                admin.sock.sendall(encode_command("SHUTDOWN", "NOSAVE"))
                try:
                    out.append(admin.file.readline())  # the connection closes
                except OSError as e:
                    out.append(type(e).__name__)
                try:
                    out.append(("exit code", proc.wait(timeout=30)))
                except Exception:
                    out.append("still running")
                return out
            finally:
                for c in (runner, admin, other):
                    c.close()

        ref = RedisServer()
        try:
            want = scenario(ref.port, ref.proc)
        finally:
            ref.stop()
        server = Stashd()
        try:
            got = scenario(server.port, server.proc)
            code = server.stop()  # fails on a sanitizer report
            self.assertEqual(got, want)
            self.assertEqual(code, 0, server.output())
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
