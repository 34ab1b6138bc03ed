// Session: one client's state and the order of its commands — what Redis keeps in its client
// struct besides the socket. It parses the bytes its connection reads (RESP), runs each command
// in order, and appends the replies to the connection's output. Consecutive write commands
// travel to the writer as one request; anything after them waits for their replies, so replies
// keep the order of the commands. It also holds the database, the protocol, AUTH, the name, the
// MULTI queue and the WATCH set.
//
// The session knows its connection only through SessionLink (server/client.* joins the two), so
// nothing here knows about sockets.
//
// Threading: a session lives on its connection's I/O thread; everything but the members marked
// "any thread" runs there. Other threads (CLIENT LIST/KILL, the server cron) use only
// Describe(), id() and Kill(). Connection commands queued inside MULTI run on the writer thread
// while the session waits for the EXEC reply.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cmd/subscriptions.h"
#include "cmd/writer.h"
#include "resp/reply_writer.h"
#include "resp/request_parser.h"

namespace stash {

class KeyEvents;
class ServerApi;
struct TrackingOptions;
struct CommandEntry;

// The facts about a connection's transport that CLIENT LIST shows.
struct LinkFacts {
  std::string local_address, remote_address;  // "ip:port"
  int fd = -1;
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  size_t output_bytes = 0;       // replies not yet with the kernel
  size_t read_buffer_bytes = 0;  // the socket read buffer's size
};

// What a session needs from the connection that carries it.
class SessionLink {
 public:
  virtual ~SessionLink() = default;
  // The buffer replies are appended to until the connection writes them. Connection thread.
  virtual std::string& Output() = 0;
  // Applies the output-buffer limits; false when they closed the connection. Connection thread.
  virtual bool CheckOutputLimit() = 0;
  // Writes the output and goes on reading (after a reply that came from the writer).
  // Connection thread.
  virtual void Flush() = 0;
  // The replies already in Output() are sent, then the connection closes. Connection thread.
  virtual void CloseAfterReply() = 0;
  // True once the connection is closing or closed: no further command runs. Connection thread.
  virtual bool Closing() const = 0;
  // Any thread: runs fn on the connection's thread, unless the connection is closed by then.
  virtual void Post(std::function<void()> fn) = 0;
  // Any thread: a reference that keeps the connection, and so this session, alive.
  virtual std::shared_ptr<void> KeepAlive() = 0;
  // Any thread: closes the connection soon.
  virtual void Kill(const std::string& why) = 0;
  // Any thread.
  virtual LinkFacts Facts() const = 0;
  // Any thread: whether the caller runs on the connection's thread.
  virtual bool OnOwnThread() const = 0;
};

class Session {
 public:
  Session(ServerApi& server, SessionLink& link, uint64_t id);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // --- driven by the connection (connection thread) ---
  // Bytes read from the client: parses and runs every complete command they finish.
  void OnInput(const char* data, size_t n);
  // The connection's output went out: runs commands that waited for room (slow readers).
  void OnOutputDrained();
  // Bytes parsed but not yet run (CLIENT LIST's qbuf).
  size_t QueryBytes() const { return query_bytes_.load(std::memory_order_relaxed); }
  // The connection closed: leaves every Pub/Sub subscription and stops tracking.
  void OnClose();

  // --- state for command handlers (connection thread, or the writer inside EXEC) ---
  uint64_t id() const { return id_; }
  int db() const { return db_; }
  void SetDb(int db);
  int protocol() const { return out_.protocol(); }
  void SetProtocol(int proto);
  bool authenticated() const { return authenticated_; }
  void SetAuthenticated(bool yes);
  std::string name() const;
  void SetName(std::string name);
  void SetLibInfo(const std::string& attr, std::string value);  // attr: "lib-name" | "lib-ver"
  void SetLastCommand(const CommandEntry* cmd) { last_cmd_.store(cmd, std::memory_order_relaxed); }
  // The reply in progress is sent, then the connection closes (QUIT, CLIENT KILL of itself).
  void CloseAfterReply() { link_.CloseAfterReply(); }
  // Lazy expiry: the running read found key past its TTL. Once the command has run, its reply
  // waits while the writer reclaims the key (publishing "expired", as Redis does on access).
  void NoteExpiredRead(std::string_view key);
  // Whether key was just noted expired; if so its keymiss event goes out with the reclaim.
  bool TakeKeyMiss(std::string_view key);
  // RESET: back to a fresh connection's state (RESP2, db 0, no name, not authenticated if a
  // password is required).
  void Reset();
  std::string local_address() const { return link_.Facts().local_address; }
  std::string remote_address() const { return link_.Facts().remote_address; }

  // Pub/Sub: the channels, patterns and shard channels subscribed to (cmd/subscriptions.h).
  Subscriptions& subscriptions() { return subscriptions_; }
  const Subscriptions& subscriptions() const { return subscriptions_; }
  // RESP2 with a subscription: only the Pub/Sub commands, PING, QUIT and RESET may run.
  bool InPubSubContext() const { return protocol() == 2 && subscriptions_.active(); }

