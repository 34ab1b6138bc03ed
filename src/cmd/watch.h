// WATCH bookkeeping, on the writer thread. A connection's WatchState lists the keys it watches;
// the WatchRegistry maps each watched (db, key) to the states watching it and marks them dirty
// when a Txn touches the key (write, delete, expiry reclaim, FLUSHDB/FLUSHALL/SWAPDB of a db
// where the key exists). EXEC of a dirty state replies a null array and runs nothing.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/txn.h"

namespace stash {

struct WatchState {
  std::atomic<bool> dirty{false};
  struct Key {
    int db;
    std::string key;
    // Present but already expired when WATCHed (Redis's watchedKey.expired): its removal changes
    // nothing a client could see. Cleared once it is removed; set when SWAPDB brings in an
    // expired key where there was none.
    bool expired_at_watch;
  };
  std::vector<Key> keys;  // writer thread only; only ever appended to
};

class WatchRegistry final : public store::TouchHook {
 public:
  // Adds key to state's watch list (writer thread).
  void Watch(const std::shared_ptr<WatchState>& state, int db, std::string_view key,
             store::Txn& txn, int64_t now_ms);
  // Whether a key state watches, live at WATCH, has expired since (Redis aborts EXEC then).
  bool ExpiredSinceWatch(const WatchState& state, store::Txn& txn, int64_t now_ms);

  void KeyTouched(int db, std::string_view key, bool expired_reclaim) override;
  void DbChanging(int db, int other, store::Txn& txn) override;

  // Number of (db, key) entries kept, watchers gone or not (tests).
  size_t watched_keys() const { return by_key_.size(); }

 private:
  struct Watcher {
    std::weak_ptr<WatchState> state;
    size_t index;  // into state->keys
  };
  static std::string Slot(int db, std::string_view key);
  void Prune();

  std::unordered_map<std::string, std::vector<Watcher>> by_key_;  // Slot(db, key) -> watchers
  size_t watches_since_prune_ = 0;
};

}  // namespace stash
