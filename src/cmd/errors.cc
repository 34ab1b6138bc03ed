#include "cmd/errors.h"

#include <fmt/format.h>

#include "util/strings.h"

namespace stash {

std::string WrongArityError(std::string_view name) {
  return fmt::format("ERR wrong number of arguments for '{}' command", name);
}

std::string UnknownSubcommandError(std::string_view subcommand, std::string_view command) {
  return fmt::format("ERR unknown subcommand '{}'. Try {} HELP.", subcommand.substr(0, 128),
                     AsciiUpper(command));
}

std::string ReadErrorReply(std::string_view cause) {
  return fmt::format("ERR I/O error reading key: {}", cause);
}

}  // namespace stash
