#include "cmd/watch.h"

#include <algorithm>
#include <cstring>

namespace stash {

std::string WatchRegistry::Slot(int db, std::string_view key) {
  std::string s(reinterpret_cast<const char*>(&db), sizeof(db));
  s.append(key);
  return s;
}

void WatchRegistry::Watch(const std::shared_ptr<WatchState>& state, int db, std::string_view key,
                          store::Txn& txn, int64_t now_ms) {
  for (const WatchState::Key& k : state->keys) {
    if (k.db == db && k.key == key) return;  // already watched
  }
  bool expired = txn.ExistsExpired(db, key, now_ms);
  state->keys.push_back({db, std::string(key), expired});
  by_key_[Slot(db, key)].push_back({state, expired});
  if (++watches_since_prune_ >= 4096) Prune();
}

bool WatchRegistry::ExpiredSinceWatch(const WatchState& state, store::Txn& txn, int64_t now_ms) {
  for (const WatchState::Key& k : state.keys) {
    if (!k.expired_at_watch && txn.ExistsExpired(k.db, k.key, now_ms)) return true;
  }
  return false;
}

void WatchRegistry::KeyTouched(int db, std::string_view key, bool expired_reclaim) {
  auto it = by_key_.find(Slot(db, key));
  if (it == by_key_.end()) return;
  std::vector<Watcher>& watchers = it->second;
  for (Watcher& w : watchers) {
    // Reclaiming a key that was already expired when WATCHed changes nothing a client could see.
    if (expired_reclaim && w.expired_at_watch) continue;
    if (auto state = w.state.lock()) state->dirty.store(true, std::memory_order_release);
  }
}

void WatchRegistry::DbChanging(int db, int other, store::Txn& txn) {
  int64_t now = 0;  // existence for FLUSHDB/SWAPDB counts keys even if expired, as Redis does
  for (auto& [slot, watchers] : by_key_) {
    int watched_db;
    std::memcpy(&watched_db, slot.data(), sizeof(watched_db));
    if (watched_db != db) continue;
    std::string_view key = std::string_view(slot).substr(sizeof(int));
    bool exists = txn.Exists(db, key, now) || (other >= 0 && txn.Exists(other, key, now));
    if (!exists) continue;
    for (Watcher& w : watchers) {
      if (auto state = w.state.lock()) state->dirty.store(true, std::memory_order_release);
    }
  }
}

void WatchRegistry::Prune() {
  watches_since_prune_ = 0;
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    auto& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(), [](const Watcher& w) { return w.state.expired(); }),
            v.end());
    it = v.empty() ? by_key_.erase(it) : std::next(it);
  }
}

}  // namespace stash
