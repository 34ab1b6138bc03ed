// Registry keys of the engine's Lua state (engine.cc, engine_functions.cc).
#pragma once

namespace stash::script {

inline constexpr const char* kFunctionsKey = "stash.functions";  // sha -> compiled EVAL script
inline constexpr const char* kCallbacksKey = "stash.callbacks";  // function name -> callback
inline constexpr const char* kHandlerKey = "stash.error_handler";
inline constexpr const char* kEngineKey = "stash.engine";

}  // namespace stash::script
