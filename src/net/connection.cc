#include "net/connection.h"

#include <fmt/format.h>
#include <netinet/tcp.h>

#include "cmd/command_table.h"
#include "cmd/dispatch.h"
#include "server/log.h"
#include "server/server.h"

namespace stash {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Reading pauses while more than this much output waits for a slow client.
constexpr size_t kPauseReadingBytes = 4 << 20;

std::string EndpointText(const asio::ip::tcp::endpoint& ep) {
  return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

}  // namespace

Connection::Connection(Server& server, asio::ip::tcp::socket socket, uint64_t id)
    : server_(server), socket_(std::move(socket)), id_(id) {
  error_code ec;
  auto local = socket_.local_endpoint(ec);
  if (!ec) local_addr_ = EndpointText(local);
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) remote_addr_ = EndpointText(remote);
  fd_ = socket_.native_handle();
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  Settings s = server_.config().Snapshot();
  if (s.tcp_keepalive > 0) {
    socket_.set_option(asio::socket_base::keep_alive(true), ec);
    int idle = static_cast<int>(s.tcp_keepalive);
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  }
  created_ms_ = NowMillis();
  last_interaction_ms_ = created_ms_;
  authenticated_ = !server_.AuthRequired();
}

Connection::~Connection() = default;

void Connection::Start() {
  // The socket belongs to one I/O thread: begin there.
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
}

void Connection::DoRead() {
  if (reading_ || closed_ || close_after_reply_) return;
  reading_ = true;
  socket_.async_read_some(asio::buffer(read_buf_),
                          [self = shared_from_this()](const error_code& ec, size_t n) {
                            self->OnRead(ec, n);
                          });
}

void Connection::OnRead(const error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  server_.stats().net_input_bytes.fetch_add(n, std::memory_order_relaxed);
  last_interaction_ms_.store(NowMillis(), std::memory_order_relaxed);
  if (limits_generation_ != server_.LimitsGeneration()) {
    Server::ProtoLimits l = server_.Limits();
    resp::ParserLimits pl;
    pl.max_bulk_len = l.max_bulk_len;
    pl.query_buffer_limit = l.query_buffer_limit;
    parser_.SetLimits(pl);
    limits_generation_ = l.generation;
  }
  parser_.Feed(read_buf_.data(), n);
  ProcessInput();
  if (closed_) return;
  MaybeWrite();
  if (out_.size() + sending_.size() < kPauseReadingBytes) DoRead();
}

void Connection::ProcessInput() {
  std::string error;
  while (!close_after_reply_ && !closed_) {
    resp::ParseStatus st = parser_.Next(&argv_, &error);
    if (st == resp::ParseStatus::kNeedMore) break;
    if (st == resp::ParseStatus::kError) {
      log::Verbose("Protocol error ({}) from client: id={} addr={}", error, id_, remote_addr_);
      writer_.Error(error);
      server_.stats().total_error_replies.fetch_add(1, std::memory_order_relaxed);
      close_after_reply_ = true;
      break;
    }
    Dispatch(server_, *this, argv_, writer_, out_);
    if (!CheckOutputLimit()) return;
  }
  query_bytes_.store(parser_.BufferedBytes(), std::memory_order_relaxed);
}

bool Connection::CheckOutputLimit() {
  UpdateOutputBytes();
  size_t pending = out_.size() + sending_.size();
  const OutputBufferLimit& lim = server_.Limits().output;
  bool over_hard = lim.hard_bytes > 0 && pending > static_cast<size_t>(lim.hard_bytes);
  bool over_soft = false;
  if (lim.soft_bytes > 0 && pending > static_cast<size_t>(lim.soft_bytes)) {
    int64_t now = NowMillis();
    if (soft_limit_since_ms_ == 0) soft_limit_since_ms_ = now;
    over_soft = now - soft_limit_since_ms_ >= lim.soft_seconds * 1000;
  } else {
    soft_limit_since_ms_ = 0;
  }
  if (!over_hard && !over_soft) return true;
  log::Warning("Client {} closed for overcoming of output buffer limits.", Describe());
  server_.stats().client_output_limit_disconnections.fetch_add(1, std::memory_order_relaxed);
  Close();
  return false;
}

