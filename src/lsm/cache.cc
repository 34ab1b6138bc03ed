// The sharded LRU cache. Each shard keeps its entries in a hash map and on one of two circular
// lists: `lru_` holds cached entries nobody pins (oldest first; eviction takes from the front),
// `in_use_` holds cached entries with outstanding handles. An entry's reference count is the
// number of handles plus one while it is in the cache; it is freed when the count drops to zero.
// Deleters run after the shard's mutex is released.
#include "lsm/cache.h"

#include <atomic>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace stash {

struct Cache::Handle {};

Cache::~Cache() = default;

namespace {

// The hash of a cache key. The engine's keys are 8 bytes (a table number) or 16 (a table's id
// and a block offset): those are mixed from two word loads, a fraction of std::hash's cost on a
// path every point read takes twice.
struct KeyHash {
  size_t operator()(std::string_view key) const {
    if (key.size() != 8 && key.size() != 16) return std::hash<std::string_view>{}(key);
    uint64_t a;
    uint64_t b = 0;
    std::memcpy(&a, key.data(), 8);
    if (key.size() == 16) std::memcpy(&b, key.data() + 8, 8);
    uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

class LRUShard;

struct LRUEntry : Cache::Handle {
  LRUShard* shard = nullptr;  // where it lives: Release needs no hash
  void* value = nullptr;
  void (*deleter)(std::string_view key, void* value) = nullptr;
  size_t charge = 0;
  uint32_t refs = 0;
  bool in_cache = false;
  LRUEntry* prev = nullptr;
  LRUEntry* next = nullptr;  // also chains entries waiting to be freed
  std::string key;
};

void ListRemove(LRUEntry* e) {
  e->next->prev = e->prev;
  e->prev->next = e->next;
}

// Inserts e just before head: the newest position.
void ListAppend(LRUEntry* head, LRUEntry* e) {
  e->next = head;
  e->prev = head->prev;
  e->prev->next = e;
  e->next->prev = e;
}

// Runs the deleters of a chain of unreferenced entries. Called without any lock held.
void FreeChain(LRUEntry* chain) {
  while (chain != nullptr) {
    LRUEntry* next = chain->next;
    chain->deleter(chain->key, chain->value);
    delete chain;
    chain = next;
  }
}

class LRUShard {
 public:
  LRUShard() {
    lru_.next = lru_.prev = &lru_;
    in_use_.next = in_use_.prev = &in_use_;
  }
  LRUShard(const LRUShard&) = delete;
  LRUShard& operator=(const LRUShard&) = delete;

  ~LRUShard() {
    assert(in_use_.next == &in_use_);  // REQUIRES of ~Cache: no outstanding handles
    LRUEntry* garbage = nullptr;
    while (lru_.next != &lru_) {
      LRUEntry* e = lru_.next;
      ListRemove(e);
      e->next = garbage;
      garbage = e;
    }
    FreeChain(garbage);
  }

  // Evicts unpinned entries down to the new capacity at once.
  void SetCapacity(size_t capacity) {
    LRUEntry* garbage = nullptr;
    {
      std::lock_guard lock(mu_);
      capacity_ = capacity;
      EvictToCapacity(&garbage);
    }
    FreeChain(garbage);
  }

  LRUEntry* Insert(std::string_view key, void* value, size_t charge,
                   void (*deleter)(std::string_view, void*)) {
    auto* e = new LRUEntry;
    e->shard = this;
    e->value = value;
    e->deleter = deleter;
    e->charge = charge;
    e->refs = 2;  // the cache's and the returned handle's
    e->in_cache = true;
    e->key.assign(key);
    LRUEntry* garbage = nullptr;
    {
      std::lock_guard lock(mu_);
      ListAppend(&in_use_, e);
      usage_ += charge;
      auto it = table_.find(key);
      if (it != table_.end()) {
        LRUEntry* old = it->second;
        auto node = table_.extract(it);
        node.key() = e->key;
        node.mapped() = e;
        table_.insert(std::move(node));
        RemoveFromCache(old, &garbage);
      } else {
        table_.emplace(e->key, e);
      }
      EvictToCapacity(&garbage);
    }
    FreeChain(garbage);
    return e;
  }

  LRUEntry* Lookup(std::string_view key) {
    std::lock_guard lock(mu_);
    auto it = table_.find(key);
    if (it == table_.end()) {
      misses_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    hits_.fetch_add(1, std::memory_order_relaxed);
    LRUEntry* e = it->second;
    if (e->refs == 1) {  // unpinned until now: leaves the LRU list
      ListRemove(e);
      ListAppend(&in_use_, e);
    }
    e->refs++;
    return e;
  }

  void Release(LRUEntry* e) {
    LRUEntry* garbage = nullptr;
    {
      std::lock_guard lock(mu_);
      Unref(e, &garbage);
      EvictToCapacity(&garbage);
    }
    FreeChain(garbage);
  }

  void Erase(std::string_view key) {
    LRUEntry* garbage = nullptr;
    {
      std::lock_guard lock(mu_);
      auto it = table_.find(key);
      if (it == table_.end()) return;
      LRUEntry* e = it->second;
      table_.erase(it);
      RemoveFromCache(e, &garbage);
    }
    FreeChain(garbage);
  }

  size_t TotalCharge() const {
    std::lock_guard lock(mu_);
    return usage_;
  }
  uint64_t Hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t Misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  // REQUIRES: mu_ held. Entries whose count drops to zero are chained onto *garbage.
  void Unref(LRUEntry* e, LRUEntry** garbage) {
    assert(e->refs > 0);
    e->refs--;
    if (e->refs == 0) {
      e->next = *garbage;
      *garbage = e;
    } else if (e->in_cache && e->refs == 1) {  // the last handle went away: evictable again
      ListRemove(e);
      ListAppend(&lru_, e);
    }
  }

  // REQUIRES: mu_ held; e is in the cache and no longer in table_.
  void RemoveFromCache(LRUEntry* e, LRUEntry** garbage) {
    ListRemove(e);
    e->in_cache = false;
    usage_ -= e->charge;
    Unref(e, garbage);
  }

  // REQUIRES: mu_ held.
  void EvictToCapacity(LRUEntry** garbage) {
    while (usage_ > capacity_ && lru_.next != &lru_) {
      LRUEntry* oldest = lru_.next;
      table_.erase(oldest->key);
      RemoveFromCache(oldest, garbage);
    }
  }

  size_t capacity_ = 0;
  mutable std::mutex mu_;
  // Guarded by mu_. lru_ and in_use_ are dummy list heads; table_'s keys view LRUEntry::key.
  size_t usage_ = 0;
  LRUEntry lru_;
  LRUEntry in_use_;
  std::unordered_map<std::string_view, LRUEntry*, KeyHash> table_;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

class ShardedLRUCache final : public Cache {
 public:
  ShardedLRUCache(size_t capacity, int num_shard_bits)
      : shard_bits_(num_shard_bits), shards_(size_t{1} << num_shard_bits) {
    SetCapacity(capacity);
  }

  void SetCapacity(size_t capacity) override {
    const size_t per_shard = (capacity + shards_.size() - 1) / shards_.size();
    for (LRUShard& shard : shards_) shard.SetCapacity(per_shard);
    capacity_.store(capacity, std::memory_order_relaxed);
  }
  size_t Capacity() const override { return capacity_.load(std::memory_order_relaxed); }

  Handle* Insert(std::string_view key, void* value, size_t charge,
                 void (*deleter)(std::string_view, void*)) override {
    return ShardOf(key).Insert(key, value, charge, deleter);
  }
  Handle* Lookup(std::string_view key) override { return ShardOf(key).Lookup(key); }
  void Release(Handle* handle) override {
    auto* e = static_cast<LRUEntry*>(handle);
    e->shard->Release(e);
  }
  void* Value(Handle* handle) override { return static_cast<LRUEntry*>(handle)->value; }
  void Erase(std::string_view key) override { ShardOf(key).Erase(key); }
  uint64_t NewId() override { return last_id_.fetch_add(1, std::memory_order_relaxed) + 1; }

  size_t TotalCharge() const override {
    size_t total = 0;
    for (const LRUShard& shard : shards_) total += shard.TotalCharge();
    return total;
  }
  uint64_t Hits() const override {
    uint64_t total = 0;
    for (const LRUShard& shard : shards_) total += shard.Hits();
    return total;
  }
  uint64_t Misses() const override {
    uint64_t total = 0;
    for (const LRUShard& shard : shards_) total += shard.Misses();
    return total;
  }

 private:
  LRUShard& ShardOf(std::string_view key) {
    if (shard_bits_ == 0) return shards_[0];
    const uint64_t hash = KeyHash{}(key);
    return shards_[hash >> (64 - shard_bits_)];
  }

  const int shard_bits_;
  std::vector<LRUShard> shards_;
  std::atomic<uint64_t> last_id_{0};
  std::atomic<size_t> capacity_{0};
};

}  // namespace

std::unique_ptr<Cache> NewLRUCache(size_t capacity_bytes) { return NewLRUCache(capacity_bytes, 4); }

std::unique_ptr<Cache> NewLRUCache(size_t capacity_bytes, int num_shard_bits) {
  assert(num_shard_bits >= 0 && num_shard_bits <= 8);
  return std::make_unique<ShardedLRUCache>(capacity_bytes, num_shard_bits);
}

}  // namespace stash
