#include "util/status.h"

namespace stash {

std::string Status::ToString() const {
  const char* kind = "OK";
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      kind = "NotFound";
      break;
    case Code::kCorruption:
      kind = "Corruption";
      break;
    case Code::kNotSupported:
      kind = "Not supported";
      break;
    case Code::kInvalidArgument:
      kind = "Invalid argument";
      break;
    case Code::kIOError:
      kind = "IO error";
      break;
    case Code::kNoSpace:
      kind = "No space left on device";
      break;
    case Code::kBusy:
      kind = "Busy";
      break;
  }
  if (msg_.empty()) return kind;
  return std::string(kind) + ": " + msg_;
}

}  // namespace stash
