// Server: owns the I/O threads, the listeners, the client registry, the command table, the
// statistics and the once-every-100-ms cron (idle timeouts, output-buffer soft limits,
// instantaneous ops/sec). Shutdown (SIGTERM/SIGINT or SHUTDOWN) closes the listeners, lets
// in-flight replies finish, closes every client, then stops the I/O threads.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include "net/asio.h"

#include "cmd/command_table.h"
#include "cmd/writer.h"
#include "server/config.h"
#include "server/scan_cursors.h"
#include "server/stats.h"
#include "store/store.h"
#include "util/status.h"

namespace stash {

class Connection;

class Server {
 public:
  explicit Server(Config& config);
  ~Server();

  // Binds every configured address; errors name the address and the reason.
  Status Start();
  // Serves clients until shutdown is complete; returns the process exit code. Call once, after
  // Start(). The data directory is opened (the log replayed) on a thread of its own meanwhile:
  // until it is, the server is loading (Loading()) and commands without the `loading` flag get
  // Redis's -LOADING error. A directory that does not open ends the process with code 1.
  int Run();
  // Any thread. Starts an orderly shutdown.
  void RequestShutdown(const std::string& reason);

  Config& config() { return config_; }
  const CommandTable& commands() const { return commands_; }
  ServerStats& stats() { return stats_; }
  int64_t start_time_ms() const { return start_time_ms_; }
  int port() const { return bound_port_; }
  int databases() const { return databases_; }
  // REQUIRES: !Loading().
  store::Store& store() { return *store_; }
  Writer& writer() { return *writer_; }
  // The keyspace for commands: the store, or while loading a reader that fails every read.
  store::KeyReader& keys();
  // Any thread. True until the data directory is open and the writer runs.
  bool Loading() const { return loading_.load(std::memory_order_acquire); }
  struct LoadingProgress {
    int64_t start_time_ms;
    uint64_t total_bytes, loaded_bytes;  // of the logs being replayed
  };
  LoadingProgress Progress() const;
  ScanCursorTable& scan_cursors() { return scan_cursors_; }

  // --- client registry (any thread) ---
  uint64_t NextClientId() { return next_client_id_.fetch_add(1); }
  void Unregister(uint64_t id);
  size_t ClientCount() const;
  std::vector<std::shared_ptr<Connection>> Clients() const;
  // Whether a client must AUTH before other commands (requirepass is set).
  bool AuthRequired() const { return auth_required_.load(std::memory_order_relaxed); }
  bool CheckPassword(const std::string& password) const;

  // Limits the connections read at their next read (changes with CONFIG SET).
  struct ProtoLimits {
    size_t max_bulk_len;
    size_t query_buffer_limit;
    OutputBufferLimit output;
    uint64_t generation;
  };
  ProtoLimits Limits() const;
  uint64_t LimitsGeneration() const { return limits_generation_.load(std::memory_order_acquire); }

 private:
  void Accept(size_t listener);
  void OnAccepted(boost::asio::ip::tcp::socket socket);
  void ScheduleCron();
  void Cron();
  void ApplySettings(const Settings& s);
  boost::asio::io_context& NextIoContext();

  Status OpenStore(const Settings& s);
  // On the main thread once OpenStore has returned s.
  void FinishLoading(const Status& s);

  Config& config_;
  CommandTable commands_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Writer> writer_;
  ScanCursorTable scan_cursors_;
  ServerStats stats_;
  const int64_t start_time_ms_;
  int bound_port_ = 0;
  int databases_ = 16;

  boost::asio::io_context main_ctx_;  // listeners, signals, cron
  std::vector<std::unique_ptr<boost::asio::io_context>> io_ctxs_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  size_t next_ctx_ = 0;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer cron_timer_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> loading_{true};
  std::atomic<int64_t> loading_start_ms_{0};
  std::atomic<uint64_t> loading_total_bytes_{0}, loading_loaded_bytes_{0};
  std::thread loader_;
  int exit_code_ = 0;
  int64_t shutdown_deadline_ms_ = 0;

  mutable std::mutex clients_mu_;
  std::map<uint64_t, std::weak_ptr<Connection>> clients_;
  std::atomic<uint64_t> next_client_id_{1};

  std::atomic<bool> auth_required_{false};
  mutable std::mutex limits_mu_;
  ProtoLimits limits_{};
  std::atomic<uint64_t> limits_generation_{1};
};

int64_t NowMillis();

}  // namespace stash
