// Subscriptions: one session's Pub/Sub state (what Redis keeps in a client's pubsub_channels,
// pubsub_patterns and pubsubshard_channels): the channels, patterns and shard channels it
// subscribes to, the confirmations (P|S)(UN)SUBSCRIBE reply, and the mailbox the hub
// (pubsub/hub.h) delivers its messages into.
//
// Delivery. A publisher on the subscriber's own I/O thread appends the frame to the connection's
// output at once (so a RESP3 client that publishes to its own channel gets the push before the
// PUBLISH reply, as from Redis). A publisher on another thread (another I/O thread; the writer,
// for a PUBLISH inside EXEC or a keyspace event) appends it to the mailbox, and one task posted
// to the connection's thread moves everything gathered meanwhile to the output. Either way that
// task then applies the output-buffer limits (a subscribed client is in the pubsub class:
// client-output-buffer-limit pubsub) and writes. A slow subscriber so costs a publisher only an
// append; it is disconnected at its limit, and nobody else waits for it.
//
// Threading: the session's thread (or the writer inside EXEC, while the session waits) calls
// everything but count() and active(), which any thread may call.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <set>
#include <span>
#include <string>

#include "pubsub/hub.h"

namespace stash {

class SessionLink;
namespace resp {
class ReplyWriter;
}

class Subscriptions {
 public:
  Subscriptions(SessionLink& link, int proto);
  // Leaves every subscription.
  ~Subscriptions();
  Subscriptions(const Subscriptions&) = delete;
  Subscriptions& operator=(const Subscriptions&) = delete;

  // (P|S)SUBSCRIBE: subscribes to each name, replying a confirmation for each.
  void Subscribe(pubsub::Hub& hub, pubsub::Kind kind, std::span<const std::string> names,
                 resp::ReplyWriter& out);
  // (P|S)UNSUBSCRIBE: names empty means every one of kind; a confirmation for each, or one
  // with a null name when there was none.
  void Unsubscribe(pubsub::Hub& hub, pubsub::Kind kind, std::span<const std::string> names,
                   resp::ReplyWriter& out);
  // Leaves every subscription without replying (RESET).
  void Clear();
  // The connection closed: leaves every subscription; nothing is delivered any more.
  void Close();
  // Frames delivered from now on use this protocol (HELLO).
  void SetProtocol(int proto);

  // --- any thread ---
  size_t count(pubsub::Kind kind) const {
    return counts_[static_cast<int>(kind)].load(std::memory_order_relaxed);
  }
  // Subscribed to anything: RESP2 allows only the Pub/Sub commands then, and the connection's
  // output is limited as a pubsub client's.
  bool active() const {
    return count(pubsub::Kind::kChannel) + count(pubsub::Kind::kPattern) +
               count(pubsub::Kind::kShard) >
           0;
  }

 private:
  class Mailbox;
  // The count a confirmation of kind reports: channels + patterns, or shard channels.
  size_t ReplyCount(pubsub::Kind kind) const;
  void Confirm(const char* what, const std::string* name, pubsub::Kind kind,
               resp::ReplyWriter& out);
  void Drop(pubsub::Kind kind, const std::string& name);

  std::shared_ptr<Mailbox> mailbox_;
  pubsub::Hub* hub_ = nullptr;  // set by the first Subscribe
  std::array<std::set<std::string>, 3> names_;
  std::array<std::atomic<size_t>, 3> counts_{};
};

}  // namespace stash
