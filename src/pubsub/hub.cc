#include "pubsub/hub.h"

#include <algorithm>
#include <mutex>

#include "resp/reply_writer.h"
#include "util/glob.h"

namespace stash::pubsub {

std::string_view Frame::Bytes(int proto) const {
  std::string& out = built_[proto == 3 ? 1 : 0];
  if (!out.empty()) return out;
  resp::ReplyWriter w(&out);
  w.SetProtocol(proto);
  switch (kind_) {
    case Kind::kChannel:
      w.PushHeader(3);
      w.Bulk("message");
      break;
    case Kind::kPattern:
      w.PushHeader(4);
      w.Bulk("pmessage");
      w.Bulk(pattern_);
      break;
    case Kind::kShard:
      w.PushHeader(3);
      w.Bulk("smessage");
      break;
  }
  w.Bulk(channel_);
  w.Bulk(payload_);
  return out;
}

bool Hub::Subscribe(Kind kind, const std::string& name, const std::shared_ptr<Subscriber>& s) {
  std::unique_lock lock(mu_);
  Subscribers* subs;
  if (kind == Kind::kPattern) {
    auto it = std::find_if(patterns_.begin(), patterns_.end(),
                           [&](const auto& p) { return p.first == name; });
    if (it == patterns_.end()) {
      patterns_.emplace_back(name, Subscribers{});
      it = patterns_.end() - 1;
    }
    subs = &it->second;
  } else {
    subs = &(kind == Kind::kShard ? shards_ : channels_)[name];
  }
  if (std::find(subs->begin(), subs->end(), s) != subs->end()) return false;
  subs->push_back(s);
  return true;
}

namespace {

// Removes s from subs; true when it was there.
bool Remove(std::vector<std::shared_ptr<Subscriber>>* subs, const Subscriber* s) {
  auto it = std::find_if(subs->begin(), subs->end(), [&](const auto& p) { return p.get() == s; });
  if (it == subs->end()) return false;
  subs->erase(it);
  return true;
}

}  // namespace

bool Hub::Unsubscribe(Kind kind, std::string_view name, const Subscriber* s) {
  std::unique_lock lock(mu_);
  if (kind == Kind::kPattern) {
    auto it = std::find_if(patterns_.begin(), patterns_.end(),
                           [&](const auto& p) { return p.first == name; });
    if (it == patterns_.end() || !Remove(&it->second, s)) return false;
    if (it->second.empty()) patterns_.erase(it);
    return true;
  }
  ChannelMap& map = kind == Kind::kShard ? shards_ : channels_;
  auto it = map.find(name);
  if (it == map.end() || !Remove(&it->second, s)) return false;
  if (it->second.empty()) map.erase(it);
  return true;
}

size_t Hub::DeliverAll(const Subscribers& subs, const Frame& frame) {
  for (const auto& s : subs) s->Deliver(frame);
  return subs.size();
}

size_t Hub::Publish(std::string_view channel, std::string_view payload) {
  std::shared_lock lock(mu_);
  size_t n = 0;
  if (auto it = channels_.find(channel); it != channels_.end()) {
    n += DeliverAll(it->second, Frame(Kind::kChannel, {}, channel, payload));
  }
  for (const auto& [pattern, subs] : patterns_) {
    if (GlobMatch(pattern, channel, false)) {
      n += DeliverAll(subs, Frame(Kind::kPattern, pattern, channel, payload));
    }
  }
  return n;
}

size_t Hub::PublishShard(std::string_view channel, std::string_view payload) {
  std::shared_lock lock(mu_);
  auto it = shards_.find(channel);
  if (it == shards_.end()) return 0;
  return DeliverAll(it->second, Frame(Kind::kShard, {}, channel, payload));
}

size_t Hub::Receivers(std::string_view channel, bool shard) const {
  std::shared_lock lock(mu_);
  if (shard) {
    auto it = shards_.find(channel);
    return it == shards_.end() ? 0 : it->second.size();
  }
  size_t n = 0;
  if (auto it = channels_.find(channel); it != channels_.end()) n += it->second.size();
  for (const auto& [pattern, subs] : patterns_) {
    if (GlobMatch(pattern, channel, false)) n += subs.size();
  }
  return n;
}

std::vector<std::string> Hub::Channels(Kind kind, const std::string* pattern) const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, subs] : Map(kind)) {
    if (pattern == nullptr || GlobMatch(*pattern, name, false)) out.push_back(name);
  }
  return out;
}

size_t Hub::NumSub(Kind kind, std::string_view channel) const {
  std::shared_lock lock(mu_);
  const ChannelMap& map = Map(kind);
  auto it = map.find(channel);
  return it == map.end() ? 0 : it->second.size();
}

size_t Hub::Count(Kind kind) const {
  std::shared_lock lock(mu_);
  return kind == Kind::kPattern ? patterns_.size() : Map(kind).size();
}

}  // namespace stash::pubsub
