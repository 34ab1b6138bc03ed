#include "cmd/blocking.h"

#include <algorithm>
#include <limits>

#include "cmd/errors.h"
#include "cmd/keyspace_util.h"
#include "resp/reply_writer.h"

namespace stash {

CommandStatus ParseBlockingTimeout(std::string_view arg, int64_t now_ms, int64_t* deadline_ms) {
  long double seconds;
  if (!ParseLongDouble(arg, &seconds)) return Fail("ERR timeout is not a float or out of range");
  const long double ms = seconds * 1000.0L;
  // Redis converts to a C long long: out of range that is the smallest one (x86), negative.
  if (!(ms > -9.2e18L && ms < 9.2e18L)) return Fail("ERR timeout is negative");
  const auto t = static_cast<int64_t>(ms);
  if (t < 0) return Fail("ERR timeout is negative");
  if (t > 0 && t > std::numeric_limits<int64_t>::max() - now_ms) {
    return Fail("ERR timeout is out of range");
  }
  *deadline_ms = t == 0 ? 0 : now_ms + t;
  return {};
}

bool Serving(const WriteContext& c) { return c.blocking != nullptr && c.blocking->serving; }

CommandStatus WaitForKeys(WriteContext& c, std::span<const std::string> keys, int64_t deadline_ms,
                          bool null_array) {
  BlockingOp* b = c.blocking;
  if (Serving(c)) {
    b->blocked = true;
    return {};
  }
  if (b == nullptr || !b->may_block) {
    null_array ? c.out.NullArray() : c.out.Null();
    return {};
  }
  b->blocked = true;
  b->keys.assign(keys.begin(), keys.end());
  b->deadline_ms = deadline_ms;
  return {};
}

std::span<const std::string> KeysToTry(const WriteContext& c, std::span<const std::string> keys,
                                       std::string* ready) {
  if (!Serving(c)) return keys;
  ready->assign(c.blocking->ready_key);
  return std::span<const std::string>(ready, 1);
}

CommandStatus OpenPopSource(WriteContext& c, std::string_view key, store::ValueType type,
                            store::CollectionWrite* w, bool* usable) {
  bool wrong_type;
  Status s = store::OpenCollection(c.txn, c.db, key, type, c.now_ms, w, &wrong_type);
  if (!s.ok()) return ReadFailure(s);
  if (wrong_type && !Serving(c)) return Fail(kWrongTypeError);
  *usable = !wrong_type && w->existed;
  return {};
}

bool BlockingRegistry::Add(std::unique_ptr<BlockedClient> c) {
  std::lock_guard<std::mutex> lock(mu_);
  if (c->closed != nullptr && c->closed->load()) return false;
  const uint64_t id = c->client_id;
  for (const std::string& key : c->keys) {
    std::deque<uint64_t>& ids = waiting_[{c->db, key}];
    // A key named twice (BLPOP k k 0) waits once.
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  if (c->deadline_ms != 0) deadlines_.emplace(c->deadline_ms, id);
  clients_[id] = std::move(c);
  count_.store(clients_.size(), std::memory_order_relaxed);
  return true;
}

void BlockingRegistry::KeyAdded(int db, std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (waiting_.empty()) return;
  DbKey k{db, std::string(key)};
  if (!waiting_.contains(k) || ready_set_.contains(k)) return;
  ready_set_.insert(k);
  ready_.push_back(std::move(k));
}

void BlockingRegistry::DbSwapped(int a, int b) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [k, ids] : waiting_) {
    if ((k.first == a || k.first == b) && ready_set_.insert(k).second) ready_.push_back(k);
  }
}

bool BlockingRegistry::TakeReady(int* db, std::string* key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ready_.empty()) return false;
  ready_set_.erase(ready_.front());
  *db = ready_.front().first;
  *key = std::move(ready_.front().second);
  ready_.pop_front();
  return true;
}

std::vector<BlockedClient*> BlockingRegistry::Waiters(int db, const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<BlockedClient*> out;
  auto it = waiting_.find({db, key});
  if (it == waiting_.end()) return out;
  for (uint64_t id : it->second) {
    BlockedClient* c = clients_.at(id).get();
    if (c->leave == BlockedClient::Leave::kStay) out.push_back(c);
  }
  return out;
}

std::unique_ptr<BlockedClient> BlockingRegistry::RemoveLocked(uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return nullptr;
  std::unique_ptr<BlockedClient> c = std::move(it->second);
  clients_.erase(it);
  for (const std::string& key : c->keys) {
    auto w = waiting_.find({c->db, key});
    if (w == waiting_.end()) continue;
    std::erase(w->second, id);
    if (w->second.empty()) waiting_.erase(w);
  }
  if (c->deadline_ms != 0) deadlines_.erase({c->deadline_ms, id});
  if (c->leave != BlockedClient::Leave::kStay) marked_.fetch_sub(1, std::memory_order_acq_rel);
  count_.store(clients_.size(), std::memory_order_relaxed);
  return c;
}

std::unique_ptr<BlockedClient> BlockingRegistry::Remove(uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return RemoveLocked(client_id);
}

std::vector<std::unique_ptr<BlockedClient>> BlockingRegistry::TakeLeaving(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint64_t> ids;
  for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now_ms; ++it) {
    ids.push_back(it->second);
  }
  if (marked_.load(std::memory_order_acquire) > 0) {
    for (const auto& [id, c] : clients_) {
      if (c->leave != BlockedClient::Leave::kStay) ids.push_back(id);
    }
  }
  std::vector<std::unique_ptr<BlockedClient>> out;
  for (uint64_t id : ids) {
    std::unique_ptr<BlockedClient> c = RemoveLocked(id);
    if (c == nullptr) continue;  // listed twice: timed out and marked
    if (c->leave == BlockedClient::Leave::kStay) c->leave = BlockedClient::Leave::kTimeout;
    out.push_back(std::move(c));
  }
  return out;
}

int64_t BlockingRegistry::NextDeadline() const {
  std::lock_guard<std::mutex> lock(mu_);
  return deadlines_.empty() ? 0 : deadlines_.begin()->first;
}

bool BlockingRegistry::Mark(uint64_t client_id, BlockedClient::Leave how) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(client_id);
  if (it == clients_.end() || it->second->leave != BlockedClient::Leave::kStay) return false;
  it->second->leave = how;
  marked_.fetch_add(1, std::memory_order_acq_rel);
  return true;
}

bool BlockingRegistry::IsBlocked(uint64_t client_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(client_id);
  return it != clients_.end() && it->second->leave == BlockedClient::Leave::kStay;
}

}  // namespace stash
