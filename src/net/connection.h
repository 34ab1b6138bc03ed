// Connection: one client socket. Reads bytes, parses every complete command in them, runs each in
// order, and coalesces the replies into as few writes as possible (pipelining). Output keeps
// flowing while more input is read; reading pauses while too much output is pending.
//
// Threading: a connection lives on one I/O thread (its socket's executor); everything but the
// members marked "any thread" runs there. Other threads (CLIENT LIST/KILL, the server cron) use
// only Describe(), IdleMillis(), OutputBytes() and Kill().
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include "net/asio.h"

#include "cmd/writer.h"
#include "resp/reply_writer.h"
#include "resp/request_parser.h"

namespace stash {

class Server;
struct CommandEntry;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server& server, boost::asio::ip::tcp::socket socket, uint64_t id);
  ~Connection();

  // Any thread: begins reading on the connection's I/O thread.
  void Start();

  // --- state for command handlers (connection thread) ---
  uint64_t id() const { return id_; }
  int db() const { return db_; }
  void SetDb(int db);
  int protocol() const { return writer_.protocol(); }
  void SetProtocol(int proto);
  bool authenticated() const { return authenticated_; }
  void SetAuthenticated(bool yes);
  std::string name() const;
  void SetName(std::string name);
  void SetLibInfo(const std::string& attr, std::string value);  // attr: "lib-name" | "lib-ver"
  void SetLastCommand(const CommandEntry* cmd) { last_cmd_.store(cmd, std::memory_order_relaxed); }
  // Any thread: ends the connection once the replies already produced are written (shutdown).
  void CloseGracefully();
  // The reply in progress is sent, then the connection closes (QUIT, protocol errors).
  void CloseAfterReply() { close_after_reply_ = true; }
  // RESET: back to a fresh connection's state (RESP2, db 0, no name, not authenticated if a
  // password is required).
  void Reset();
  std::string local_address() const { return local_addr_; }
  std::string remote_address() const { return remote_addr_; }

  // --- transactions (connection thread) ---
  bool in_multi() const { return in_multi_; }
  bool multi_error() const { return multi_error_; }
  void BeginMulti();
  // Leaves MULTI, dropping the queued commands, and unwatches (DISCARD, EXECABORT, RESET).
  void DiscardMulti();
  // EXEC: sends the queued commands to the writer as one transaction; the connection waits for
  // its reply. Unwatches.
  void SubmitExec();
  void Unwatch() { watch_.reset(); }

  // --- any thread ---
  // One CLIENT LIST line (without the trailing newline).
  std::string Describe() const;
  int64_t IdleMillis() const;
  size_t OutputBytes() const { return output_bytes_.load(std::memory_order_relaxed); }
  // Closes the connection soon, from any thread (CLIENT KILL, timeout, output limit, shutdown).
  void Kill(const std::string& why);
  // Applies the output-buffer limits soon, from any thread (the cron, for soft limits).
  void CheckOutputLimitSoon();

 private:
  void DoRead();
  void OnRead(const boost::system::error_code& ec, size_t n);
  // Parses and runs every complete command in the parser's buffer. Consecutive write commands
  // travel to the writer as one request; anything after them waits for their replies, so
  // replies keep the order of the commands.
  void ProcessInput();
  // Replies the error Resolve found for the command in argv_ (a refused EXEC also discards).
  void RejectCommand(const std::string& error);
  void AddWrite(CommandEntry* entry);
  void SubmitWrites();
  void Submit(std::unique_ptr<WriteRequest> req);
  void OnWritesDone(std::string replies);
  void RefreshParserLimits();
  bool CheckOutputLimit();
  void MaybeWrite();
  void OnWritten(const boost::system::error_code& ec);
  // Ends the connection once its last reply is with the kernel (QUIT, protocol errors): shuts
  // the write side, then reads and drops input until the client closes or kDrainMillis pass.
  // Closing with unread input would make the kernel reset the connection and drop that reply.
  void CloseAfterDrain();
  void Close();
  void UpdateOutputBytes();

  Server& server_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer drain_timer_;
  const uint64_t id_;
  std::string local_addr_, remote_addr_;
  int fd_ = -1;
  int64_t created_ms_;

  resp::RequestParser parser_;
  std::vector<std::string> argv_;
  std::array<char, 16 * 1024> read_buf_;
  std::string out_;      // replies not yet handed to the socket
  std::string sending_;  // the write in flight
  resp::ReplyWriter writer_{&out_};
  std::unique_ptr<WriteRequest> pending_;  // write commands gathered, not yet submitted
  bool waiting_ = false;                   // a request is at the writer
  bool parser_limits_stale_ = false;       // set by AUTH inside EXEC (on the writer thread)
  bool have_held_ = false;                 // argv_ holds a parsed command not yet run
  std::string held_error_;                 // a protocol error to reply once writes are done
  bool in_multi_ = false;
  bool multi_error_ = false;           // a command failed to queue: EXEC aborts
  std::vector<WriteOp> queued_;        // commands queued since MULTI
  std::shared_ptr<WatchState> watch_;  // keys WATCHed (null: none)
  bool writing_ = false;
  bool reading_ = false;
  bool close_after_reply_ = false;
  bool drain_on_close_ = true;  // false when the server shuts down: idle clients just close
  bool draining_ = false;
  bool closed_ = false;
  int64_t soft_limit_since_ms_ = 0;
  uint64_t limits_generation_ = 0;

  int db_ = 0;
  bool authenticated_ = false;

  mutable std::mutex info_mu_;  // guards the fields below for other threads' readers
  std::string name_, lib_name_, lib_ver_;
  int info_db_ = 0;
  int info_proto_ = 2;

  std::atomic<const CommandEntry*> last_cmd_{nullptr};
  std::atomic<int64_t> last_interaction_ms_;
  std::atomic<size_t> output_bytes_{0};
  std::atomic<size_t> query_bytes_{0};
  std::atomic<int> multi_queued_{-1};  // commands queued since MULTI; -1 outside MULTI
};

}  // namespace stash
