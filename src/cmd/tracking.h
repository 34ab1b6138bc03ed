// Tracker: client-side caching (CLIENT TRACKING), shared by every connection. It keeps, as
// Redis's tracking table does, which clients read which keys (default mode: a key a client read
// is invalidated for it once, the next time anything writes it) and which clients follow which
// key prefixes (BCAST: every written key under a prefix, read or not). Keys are names only, in
// any database, as in Redis.
//
// The writer tells it, after each committed group, the keys the group touched (written,
// deleted, expired) and whether a database was flushed; it sends the invalidation messages:
//   RESP3 client (or redirect target):   >2 invalidate [key ...]   (flush: >2 invalidate _)
//   RESP2 redirect target in Pub/Sub mode: *3 message __redis__:invalidate [key ...]
// A RESP2 client without a redirect gets nothing (RESP2 has no pushes), as from Redis. Default
// mode sends one message per key as it is touched; BCAST one per prefix per group, its keys in
// byte order. A message for the client whose own write touched the key (unless NOLOOP) is
// handed back to the writer, which sends it right after that client's reply, as Redis does.
//
// Threading: every member is safe from any thread (one mutex; nothing here blocks).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace stash {

class Mailbox;

struct TrackingOptions {
  bool bcast = false, optin = false, optout = false, noloop = false;
  uint64_t redirect = 0;  // 0: none
  std::vector<std::string> prefixes;
};

// What CLIENT TRACKINGINFO, GETREDIR and LIST show.
struct TrackingInfo {
  bool on = false;
  TrackingOptions options;  // prefixes in byte order
  bool broken_redirect = false;
};

class Tracker {
 public:
  // CLIENT TRACKING ON: checks options against each other and against the client's current
  // mode; returns Redis's error text, or "" once tracking is on. redirect: the target's
  // mailbox when options.redirect is set (the caller found it).
  std::string Enable(uint64_t id, const std::shared_ptr<Mailbox>& self,
                     const TrackingOptions& options, const std::shared_ptr<Mailbox>& redirect);
  // CLIENT TRACKING OFF, RESET, the connection closed.
  void Disable(uint64_t id);
  TrackingInfo Info(uint64_t id) const;
  // Whether anyone tracks anything (cheap; the writer asks before collecting keys).
  bool active() const { return clients_count_.load(std::memory_order_relaxed) > 0; }

  // A read-only command of client id read keys: remembered unless the client's mode says not
  // (BCAST; OPTIN without CLIENT CACHING YES; OPTOUT with CLIENT CACHING NO: caching_given).
  void Remember(uint64_t id, const std::vector<std::string_view>& keys, bool caching_given);

  // What a commit group did, in order: a key written or removed (kTouch, by client: 0 for
  // expiry), read inside EXEC (kRemember, by client, caching: CLIENT CACHING given), or every
  // database flushed (kFlush, by client).
  struct Event {
    enum Kind { kTouch, kRemember, kFlush } kind;
    std::string key;
    uint64_t client = 0;
    bool caching = false;
  };
  // After a commit: applies events in order (a touch invalidates the key for its readers, a
  // flush every tracking client's cache), then sends BCAST clients the keys touched under their
  // prefixes. Messages due to a client for its own write go to after_reply(client) when that
  // returns a buffer (the writer sends it after the client's replies).
  void Apply(const std::vector<Event>& events,
             const std::function<std::string*(uint64_t client)>& after_reply);

 private:
  struct Client {
    std::weak_ptr<Mailbox> self;
    std::weak_ptr<Mailbox> redirect;
    TrackingOptions options;
    std::set<std::string> prefixes;  // BCAST ("" when BCAST had none)
    bool broken = false;
  };
  // Builds one message for client c (keys: a RESP array, or a null for a flush) and sends it,
  // or appends it to *defer.
  void Send(Client& c, std::string_view keys_resp2, std::string_view keys_resp3,
            std::string* defer);
  void RememberLocked(uint64_t id, std::string_view key, bool caching_given);

  mutable std::mutex mu_;
  std::map<uint64_t, Client> clients_;  // by id: the order clients connected
  std::atomic<size_t> clients_count_{0};
  std::unordered_map<std::string, std::set<uint64_t>> table_;  // key -> readers
};

}  // namespace stash
