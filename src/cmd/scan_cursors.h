// ScanCursorTable: where each SCAN iteration stopped. A cursor is a number below 2^53 (so every
// client library keeps it exactly) that names the last key a SCAN call examined; the next call
// resumes just after it, so every key present for the whole iteration is returned, across
// flushes and compactions. Bounded: the oldest cursors are evicted first, and an evicted or
// unknown cursor is an error (never a silent restart). Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace stash {

class ScanCursorTable {
 public:
  explicit ScanCursorTable(size_t capacity = 100000);

  struct Position {
    int db;
    std::string after;       // resume strictly after this user key (or element)
    std::string collection;  // HSCAN/SSCAN: the key whose elements are scanned; SCAN: empty
  };

  // Stores a position; returns its new cursor (never 0).
  uint64_t Save(Position pos);
  // The position of cursor; nullopt if unknown or evicted. A cursor may be used again (a
  // client retrying a call gets the same answer).
  std::optional<Position> Find(uint64_t cursor);

 private:
  std::mutex mu_;
  size_t capacity_;
  uint64_t next_;
  std::list<uint64_t> order_;  // oldest first
  std::unordered_map<uint64_t, std::pair<Position, std::list<uint64_t>::iterator>> map_;
};

}  // namespace stash
