// Error replies that Redis shares across commands, defined once. Texts are Redis 7.0's, without
// the leading '-'. Errors particular to one command stay beside its handler.
#pragma once

#include <string>
#include <string_view>

namespace stash {

inline constexpr const char* kSyntaxError = "ERR syntax error";
inline constexpr const char* kNotIntegerError = "ERR value is not an integer or out of range";
inline constexpr const char* kNotFloatError = "ERR value is not a valid float";
inline constexpr const char* kWrongTypeError =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr const char* kNoSuchKeyError = "ERR no such key";
inline constexpr const char* kIndexOutOfRangeError = "ERR index out of range";
inline constexpr const char* kDbIndexOutOfRangeError = "ERR DB index is out of range";
inline constexpr const char* kOverflowError = "ERR increment or decrement would overflow";
inline constexpr const char* kNoAuthError = "NOAUTH Authentication required.";
inline constexpr const char* kLoadingError = "LOADING Redis is loading the dataset in memory";
inline constexpr const char* kWrongPassError =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr const char* kInvalidClientNameError =
    "ERR Client names cannot contain spaces, newlines or special characters.";

// "ERR wrong number of arguments for 'get' command" (name: the command's lowercase full name).
std::string WrongArityError(std::string_view name);
// "ERR unknown subcommand 'x'. Try CONFIG HELP."
std::string UnknownSubcommandError(std::string_view subcommand, std::string_view command);
// The reply of a command whose read of the keyspace failed (docs/errors.md).
std::string ReadErrorReply(std::string_view cause);

}  // namespace stash
