// Dispatch: what Redis's processCommand and call() do for one parsed command, in steps so that
// a session can keep replies in order while write commands run on the writer thread: Resolve
// looks the command (and subcommand) up and checks arity, authentication and loading; then the
// session runs it here (Run), hands it to the writer (write commands), or replies the error
// Resolve found (Reject). Every outcome is counted here, once: INFO commandstats (calls, usec,
// rejected_calls, failed_calls), errorstats and total_error_replies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cmd/command.h"

namespace stash {

struct CommandEntry;
namespace store {
class KeyReader;
}
namespace resp {
class ReplyWriter;
}

// The command's entry (nullptr for an unknown command or subcommand). *error is empty when the
// command may run; otherwise it is Redis's error text, and the command was refused.
CommandEntry* Resolve(ServerApi& server, const Session& session,
                      const std::vector<std::string>& argv, std::string* error);
// Replies the error that refused a command before it ran and counts it: rejected_calls of
// entry (if not null), errorstats.
void Reject(ServerStats& stats, CommandEntry* entry, std::string_view error,
            resp::ReplyWriter& out);
// Counts a command that ran (calls, usec) and its outcome: an error status becomes its reply and
// counts as a failed call and in errorstats.
void Finish(ServerStats& stats, CommandEntry& entry, int64_t usec, const CommandStatus& status,
            resp::ReplyWriter& out);
// Counts the end of a blocking command that waited (its call was counted when it blocked, by
// Finish): its time, and an error status as its reply, a failed call and in errorstats.
void FinishUnblocked(ServerStats& stats, CommandEntry& entry, int64_t usec,
                     const CommandStatus& status, resp::ReplyWriter& out);
// Runs a resolved command with a connection-thread handler, reading keys through keys (the
// Store; inside EXEC, the transaction), and counts it.
void Run(ServerApi& server, Session& session, CommandEntry& entry,
         const std::vector<std::string>& argv, resp::ReplyWriter& out, store::KeyReader& keys);
// Replies an error that is no command's outcome (a protocol error) and counts it.
void ReplyError(ServerStats& stats, std::string_view error, resp::ReplyWriter& out);

// Redis's error for an unknown command: names it and quotes its first arguments.
std::string UnknownCommandError(const std::vector<std::string>& argv);

// Microseconds since start, for commandstats.
int64_t MicrosSince(int64_t start_ns);
int64_t MonotonicNanos();

}  // namespace stash
