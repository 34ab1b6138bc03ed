// Hub: Pub/Sub's registry, shared by every connection. It maps each channel, pattern and shard
// channel to its subscribers, in the order they subscribed, and delivers a published message to
// the channel's subscribers, then to those of every pattern that matches (Redis's glob, as KEYS),
// in the order the patterns were first subscribed. Nothing here is persisted: PUBLISH never
// touches the write-ahead log.
//
// A subscriber is whatever implements Subscriber (cmd/subscriptions.h: a session's mailbox).
// Delivery happens on the publisher's thread, under the hub's shared lock: a Subscriber must take
// the frame quickly and hand it to its own thread. Subscribing and unsubscribing take the lock
// exclusively, so once Unsubscribe returns no delivery to that subscriber is in progress.
//
// Threading: every member is safe to call from any thread.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace stash::pubsub {

enum class Kind { kChannel = 0, kPattern = 1, kShard = 2 };

// One delivery's frame, as Redis writes it: RESP2 an array, RESP3 a push.
//   message:  [message, channel, payload]           (a channel subscriber)
//   pmessage: [pmessage, pattern, channel, payload] (a pattern subscriber)
//   smessage: [smessage, channel, payload]          (a shard channel subscriber)
// Built once per protocol for all the subscribers that share it.
class Frame {
 public:
  Frame(Kind kind, std::string_view pattern, std::string_view channel, std::string_view payload)
      : kind_(kind), pattern_(pattern), channel_(channel), payload_(payload) {}
  // proto: 2 or 3.
  std::string_view Bytes(int proto) const;

 private:
  Kind kind_;
  std::string_view pattern_, channel_, payload_;
  mutable std::string built_[2];
};

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // The publisher's thread, under the hub's lock: take frame (frame.Bytes(protocol)).
  virtual void Deliver(const Frame& frame) = 0;
};

class Hub {
 public:
  // Adds s to name's subscribers; false when it was one already.
  bool Subscribe(Kind kind, const std::string& name, const std::shared_ptr<Subscriber>& s);
  // Removes s from name's subscribers; false when it was none.
  bool Unsubscribe(Kind kind, std::string_view name, const Subscriber* s);

  // PUBLISH: delivers to the channel's subscribers and to every matching pattern's; returns the
  // number of deliveries (a client subscribed to the channel and to a matching pattern counts
  // twice, as in Redis).
  size_t Publish(std::string_view channel, std::string_view payload);
  // SPUBLISH: delivers to the shard channel's subscribers.
  size_t PublishShard(std::string_view channel, std::string_view payload);
  // What Publish (shard: PublishShard) would return now, without delivering.
  size_t Receivers(std::string_view channel, bool shard) const;

  // PUBSUB CHANNELS / SHARDCHANNELS: the channels with a subscriber, those matching pattern
  // when it is not null. kind: kChannel or kShard.
  std::vector<std::string> Channels(Kind kind, const std::string* pattern) const;
  // PUBSUB NUMSUB / SHARDNUMSUB: a channel's subscribers. kind: kChannel or kShard.
  size_t NumSub(Kind kind, std::string_view channel) const;
  // Channels, patterns or shard channels with at least one subscriber (INFO, PUBSUB NUMPAT).
  size_t Count(Kind kind) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Subscribers = std::vector<std::shared_ptr<Subscriber>>;
  using ChannelMap = std::unordered_map<std::string, Subscribers, Hash, std::equal_to<>>;

  const ChannelMap& Map(Kind kind) const { return kind == Kind::kShard ? shards_ : channels_; }
  static size_t DeliverAll(const Subscribers& subs, const Frame& frame);

  mutable std::shared_mutex mu_;
  ChannelMap channels_, shards_;
  // Patterns in the order they were first subscribed (a pattern without subscribers is removed).
  std::vector<std::pair<std::string, Subscribers>> patterns_;
};

}  // namespace stash::pubsub
