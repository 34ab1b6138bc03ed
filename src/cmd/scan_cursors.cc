#include "cmd/scan_cursors.h"

#include <random>

namespace stash {

namespace {
constexpr uint64_t kCursorLimit = 1ull << 53;
}

ScanCursorTable::ScanCursorTable(size_t capacity) : capacity_(capacity) {
  // Start at a random point so cursors of a restarted server rarely collide with old ones.
  next_ = 1 + (std::random_device{}() % (kCursorLimit / 2));
}

uint64_t ScanCursorTable::Save(Position pos) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t id = next_++;
  if (next_ >= kCursorLimit) next_ = 1;
  order_.push_back(id);
  map_[id] = {std::move(pos), std::prev(order_.end())};
  while (map_.size() > capacity_) {
    map_.erase(order_.front());
    order_.pop_front();
  }
  return id;
}

std::optional<ScanCursorTable::Position> ScanCursorTable::Find(uint64_t cursor) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(cursor);
  if (it == map_.end()) return std::nullopt;
  return it->second.first;
}

}  // namespace stash
