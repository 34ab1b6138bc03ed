// Connection: one client socket and its buffers. It reads bytes and hands them to its Handler,
// writes the output the handler produced with as few writes as possible, pauses reading while
// too much output is pending, enforces the output-buffer limits, and closes gracefully (the last
// reply reaches the client before the close). It knows nothing about commands or RESP: the
// handler (server/client.* joins it to a cmd::Session) does.
//
// Threading: a connection lives on one I/O thread (its socket's executor); everything but the
// members marked "any thread" runs there.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "net/asio.h"

namespace stash::net {

// Output-buffer limits (Redis's client-output-buffer-limit for normal clients). 0: no limit.
struct OutputLimit {
  int64_t hard_bytes = 0;
  int64_t soft_bytes = 0;
  int64_t soft_seconds = 0;
};

// Counters a connection adds to (owned by the server; any may be null).
struct Counters {
  std::atomic<uint64_t>* input_bytes = nullptr;
  std::atomic<uint64_t>* output_bytes = nullptr;
  std::atomic<uint64_t>* output_limit_disconnections = nullptr;
};

class Connection;

// What a connection drives. All calls come on the connection's thread.
class Handler {
 public:
  virtual ~Handler() = default;
  // Bytes arrived. The handler appends what it replies to conn.output().
  virtual void OnInput(const char* data, size_t n) = 0;
  // Every pending output went to the kernel: input held back for a slow reader may run now.
  virtual void OnOutputDrained() = 0;
  // The connection closed (once).
  virtual void OnClose() = 0;
  // Whether the client is in the pubsub class of output-buffer limits (it subscribes).
  virtual bool PubSubClass() const { return false; }
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // limits is called whenever the limits are checked (they change with CONFIG SET), with whether
  // the client is in the pubsub class (Handler::PubSubClass).
  Connection(boost::asio::ip::tcp::socket socket, uint64_t id,
             std::function<OutputLimit(bool pubsub)> limits, Counters counters);
  ~Connection();

  // Before Start: the handler the connection drives (owned by the connection).
  void SetHandler(std::unique_ptr<Handler> handler) { handler_ = std::move(handler); }
  Handler* handler() const { return handler_.get(); }
  // Before Start: TCP keepalive probes after idle_seconds without traffic.
  void SetKeepAlive(int idle_seconds);
  // Any thread: begins reading on the connection's I/O thread.
  void Start();

  // --- the connection's thread ---
  // Output not yet handed to the socket; the handler appends to it.
  std::string& output() { return out_; }
  // Applies the output-buffer limits; false when they closed the connection.
  bool CheckOutputLimit();
  // Writes the output and reads on (after output produced outside OnInput).
  void Flush();
  // The output already produced is sent, then the connection closes (QUIT, protocol errors).
  void CloseAfterReply();
  // True once closing (CloseAfterReply) or closed.
  bool closing() const { return close_after_reply_ || closed_; }
  bool closed() const { return closed_; }

  // --- any thread ---
  uint64_t id() const { return id_; }
  const std::string& local_address() const { return local_addr_; }
  const std::string& remote_address() const { return remote_addr_; }
  int fd() const { return fd_; }
  int64_t created_ms() const { return created_ms_; }
  int64_t last_interaction_ms() const {
    return last_interaction_ms_.load(std::memory_order_relaxed);
  }
  int64_t IdleMillis() const;
  // Whether the caller runs on the connection's thread.
  bool OnOwnThread() const {
    return thread_.load(std::memory_order_relaxed) == std::this_thread::get_id();
  }
  size_t OutputBytes() const { return output_bytes_.load(std::memory_order_relaxed); }
  static constexpr size_t kReadBufferBytes = 16 * 1024;
  // Runs fn on the connection's thread unless the connection is closed by then.
  void Post(std::function<void()> fn);
  // Closes the connection soon (CLIENT KILL, timeout, shutdown).
  void Kill(const std::string& why);
  // Closes the connection if it is still idle for more than max_idle_ms once its thread gets
  // to it (the `timeout` check of the server's cron).
  void KillIfIdle(int64_t max_idle_ms);
  // Ends the connection once the output already produced is written (shutdown).
  void CloseGracefully();
  // Applies the output-buffer limits soon (the cron, for soft limits).
  void CheckOutputLimitSoon();

  // An output buffer above this size is given back once the connection has nothing to send.
  static constexpr size_t kKeepBufferBytes = 1 << 20;
  // Reading pauses while more than this much output waits for a slow client.
  static constexpr size_t kPauseReadingBytes = 4 << 20;
  // How long a closing connection waits for its client to stop sending (see CloseAfterDrain).
  static constexpr int kDrainMillis = 1000;

 private:
  void DoRead();
  void OnRead(const boost::system::error_code& ec, size_t n);
  void MaybeWrite();
  void OnWritten(const boost::system::error_code& ec);
  // Ends the connection once its last reply is with the kernel (QUIT, protocol errors): shuts
  // the write side, then reads and drops input until the client closes or kDrainMillis pass.
  // Closing with unread input would make the kernel reset the connection and drop that reply.
  void CloseAfterDrain();
  void Close();
  void UpdateOutputBytes();
  static void Add(std::atomic<uint64_t>* counter, uint64_t n);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer drain_timer_;
  const uint64_t id_;
  std::function<OutputLimit(bool pubsub)> limits_;
  Counters counters_;
  std::unique_ptr<Handler> handler_;
  std::string local_addr_, remote_addr_;
  int fd_ = -1;
  int64_t created_ms_;

  std::array<char, kReadBufferBytes> read_buf_;
  std::string out_;      // output not yet handed to the socket
  std::string sending_;  // the write in flight
  bool writing_ = false;
  bool reading_ = false;
  bool close_after_reply_ = false;
  bool drain_on_close_ = true;  // false when the server shuts down: idle clients just close
  bool draining_ = false;
  bool closed_ = false;
  int64_t soft_limit_since_ms_ = 0;

  std::atomic<int64_t> last_interaction_ms_;
  std::atomic<std::thread::id> thread_{};  // the I/O thread, from Start on
  std::atomic<size_t> output_bytes_{0};
};

}  // namespace stash::net