void Connection::UpdateOutputBytes() {
  output_bytes_.store(out_.size() + sending_.size(), std::memory_order_relaxed);
}

void Connection::MaybeWrite() {
  if (closed_ || writing_) return;
  if (out_.empty()) {
    if (close_after_reply_) Close();
    return;
  }
  sending_.swap(out_);
  out_.clear();
  writing_ = true;
  asio::async_write(socket_, asio::buffer(sending_),
                    [self = shared_from_this()](const error_code& ec, size_t) {
                      self->OnWritten(ec);
                    });
}

void Connection::OnWritten(const error_code& ec) {
  writing_ = false;
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  server_.stats().net_output_bytes.fetch_add(sending_.size(), std::memory_order_relaxed);
  sending_.clear();
  if (sending_.capacity() > (1 << 20)) std::string().swap(sending_);  // give back big buffers
  UpdateOutputBytes();
  if (!CheckOutputLimit()) return;
  if (!out_.empty() || close_after_reply_) {
    MaybeWrite();
    return;
  }
  // Reading may have paused on a slow client: resume, and run what arrived meanwhile.
  ProcessInput();
  if (closed_) return;
  if (!out_.empty()) MaybeWrite();
  DoRead();
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  server_.Unregister(id_);
}

void Connection::Kill(const std::string& why) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), why] {
    if (self->closed_) return;
    log::Verbose("Closing client id={} addr={}: {}", self->id_, self->remote_addr_, why);
    self->Close();
  });
}

void Connection::CloseGracefully() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->close_after_reply_ = true;
    if (!self->writing_) self->MaybeWrite();
  });
}

void Connection::SetDb(int db) {
  db_ = db;
  std::lock_guard<std::mutex> lock(info_mu_);
  info_db_ = db;
}

void Connection::SetProtocol(int proto) {
  writer_.SetProtocol(proto);
  std::lock_guard<std::mutex> lock(info_mu_);
  info_proto_ = proto;
}

std::string Connection::name() const {
  std::lock_guard<std::mutex> lock(info_mu_);
  return name_;
}

void Connection::SetName(std::string name) {
  std::lock_guard<std::mutex> lock(info_mu_);
  name_ = std::move(name);
}

void Connection::SetLibInfo(const std::string& attr, std::string value) {
  std::lock_guard<std::mutex> lock(info_mu_);
  (attr == "lib-name" ? lib_name_ : lib_ver_) = std::move(value);
}

void Connection::Reset() {
  SetDb(0);
  SetProtocol(2);
  SetName("");
  authenticated_ = !server_.AuthRequired();
}

int64_t Connection::IdleMillis() const {
  return NowMillis() - last_interaction_ms_.load(std::memory_order_relaxed);
}

std::string Connection::Describe() const {
  int64_t now = NowMillis();
  const CommandEntry* cmd = last_cmd_.load(std::memory_order_relaxed);
  size_t qbuf = query_bytes_.load(std::memory_order_relaxed);
  size_t obl = output_bytes_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(info_mu_);
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags=N db={} sub=0 psub=0 ssub=0 "
      "multi=-1 qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs={} rbp=0 obl={} oll=0 omem={} "
      "tot-mem={} events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
      id_, remote_addr_, local_addr_, fd_, name_, (now - created_ms_) / 1000,
      (now - last_interaction_ms_.load(std::memory_order_relaxed)) / 1000, info_db_, qbuf,
      read_buf_.size(), obl, obl, qbuf + obl + read_buf_.size(),
      cmd == nullptr ? "NULL" : cmd->fullname, info_proto_, lib_name_, lib_ver_);
}

}  // namespace stash
