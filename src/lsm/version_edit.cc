// Encoding of a VersionEdit (one MANIFEST record). A sequence of tagged fields, each a varint32
// tag followed by its payload; fields may appear in any order and the repeatable ones
// (compact pointer, deleted file, new file) any number of times:
//
//   tag 1  comparator name   : length-prefixed bytes
//   tag 2  log number        : varint64
//   tag 3  next file number  : varint64
//   tag 4  last sequence     : varint64
//   tag 5  compact pointer   : varint32 level, length-prefixed internal key
//   tag 6  deleted file      : varint32 level, varint64 file number
//   tag 7  new file          : varint32 level, varint64 file number, varint64 file size,
//                              length-prefixed smallest internal key, length-prefixed largest
//
// An unknown tag is corruption (a newer format must not be half understood). Levels are checked
// against kMaxNumLevels here and against Options::num_levels by the VersionSet.
#include "lsm/version_edit.h"

#include "util/coding.h"

namespace stash {
namespace {

enum Tag : uint32_t {
  kComparator = 1,
  kLogNumber = 2,
  kNextFileNumber = 3,
  kLastSequence = 4,
  kCompactPointer = 5,
  kDeletedFile = 6,
  kNewFile = 7,
};

bool GetLevel(std::string_view* input, int* level) {
  uint32_t v;
  if (!GetVarint32(input, &v) || v >= static_cast<uint32_t>(kMaxNumLevels)) return false;
  *level = static_cast<int>(v);
  return true;
}

// An internal key is a user key plus an 8-byte trailer, so anything shorter is malformed.
bool GetInternalKey(std::string_view* input, std::string* key) {
  std::string_view v;
  if (!GetLengthPrefixed(input, &v) || v.size() < 8) return false;
  key->assign(v);
  return true;
}

}  // namespace

void VersionEdit::EncodeTo(std::string* dst) const {
  if (comparator_name) {
    PutVarint32(dst, kComparator);
    PutLengthPrefixed(dst, *comparator_name);
  }
  if (log_number) {
    PutVarint32(dst, kLogNumber);
    PutVarint64(dst, *log_number);
  }
  if (next_file_number) {
    PutVarint32(dst, kNextFileNumber);
    PutVarint64(dst, *next_file_number);
  }
  if (last_sequence) {
    PutVarint32(dst, kLastSequence);
    PutVarint64(dst, *last_sequence);
  }
  for (const auto& [level, key] : compact_pointers) {
    PutVarint32(dst, kCompactPointer);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutLengthPrefixed(dst, key);
  }
  for (const auto& [level, number] : deleted_files) {
    PutVarint32(dst, kDeletedFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, number);
  }
  for (const auto& [level, f] : new_files) {
    PutVarint32(dst, kNewFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, f.number);
    PutVarint64(dst, f.file_size);
    PutLengthPrefixed(dst, f.smallest);
    PutLengthPrefixed(dst, f.largest);
  }
}

Status VersionEdit::DecodeFrom(std::string_view src) {
  *this = VersionEdit();
  std::string_view input = src;
  const char* error = nullptr;
  uint32_t tag = 0;
  while (error == nullptr && !input.empty()) {
    if (!GetVarint32(&input, &tag)) {
      error = "bad tag";
      break;
    }
    int level;
    uint64_t number;
    switch (tag) {
      case kComparator: {
        std::string_view name;
        if (GetLengthPrefixed(&input, &name)) {
          comparator_name.emplace(name);
        } else {
          error = "bad comparator name";
        }
        break;
      }
      case kLogNumber:
        if (GetVarint64(&input, &number)) {
          log_number = number;
        } else {
          error = "bad log number";
        }
        break;
      case kNextFileNumber:
        if (GetVarint64(&input, &number)) {
          next_file_number = number;
        } else {
          error = "bad next file number";
        }
        break;
      case kLastSequence:
        if (GetVarint64(&input, &number)) {
          last_sequence = number;
        } else {
          error = "bad last sequence";
        }
        break;
      case kCompactPointer: {
        std::string key;
        if (GetLevel(&input, &level) && GetInternalKey(&input, &key)) {
          compact_pointers.emplace_back(level, std::move(key));
        } else {
          error = "bad compact pointer";
        }
        break;
      }
      case kDeletedFile:
        if (GetLevel(&input, &level) && GetVarint64(&input, &number)) {
          deleted_files.emplace(level, number);
        } else {
          error = "bad deleted file";
        }
        break;
      case kNewFile: {
        FileMetaData f;
        if (GetLevel(&input, &level) && GetVarint64(&input, &f.number) &&
            GetVarint64(&input, &f.file_size) && GetInternalKey(&input, &f.smallest) &&
            GetInternalKey(&input, &f.largest)) {
          new_files.emplace_back(level, std::move(f));
        } else {
          error = "bad new file";
        }
        break;
      }
      default:
        error = "unknown tag";
        break;
    }
  }
  if (error != nullptr) {
    return Status::Corruption(std::string("version edit: ") + error + " (tag " +
                              std::to_string(tag) + ")");
  }
  return Status::OK();
}

std::string VersionEdit::DebugString() const {
  std::string r = "VersionEdit {";
  if (comparator_name) r += "\n  comparator: " + *comparator_name;
  if (log_number) r += "\n  log number: " + std::to_string(*log_number);
  if (next_file_number) r += "\n  next file: " + std::to_string(*next_file_number);
  if (last_sequence) r += "\n  last sequence: " + std::to_string(*last_sequence);
  for (const auto& [level, key] : compact_pointers) {
    r += "\n  compact pointer L" + std::to_string(level) + " (" + std::to_string(key.size()) +
         " byte key)";
  }
  for (const auto& [level, number] : deleted_files) {
    r += "\n  remove L" + std::to_string(level) + " #" + std::to_string(number);
  }
  for (const auto& [level, f] : new_files) {
    r += "\n  add L" + std::to_string(level) + " #" + std::to_string(f.number) + " " +
         std::to_string(f.file_size) + " bytes";
  }
  r += "\n}";
  return r;
}

}  // namespace stash
