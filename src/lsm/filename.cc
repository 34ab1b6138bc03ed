// File names (see filename.h) and the CURRENT file, which this file writes:
//
//   CURRENT := "MANIFEST-" decimal-number "\n"      (the number zero-padded to at least 6 digits)
//
// It is replaced atomically: the new content goes to <number>.tmp, which is fsynced, renamed over
// CURRENT, and the directory is fsynced, so a crash leaves either the old or the new pointer.
#include "lsm/filename.h"

#include <cstdio>

namespace stash {
namespace {

std::string NumberedName(std::string_view dir, uint64_t number, const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%06llu.%s", static_cast<unsigned long long>(number), suffix);
  return JoinPath(dir, buf);
}

// Parses a non-empty run of decimal digits that fits in 64 bits and is all of s.
bool ParseNumber(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

constexpr std::string_view kManifestPrefix = "MANIFEST-";

}  // namespace

std::string LogFileName(std::string_view dir, uint64_t number) {
  return NumberedName(dir, number, "log");
}

std::string TableFileName(std::string_view dir, uint64_t number) {
  return NumberedName(dir, number, "sst");
}

std::string DescriptorFileName(std::string_view dir, uint64_t number) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "MANIFEST-%06llu", static_cast<unsigned long long>(number));
  return JoinPath(dir, buf);
}

std::string CurrentFileName(std::string_view dir) { return JoinPath(dir, "CURRENT"); }

std::string LockFileName(std::string_view dir) { return JoinPath(dir, "LOCK"); }

std::string TempFileName(std::string_view dir, uint64_t number) {
  return NumberedName(dir, number, "tmp");
}

bool ParseFileName(std::string_view name, uint64_t* number, FileType* type) {
  if (name == "CURRENT") {
    *number = 0;
    *type = FileType::kCurrentFile;
    return true;
  }
  if (name == "LOCK") {
    *number = 0;
    *type = FileType::kLockFile;
    return true;
  }
  if (name.starts_with(kManifestPrefix)) {
    if (!ParseNumber(name.substr(kManifestPrefix.size()), number)) return false;
    *type = FileType::kDescriptorFile;
    return true;
  }
  size_t dot = name.find('.');
  if (dot == std::string_view::npos || !ParseNumber(name.substr(0, dot), number)) return false;
  std::string_view suffix = name.substr(dot + 1);
  if (suffix == "log") {
    *type = FileType::kLogFile;
  } else if (suffix == "sst") {
    *type = FileType::kTableFile;
  } else if (suffix == "tmp") {
    *type = FileType::kTempFile;
  } else {
    return false;
  }
  return true;
}

Status SetCurrentFile(Env* env, const std::string& dir, uint64_t descriptor_number) {
  std::string manifest = DescriptorFileName(dir, descriptor_number);
  std::string contents = manifest.substr(manifest.rfind('/') + 1) + "\n";
  std::string tmp = TempFileName(dir, descriptor_number);
  STASH_RETURN_IF_ERROR(WriteStringToFile(env, contents, tmp, /*sync=*/true));
  Status s = env->RenameFile(tmp, CurrentFileName(dir));
  if (!s.ok()) {
    env->RemoveFile(tmp).IgnoreError();  // best effort: the rename already failed
    return s;
  }
  return env->SyncDir(dir);
}

Status ReadCurrentFile(Env* env, const std::string& dir, std::string* manifest_name) {
  std::string current = CurrentFileName(dir);
  std::string contents;
  STASH_RETURN_IF_ERROR(ReadFileToString(env, current, &contents));
  uint64_t number;
  FileType type;
  if (contents.empty() || contents.back() != '\n') {
    return Status::Corruption(current + ": does not end with a newline");
  }
  contents.pop_back();
  if (!ParseFileName(contents, &number, &type) || type != FileType::kDescriptorFile) {
    return Status::Corruption(current + ": does not name a MANIFEST file: '" + contents + "'");
  }
  *manifest_name = std::move(contents);
  return Status::OK();
}

}  // namespace stash
