#include "cmd/keyspace_events.h"

#include <fmt/format.h>

#include "cmd/blocking.h"
#include "cmd/command.h"
#include "cmd/watch.h"
#include "pubsub/hub.h"

namespace stash {

void WriteContext::Notify(uint32_t cls, std::string_view event, std::string_view key, int in_db) {
  events.Notify(cls, event, in_db < 0 ? db : in_db, key);
}

std::string KeyEventChannel(std::string_view kind, int db, std::string_view suffix) {
  return fmt::format("__{}@{}__:{}", kind, db, suffix);
}

void KeyEvents::Record(uint32_t flags, uint32_t cls, std::string_view event, int db,
                       std::string_view key) {
  ForEachKeyEvent(flags, cls, event, db, key, [&](std::string channel, std::string_view message) {
    outbox_.push_back({std::move(channel), std::string(message)});
  });
}

void KeyEvents::Publish(std::string_view channel, std::string_view message, bool shard) {
  outbox_.push_back({std::string(channel), std::string(message), shard});
}

void KeyEvents::PublishAll(pubsub::Hub& hub,
                           const std::function<std::string*(uint64_t origin)>& after_reply) {
  for (const Message& m : outbox_) {
    if (m.shard) {
      hub.PublishShard(m.channel, m.payload);
    } else {
      hub.Publish(m.channel, m.payload);
    }
  }
  if (tracker_ != nullptr && !tracking_.empty()) tracker_->Apply(tracking_, after_reply);
  Discard();
}

void KeyEvents::Discard() {
  outbox_.clear();
  op_mark_ = 0;
  tracking_.clear();
  tracking_mark_ = 0;
}

void KeyEvents::KeyTouched(int db, std::string_view key, bool expired_reclaim) {
  watches_.KeyTouched(db, key, expired_reclaim);
  // A key deleted or overwritten: a client waiting on it is answered if it must be (an
  // XREADGROUP whose stream is gone), else waits on.
  if (blocking_ != nullptr && blocking_->count() > 0) blocking_->KeyAdded(db, key);
  if (expired_reclaim) Notify(kNotifyExpired, "expired", db, key);
  if (tracker_ != nullptr && tracker_->active()) {
    tracking_.push_back({Tracker::Event::kTouch, std::string(key), origin_});
  }
}

void KeyEvents::Remember(uint64_t client, const std::vector<std::string_view>& keys, bool caching) {
  for (std::string_view key : keys) {
    tracking_.push_back({Tracker::Event::kRemember, std::string(key), client, caching});
  }
}

void KeyEvents::DbChanging(int db, int other, store::Txn& txn) {
  watches_.DbChanging(db, other, txn);
  // A swap or a flush: every key waited on there changed (a flush: "swapped" with itself).
  if (blocking_ != nullptr) blocking_->DbSwapped(db, other != -1 ? other : db);
  if (other != -1 || tracker_ == nullptr || !tracker_->active()) return;
  // FLUSHALL empties every database: one flush for the command.
  const bool again =
      tracking_.size() > tracking_mark_ && tracking_.back().kind == Tracker::Event::kFlush;
  if (!again) tracking_.push_back({Tracker::Event::kFlush, "", origin_});
}

void KeyEvents::KeyReady(int db, std::string_view key) {
  // (No lock taken on the XADD path while nobody waits.)
  if (blocking_ != nullptr && blocking_->count() > 0) blocking_->KeyAdded(db, key);
}

void KeyEvents::KeyAdded(int db, std::string_view key, bool over_expired) {
  // A key overwritten in one command (QuietNew: Redis's dbOverwrite) wakes no blocked client.
  if (blocking_ != nullptr && !quiet_new_) blocking_->KeyAdded(db, key);
  if (over_expired) Notify(kNotifyExpired, "expired", db, key);
  if (!quiet_new_) Notify(kNotifyNew, "new", db, key);
}

}  // namespace stash
