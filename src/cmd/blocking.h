// Blocking commands (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP): the clients waiting for keys.
//
// A blocking command runs on the writer like any write. When none of its keys has elements it
// says so (BlockingOp::blocked) instead of replying; the writer then keeps the command here,
// with the connection's callback, and the session sends nothing more until that command's
// reply arrives (Redis blocks the whole client). A key that comes into being (a push to an
// empty list, RENAME, MOVE, COPY, SWAPDB: store::TouchHook::KeyAdded) is "ready"; after every
// command (after an EXEC, after the whole transaction) the writer runs the waiting commands of
// each ready key again, first blocked first, in the same Txn: the pop that serves a client is
// in the WAL batch of the push that fed it, and its reply goes out after that batch commits,
// like any write's. A client is served from the key that became ready, as in Redis 7.0.
//
// Clients leave by being served, by their timeout (the writer sleeps until the next one, so
// idle blocked clients cost nothing), by CLIENT UNBLOCK, or by closing. The last two happen on
// other threads: they only mark the client (Mark), and the writer replies (or not) on its next
// turn, so a client's replies keep their order.
//
// Thread: the writer thread, except the members marked "any thread" (one mutex guards all).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cmd/command.h"
#include "store/collection.h"

namespace stash {

struct CommandEntry;
struct WatchState;

// What a blocking command and the writer tell each other (WriteContext::blocking; null for
// the commands that never block).
struct BlockingOp {
  bool may_block = false;         // in: false inside MULTI/EXEC (the command answers at once)
  bool serving = false;           // in: serving a waiting client (ready_key may be "")
  std::string_view ready_key;     // in: serving: the key that got elements
  bool blocked = false;           // out: the command waits (it replied nothing)
  std::vector<std::string> keys;  // out: the keys it waits on
  int64_t deadline_ms = 0;        // out: wall-clock ms when it times out; 0: never
  // out (optional): the command to run again when a key is ready, instead of the one given
  // (XREAD's `$` becomes the stream's last ID at the time it blocked)
  std::vector<std::string> argv;
};

// Redis's blocking timeout (seconds as a float, getTimeoutFromObjectOrReply): *deadline_ms on
// the wall clock, 0 for "forever" (also for a timeout under a millisecond, as in Redis).
CommandStatus ParseBlockingTimeout(std::string_view arg, int64_t now_ms, int64_t* deadline_ms);
// Whether the command runs to serve a waiting client: then only the ready key is tried.
bool Serving(const WriteContext& c);
// The keys a blocking command tries: its own, or when serving only the ready key (kept in
// *ready).
std::span<const std::string> KeysToTry(const WriteContext& c, std::span<const std::string> keys,
                                       std::string* ready);
// Opens a key a blocking command pops from: *usable when it holds a collection of type. A key
// of another type is WRONGTYPE, except when serving (the client waits on, as in Redis 7.0).
CommandStatus OpenPopSource(WriteContext& c, std::string_view key, store::ValueType type,
                            store::CollectionWrite* w, bool* usable);
// A blocking command found nothing: serving, the client stays blocked; one that may wait
// blocks on keys until deadline_ms; one that may not (inside MULTI) replies null (null_array:
// *-1, else $-1 in RESP2).
CommandStatus WaitForKeys(WriteContext& c, std::span<const std::string> keys, int64_t deadline_ms,
                          bool null_array);

// A client waiting in a blocking command.
struct BlockedClient {
  uint64_t client_id = 0;
  int db = 0;
  int proto = 2;
  std::vector<std::string> argv;  // the blocking command
  CommandEntry* entry = nullptr;
  std::vector<std::string> keys;
  int64_t deadline_ms = 0;
  std::shared_ptr<WatchState> watch;
  std::function<void(std::string reply)> done;  // the connection's: takes the final reply
  // Set (any thread) once the connection is closed: the client is never served after that.
  std::shared_ptr<const std::atomic<bool>> closed;
  enum class Leave { kStay, kTimeout, kError, kClosed } leave = Leave::kStay;
};

class BlockingRegistry {
 public:
  // Keeps c waiting on its keys (FIFO per key); false (c dropped) when its connection has
  // closed meanwhile (a close after Add marks it instead: Mark).
  bool Add(std::unique_ptr<BlockedClient> c);
  // key in db came into being: ready, if anyone waits on it.
  void KeyAdded(int db, std::string_view key);
  // SWAPDB a b: every key waited on in either database is ready (its contents changed).
  void DbSwapped(int a, int b);
  // The next ready key (in the order they became ready); false when none is.
  bool TakeReady(int* db, std::string* key);
  // The clients waiting on key in db, first blocked first (those marked to leave excluded).
  std::vector<BlockedClient*> Waiters(int db, const std::string& key);
  // Takes a client out (served, or leaving); null when it is not here.
  std::unique_ptr<BlockedClient> Remove(BlockedClient* c) { return Remove(c->client_id); }
  std::unique_ptr<BlockedClient> Remove(uint64_t client_id);
  // The clients to take out now: timed out at now_ms, or marked (Mark).
  std::vector<std::unique_ptr<BlockedClient>> TakeLeaving(int64_t now_ms);
  // The earliest deadline (wall-clock ms), 0 when none.
  int64_t NextDeadline() const;

  // Any thread: marks the client to leave (CLIENT UNBLOCK: kTimeout or kError; a closed
  // connection: kClosed). False when it is not waiting (or already leaving).
  bool Mark(uint64_t client_id, BlockedClient::Leave how);
  // Any thread: whether any is marked and not yet taken out.
  bool HasMarked() const { return marked_.load(std::memory_order_acquire) > 0; }
  // Any thread.
  bool IsBlocked(uint64_t client_id) const;
  size_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  using DbKey = std::pair<int, std::string>;
  std::unique_ptr<BlockedClient> RemoveLocked(uint64_t id);

  mutable std::mutex mu_;
  std::map<uint64_t, std::unique_ptr<BlockedClient>> clients_;  // by client id
  std::map<DbKey, std::deque<uint64_t>> waiting_;               // ids, in the order they came
  std::set<std::pair<int64_t, uint64_t>> deadlines_;            // (deadline_ms, id)
  std::deque<DbKey> ready_;
  std::set<DbKey> ready_set_;
  std::atomic<size_t> count_{0};
  std::atomic<size_t> marked_{0};
};

}  // namespace stash
