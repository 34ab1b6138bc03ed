#include "net/connection.h"

#include <fmt/format.h>
#include <netinet/tcp.h>

#include "util/clock.h"
#include "util/log.h"

namespace stash::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

std::string EndpointText(const asio::ip::tcp::endpoint& ep) {
  return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, uint64_t id,
                       std::function<OutputLimit(bool pubsub)> limits, Counters counters)
    : socket_(std::move(socket)),
      drain_timer_(socket_.get_executor()),
      id_(id),
      limits_(std::move(limits)),
      counters_(counters) {
  error_code ec;
  auto local = socket_.local_endpoint(ec);
  if (!ec) local_addr_ = EndpointText(local);
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) remote_addr_ = EndpointText(remote);
  fd_ = socket_.native_handle();
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  created_ms_ = NowMs();
  last_interaction_ms_ = created_ms_;
}

Connection::~Connection() = default;

void Connection::SetKeepAlive(int idle_seconds) {
  error_code ec;
  socket_.set_option(asio::socket_base::keep_alive(true), ec);
  ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPIDLE, &idle_seconds, sizeof(idle_seconds));
}

void Connection::Add(std::atomic<uint64_t>* counter, uint64_t n) {
  if (counter != nullptr) counter->fetch_add(n, std::memory_order_relaxed);
}

void Connection::Start() {
  // The socket belongs to one I/O thread: begin there.
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    self->DoRead();
  });
}

void Connection::DoRead() {
  if (reading_ || closed_ || (close_after_reply_ && !draining_)) return;
  reading_ = true;
  socket_.async_read_some(
      asio::buffer(read_buf_),
      [self = shared_from_this()](const error_code& ec, size_t n) { self->OnRead(ec, n); });
}

void Connection::OnRead(const error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  if (draining_) {
    DoRead();
    return;
  }
  Add(counters_.input_bytes, n);
  last_interaction_ms_.store(NowMs(), std::memory_order_relaxed);
  handler_->OnInput(read_buf_.data(), n);
  // Running the client's commands is activity too (a long pipeline is not idle time).
  last_interaction_ms_.store(NowMs(), std::memory_order_relaxed);
  Flush();
}

void Connection::Flush() {
  if (closed_) return;
  MaybeWrite();
  if (out_.size() + sending_.size() < kPauseReadingBytes) DoRead();
}

void Connection::CloseAfterReply() { close_after_reply_ = true; }

bool Connection::CheckOutputLimit() {
  if (closed_) return false;
  UpdateOutputBytes();
  size_t pending = out_.size() + sending_.size();
  OutputLimit lim = limits_ ? limits_(handler_ && handler_->PubSubClass()) : OutputLimit{};
  bool over_hard = lim.hard_bytes > 0 && pending > static_cast<size_t>(lim.hard_bytes);
  bool over_soft = false;
  if (lim.soft_bytes > 0 && pending > static_cast<size_t>(lim.soft_bytes)) {
    int64_t now = NowMs();
    if (soft_limit_since_ms_ == 0) soft_limit_since_ms_ = now;
    over_soft = now - soft_limit_since_ms_ >= lim.soft_seconds * 1000;
  } else {
    soft_limit_since_ms_ = 0;
  }
  if (!over_hard && !over_soft) return true;
  log::Warning("Client id={} addr={} closed for overcoming of output buffer limits.", id_,
               remote_addr_);
  Add(counters_.output_limit_disconnections, 1);
  Close();
  return false;
}

void Connection::UpdateOutputBytes() {
  output_bytes_.store(out_.size() + sending_.size(), std::memory_order_relaxed);
}

void Connection::MaybeWrite() {
  if (closed_ || writing_) return;
  if (out_.empty()) {
    if (close_after_reply_) {
      if (drain_on_close_) {
        CloseAfterDrain();
      } else {
        Close();
      }
    }
    return;
  }
  sending_.swap(out_);
  out_.clear();
  writing_ = true;
  // A large write to a slow reader takes many partial writes: each one counts as activity (as
  // in Redis, a client taking its replies is not idle for `timeout`).
  auto progress = [this](const error_code& ec, size_t done) -> size_t {
    last_interaction_ms_.store(NowMs(), std::memory_order_relaxed);
    return asio::transfer_all()(ec, done);
  };
  asio::async_write(
      socket_, asio::buffer(sending_), progress,
      [self = shared_from_this()](const error_code& ec, size_t) { self->OnWritten(ec); });
}

void Connection::OnWritten(const error_code& ec) {
  writing_ = false;
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  Add(counters_.output_bytes, sending_.size());
  sending_.clear();
  // Big buffers go back once the output they served is done; while more waits (a subscriber
  // taking a stream of messages) they are kept for it: freeing and refaulting megabytes per
  // write cost a publish benchmark a third of its time in page faults.
  if (out_.empty()) {
    if (sending_.capacity() > kKeepBufferBytes) std::string().swap(sending_);
    if (out_.capacity() > kKeepBufferBytes) std::string().swap(out_);
  }
  UpdateOutputBytes();
  if (!CheckOutputLimit()) return;
  if (!out_.empty() || close_after_reply_) {
    MaybeWrite();
    return;
  }
  // Reading may have paused on a slow client: let the handler run what arrived, then resume
  // unless what it produced is again too much.
  handler_->OnOutputDrained();
  last_interaction_ms_.store(NowMs(), std::memory_order_relaxed);
  Flush();
}

void Connection::CloseAfterDrain() {
  if (draining_ || closed_) return;
  draining_ = true;
  error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  drain_timer_.expires_after(std::chrono::milliseconds(kDrainMillis));
  drain_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec) self->Close();
  });
  DoRead();
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  drain_timer_.cancel();
  error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  if (handler_) handler_->OnClose();
}

void Connection::Post(std::function<void()> fn) {
  // A publisher may deliver while the last reference is going: then there is nobody to run fn.
  std::shared_ptr<Connection> self = weak_from_this().lock();
  if (!self) return;
  asio::post(socket_.get_executor(), [self = std::move(self), fn = std::move(fn)] {
    if (!self->closed_) fn();
  });
}

void Connection::Kill(const std::string& why) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), why] {
    if (self->closed_) return;
    log::Verbose("Closing client id={} addr={}: {}", self->id_, self->remote_addr_, why);
    self->Close();
  });
}

void Connection::KillIfIdle(int64_t max_idle_ms) {
  // Checked again on the connection's thread: commands it ran meanwhile were activity.
  asio::post(socket_.get_executor(), [self = shared_from_this(), max_idle_ms] {
    if (self->closed_ || self->IdleMillis() <= max_idle_ms) return;
    log::Verbose("Closing client id={} addr={}: idle timeout", self->id_, self->remote_addr_);
    self->Close();
  });
}

void Connection::CheckOutputLimitSoon() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (!self->closed_) self->CheckOutputLimit();
  });
}

void Connection::CloseGracefully() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->draining_) {  // its last reply is already out: shutdown need not wait for it
      self->Close();
      return;
    }
    self->close_after_reply_ = true;
    self->drain_on_close_ = false;
    if (!self->writing_) self->MaybeWrite();
  });
}

int64_t Connection::IdleMillis() const {
  return NowMs() - last_interaction_ms_.load(std::memory_order_relaxed);
}

}  // namespace stash::net
