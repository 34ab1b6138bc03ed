// Iterator: the one interface shared by memtable, block, table, merging, level and DB iterators.
// An iterator is used by one thread at a time. key()/value() views stay valid until the next
// call that moves the iterator (Next/Seek/SeekToFirst) or until it is destroyed.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace stash {

class Iterator {
 public:
  Iterator() = default;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;
  virtual ~Iterator();

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  // Positions at the first entry with key >= target.
  virtual void Seek(std::string_view target) = 0;
  // REQUIRES: Valid()
  virtual void Next() = 0;
  // REQUIRES: Valid()
  virtual std::string_view key() const = 0;
  // REQUIRES: Valid()
  virtual std::string_view value() const = 0;
  // Not OK when iteration stopped because of an error (e.g. a corrupt block).
  virtual Status status() const = 0;

  // Runs fn when the iterator is destroyed (used to release pinned blocks, tables and versions).
  void RegisterCleanup(std::function<void()> fn);

 private:
  std::vector<std::function<void()>> cleanups_;
};

// An iterator over nothing, optionally carrying an error.
std::unique_ptr<Iterator> NewEmptyIterator(Status status = Status::OK());

}  // namespace stash
