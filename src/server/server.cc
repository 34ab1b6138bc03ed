#include "server/server.h"

#include <fmt/format.h>

#include <chrono>

#include "config/engine_memory.h"
#include "server/client.h"
#include "server/info.h"
#include "server/open_files.h"
#include "util/clock.h"
#include "util/log.h"

namespace stash {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr int kCronMillis = 100;
constexpr int64_t kShutdownGraceMillis = 2000;
}  // namespace

Server::Server(Config& config)
    : config_(config),
      start_time_ms_(NowMs()),
      signals_(main_ctx_, SIGINT, SIGTERM),
      cron_timer_(main_ctx_) {
  Settings s = config_.Snapshot();
  databases_ = static_cast<int>(s.databases);
  ApplySettings(s);
  config_.OnChange([this](const std::string& name, const Settings& after) {
    if (name == "loglevel") {
      log::Level level;
      if (log::ParseLevel(after.loglevel, &level)) log::SetLevel(level);
    }
    if (name == "maxclients") RaiseOpenFilesLimitForClients(after);
    ApplySettings(after);
  });
}

Server::~Server() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void Server::ApplySettings(const Settings& s) {
  auth_required_.store(!s.requirepass.empty());
  notify_flags_.store(s.notify_keyspace_events, std::memory_order_relaxed);
  zset_listpack_entries_.store(s.zset_max_listpack_entries, std::memory_order_relaxed);
  zset_listpack_value_.store(s.zset_max_listpack_value, std::memory_order_relaxed);
  busy_reply_threshold_.store(s.busy_reply_threshold, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(limits_mu_);
  limits_.max_bulk_len = static_cast<size_t>(s.proto_max_bulk_len);
  limits_.query_buffer_limit = static_cast<size_t>(s.client_query_buffer_limit);
  int c = 0;
  for (const auto* l : {&s.output_limit_normal, &s.output_limit_pubsub}) {
    output_limits_[c][0].store(l->hard_bytes, std::memory_order_relaxed);
    output_limits_[c][1].store(l->soft_bytes, std::memory_order_relaxed);
    output_limits_[c][2].store(l->soft_seconds, std::memory_order_relaxed);
    c++;
  }
  limits_.generation = limits_generation_.fetch_add(1) + 1;
}

RequestLimits Server::Limits() const {
  std::lock_guard<std::mutex> lock(limits_mu_);
  return limits_;
}

net::OutputLimit Server::OutputLimits(bool pubsub) const {
  const auto& l = output_limits_[pubsub ? 1 : 0];
  return {l[0].load(std::memory_order_relaxed), l[1].load(std::memory_order_relaxed),
          l[2].load(std::memory_order_relaxed)};
}

std::string Server::Info(const std::vector<std::string>& sections) {
  return BuildInfo(*this, sections);
}

bool Server::CheckPassword(const std::string& password) const {
  return config_.Snapshot().requirepass == password;
}

Status Server::OpenStore(const Settings& s) {
  Options o;
  const EngineMemory memory = ResolveEngineMemory(s);
  o.memtable_size = memory.memtable_size;
  o.max_immutable_memtables = memory.max_immutable_memtables;
  o.block_cache_size = memory.block_cache_size;
  o.block_cache_includes_tables = memory.block_cache_includes_tables;
  o.block_size = static_cast<size_t>(s.lsm_block_size);
  o.compression = s.lsm_compression == "none" ? TableOptions::Compression::kNone
                                              : TableOptions::Compression::kZstd;
  o.compression_level = static_cast<int>(s.lsm_compression_level);
  o.compression_min_level = static_cast<int>(s.lsm_compression_min_level);
  o.bloom_bits_per_key = static_cast<int>(s.lsm_bloom_bits_per_key);
  o.max_open_files = static_cast<int>(s.lsm_max_open_files);
  o.target_file_size = static_cast<uint64_t>(s.lsm_target_file_size);
  o.max_bytes_for_level_base = static_cast<uint64_t>(s.lsm_l1_size);
  o.reclaim_bytes_per_second = static_cast<uint64_t>(s.lsm_reclaim_rate);
  o.appendfsync = s.appendfsync == "always" ? AppendFsync::kAlways
                  : s.appendfsync == "no"   ? AppendFsync::kNo
                                            : AppendFsync::kEverySec;
  o.wal_recovery = s.lsm_wal_recovery == "point-in-time" ? wal::RecoveryMode::kPointInTime
                                                         : wal::RecoveryMode::kStrict;
  o.info_log = [](std::string_view msg) { log::Notice("{}", msg); };
  o.replay_progress = [this](uint64_t done, uint64_t total) {
    loading_total_bytes_.store(total, std::memory_order_relaxed);
    loading_loaded_bytes_.store(done, std::memory_order_relaxed);
  };
  int64_t start = NowMs();
  loading_start_ms_.store(start);
  STASH_RETURN_IF_ERROR(store::Store::Open(o, s.dir, static_cast<int>(s.databases), &store_));
  log::Notice("DB loaded from disk: {:.3f} seconds", (NowMs() - start) / 1000.0);
  writer_ = std::make_unique<Writer>(*store_, stats_, this);
  writer_->Start();
  running_writer_.store(writer_.get(), std::memory_order_release);
  return Status::OK();
}

Status Server::Start() {
  Settings s = config_.Snapshot();
  for (const std::string& addr : s.bind) {
    error_code ec;
    // Redis accepts a leading '-' meaning "skip if unavailable"; StashDB binds it the same way.
    bool optional = !addr.empty() && addr[0] == '-';
    std::string host = optional ? addr.substr(1) : addr;
    if (host == "*") host = "0.0.0.0";
    auto ip = asio::ip::make_address(host, ec);
    if (ec) return Status::InvalidArgument(fmt::format("bad bind address '{}'", addr));
    auto acceptor = std::make_unique<tcp::acceptor>(main_ctx_);
    tcp::endpoint ep(ip, static_cast<unsigned short>(s.port));
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(511, ec);
    if (ec) {
      if (optional) continue;
      return Status::IOError(fmt::format("Could not create server TCP listening socket {}:{}: {}",
                                         host, s.port, ec.message()));
    }
    bound_port_ = acceptor->local_endpoint().port();
    acceptors_.push_back(std::move(acceptor));
  }
  if (acceptors_.empty()) return Status::IOError("no address to listen on");
  for (int64_t i = 0; i < s.io_threads; i++) {
    io_ctxs_.push_back(std::make_unique<asio::io_context>(1));
    work_.push_back(asio::make_work_guard(*io_ctxs_.back()));
  }
  for (size_t i = 0; i < acceptors_.size(); i++) Accept(i);
  signals_.async_wait([this](const error_code& ec, int sig) {
    if (!ec) RequestShutdown(sig == SIGINT ? "Received SIGINT" : "Received SIGTERM");
  });
  ScheduleCron();
  return Status::OK();
}

asio::io_context& Server::NextIoContext() {
  asio::io_context& ctx = *io_ctxs_[next_ctx_];
  next_ctx_ = (next_ctx_ + 1) % io_ctxs_.size();
  return ctx;
}

void Server::Accept(size_t listener) {
  acceptors_[listener]->async_accept(
      NextIoContext(), [this, listener](const error_code& ec, tcp::socket socket) {
        if (shutting_down_) return;
        if (!ec)
          OnAccepted(std::move(socket));
        else if (ec != asio::error::operation_aborted)
          log::Warning("Accepting client connection: {}", ec.message());
        Accept(listener);
      });
}

void Server::OnAccepted(tcp::socket socket) {
  stats_.total_connections_received.fetch_add(1, std::memory_order_relaxed);
  Settings s = config_.Snapshot();
  if (static_cast<int64_t>(ClientCount()) >= s.maxclients) {
    stats_.rejected_connections.fetch_add(1, std::memory_order_relaxed);
    // Like Redis: a best-effort error written straight to the socket, then close.
    static const std::string kMsg = "-ERR max number of clients reached\r\n";
    error_code ec;
    socket.non_blocking(true, ec);
    asio::write(socket, asio::buffer(kMsg), ec);
    socket.close(ec);
    return;
  }
  net::Counters counters{&stats_.net_input_bytes, &stats_.net_output_bytes,
                         &stats_.client_output_limit_disconnections};
  auto conn = std::make_shared<net::Connection>(
      std::move(socket), next_client_id_.fetch_add(1),
      [this](bool pubsub) { return OutputLimits(pubsub); }, counters);
  if (s.tcp_keepalive > 0) {
    conn->SetKeepAlive(static_cast<int>(s.tcp_keepalive));
  }
  conn->SetHandler(std::make_unique<Client>(*this, *conn));
  {
    std::lock_guard<std::mutex> lock(clients_mu_);
    clients_[conn->id()] = conn;
  }
  log::Verbose("Accepted {}", conn->remote_address());
  conn->Start();
}

void Server::Unregister(uint64_t id) {
  std::lock_guard<std::mutex> lock(clients_mu_);
  clients_.erase(id);
}

size_t Server::ClientCount() const {
  std::lock_guard<std::mutex> lock(clients_mu_);
  return clients_.size();
}

std::vector<std::shared_ptr<net::Connection>> Server::Connections() const {
  std::vector<std::shared_ptr<net::Connection>> out;
  std::lock_guard<std::mutex> lock(clients_mu_);
  for (auto& [id, weak] : clients_) {
    if (auto c = weak.lock()) out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::shared_ptr<Session>> Server::Sessions() const {
  std::vector<std::shared_ptr<Session>> out;
  for (auto& conn : Connections()) {
    // The session lives in the connection's handler: the pointer shares the connection's life.
    Session* session = &static_cast<Client*>(conn->handler())->session();
    out.push_back(std::shared_ptr<Session>(conn, session));
  }
  return out;
}

void Server::ScheduleCron() {
  cron_timer_.expires_after(std::chrono::milliseconds(kCronMillis));
  cron_timer_.async_wait([this](const error_code& ec) {
    if (ec) return;
    Cron();
    ScheduleCron();
  });
}

void Server::Cron() {
  int64_t now = NowMs();
  stats_.RecordOpsSample(now);
  if (shutting_down_) {
    if (ClientCount() == 0 || now >= shutdown_deadline_ms_) {
      for (auto& c : Connections()) c->Kill("shutdown");
      for (auto& w : work_) w.reset();
      cron_timer_.cancel();
      signals_.cancel();
      main_ctx_.stop();
    }
    return;
  }
  Settings s = config_.Snapshot();
  if (s.timeout > 0) {
    for (auto& c : Connections()) {
      if (c->IdleMillis() > s.timeout * 1000) c->KillIfIdle(s.timeout * 1000);
    }
  }
  // A client stuck above the soft output limit may have no read or write completing that would
  // notice its soft seconds running out: the cron looks for it.
  // Whichever class a client is in, the smaller soft limit finds it.
  int64_t soft = 0;
  for (int64_t b : {s.output_limit_normal.soft_bytes, s.output_limit_pubsub.soft_bytes}) {
    if (b > 0 && (soft == 0 || b < soft)) soft = b;
  }
  if (soft > 0) {
    for (auto& c : Connections()) {
      if (c->OutputBytes() > static_cast<size_t>(soft)) c->CheckOutputLimitSoon();
    }
  }
}

void Server::RequestShutdown(const std::string& reason) {
  // A script still running would hold the writer, and so the shutdown, forever: it is stopped.
  if (Writer* w = running_writer_.load(std::memory_order_acquire)) w->KillScript(true);
  asio::post(main_ctx_, [this, reason] {
    if (shutting_down_.exchange(true)) return;
    log::Warning("{}, shutting down...", reason);
    for (auto& a : acceptors_) {
      error_code ec;
      a->close(ec);
    }
    shutdown_deadline_ms_ = NowMs() + kShutdownGraceMillis;
    for (auto& c : Connections()) c->CloseGracefully();
  });
}

namespace {

// What commands read while the data directory is still loading: only commands with the
// `loading` flag run then, and none of them reads keys; any that did would get this error.
class LoadingKeyReader final : public store::KeyReader {
 public:
  Status Get(int, std::string_view, int64_t, store::Record*) override { return Loading(); }
  std::unique_ptr<Iterator> NewIterator(int, uint32_t* slot) override {
    *slot = 0;
    return NewEmptyIterator(Loading());
  }
  Status GetRaw(const std::string&, std::string*) override { return Loading(); }
  Status DbSize(int, int64_t, uint64_t*, uint64_t*) override { return Loading(); }

 private:
  static Status Loading() { return Status::IOError("the dataset is still loading"); }
};

}  // namespace

store::KeyReader& Server::keys() {
  static LoadingKeyReader loading;
  if (Loading()) return loading;
  return *store_;
}

Server::LoadingProgress Server::Progress() const {
  return {loading_start_ms_.load(), loading_total_bytes_.load(std::memory_order_relaxed),
          loading_loaded_bytes_.load(std::memory_order_relaxed)};
}

void Server::FinishLoading(const Status& s) {
  if (!s.ok()) {
    log::Warning("{}", s.message());
    exit_code_ = 1;
    RequestShutdown("Can't open the data directory");
    return;
  }
  loading_.store(false, std::memory_order_release);
  log::Notice("Ready to accept connections tcp");
}

int Server::Run() {
  for (auto& ctx : io_ctxs_) {
    threads_.emplace_back([c = ctx.get()] { c->run(); });
  }
  loader_ = std::thread([this] {
    Status s = OpenStore(config_.Snapshot());
    asio::post(main_ctx_, [this, s] { FinishLoading(s); });
  });
  main_ctx_.run();
  loader_.join();  // a shutdown while loading waits for the open to finish
  for (auto& t : threads_) t.join();
  threads_.clear();
  if (writer_) writer_->Stop();  // commits what is queued
  if (store_) {
    Status s = store_->Close();
    if (!s.ok()) log::Warning("Error closing the data directory: {}", s.ToString());
    store_.reset();
  }
  log::Notice("StashDB is now ready to exit, bye bye...");
  return exit_code_;
}

}  // namespace stash
