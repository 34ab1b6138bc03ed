// Functions: FUNCTION LOAD | DELETE | FLUSH | LIST | STATS | DUMP | RESTORE | KILL | HELP, FCALL
// and FCALL_RO. The libraries live in the writer's Lua engine (script/engine.h) and, as data,
// in the store: one record per library, 'F' + name -> its code (store/layout.h), written in the
// same batch as the command that changed it, so libraries survive restarts and crashes exactly
// as acknowledged. The writer loads them when it starts (Writer::LoadFunctions). FCALL runs a
// function as EVAL runs a script (script_commands.cc).
#include <set>
#include <span>
#include <string>

#include "cmd/command.h"
#include "cmd/errors.h"
#include "cmd/reply_util.h"
#include "cmd/script_call.h"
#include "cmd/server_api.h"
#include "cmd/writer.h"
#include "lsm/iterator.h"
#include "resp/reply_writer.h"
#include "script/engine.h"
#include "script/function_dump.h"
#include "store/layout.h"
#include "store/txn.h"
#include "util/glob.h"
#include "util/strings.h"

namespace stash {
namespace {

constexpr const char* kNoEngine = "ERR scripting is not available";

std::string LibraryKey(std::string_view name) {
  std::string key(1, store::kFunctionPrefix);
  key += name;
  return key;
}

// Makes the store's libraries what the engine now holds: every 'F' record that is not one of
// them goes, and each of them is written.
void StoreLibraries(WriteContext& c) {
  std::vector<std::string> stale;
  {
    std::unique_ptr<Iterator> it = c.txn.NewRawIterator();
    const std::string prefix(1, store::kFunctionPrefix);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      std::string_view name = it->key().substr(1);
      auto lib = c.scripts->libraries().find(name);
      if (lib == c.scripts->libraries().end()) {
        stale.emplace_back(it->key());
      } else if (it->value() != lib->second.code) {
        c.txn.PutRaw(std::string(it->key()), lib->second.code);
      }
    }
  }
  for (const std::string& key : stale) c.txn.DeleteRaw(key);
  for (const auto& [name, lib] : c.scripts->libraries()) {
    std::string stored;
    Status s = c.txn.ReadRaw(LibraryKey(name), &stored);
    if (s.IsNotFound()) c.txn.PutRaw(LibraryKey(name), lib.code);
  }
}

CommandStatus Load(WriteContext& c) {
  if (c.scripts == nullptr) return Fail(kNoEngine);
  bool replace = false;
  size_t i = 2;
  for (; i + 1 < c.argv.size(); i++) {
    if (!EqualsIgnoreCase(c.argv[i], "replace"))
      return Fail("ERR Unknown option given: " + c.argv[i]);
    replace = true;
  }
  if (i >= c.argv.size()) return Fail("ERR Function code is missing");
  std::string library, error;
  if (!c.scripts->LoadLibrary(c.argv[i], replace, &library, &error)) return Fail(error);
  c.txn.PutRaw(LibraryKey(library), c.argv[i]);
  c.out.Bulk(library);
  return {};
}

CommandStatus Delete(WriteContext& c) {
  if (c.scripts == nullptr) return Fail(kNoEngine);
  if (!c.scripts->DeleteLibrary(c.argv[2])) return Fail("ERR Library not found");
  c.txn.DeleteRaw(LibraryKey(c.argv[2]));
  c.out.Simple("OK");
  return {};
}

// Redis's text for a subcommand given too many arguments (argv[1] as the client sent it).
CommandStatus TooManyArguments(WriteContext& c) {
  return Fail("ERR unknown subcommand or wrong number of arguments for '" + c.argv[1] +
              "'. Try FUNCTION HELP.");
}

CommandStatus Flush(WriteContext& c) {
  if (c.argv.size() > 3) return TooManyArguments(c);
  if (c.argv.size() == 3 && !EqualsIgnoreCase(c.argv[2], "sync") &&
      !EqualsIgnoreCase(c.argv[2], "async")) {
    return Fail("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  }
  if (c.scripts == nullptr) return Fail(kNoEngine);
  c.scripts->FlushLibraries();
  StoreLibraries(c);
  c.out.Simple("OK");
  return {};
}

CommandStatus List(WriteContext& c) {
  if (c.scripts == nullptr) return Fail(kNoEngine);
  bool with_code = false;
  std::optional<std::string> pattern;
  for (size_t i = 2; i < c.argv.size(); i++) {
    if (EqualsIgnoreCase(c.argv[i], "withcode") && !with_code) {
      with_code = true;
    } else if (EqualsIgnoreCase(c.argv[i], "libraryname") && !pattern) {
      if (++i >= c.argv.size()) return Fail("ERR library name argument was not given");
      pattern = c.argv[i];
    } else {
      return Fail("ERR Unknown argument " + c.argv[i]);
    }
  }
  std::vector<const std::pair<const std::string, script::Engine::Library>*> shown;
  for (const auto& entry : c.scripts->libraries()) {
    if (!pattern || GlobMatch(*pattern, entry.first, true)) shown.push_back(&entry);
  }
  c.out.ArrayHeader(shown.size());
  for (const auto* entry : shown) {
    const auto& [name, lib] = *entry;
    c.out.MapHeader(with_code ? 4 : 3);
    c.out.Bulk("library_name");
    c.out.Bulk(name);
    c.out.Bulk("engine");
    c.out.Bulk("LUA");
    c.out.Bulk("functions");
    c.out.ArrayHeader(lib.functions.size());
    for (const std::string& fname : lib.functions) {
      const script::Engine::Function* f = c.scripts->FindFunction(fname);
      c.out.MapHeader(3);
      c.out.Bulk("name");
      c.out.Bulk(fname);
      c.out.Bulk("description");
      if (f->description) {
        c.out.Bulk(*f->description);
      } else {
        c.out.Null();
      }
      c.out.Bulk("flags");
      std::vector<std::string_view> flags;
      for (auto [bit, flag] : {std::pair{script::kScriptNoWrites, "no-writes"},
                               {script::kScriptAllowOom, "allow-oom"},
                               {script::kScriptAllowStale, "allow-stale"},
                               {script::kScriptNoCluster, "no-cluster"},
                               {script::kScriptAllowCrossSlot, "allow-cross-slot-keys"}}) {
        if (f->flags & bit) flags.push_back(flag);
      }
      c.out.SetHeader(flags.size());
      for (std::string_view flag : flags) c.out.Simple(flag);
    }
    if (with_code) {
      c.out.Bulk("library_code");
      c.out.Bulk(lib.code);
    }
  }
  return {};
}

CommandStatus Dump(WriteContext& c) {
  if (c.scripts == nullptr) return Fail(kNoEngine);
  std::vector<std::string> codes;
  for (const auto& [name, lib] : c.scripts->libraries()) codes.push_back(lib.code);
  c.out.Bulk(script::EncodeFunctionDump(codes));
  return {};
}

CommandStatus Restore(WriteContext& c) {
  if (c.scripts == nullptr) return Fail(kNoEngine);
  enum class Policy { kAppend, kReplace, kFlush } policy = Policy::kAppend;
  if (c.argv.size() > 4) return TooManyArguments(c);
  if (c.argv.size() == 4) {
    if (EqualsIgnoreCase(c.argv[3], "append")) {
      policy = Policy::kAppend;
    } else if (EqualsIgnoreCase(c.argv[3], "replace")) {
      policy = Policy::kReplace;
    } else if (EqualsIgnoreCase(c.argv[3], "flush")) {
      policy = Policy::kFlush;
    } else {
      return Fail(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    }
  }
  std::vector<std::string> codes, error_codes;
  std::string error;
  if (!script::DecodeFunctionDump(c.argv[2], &codes, &error)) return Fail(error);
  // All or nothing: on a failure the libraries as they were are loaded again.
  std::vector<std::string> before;
  std::set<std::string, std::less<>> existing;
  for (const auto& [name, lib] : c.scripts->libraries()) {
    before.push_back(lib.code);
    existing.insert(name);
  }
  if (policy == Policy::kFlush) c.scripts->FlushLibraries();
  for (const std::string& code : codes) {
    std::string library;
    if (!c.scripts->LoadLibrary(code, policy == Policy::kReplace, &library, &error)) {
      c.scripts->FlushLibraries();
      std::string name, ignored;
      for (const std::string& old : before) c.scripts->LoadLibrary(old, false, &name, &ignored);
      // Redis words a collision with a library that was there before without LOAD's quotes.
      if (error == "ERR Library '" + library + "' already exists" && existing.contains(library) &&
          policy != Policy::kFlush) {
        error = "ERR Library " + library + " already exists";
      }
      return Fail(error);
    }
  }
  StoreLibraries(c);
  c.out.Simple("OK");
  return {};
}

CommandStatus Kill(CommandContext& c) { return KillRunningScript(c, true); }

// On the connection's thread: the counts the engine keeps, and what runs now.
CommandStatus Stats(CommandContext& c) {
  const script::Engine& engine = c.server.writer().scripts();
  // As Redis: during a busy EVAL script, BUSY; a running function is shown.
  if (engine.BusyKind() == script::Engine::kBusyScript) return Fail(kBusyScriptError);
  std::optional<script::Engine::Running> running = engine.Current();
  c.out.MapHeader(2);
  c.out.Bulk("running_script");
  if (running && running->function) {
    c.out.MapHeader(3);
    c.out.Bulk("name");
    c.out.Bulk(running->name);
    c.out.Bulk("command");
    c.out.BulkArray(running->command);
    c.out.Bulk("duration_ms");
    c.out.Integer(running->ms);
  } else {
    c.out.Null();
  }
  c.out.Bulk("engines");
  c.out.MapHeader(1);
  c.out.Bulk("LUA");
  c.out.MapHeader(2);
  c.out.Bulk("libraries_count");
  c.out.Integer(static_cast<int64_t>(engine.library_count()));
  c.out.Bulk("functions_count");
  c.out.Integer(static_cast<int64_t>(engine.function_count()));
  return {};
}

CommandStatus Help(CommandContext& c) {
  static constexpr std::string_view kLines[] = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME "
      "argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored using "
      "FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a "
      "restore policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
      "abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
      "replace the old",
      "      libraries with the new libraries (notice that even on this option there is a chance "
      "of failure",
      "      in case of functions name collision with another library).",
      "HELP",
      "    Prints this help."};
  ReplyHelp(c.out, kLines);
  return {};
}

// FCALL function numkeys [key ...] [arg ...], and FCALL_RO.
CommandStatus Call(WriteContext& c, bool read_only) {
  if (c.scripts == nullptr || c.server == nullptr) return Fail(kNoEngine);
  const script::Engine::Function* f = c.scripts->FindFunction(c.argv[1]);
  if (f == nullptr) return Fail("ERR Function not found");
  int64_t numkeys;
  if (!ParseInteger(c.argv[2], &numkeys)) return Fail("ERR Bad number of keys provided");
  if (numkeys > static_cast<int64_t>(c.argv.size()) - 3) {
    return Fail("ERR Number of keys can't be greater than number of args");
  }
  if (numkeys < 0) return Fail("ERR Number of keys can't be negative");
  const bool no_writes = f->flags & script::kScriptNoWrites;
  if (read_only && !no_writes) {
    return Fail("ERR Can not execute a script with write flag using *_ro command.");
  }
  ScriptCaller host(c, no_writes);
  c.scripts->SetBusyThreshold(c.server->BusyReplyThresholdMs());
  std::span<const std::string> args(c.argv);
  std::string error;
  if (!c.scripts->CallFunction(*f, args, args.subspan(3, numkeys), args.subspan(3 + numkeys), host,
                               c.out, &error)) {
    return ScriptError(error);
  }
  return {};
}

CommandStatus FCall(WriteContext& c) { return Call(c, false); }
CommandStatus FCallRo(WriteContext& c) { return Call(c, true); }

constexpr uint32_t kFn = kCmdNoscript;

const CommandSpec kSubcommands[] = {
    {.name = "load", .arity = -3, .flags = kFn | kCmdWrite | kCmdDenyOom, .write = Load},
    {.name = "delete", .arity = 3, .flags = kFn | kCmdWrite, .write = Delete},
    {.name = "flush", .arity = -2, .flags = kFn | kCmdWrite, .write = Flush},
    {.name = "list", .arity = -2, .flags = kFn, .write = List},
    {.name = "stats", .arity = 2, .flags = kFn | kCmdAllowBusy, .handler = Stats},
    {.name = "dump", .arity = 2, .flags = kFn, .write = Dump},
    {.name = "restore", .arity = -3, .flags = kFn | kCmdWrite | kCmdDenyOom, .write = Restore},
    {.name = "kill", .arity = 2, .flags = kFn | kCmdAllowBusy, .handler = Kill},
    {.name = "help", .arity = 2, .flags = kCmdLoading | kCmdStale, .handler = Help},
};

constexpr uint32_t kCallFlags = kCmdNoscript | kCmdSkipMonitor | kCmdStale;

const CommandSpec kCommands[] = {
    {.name = "function", .arity = -2, .subcommands = kSubcommands},
    {.name = "fcall", .arity = -3, .flags = kCallFlags, .write = FCall},
    {.name = "fcall_ro", .arity = -3, .flags = kCallFlags | kCmdReadonly, .write = FCallRo},
};

}  // namespace

std::span<const CommandSpec> FunctionCommands() { return kCommands; }

}  // namespace stash
