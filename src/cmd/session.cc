#include "cmd/session.h"

#include <fmt/format.h>

#include "cmd/command_table.h"
#include "cmd/dispatch.h"
#include "cmd/keyspace_events.h"
#include "cmd/keyspace_util.h"
#include "cmd/server_api.h"
#include "cmd/stats.h"
#include "cmd/tracking.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strings.h"

namespace stash {

namespace {
// One request to the writer holds at most this many commands.
constexpr size_t kMaxRequestOps = 1024;
// A command's keys whose records are read ahead for the writer (Session::Prefetch).
constexpr size_t kMaxPrefetchedKeys = 16;

// Calls f(key) for each key of argv at positions k (a command table's key spec) until f
// returns false.
template <typename F>
void ForEachKey(const KeyPositions& k, const std::vector<std::string>& argv, F&& f) {
  if (k.first <= 0) return;
  const int last = k.last < 0 ? static_cast<int>(argv.size()) + k.last : k.last;
  for (int i = k.first; i <= last && i < static_cast<int>(argv.size()); i += std::max(1, k.step)) {
    if (!f(std::string_view(argv[i]))) return;
  }
}
}  // namespace

Session::Session(ServerApi& server, SessionLink& link, uint64_t id)
    : server_(server), link_(link), id_(id), out_(&link.Output()), subscriptions_(link, 2) {
  authenticated_ = !server_.AuthRequired();
}

Session::~Session() = default;

void Session::OnInput(const char* data, size_t n) {
  // While an EXEC is at the writer, AUTH inside it may be changing what the limits depend on.
  if (!waiting_ && limits_generation_ != server_.LimitsGeneration()) RefreshParserLimits();
  parser_.Feed(data, n);
  ProcessInput();
}

void Session::OnOutputDrained() {
  // Reading may have paused on a slow client: run what arrived meanwhile.
  if (!waiting_) ProcessInput();
}

void Session::RefreshParserLimits() {
  RequestLimits l = server_.Limits();
  resp::ParserLimits pl;
  pl.max_bulk_len = l.max_bulk_len;
  pl.query_buffer_limit = l.query_buffer_limit;
  // Before AUTH, Redis allows only small requests (so a stranger cannot make it buffer much).
  pl.auth_required = !authenticated_ && server_.AuthRequired();
  parser_.SetLimits(pl);
  limits_generation_ = l.generation;
}

void Session::SetAuthenticated(bool yes) {
  authenticated_ = yes;
  if (waiting_) {
    // AUTH queued in a transaction runs on the writer thread, while this session's thread may
    // be feeding the parser: that thread refreshes the limits when the EXEC reply arrives.
    parser_limits_stale_ = true;
    return;
  }
  RefreshParserLimits();
}

void Session::ProcessInput() {
  std::string error;
  while (!link_.Closing() && !waiting_) {
    if (!held_error_.empty()) {
      LinkFacts f = link_.Facts();
      log::Verbose("Protocol error ({}) from client: id={} addr={}", held_error_, id_,
                   f.remote_address);
      ReplyError(server_.stats(), held_error_, out_);
      held_error_.clear();
      link_.CloseAfterReply();
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
    // Inside MULTI every command is queued but the few that act on the transaction itself; a
    // refused one (even one of those) makes EXEC abort.
    if (in_multi_ && (!error.empty() || !(entry->spec->flags & kCmdNotQueued))) {
      Queue(entry, error);
      if (!link_.CheckOutputLimit()) return;
      continue;
    }
    if (error.empty() && entry->spec->write != nullptr) {
      const bool blocking = entry->spec->flags & kCmdBlocking;
      AddWrite(entry);
      AfterCommand(entry);
      // A blocking command ends its request: if it waits, nothing after it runs until it is
      // answered (cmd/blocking.h).
      if (blocking && pending_) SubmitWrites();
      continue;
    }
    if (pending_) {
      have_held_ = true;  // runs (or is refused) after the writes before it
      SubmitWrites();
      break;
    }
    if (!error.empty()) {
      Refuse(entry, error);
    } else {
      const size_t mark = link_.Output().size();
      Run(server_, *this, *entry, argv_, out_, server_.keys());
      if (!expired_reads_.empty()) {
        reclaim_read_ = entry;
        reclaim_argv_ = argv_;
        AfterCommand(entry);
        ReclaimExpiredReads(mark);
        break;
      }
      TrackReads(*entry, argv_);
    }
    AfterCommand(entry);
    if (!link_.CheckOutputLimit()) return;
  }
  if (pending_ && !waiting_) SubmitWrites();
  query_bytes_.store(parser_.BufferedBytes(), std::memory_order_relaxed);
}

void Session::AfterCommand(const CommandEntry* entry) {
  // As Redis's resetClient: CLIENT CACHING holds for the next command, or the whole transaction
  // (an EXEC at the writer clears it there, when it is done: waiting_).
  if (waiting_) return;
  if (!in_multi_ && (entry == nullptr || !entry->fullname.starts_with("client"))) {
    caching_given_ = false;
  }
}

void Session::TrackReads(const CommandEntry& entry, const std::vector<std::string>& argv,
                         KeyEvents* events) {
  if (!tracking_.load(std::memory_order_relaxed) || !(entry.spec->flags & kCmdReadonly)) return;
  std::vector<std::string_view> keys;
  ForEachKey(entry.spec->keys, argv, [&](std::string_view key) {
    keys.push_back(key);
    return true;
  });
  if (events != nullptr) {
    events->Remember(id_, keys, caching_given_);
  } else {
    server_.tracker().Remember(id_, keys, caching_given_);
  }
}

std::string Session::EnableTracking(const TrackingOptions& options,
                                    const std::shared_ptr<Mailbox>& redirect) {
  std::string error = server_.tracker().Enable(id_, subscriptions_.mailbox(), options, redirect);
  if (error.empty()) tracking_.store(true, std::memory_order_relaxed);
  return error;
}

void Session::DisableTracking() {
  if (!tracking_.exchange(false, std::memory_order_relaxed)) return;
  server_.tracker().Disable(id_);
}

void Session::OnClose() {
  closed_->store(true);
  // (While loading no writer runs, and no client can be blocked.)
  if (!server_.Loading()) server_.writer().Unblock(id_, BlockedClient::Leave::kClosed);
  subscriptions_.Close();
  DisableTracking();
}

void Session::Queue(CommandEntry* entry, const std::string& error) {
  if (!error.empty()) {
    multi_error_ = true;  // a command that cannot be queued aborts the transaction
    Refuse(entry, error);
  } else if (entry->spec->flags & kCmdWatches) {
    // Not queued and not a reason to abort: the command itself fails (as Redis's WATCH).
    int64_t start = MonotonicNanos();
    SetLastCommand(entry);
    Finish(server_.stats(), *entry, MicrosSince(start),
           Fail(fmt::format("ERR {} inside MULTI is not allowed", AsciiUpper(entry->fullname))),
           out_);
  } else if (entry->spec->flags & kCmdNoMulti) {
    multi_error_ = true;
    Refuse(entry, "ERR Command not allowed inside a transaction");
  } else {
    queued_.push_back({std::move(argv_), entry});
    multi_queued_.store(static_cast<int>(queued_.size()), std::memory_order_relaxed);
    argv_.clear();
    out_.Simple("QUEUED");
  }
}

void Session::Refuse(CommandEntry* entry, const std::string& error) {
  if (entry == nullptr || !(entry->spec->flags & kCmdEndsMulti)) {
    return Reject(server_.stats(), entry, error, out_);
  }
  // As Redis's rejectCommand: an EXEC that cannot run ends the transaction and the WATCH, and
  // its reply (counted as EXECABORT) says why.
  DiscardMulti();
  std::string_view why = error;
  if (why.starts_with("ERR ")) why.remove_prefix(4);
  Reject(server_.stats(), entry, fmt::format("EXECABORT Transaction discarded because of: {}", why),
         out_);
}

void Session::BeginMulti() {
  in_multi_ = true;
  multi_error_ = false;
  queued_.clear();
  multi_queued_.store(0, std::memory_order_relaxed);
}

void Session::DiscardMulti() {
  in_multi_ = false;
  multi_error_ = false;
  queued_.clear();
  multi_queued_.store(-1, std::memory_order_relaxed);
  Unwatch();
}

void Session::SubmitExec() {
  auto req = std::make_unique<WriteRequest>();
  req->exec = true;
  req->session = this;
  req->ops = std::move(queued_);
  req->watch = std::move(watch_);
  DiscardMulti();
  Submit(std::move(req));
}

void Session::AddWrite(CommandEntry* entry) {
  if ((entry->spec->flags & kCmdWatches) && !watch_) watch_ = std::make_shared<WatchState>();
  if (!pending_) pending_ = std::make_unique<WriteRequest>();
  SetLastCommand(entry);
  pending_->ops.push_back({std::move(argv_), entry});
  argv_.clear();
  // Only a pipeline's writes are read ahead: the writer then works on earlier ones meanwhile.
  // A lone command would only wait longer for its reply (the writer reads as fast).
  if (pending_->ops.size() > 1 || parser_.BufferedBytes() > 0) Prefetch(pending_->ops.back());
  if (pending_->ops.size() >= kMaxRequestOps) SubmitWrites();  // bound one request's size
}

void Session::Prefetch(WriteOp& op) {
  // The writer's read before a write (the old record: its type, expiry and the key counters)
  // is made here, on this thread, so that the single writer mostly checks the memtables. A
  // read that fails is left to the writer, which reports it.
  store::Store& store = server_.store();
  ForEachKey(op.entry->spec->keys, op.argv, [&](std::string_view key) {
    if (op.reads.size() >= kMaxPrefetchedKeys) return false;
    if (op.reads.empty()) op.reads.reserve(op.entry->spec->keys.last == 1 ? 1 : 4);
    if (!store.Prefetch(db_, key, &op.reads.emplace_back())) op.reads.pop_back();
    return true;
  });
}

void Session::SubmitWrites() {
  std::unique_ptr<WriteRequest> req = std::move(pending_);
  req->watch = watch_;
  Submit(std::move(req));
}

void Session::Submit(std::unique_ptr<WriteRequest> req) {
  req->db = db_;
  req->proto = protocol();
  req->client_id = id_;
  req->session = this;  // it waits for the reply (scripts run its read commands)
  req->done = [this, alive = link_.KeepAlive()](std::string replies) {
    link_.Post([this, r = std::move(replies)]() mutable { OnWritesDone(std::move(r)); });
  };
  req->blocked = [this, alive = link_.KeepAlive()](std::string replies) {
    link_.Post([this, r = std::move(replies)]() mutable { OnBlocked(std::move(r)); });
  };
  req->closed = closed_;
  waiting_ = true;
  server_.writer().Submit(std::move(req));
}

void Session::NoteExpiredRead(std::string_view key) {
  expired_reads_.push_back({std::string(key)});
}

bool Session::TakeKeyMiss(std::string_view key) {
  if (expired_reads_.empty() || expired_reads_.back().key != key) return false;
  expired_reads_.back().keymiss = true;
  return true;
}

void Session::ReclaimExpiredReads(size_t mark) {
  std::string& out = link_.Output();
  held_reply_.assign(out, mark);
  out.resize(mark);
  auto req = std::make_unique<WriteRequest>();
  for (ExpiredRead& r : expired_reads_) {
    req->ops.push_back(
        {{"lazy-expire", std::move(r.key), r.keymiss ? "1" : "0"}, LazyExpireEntry()});
  }
  expired_reads_.clear();
  reclaiming_ = true;
  Submit(std::move(req));
}

void Session::OnBlocked(std::string replies) {
  // The replies before the blocking command go out; the session still waits for its reply.
  link_.Output().append(replies);
  if (!link_.CheckOutputLimit()) return;
  link_.Flush();
}

void Session::OnWritesDone(std::string replies) {
  waiting_ = false;
  if (reclaiming_) {
    // The held read reply goes out, then what the reclaim has for this client (its own
    // invalidations); the read's keys are tracked from now on.
    reclaiming_ = false;
    replies = std::move(held_reply_) + replies;
    held_reply_.clear();
    TrackReads(*reclaim_read_, reclaim_argv_);
    reclaim_argv_.clear();
  }
  if (parser_limits_stale_) {
    parser_limits_stale_ = false;
    RefreshParserLimits();
  }
  link_.Output().append(replies);
  if (!link_.CheckOutputLimit()) return;
  ProcessInput();
  link_.Flush();
}

void Session::SetDb(int db) {
  db_ = db;
  std::lock_guard<std::mutex> lock(info_mu_);
  info_db_ = db;
}

void Session::SetProtocol(int proto) {
  out_.SetProtocol(proto);
  subscriptions_.SetProtocol(proto);
  std::lock_guard<std::mutex> lock(info_mu_);
  info_proto_ = proto;
}

std::string Session::name() const {
  std::lock_guard<std::mutex> lock(info_mu_);
  return name_;
}

void Session::SetName(std::string name) {
  std::lock_guard<std::mutex> lock(info_mu_);
  name_ = std::move(name);
}

void Session::SetLibInfo(const std::string& attr, std::string value) {
  std::lock_guard<std::mutex> lock(info_mu_);
  (attr == "lib-name" ? lib_name_ : lib_ver_) = std::move(value);
}

void Session::Reset() {
  DiscardMulti();
  subscriptions_.Clear();
  DisableTracking();
  SetDb(0);
  SetProtocol(2);
  SetName("");
  SetAuthenticated(!server_.AuthRequired());  // also restores the parser's pre-AUTH limits
}

std::string Session::Describe() const {
  LinkFacts f = link_.Facts();
  int64_t now = NowMs();
  const CommandEntry* cmd = last_cmd_.load(std::memory_order_relaxed);
  size_t qbuf = query_bytes_.load(std::memory_order_relaxed);
  size_t obl = f.output_bytes;
  int multi = multi_queued_.load(std::memory_order_relaxed);
  // Redis's client flags: P subscribed, x in MULTI, t tracking (R: its redirect is gone,
  // B: broadcast mode), N none.
  std::string flags;
  if (subscriptions_.active()) flags += 'P';
  if (!server_.Loading() && server_.writer().blocking().IsBlocked(id_)) flags += 'b';
  if (multi >= 0) flags += 'x';
  int64_t redir = -1;
  if (tracking_.load(std::memory_order_relaxed)) {
    TrackingInfo t = server_.tracker().Info(id_);
    if (t.on) {
      flags += 't';
      if (t.broken_redirect) flags += 'R';
      if (t.options.bcast) flags += 'B';
      redir = static_cast<int64_t>(t.options.redirect);
    }
  }
  if (flags.empty()) flags = "N";
  std::lock_guard<std::mutex> lock(info_mu_);
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} "
      "multi={} qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs={} rbp=0 obl={} oll=0 omem={} "
      "tot-mem={} events=r cmd={} user=default redir={} resp={} lib-name={} lib-ver={}",
      id_, f.remote_address, f.local_address, f.fd, name_, (now - f.created_ms) / 1000,
      (now - f.last_interaction_ms) / 1000, flags, info_db_,
      subscriptions_.count(pubsub::Kind::kChannel), subscriptions_.count(pubsub::Kind::kPattern),
      subscriptions_.count(pubsub::Kind::kShard), multi, qbuf, f.read_buffer_bytes, obl, obl,
      qbuf + obl + f.read_buffer_bytes, cmd == nullptr ? "NULL" : cmd->fullname, redir, info_proto_,
      lib_name_, lib_ver_);
}

}  // namespace stash
