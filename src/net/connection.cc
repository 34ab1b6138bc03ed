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
// How long a closing connection waits for its client to stop sending (see CloseAfterDrain).
constexpr int kDrainMillis = 1000;

// Commands that run at once inside MULTI instead of being queued (as in Redis).
bool RunsInsideMulti(const CommandEntry* entry) {
  if (entry == nullptr) return false;
  const std::string& n = entry->fullname;
  return n == "exec" || n == "discard" || n == "multi" || n == "quit" || n == "reset";
}

bool IsExec(const std::vector<std::string>& argv) {
  const std::string& n = argv[0];
  return n.size() == 4 && (n[0] | 0x20) == 'e' && (n[1] | 0x20) == 'x' && (n[2] | 0x20) == 'e' &&
         (n[3] | 0x20) == 'c';
}

std::string EndpointText(const asio::ip::tcp::endpoint& ep) {
  return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

}  // namespace

Connection::Connection(Server& server, asio::ip::tcp::socket socket, uint64_t id)
    : server_(server), socket_(std::move(socket)), drain_timer_(socket_.get_executor()), id_(id) {
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
  server_.stats().net_input_bytes.fetch_add(n, std::memory_order_relaxed);
  last_interaction_ms_.store(NowMillis(), std::memory_order_relaxed);
  // While an EXEC is at the writer, AUTH inside it may be changing what the limits depend on.
  if (!waiting_ && limits_generation_ != server_.LimitsGeneration()) RefreshParserLimits();
  parser_.Feed(read_buf_.data(), n);
  ProcessInput();
  if (closed_) return;
  MaybeWrite();
  if (out_.size() + sending_.size() < kPauseReadingBytes) DoRead();
}

void Connection::RefreshParserLimits() {
  Server::ProtoLimits l = server_.Limits();
  resp::ParserLimits pl;
  pl.max_bulk_len = l.max_bulk_len;
  pl.query_buffer_limit = l.query_buffer_limit;
  // Before AUTH, Redis allows only small requests (so a stranger cannot make it buffer much).
  pl.auth_required = !authenticated_ && server_.AuthRequired();
  parser_.SetLimits(pl);
  limits_generation_ = l.generation;
}

void Connection::SetAuthenticated(bool yes) {
  authenticated_ = yes;
  if (waiting_) {
    // AUTH queued in a transaction runs on the writer thread, while this connection's thread
    // may be feeding the parser: that thread refreshes the limits when the EXEC reply arrives.
    parser_limits_stale_ = true;
    return;
  }
  RefreshParserLimits();
}

void Connection::ProcessInput() {
  std::string error;
  while (!close_after_reply_ && !closed_ && !waiting_) {
    if (!held_error_.empty()) {
      log::Verbose("Protocol error ({}) from client: id={} addr={}", held_error_, id_,
                   remote_addr_);
      writer_.Error(held_error_);
      server_.stats().total_error_replies.fetch_add(1, std::memory_order_relaxed);
      held_error_.clear();
      close_after_reply_ = true;
      break;
    }
    if (!have_held_) {
      resp::ParseStatus st = parser_.Next(&argv_, &error);
      if (st == resp::ParseStatus::kNeedMore) break;
      if (st == resp::ParseStatus::kError) {
        held_error_ = error;
        if (pending_) SubmitWrites();
        continue;
      }
    }
    have_held_ = false;
    CommandEntry* entry = Resolve(server_, *this, argv_, &error);
    if (in_multi_ && !RunsInsideMulti(entry)) {
      if (entry == nullptr) {
        multi_error_ = true;  // a command that cannot be queued aborts the transaction
        RejectCommand(error);
      } else if (entry->fullname == "watch") {
        Reject(server_, entry, "ERR WATCH inside MULTI is not allowed", writer_);
      } else if (entry->spec->flags & kCmdNoMulti) {
        Reject(server_, entry, "ERR Command not allowed inside a transaction", writer_);
        multi_error_ = true;
      } else {
        queued_.push_back({std::move(argv_), entry});
        multi_queued_.store(static_cast<int>(queued_.size()), std::memory_order_relaxed);
        argv_.clear();
        writer_.Simple("QUEUED");
      }
      if (!CheckOutputLimit()) return;
      continue;
    }
    if (entry != nullptr && entry->spec->write != nullptr) {
      AddWrite(entry);
      continue;
    }
    if (pending_) {
      have_held_ = true;  // runs after the writes before it
      SubmitWrites();
      break;
    }
    if (entry == nullptr) {
      RejectCommand(error);
    } else {
      Run(server_, *this, entry, argv_, writer_, out_, server_.keys());
    }
    if (!CheckOutputLimit()) return;
  }
  if (pending_ && !waiting_) SubmitWrites();
  query_bytes_.store(parser_.BufferedBytes(), std::memory_order_relaxed);
}

