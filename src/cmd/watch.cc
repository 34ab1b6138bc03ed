#include "cmd/watch.h"

#include "util/clock.h"

#include <algorithm>
#include <chrono>
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
  bool expired = txn.ExistsExpired(db, key, now_ms).ok();  // a read error fails the WATCH
  state->keys.push_back({db, std::string(key), expired});
  by_key_[Slot(db, key)].push_back({state, state->keys.size() - 1});
  if (++watches_since_prune_ >= 4096) Prune();
}

bool WatchRegistry::ExpiredSinceWatch(const WatchState& state, store::Txn& txn, int64_t now_ms) {
  for (const WatchState::Key& k : state.keys) {
    if (!k.expired_at_watch && txn.ExistsExpired(k.db, k.key, now_ms).ok()) return true;
  }
  return false;
}

void WatchRegistry::KeyTouched(int db, std::string_view key, bool expired_reclaim) {
  if (by_key_.empty()) return;  // nobody watches: every write passes here
  auto it = by_key_.find(Slot(db, key));
  if (it == by_key_.end()) return;
  for (Watcher& w : it->second) {
    std::shared_ptr<WatchState> state = w.state.lock();
    if (!state) continue;
    WatchState::Key& k = state->keys[w.index];
    // Removing a key that was already expired when WATCHed changes nothing a client could see.
    if (expired_reclaim && k.expired_at_watch) {
      k.expired_at_watch = false;
      continue;
    }
    state->dirty.store(true, std::memory_order_release);
  }
}

// Redis's touchAllWatchedKeysInDb: a watched key counts as changed when it is present (even past
// its expiry) in db or in other, except that an expired key replaced by nothing or by another
// expired key, and nothing replaced by an expired key, change nothing a client could see.
void WatchRegistry::DbChanging(int db, int other, store::Txn& txn) {
  int64_t now = NowMs();
  for (auto& [slot, watchers] : by_key_) {
    int watched_db;
    std::memcpy(&watched_db, slot.data(), sizeof(watched_db));
    if (watched_db != db) continue;
    if (std::all_of(watchers.begin(), watchers.end(),
                    [](const Watcher& w) { return w.state.expired(); })) {
      continue;  // not worth reading: nobody watches it any more
    }
    std::string_view key = std::string_view(slot).substr(sizeof(int));
    // now_ms 0: present, expired or not. A failed read counts as present and not expired:
    // the watcher is then marked dirty, the safe side.
    bool here = !txn.Exists(db, key, 0).IsNotFound();
    bool there = other >= 0 && !txn.Exists(other, key, 0).IsNotFound();
    if (!here && !there) continue;
    bool there_expired = there && txn.ExistsExpired(other, key, now).ok();
    for (Watcher& w : watchers) {
      std::shared_ptr<WatchState> state = w.state.lock();
      if (!state) continue;
      WatchState::Key& k = state->keys[w.index];
      if (k.expired_at_watch) {
        if (!there) {
          k.expired_at_watch = false;  // the expired key is gone, nothing replaces it
          continue;
        }
        if (there_expired) continue;
      } else if (!here && there_expired) {
        k.expired_at_watch = true;  // nothing is replaced by an expired key
        continue;
      }
      state->dirty.store(true, std::memory_order_release);
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
