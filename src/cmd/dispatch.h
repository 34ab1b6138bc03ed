// Dispatch: what Redis's processCommand does for one parsed command, in two steps so that a
// connection can keep replies in order while write commands run on the writer thread:
// Resolve looks the command (and subcommand) up and checks arity and authentication; then a
// connection either runs it here (Run), hands it to the writer (write commands), or replies
// the error Resolve found (Reject).
#pragma once

#include <string>
#include <vector>

namespace stash {

class Server;
class Connection;
struct CommandEntry;
namespace store {
class KeyReader;
}
namespace resp {
class ReplyWriter;
}

// The command's entry, or nullptr with Redis's error text in *error.
CommandEntry* Resolve(Server& server, Connection& conn, const std::vector<std::string>& argv,
                      std::string* error);
// Runs a resolved command whose spec has a connection-thread handler, reading keys through keys
// (the Store; inside EXEC, the transaction). out is the buffer the writer appends to (read to
// tell whether the reply was an error).
void Run(Server& server, Connection& conn, CommandEntry* entry,
         const std::vector<std::string>& argv, resp::ReplyWriter& writer, const std::string& out,
         store::KeyReader& keys);
// Replies the error of a command Resolve refused (entry may be nullptr) and counts it.
void Reject(Server& server, CommandEntry* entry, const std::string& error,
            resp::ReplyWriter& writer);

// Redis's error for an unknown command: names it and quotes its first arguments.
std::string UnknownCommandError(const std::vector<std::string>& argv);

}  // namespace stash
