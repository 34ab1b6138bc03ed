// Server: owns the I/O threads, the listeners, the client registry (connections joined to their
// sessions, server/client.h), the command table, the statistics, the store and the writer, and
// the once-every-100-ms cron (idle timeouts, output-buffer soft limits, instantaneous ops/sec).
// It is what commands see as ServerApi. Shutdown (SIGTERM/SIGINT or SHUTDOWN) closes the
// listeners, lets in-flight replies finish, closes every client, then stops the I/O threads.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cmd/command_table.h"
#include "cmd/scan_cursors.h"
#include "cmd/server_api.h"
#include "cmd/stats.h"
#include "cmd/tracking.h"
#include "cmd/writer.h"
#include "config/config.h"
#include "net/asio.h"
#include "net/connection.h"
#include "pubsub/hub.h"
#include "store/store.h"
#include "util/status.h"

namespace stash {

class Server final : public ServerApi {
 public:
  explicit Server(Config& config);
  ~Server() override;

  // Binds every configured address; errors name the address and the reason.
  Status Start();
  // Serves clients until shutdown is complete; returns the process exit code. Call once, after
  // Start(). The data directory is opened (the log replayed) on a thread of its own meanwhile:
  // until it is, the server is loading (Loading()) and commands without the `loading` flag get
  // Redis's -LOADING error. A directory that does not open ends the process with code 1.
  int Run();

  // --- ServerApi (cmd/server_api.h) ---
  Config& config() override { return config_; }
  CommandTable& commands() override { return commands_; }
  ServerStats& stats() override { return stats_; }
  ScanCursorTable& scan_cursors() override { return scan_cursors_; }
  int databases() const override { return databases_; }
  bool Loading() const override { return loading_.load(std::memory_order_acquire); }
  store::Store& store() override { return *store_; }
  Writer& writer() override { return *writer_; }
  store::KeyReader& keys() override;
  bool AuthRequired() const override { return auth_required_.load(std::memory_order_relaxed); }
  bool CheckPassword(const std::string& password) const override;
  RequestLimits Limits() const override;
  uint64_t LimitsGeneration() const override {
    return limits_generation_.load(std::memory_order_acquire);
  }
  std::vector<std::shared_ptr<Session>> Sessions() const override;
  pubsub::Hub& pubsub() override { return hub_; }
  Tracker& tracker() override { return tracker_; }
  uint32_t NotifyFlags() const override { return notify_flags_.load(std::memory_order_relaxed); }
  std::pair<int64_t, int64_t> ZSetListpackLimits() const override {
    return {zset_listpack_entries_.load(std::memory_order_relaxed),
            zset_listpack_value_.load(std::memory_order_relaxed)};
  }
  int ScriptBusy() const override {
    const Writer* w = running_writer_.load(std::memory_order_acquire);
    return w != nullptr ? w->scripts().BusyKind() : 0;
  }
  int64_t BusyReplyThresholdMs() const override {
    return busy_reply_threshold_.load(std::memory_order_relaxed);
  }
  void RequestShutdown(const std::string& reason) override;
  std::string Info(const std::vector<std::string>& sections) override;

  int64_t start_time_ms() const { return start_time_ms_; }
  int port() const { return bound_port_; }
  struct LoadingProgress {
    int64_t start_time_ms;
    uint64_t total_bytes, loaded_bytes;  // of the logs being replayed
  };
  LoadingProgress Progress() const;

  // --- client registry (any thread) ---
  void Unregister(uint64_t id);
  size_t ClientCount() const;
  std::vector<std::shared_ptr<net::Connection>> Connections() const;
  // The output-buffer limits of normal or pubsub clients (they change with CONFIG SET).
  net::OutputLimit OutputLimits(bool pubsub) const;

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
  std::atomic<Writer*> running_writer_{nullptr};  // writer_ once loading is done
  ScanCursorTable scan_cursors_;
  ServerStats stats_;
  pubsub::Hub hub_;
  Tracker tracker_;
  const int64_t start_time_ms_;
  int bound_port_ = 0;
  int databases_ = 16;

  // The I/O contexts outlive main_ctx_: an accept pending there holds a socket of one of them.
  std::vector<std::unique_ptr<boost::asio::io_context>> io_ctxs_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  boost::asio::io_context main_ctx_;  // listeners, signals, cron
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
  std::map<uint64_t, std::weak_ptr<net::Connection>> clients_;
  std::atomic<uint64_t> next_client_id_{1};

  std::atomic<bool> auth_required_{false};
  std::atomic<uint32_t> notify_flags_{0};
  std::atomic<int64_t> zset_listpack_entries_{128};
  std::atomic<int64_t> busy_reply_threshold_{5000};
  std::atomic<int64_t> zset_listpack_value_{64};
  mutable std::mutex limits_mu_;
  RequestLimits limits_{};
  // client-output-buffer-limit normal [0] and pubsub [1]: hard bytes, soft bytes, soft seconds.
  // Atomics because every command of every connection reads them (OutputLimits); a reader racing
  // a CONFIG SET may mix old and new fields of one class for that one check.
  std::atomic<int64_t> output_limits_[2][3] = {};
  std::atomic<uint64_t> limits_generation_{1};
};

}  // namespace stash