void Connection::RejectCommand(const std::string& error) {
  if (!IsExec(argv_)) return Reject(server_, nullptr, error, writer_);
  // As Redis's rejectCommand: an EXEC that cannot run ends the transaction and the WATCH.
  DiscardMulti();
  std::string_view why = error;
  if (why.starts_with("ERR ")) why.remove_prefix(4);
  Reject(server_, nullptr, fmt::format("EXECABORT Transaction discarded because of: {}", why),
         writer_);
}

void Connection::BeginMulti() {
  in_multi_ = true;
  multi_error_ = false;
  queued_.clear();
  multi_queued_.store(0, std::memory_order_relaxed);
}

void Connection::DiscardMulti() {
  in_multi_ = false;
  multi_error_ = false;
  queued_.clear();
  multi_queued_.store(-1, std::memory_order_relaxed);
  Unwatch();
}

void Connection::SubmitExec() {
  auto req = std::make_unique<WriteRequest>();
  req->exec = true;
  req->conn = this;
  req->ops = std::move(queued_);
  req->watch = std::move(watch_);
  DiscardMulti();
  Submit(std::move(req));
}

void Connection::AddWrite(CommandEntry* entry) {
  if (entry->fullname == "watch" && !watch_) watch_ = std::make_shared<WatchState>();
  if (!pending_) pending_ = std::make_unique<WriteRequest>();
  SetLastCommand(entry);
  pending_->ops.push_back({std::move(argv_), entry});
  argv_.clear();
  if (pending_->ops.size() >= 1024) SubmitWrites();  // bound one request's size
}

void Connection::SubmitWrites() {
  std::unique_ptr<WriteRequest> req = std::move(pending_);
  req->watch = watch_;
  Submit(std::move(req));
}

void Connection::Submit(std::unique_ptr<WriteRequest> req) {
  req->db = db_;
  req->proto = protocol();
  req->done = [self = shared_from_this()](std::string replies) {
    asio::post(self->socket_.get_executor(),
               [self, r = std::move(replies)]() mutable { self->OnWritesDone(std::move(r)); });
  };
  waiting_ = true;
  server_.writer().Submit(std::move(req));
}

void Connection::OnWritesDone(std::string replies) {
  waiting_ = false;
  if (closed_) return;
  if (parser_limits_stale_) {
    parser_limits_stale_ = false;
    RefreshParserLimits();
  }
  out_.append(replies);
  if (!CheckOutputLimit()) return;
  ProcessInput();
  if (closed_) return;
  MaybeWrite();
  if (out_.size() + sending_.size() < kPauseReadingBytes) DoRead();
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
    last_interaction_ms_.store(NowMillis(), std::memory_order_relaxed);
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
  if (waiting_) return;
  ProcessInput();
  if (closed_) return;
  if (!out_.empty()) MaybeWrite();
  DoRead();
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
  server_.Unregister(id_);
}

void Connection::Kill(const std::string& why) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), why] {
    if (self->closed_) return;
    log::Verbose("Closing client id={} addr={}: {}", self->id_, self->remote_addr_, why);
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
  DiscardMulti();
  SetDb(0);
  SetProtocol(2);
  SetName("");
  SetAuthenticated(!server_.AuthRequired());  // also restores the parser's pre-AUTH limits
}

int64_t Connection::IdleMillis() const {
  return NowMillis() - last_interaction_ms_.load(std::memory_order_relaxed);
}

std::string Connection::Describe() const {
  int64_t now = NowMillis();
  const CommandEntry* cmd = last_cmd_.load(std::memory_order_relaxed);
  size_t qbuf = query_bytes_.load(std::memory_order_relaxed);
  size_t obl = output_bytes_.load(std::memory_order_relaxed);
  int multi = multi_queued_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(info_mu_);
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 "
      "multi={} qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs={} rbp=0 obl={} oll=0 omem={} "
      "tot-mem={} events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
      id_, remote_addr_, local_addr_, fd_, name_, (now - created_ms_) / 1000,
      (now - last_interaction_ms_.load(std::memory_order_relaxed)) / 1000, multi >= 0 ? "x" : "N",
      info_db_, multi, qbuf, read_buf_.size(), obl, obl, qbuf + obl + read_buf_.size(),
      cmd == nullptr ? "NULL" : cmd->fullname, info_proto_, lib_name_, lib_ver_);
}

}  // namespace stash
