// KeyEvents: keyspace notifications (notify-keyspace-events, config/notify_flags.h), the
// writer's outbox, and the keys a group touched for client-side caching (cmd/tracking.h). Write
// handlers report their events (WriteContext::Notify, with Redis's event names); the Txn reports
// keys that come into being ("new") and keys removed or overwritten past their expiry ("expired"),
// through the TouchHook this forwards to WATCH's registry. Nothing is published while the group
// runs: the writer publishes the outbox once the group's batch is committed, in commit order,
// before any reply of the group goes out; a group that fails to commit publishes nothing, and a
// command taken back (a failed read) drops its own events. A PUBLISH that runs on the writer
// (inside EXEC) goes through the outbox too, so that its message keeps its place among the events.
//
// Thread: the writer thread only (flags may be set from any thread); ForEachKeyEvent any.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cmd/tracking.h"
#include "config/notify_flags.h"
#include "store/txn.h"

namespace stash {

class WatchRegistry;
class BlockingRegistry;
namespace pubsub {
class Hub;
}

// "__<kind>@<db>__:<suffix>": kind is keyspace or keyevent.
std::string KeyEventChannel(std::string_view kind, int db, std::string_view suffix);

// The messages Redis publishes for event (class cls) on key in db under flags: on
// __keyspace@<db>__:<key> (K) the event, on __keyevent@<db>__:<event> (E) the key. Calls
// emit(channel, message) for each.
template <typename Emit>
void ForEachKeyEvent(uint32_t flags, uint32_t cls, std::string_view event, int db,
                     std::string_view key, Emit&& emit) {
  if (!(flags & cls)) return;
  if (flags & kNotifyKeyspace) emit(KeyEventChannel("keyspace", db, key), event);
  if (flags & kNotifyKeyevent) emit(KeyEventChannel("keyevent", db, event), key);
}
class KeyEvents final : public store::TouchHook {
 public:
  explicit KeyEvents(WatchRegistry& watches) : watches_(watches) {}

  // The tracking table to tell about touched keys (null: none; before the writer starts).
  void SetTracker(Tracker* tracker) { tracker_ = tracker; }
  // Where keys that come into being are reported ready for blocked clients (cmd/blocking.h).
  void SetBlocking(BlockingRegistry* blocking) { blocking_ = blocking; }
  // The client whose commands run from now on (0: none, active expiry).
  void SetOrigin(uint64_t client_id) { origin_ = client_id; }

  // Any thread: the classes to publish (CONFIG SET notify-keyspace-events).
  void SetFlags(uint32_t flags) { flags_.store(flags, std::memory_order_relaxed); }

  // Records event (of class cls) on key in db, if the configuration asks for it.
  void Notify(uint32_t cls, std::string_view event, int db, std::string_view key) {
    const uint32_t flags = flags_.load(std::memory_order_relaxed);
    if (flags & cls) Record(flags, cls, event, db, key);
  }
  // Records a PUBLISH (shard: SPUBLISH) to go out with the events.
  void Publish(std::string_view channel, std::string_view message, bool shard);

  // A read inside EXEC by client: keys to track, in order with the group's writes.
  void Remember(uint64_t client, const std::vector<std::string_view>& keys, bool caching);

  // Publishes what was recorded (after the commit), then forgets it. Invalidation messages due
  // to a client for its own writes go to after_reply(client id) (see Tracker::Apply).
  void PublishAll(pubsub::Hub& hub,
                  const std::function<std::string*(uint64_t origin)>& after_reply = nullptr);
  // Forgets what was recorded (the group did not commit).
  void Discard();

  // store::TouchHook
  void KeyTouched(int db, std::string_view key, bool expired_reclaim) override;
  void DbChanging(int db, int other, store::Txn& txn) override;
  void KeyAdded(int db, std::string_view key, bool over_expired) override;
  // key in db got new data without coming into being (XADD to a stream): clients blocked on it
  // are served.
  void KeyReady(int db, std::string_view key);
  void OpBegun() override {
    op_mark_ = outbox_.size();
    tracking_mark_ = tracking_.size();
  }

  // While one lives (and quiet is true), a key that comes into being is not "new": a command
  // that deletes its destination and writes it again (SINTERSTORE) overwrites it for Redis.
  class QuietNew {
   public:
    QuietNew(KeyEvents& events, bool quiet) : events_(events), was_(events.quiet_new_) {
      events.quiet_new_ = was_ || quiet;
    }
    ~QuietNew() { events_.quiet_new_ = was_; }
    QuietNew(const QuietNew&) = delete;
    QuietNew& operator=(const QuietNew&) = delete;

   private:
    KeyEvents& events_;
    bool was_;
  };
  void OpAborted() override {
    outbox_.resize(op_mark_);
    tracking_.resize(tracking_mark_);
  }

 private:
  void Record(uint32_t flags, uint32_t cls, std::string_view event, int db, std::string_view key);

  struct Message {
    std::string channel, payload;
    bool shard = false;
  };
  WatchRegistry& watches_;
  std::atomic<uint32_t> flags_{0};
  std::vector<Message> outbox_;
  size_t op_mark_ = 0;
  Tracker* tracker_ = nullptr;
  uint64_t origin_ = 0;
  std::vector<Tracker::Event> tracking_;  // only while the tracker has clients
  size_t tracking_mark_ = 0;
  bool quiet_new_ = false;
  BlockingRegistry* blocking_ = nullptr;
};

}  // namespace stash
