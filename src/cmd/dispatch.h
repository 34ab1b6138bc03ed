// Dispatch: runs one parsed command for a connection, as Redis's processCommand does: look the
// command (and subcommand) up, check arity, check authentication, run the handler, count it.
#pragma once

#include <string>
#include <vector>

namespace stash {

class Server;
class Connection;
namespace resp {
class ReplyWriter;
}

// out is the buffer the writer appends to (read to tell whether the reply was an error).
void Dispatch(Server& server, Connection& conn, const std::vector<std::string>& argv,
              resp::ReplyWriter& writer, const std::string& out);

// Redis's error for an unknown command: names it and quotes its first arguments.
std::string UnknownCommandError(const std::vector<std::string>& argv);

}  // namespace stash
