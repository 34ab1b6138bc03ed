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
    bool expired_at_watch;  // present but already expired when WATCHed
  };
  std::vector<Key> keys;  // writer thread only
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

 private:
  struct Watcher {
    std::weak_ptr<WatchState> state;
    bool expired_at_watch;
  };
  static std::string Slot(int db, std::string_view key);
  void Prune();

  std::unordered_map<std::string, std::vector<Watcher>> by_key_;  // Slot(db, key) -> watchers
  size_t watches_since_prune_ = 0;
};

}  // namespace stash