  // Client-side caching (cmd/tracking.h): CLIENT TRACKING ON (Redis's error text or "") / OFF.
  std::string EnableTracking(const TrackingOptions& options,
                             const std::shared_ptr<Mailbox>& redirect);
  void DisableTracking();
  // CLIENT CACHING YES/NO: the next command (or transaction) reads under it.
  void SetCachingGiven(bool given) { caching_given_ = given; }
  bool caching_given() const { return caching_given_; }
  // After a read-only command ran: the keys it read are remembered for invalidation when the
  // client tracks them. Inside EXEC (events: the writer's) they are remembered in order with
  // the group's writes.
  void TrackReads(const CommandEntry& entry, const std::vector<std::string>& argv,
                  KeyEvents* events = nullptr);

  // --- transactions ---
  bool in_multi() const { return in_multi_; }
  bool multi_error() const { return multi_error_; }
  void BeginMulti();
  // Leaves MULTI, dropping the queued commands, and unwatches (DISCARD, EXECABORT, RESET).
  void DiscardMulti();
  // EXEC: sends the queued commands to the writer as one transaction; the session waits for
  // its reply. Unwatches.
  void SubmitExec();
  void Unwatch() { watch_.reset(); }

  // --- any thread ---
  // One CLIENT LIST line (without the trailing newline).
  std::string Describe() const;
  // Closes the connection soon (CLIENT KILL).
  void Kill(const std::string& why) { link_.Kill(why); }

 private:
  void ProcessInput();
  // Replies the error a command was refused with (a refused EXEC also ends the transaction).
  void Refuse(CommandEntry* entry, const std::string& error);
  // Inside MULTI: queues the command, or refuses it (error: what Resolve found).
  void Queue(CommandEntry* entry, const std::string& error);
  void AddWrite(CommandEntry* entry);
  // Reads op's keys' records ahead for the writer (WriteOp::reads).
  void Prefetch(WriteOp& op);
  void SubmitWrites();
  void Submit(std::unique_ptr<WriteRequest> req);
  void OnWritesDone(std::string replies);
  // The request's last command blocks: the replies before it (cmd/blocking.h).
  void OnBlocked(std::string replies);
  // After a read that noted expired keys: holds the reply output from mark on, and sends the
  // keys to the writer to be reclaimed.
  void ReclaimExpiredReads(size_t mark);
  // After a command was run, queued, refused or gathered for the writer.
  void AfterCommand(const CommandEntry* entry);
  void RefreshParserLimits();

  ServerApi& server_;
  SessionLink& link_;
  const uint64_t id_;

  resp::RequestParser parser_;
  std::vector<std::string> argv_;
  resp::ReplyWriter out_;                  // writes into link_.Output()
  std::unique_ptr<WriteRequest> pending_;  // write commands gathered, not yet submitted
  bool waiting_ = false;                   // a request is at the writer
  bool parser_limits_stale_ = false;       // set by AUTH inside EXEC (on the writer thread)
  bool have_held_ = false;                 // argv_ holds a parsed command not yet run
  std::string held_error_;                 // a protocol error to reply once writes are done
  bool in_multi_ = false;
  bool multi_error_ = false;           // a command failed to queue: EXEC aborts
  std::vector<WriteOp> queued_;        // commands queued since MULTI
  std::shared_ptr<WatchState> watch_;  // keys WATCHed (null: none)
  uint64_t limits_generation_ = 0;
  struct ExpiredRead {
    std::string key;
    bool keymiss = false;
  };
  std::vector<ExpiredRead> expired_reads_;  // noted by the running read
  std::string held_reply_;                  // a read's reply waiting for its reclaim
  bool reclaiming_ = false;                 // the request at the writer is a reclaim
  // Set when the connection closes: a blocked command of this session is never served then.
  std::shared_ptr<std::atomic<bool>> closed_ = std::make_shared<std::atomic<bool>>(false);
  // A read that noted expired keys: its keys are remembered once the reclaim is done (the
  // reclaim's invalidation must not forget them, as in Redis).
  const CommandEntry* reclaim_read_ = nullptr;
  std::vector<std::string> reclaim_argv_;
  bool caching_given_ = false;         // CLIENT CACHING, for the next command
  std::atomic<bool> tracking_{false};  // CLIENT TRACKING ON (any thread: Describe)

  int db_ = 0;
  bool authenticated_ = false;

  mutable std::mutex info_mu_;  // guards the fields below for other threads' readers
  std::string name_, lib_name_, lib_ver_;
  int info_db_ = 0;
  int info_proto_ = 2;

  std::atomic<const CommandEntry*> last_cmd_{nullptr};
  std::atomic<size_t> query_bytes_{0};
  std::atomic<int> multi_queued_{-1};  // commands queued since MULTI; -1 outside MULTI

  Subscriptions subscriptions_;  // last: it leaves the hub before the rest goes
};

}  // namespace stash
