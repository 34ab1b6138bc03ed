// INFO: the text of the requested sections, in Redis's format ("# Section" then "key:value"
// lines, CRLF-terminated, a blank line between sections).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace stash {

class Server;

// sections: lowercase names, or "default" / "all" / "everything"; empty = default.
std::string BuildInfo(Server& server, const std::vector<std::string>& sections);

}  // namespace stash
