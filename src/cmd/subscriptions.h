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
#include <mutex>
#include <set>
#include <span>
#include <string>

#include "pubsub/hub.h"

namespace stash {

class SessionLink;
namespace resp {
class ReplyWriter;
}

// What publishers deliver into (see above); also the target of client-side caching's
// invalidation messages (cmd/tracking.h). Any thread.
class Mailbox final : public pubsub::Subscriber, public std::enable_shared_from_this<Mailbox> {
 public:
  Mailbox(SessionLink& link, int proto) : link_(&link), proto_(proto) {}
  void Deliver(const pubsub::Frame& frame) override { DeliverBytes(frame.Bytes(protocol())); }
  // Appends a frame, already in protocol()'s shape, to what the client receives.
  void DeliverBytes(std::string_view bytes);
  int protocol() const { return proto_.load(std::memory_order_relaxed); }
  void SetProtocol(int proto) { proto_.store(proto, std::memory_order_relaxed); }
  // Subscribed to anything (Redis's CLIENT_PUBSUB).
  bool subscribed() const { return subscribed_.load(std::memory_order_relaxed); }
  void SetSubscribed(bool yes) { subscribed_.store(yes, std::memory_order_relaxed); }
  // The connection closed: nothing is delivered any more.
  void Close();
  bool closed() const;

 private:
  // On the connection's thread: the gathered frames go out, within the output limits.
  void Drain();

  mutable std::mutex mu_;  // orders publishers among themselves and against the drain
  SessionLink* link_;      // null once closed
  std::atomic<int> proto_;
  std::atomic<bool> subscribed_{false};
  std::string pending_;  // frames from other threads, not yet in the output
  bool drain_posted_ = false;
};

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
  const std::shared_ptr<Mailbox>& mailbox() const { return mailbox_; }

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
