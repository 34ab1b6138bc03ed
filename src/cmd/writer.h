// Writer: the single thread every mutation goes through (docs/architecture.md, "Threads"). It
// drains every pending request from every connection, runs each write command's
// read-modify-write logic in order against one Txn, commits the whole group as one atomic WAL
// batch (one write, at most one fsync), publishes, and only then hands each request its
// replies. Between groups it runs the bounded active-expiry cycle, and, while the engine is in
// its read-only error state (a full disk, a failed fsync), tries DB::Resume once a second, so
// writes come back by themselves once the cause is gone (as Redis retries a failed AOF write).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cmd/blocking.h"
#include "cmd/command.h"
#include "cmd/keyspace_events.h"
#include "cmd/watch.h"
#include "script/engine.h"
#include "store/store.h"
#include "store/txn.h"

namespace stash {

namespace resp {
class ReplyWriter;
}
struct CommandEntry;
struct ServerStats;
class ServerApi;
class Session;

struct WriteOp {
  std::vector<std::string> argv;
  CommandEntry* entry;  // entry->spec->write is the handler
  // Its keys' metadata records, read on the connection's thread when it was queued
  // (Session::AddWrite): the writer uses those nothing has written since.
  std::vector<store::PrefetchedRead> reads = {};
};

struct WriteRequest {
  int db = 0;              // SELECTed database of the connection
  int proto = 2;           // RESP version of the connection
  uint64_t client_id = 0;  // the session's (keyspace events, client-side caching)
  std::vector<WriteOp> ops;
  // The connection's WATCH state: WATCH adds to it; an EXEC whose state is dirty runs nothing.
  std::shared_ptr<WatchState> watch;
  // EXEC: ops are a transaction's queued commands (reads too), replied as one array (or a null
  // array when a watched key changed). session is the waiting session (null in engine tests):
  // connection commands queued in a transaction (SELECT, PING ...) and a script's read commands
  // run against it.
  bool exec = false;
  Session* session = nullptr;
  // Called on the writer thread with the replies of every op, concatenated in order. The
  // callee must move them to its own thread.
  std::function<void(std::string replies)> done;
  // A request whose last op is a blocking command (cmd/blocking.h) that waits: called instead
  // of done with the replies of the ops before it; done follows with that command's reply.
  // Null: a blocking command answers at once, as inside MULTI.
  std::function<void(std::string replies)> blocked;
  // Set once the connection is closed (a blocked client is then never served).
  std::shared_ptr<const std::atomic<bool>> closed;
};

class Writer {
 public:
  // server is needed only to run connection commands queued inside MULTI (null in engine tests).
  Writer(store::Store& store, ServerStats& stats, ServerApi* server = nullptr);
  ~Writer();
  void Start();
  // Finishes the queued requests, then stops the thread.
  void Stop();
  // Any thread.
  void Submit(std::unique_ptr<WriteRequest> request);

  // A group takes whole requests until it holds this many commands.
  static constexpr size_t kMaxGroupOps = 4096;

  // The clients waiting in blocking commands (any thread: IsBlocked, count).
  const BlockingRegistry& blocking() const { return blocking_; }
  // The Lua engine: its counters may be read from any thread.
  const script::Engine& scripts() const { return scripts_; }
  // Any thread: SCRIPT KILL (force: SHUTDOWN) of the running script (script/engine.h).
  script::Engine::KillResult KillScript(bool force, bool function = false) {
    return scripts_.Kill(force, function);
  }
  // Any thread: the blocked client leaves (CLIENT UNBLOCK, a closed connection); the writer
  // replies on its next turn. False when it is not blocked.
  bool Unblock(uint64_t client_id, BlockedClient::Leave how);

 private:
  void Loop();
  // Once a second while the engine refuses writes: DB::Resume, logging the outcome (a still
  // failing disk at most every 30 s).
  void MaybeResume(std::chrono::steady_clock::time_point now);
  void RunGroup(std::vector<std::unique_ptr<WriteRequest>>& group);
  // Loads the function libraries the store holds into the Lua engine (function_commands.cc).
  void LoadFunctions();
  void RunExec(WriteRequest& req, store::Txn& txn, resp::ReplyWriter& out, std::string& replies);
  void RunOp(WriteRequest& req, WriteOp& op, int* db, store::Txn& txn, resp::ReplyWriter& out,
             std::string& replies, BlockingOp* blocking = nullptr);
  // After a command's handler ran: takes its writes back if one of its reads failed (its reply
  // from before on becomes the error), then counts it (Finish).
  void EndOp(store::Txn& txn, CommandEntry& entry, int64_t start, CommandStatus status,
             resp::ReplyWriter& out, std::string& replies, size_t before);

  // A client whose blocking command was served in the running group: its reply goes out
  // after the commit.
  struct Served {
    std::unique_ptr<BlockedClient> client;
    std::string reply;
  };
  // Runs the waiting commands of every ready key (cmd/blocking.h), first blocked first, while
  // the key serves them.
  void ServeReady(store::Txn& txn, std::vector<Served>* served, uint64_t origin);
  // Keeps the blocking command of req (its last op) waiting.
  void Block(WriteRequest& req, BlockingOp& b);
  // Replies to the blocked clients that timed out or were unblocked, and drops those whose
  // connection closed.
  void ReplyLeaving();

  // Before a group or an expiry cycle: the notification classes and the tracking table now.
  void PrepareEvents();
  // After a commit: publishes the events (and EXEC's PUBLISHes) it recorded and sends the
  // invalidations (those a client owes itself to after_reply), or, when it failed, forgets
  // them.
  void AfterCommit(bool committed,
                   const std::function<std::string*(uint64_t origin)>& after_reply = nullptr);

  ServerApi* server_;
  store::Store& store_;
  WatchRegistry watches_;
  BlockingRegistry blocking_;
  script::Engine scripts_;  // Lua scripts run here, on the writer (script_commands.cc)
  std::pair<int64_t, int64_t> zset_listpack_ = {128, 64};  // as of the group (PrepareEvents)
  KeyEvents events_{watches_};  // the Txn's hook: keyspace events, then WATCH
  ServerStats& stats_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<WriteRequest>> queue_;
  bool stopping_ = false;
  std::thread thread_;
  std::chrono::steady_clock::time_point next_resume_{};
  std::chrono::steady_clock::time_point next_resume_warning_{};
  std::chrono::steady_clock::time_point next_expire_warning_{};
};

}  // namespace stash
