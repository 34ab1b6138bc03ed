#include "cmd/tracking.h"

#include <fmt/format.h>

#include <algorithm>

#include "cmd/subscriptions.h"

namespace stash {
namespace {

// Whether one of a and b starts with the other (Redis's stringCheckPrefix).
bool Overlap(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  return a.substr(0, n) == b.substr(0, n);
}

std::string Bulk(std::string_view s) { return fmt::format("${}\r\n{}\r\n", s.size(), s); }

std::string KeyArray(const std::vector<std::string_view>& keys) {
  std::string out = fmt::format("*{}\r\n", keys.size());
  for (std::string_view k : keys) out += Bulk(k);
  return out;
}

}  // namespace

std::string Tracker::Enable(uint64_t id, const std::shared_ptr<Mailbox>& self,
                            const TrackingOptions& o, const std::shared_ptr<Mailbox>& redirect) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(id);
  const Client* old = it == clients_.end() ? nullptr : &it->second;
  if (!o.bcast && !o.prefixes.empty()) return "ERR PREFIX option requires BCAST mode to be enabled";
  if (old != nullptr && old->options.bcast != o.bcast) {
    return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
           "and then re-enabling it with a different mode.";
  }
  if (o.bcast && (o.optin || o.optout)) return "ERR OPTIN and OPTOUT are not compatible with BCAST";
  if (o.optin && o.optout) return "ERR You can't specify both OPTIN mode and OPTOUT mode";
  if (old != nullptr && ((o.optin && old->options.optout) || (o.optout && old->options.optin))) {
    return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
           "and then re-enabling it with a different mode.";
  }
  if (o.bcast) {
    for (size_t i = 0; i < o.prefixes.size(); i++) {
      if (old != nullptr) {
        for (const std::string& p : old->prefixes) {
          if (Overlap(p, o.prefixes[i])) {
            return fmt::format(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single "
                "client must not overlap.",
                o.prefixes[i], p);
          }
        }
      }
      for (size_t j = i + 1; j < o.prefixes.size(); j++) {
        if (Overlap(o.prefixes[i], o.prefixes[j])) {
          return fmt::format(
              "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single "
              "client must not overlap.",
              o.prefixes[i], o.prefixes[j]);
        }
      }
    }
  }
  if (it == clients_.end()) {
    it = clients_.emplace(id, Client{}).first;
    clients_count_.fetch_add(1, std::memory_order_relaxed);
  }
  Client& c = it->second;
  c.self = self;
  c.redirect = redirect;
  c.broken = false;
  std::set<std::string> prefixes = std::move(c.prefixes);
  c.options = o;
  if (o.bcast) {
    if (o.prefixes.empty()) prefixes.insert("");
    prefixes.insert(o.prefixes.begin(), o.prefixes.end());
  }
  c.prefixes = std::move(prefixes);
  return "";
}

void Tracker::Disable(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (clients_.erase(id) > 0) clients_count_.fetch_sub(1, std::memory_order_relaxed);
}

TrackingInfo Tracker::Info(uint64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  TrackingInfo info;
  auto it = clients_.find(id);
  if (it == clients_.end()) return info;
  info.on = true;
  info.options = it->second.options;
  info.options.prefixes.assign(it->second.prefixes.begin(), it->second.prefixes.end());
  info.broken_redirect = it->second.broken;
  return info;
}

void Tracker::Remember(uint64_t id, const std::vector<std::string_view>& keys, bool caching_given) {
  std::lock_guard<std::mutex> lock(mu_);
  for (std::string_view key : keys) RememberLocked(id, key, caching_given);
}

void Tracker::RememberLocked(uint64_t id, std::string_view key, bool caching_given) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  const TrackingOptions& o = it->second.options;
  if (o.bcast || (o.optin && !caching_given) || (o.optout && caching_given)) return;
  table_[std::string(key)].insert(id);
}

void Tracker::Send(Client& c, std::string_view keys_resp2, std::string_view keys_resp3,
                   std::string* defer) {
  std::shared_ptr<Mailbox> self = c.self.lock();
  if (self == nullptr || self->closed()) return;
  const int self_proto = self->protocol();
  auto deliver = [&](const std::shared_ptr<Mailbox>& to, const std::string& bytes) {
    if (defer != nullptr && to == self) {
      defer->append(bytes);
    } else {
      to->DeliverBytes(bytes);
    }
  };
  std::shared_ptr<Mailbox> target = self;
  if (c.options.redirect != 0) {
    target = c.redirect.lock();
    if (target == nullptr || target->closed()) {
      c.broken = true;
      if (self_proto == 3) {
        deliver(self,
                fmt::format(">2\r\n{}:{}\r\n", Bulk("tracking-redir-broken"), c.options.redirect));
      }
      return;
    }
  }
  std::string_view keys = self_proto == 3 ? keys_resp3 : keys_resp2;
  if (target->protocol() == 3) {
    deliver(target, fmt::format(">2\r\n{}{}", Bulk("invalidate"), keys));
  } else if (c.options.redirect != 0 && target->subscribed()) {
    deliver(target,
            fmt::format("*3\r\n{}{}{}", Bulk("message"), Bulk("__redis__:invalidate"), keys));
  }
}

void Tracker::Apply(const std::vector<Event>& events,
                    const std::function<std::string*(uint64_t client)>& after_reply) {
  std::lock_guard<std::mutex> lock(mu_);
  auto defer_for = [&](uint64_t id) { return after_reply ? after_reply(id) : nullptr; };
  bool any_touch = false;
  for (const Event& e : events) {
    switch (e.kind) {
      case Event::kRemember:
        RememberLocked(e.client, e.key, e.caching);
        break;
      case Event::kFlush:
        for (auto& [id, c] : clients_) {
          Send(c, "$-1\r\n", "_\r\n", id == e.client ? defer_for(id) : nullptr);
        }
        table_.clear();
        break;
      case Event::kTouch: {
        // Default mode: one message per key, to each client that read it since its last one.
        any_touch = true;
        auto it = table_.find(e.key);
        if (it == table_.end()) break;
        std::set<uint64_t> readers = std::move(it->second);
        table_.erase(it);
        const std::string keys = KeyArray({e.key});
        for (uint64_t id : readers) {
          auto c = clients_.find(id);
          if (c == clients_.end() || c->second.options.bcast) continue;
          if (c->second.options.noloop && id == e.client) continue;
          Send(c->second, keys, keys, id == e.client ? defer_for(id) : nullptr);
        }
        break;
      }
    }
  }
  if (!any_touch) return;
  // BCAST: per client and prefix, the keys the group touched under it, in byte order.
  for (auto& [id, c] : clients_) {
    if (!c.options.bcast) continue;
    for (const std::string& prefix : c.prefixes) {
      std::set<std::string_view> keys;
      for (const Event& e : events) {
        if (e.kind != Event::kTouch || (c.options.noloop && e.client == id)) continue;
        if (std::string_view(e.key).starts_with(prefix)) keys.insert(e.key);
      }
      if (keys.empty()) continue;
      const std::string array = KeyArray({keys.begin(), keys.end()});
      Send(c, array, array, defer_for(id));
    }
  }
}

}  // namespace stash
