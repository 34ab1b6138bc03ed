#include "cmd/writer.h"

#include <chrono>

#include "cmd/command_table.h"
#include "cmd/dispatch.h"
#include "cmd/errors.h"
#include "cmd/server_api.h"
#include "cmd/session.h"
#include "cmd/stats.h"
#include "lsm/iterator.h"
#include "lsm/write_batch.h"
#include "resp/reply_writer.h"
#include "store/expire_cycle.h"
#include "store/layout.h"
#include "util/clock.h"
#include "util/log.h"

namespace stash {

namespace {

constexpr auto kExpireCycleInterval = std::chrono::milliseconds(100);

// The reply of every command of a group that was not committed because the engine refuses
// writes (docs/errors.md): what failed (origin, DB::BackgroundErrorOrigin) and the error, which
// names the file. Only a failure of the log itself is "writing to the write-ahead log".
std::string RefusedReply(std::string_view origin, const Status& s) {
  if (origin.empty() || origin.starts_with("write-ahead log")) {
    return "MISCONF Errors writing to the write-ahead log: " + s.ToString();
  }
  return "MISCONF Writes are refused after a failed " + std::string(origin) + ": " + s.ToString();
}

}  // namespace

Writer::Writer(store::Store& store, ServerStats& stats, ServerApi* server)
    : server_(server), store_(store), stats_(stats) {
  events_.SetBlocking(&blocking_);
}

Writer::~Writer() { Stop(); }

void Writer::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Writer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Writer::Submit(std::unique_ptr<WriteRequest> request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(request));
  }
  cv_.notify_one();
}

bool Writer::Unblock(uint64_t client_id, BlockedClient::Leave how) {
  if (!blocking_.Mark(client_id, how)) return false;
  { std::lock_guard<std::mutex> lock(mu_); }  // the writer is waiting, or sees the mark
  cv_.notify_one();
  return true;
}

void Writer::LoadFunctions() {
  scripts_.FlushLibraries();
  store::Txn txn(store_);
  std::unique_ptr<Iterator> it = txn.NewRawIterator();
  const std::string prefix(1, store::kFunctionPrefix);
  size_t loaded = 0;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string library, error;
    if (scripts_.LoadLibrary(it->value(), false, &library, &error)) {
      loaded++;
    } else {
      log::Warning("Function library {} could not be loaded: {}", it->key().substr(1), error);
    }
  }
  if (!it->status().ok())
    log::Warning("Reading the function libraries: {}", it->status().ToString());
  if (loaded > 0) log::Notice("Loaded {} function libraries.", loaded);
  scripts_.TakeLibrariesChanged();
}

void Writer::Loop() {
  LoadFunctions();
  auto next_expire = std::chrono::steady_clock::now() + kExpireCycleInterval;
  std::vector<std::unique_ptr<WriteRequest>> group;
  while (true) {
    {
      // Wake for requests, for the expiry cycle, for the first blocked client's timeout, and
      // for a blocked client marked to leave (Unblock).
      auto wake = next_expire;
      if (int64_t deadline = blocking_.NextDeadline(); deadline != 0) {
        wake =
            std::min(wake, std::chrono::steady_clock::now() +
                               std::chrono::milliseconds(std::max<int64_t>(0, deadline - NowMs())));
      }
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, wake,
                     [this] { return stopping_ || !queue_.empty() || blocking_.HasMarked(); });
      if (queue_.empty() && stopping_) return;
      size_t ops = 0;
      while (!queue_.empty() && ops < kMaxGroupOps) {
        ops += queue_.front()->ops.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    MaybeResume(std::chrono::steady_clock::now());
    if (std::chrono::steady_clock::now() >= next_expire) {
      PrepareEvents();
      store::ExpireCycleResult r = store::ExpireCycle(store_, NowMs(), 2000, &events_);
      AfterCommit(r.committed);
      stats_.expired_keys.fetch_add(r.reclaimed, std::memory_order_relaxed);
      auto now = std::chrono::steady_clock::now();
      if (r.stale > 0)
        log::Warning("Active expiry removed {} stale expiry-index entries.", r.stale);
      if (!r.status.ok() && now >= next_expire_warning_) {
        log::Warning("Active expiry stopped on an error (retrying): {}", r.status.ToString());
        next_expire_warning_ = now + std::chrono::seconds(30);
      }
      // A backlog of expired keys is worked off on the next turn instead of waiting 100 ms.
      next_expire = std::chrono::steady_clock::now() +
                    (r.more ? std::chrono::milliseconds(0) : kExpireCycleInterval);
    }
    if (!group.empty()) {
      RunGroup(group);
      group.clear();
    }
    ReplyLeaving();
  }
}

void Writer::MaybeResume(std::chrono::steady_clock::time_point now) {
  if (now < next_resume_) return;
  Status error = store_.WriteError();
  if (error.ok()) return;
  next_resume_ = now + std::chrono::seconds(1);
  Status s = store_.ResumeWrites();
  if (s.ok()) {
    log::Warning("Write-ahead log error looks solved, StashDB can write again (was: {}).",
                 error.ToString());
    next_resume_warning_ = {};
  } else if (now >= next_resume_warning_) {
    log::Warning("Writes are refused: {}. Retrying every second.", s.ToString());
    next_resume_warning_ = now + std::chrono::seconds(30);
  }
}

void Writer::PrepareEvents() {
  events_.SetOrigin(0);
  if (server_ == nullptr) return;
  zset_listpack_ = server_->ZSetListpackLimits();
  events_.SetFlags(server_->NotifyFlags());
  events_.SetTracker(&server_->tracker());
}

void Writer::AfterCommit(bool committed,
                         const std::function<std::string*(uint64_t origin)>& after_reply) {
  if (committed && server_ != nullptr) {
    events_.PublishAll(server_->pubsub(), after_reply);
  } else {
    events_.Discard();
  }
}

void Writer::RunOp(WriteRequest& req, WriteOp& op, int* db, store::Txn& txn, resp::ReplyWriter& out,
                   std::string& replies, BlockingOp* blocking) {
  size_t before = replies.size();
  const CommandSpec& spec = *op.entry->spec;
  int64_t start = MonotonicNanos();
  CommandStatus status;
  const int64_t now_ms = NowMs();
  txn.BeginOp();
  txn.SetNow(now_ms);
  if (spec.write == nullptr) {
    // A connection command queued in a transaction: it runs here, reading the transaction's
    // state, while its session waits for the EXEC reply.
    req.session->SetLastCommand(op.entry);
    CommandContext ctx{*server_, *req.session, op.argv, out, txn.reader(), &events_};
    status = spec.handler(ctx);
    if (status.ok()) req.session->TrackReads(*op.entry, op.argv, &events_);
    // SELECT (HELLO) inside MULTI changes the database (protocol) of what follows
    *db = req.session->db();
    out.SetProtocol(req.session->protocol());
  } else {
    WriteContext ctx{txn, *db, op.argv, out, now_ms, stats_, watches_, req.watch, events_};
    ctx.blocking = blocking;
    ctx.zset_listpack = zset_listpack_;
    ctx.scripts = &scripts_;
    ctx.server = server_;
    ctx.session = req.session;
    txn.SetPrefetched(op.reads.empty() ? nullptr : &op.reads);
    status = spec.write(ctx);
    txn.SetPrefetched(nullptr);
  }
  EndOp(txn, *op.entry, start, std::move(status), out, replies, before);
}

void Writer::EndOp(store::Txn& txn, CommandEntry& entry, int64_t start, CommandStatus status,
                   resp::ReplyWriter& out, std::string& replies, size_t before) {
  if (txn.op_error().ok()) {
    txn.EndOp();
  } else {
    // A read failed: whatever the handler made of it, none of this command's writes stay in
    // the group, and its reply is the error (the rest of the group goes on: docs/errors.md).
    status = Fail(ReadErrorReply(txn.op_error().ToString()));
    txn.AbortOp();
    replies.resize(before);
  }
  Finish(stats_, entry, MicrosSince(start), status, out);
}

void Writer::Block(WriteRequest& req, BlockingOp& b) {
  WriteOp& op = req.ops.back();
  auto c = std::make_unique<BlockedClient>();
  c->client_id = req.client_id;
  c->db = req.db;
  c->proto = req.proto;
  c->argv = b.argv.empty() ? std::move(op.argv) : std::move(b.argv);
  c->entry = op.entry;
  c->keys = std::move(b.keys);
  c->deadline_ms = b.deadline_ms;
  c->watch = req.watch;
  c->done = req.done;  // a copy: a failed commit still replies through req.done
  c->closed = req.closed;
  blocking_.Add(std::move(c));
}

void Writer::ServeReady(store::Txn& txn, std::vector<Served>* served, uint64_t origin) {
  int db;
  std::string key;
  while (blocking_.TakeReady(&db, &key)) {
    for (BlockedClient* c : blocking_.Waiters(db, key)) {
      if (c->closed != nullptr && c->closed->load()) continue;  // Unblock drops it
      Served s;
      resp::ReplyWriter out(&s.reply);
      out.SetProtocol(c->proto);
      BlockingOp b;
      b.may_block = true;
      b.serving = true;
      b.ready_key = key;
      events_.SetOrigin(c->client_id);
      const int64_t start = MonotonicNanos();
      const int64_t now_ms = NowMs();
      txn.BeginOp();
      txn.SetNow(now_ms);
      WriteContext ctx{txn, c->db, c->argv, out, now_ms, stats_, watches_, c->watch, events_};
      ctx.blocking = &b;
      ctx.zset_listpack = zset_listpack_;
      CommandStatus status = c->entry->spec->write(ctx);
      if (txn.op_error().ok()) {
        txn.EndOp();
        // Nothing for this one (the key is gone, or of a type it does not pop): it waits on,
        // and the next may still be served (a BZPOPMIN behind a BLPOP on a new sorted set).
        if (b.blocked) continue;
      } else {
        status = Fail(ReadErrorReply(txn.op_error().ToString()));
        txn.AbortOp();
        s.reply.clear();
      }
      FinishUnblocked(stats_, *c->entry, MicrosSince(start), status, out);
      s.client = blocking_.Remove(c);
      served->push_back(std::move(s));
    }
  }
  events_.SetOrigin(origin);
}

void Writer::ReplyLeaving() {
  if (!blocking_.HasMarked()) {
    const int64_t deadline = blocking_.NextDeadline();
    if (deadline == 0 || deadline > NowMs()) return;
  }
  for (std::unique_ptr<BlockedClient>& c : blocking_.TakeLeaving(NowMs())) {
    if (c->leave == BlockedClient::Leave::kClosed) continue;
    if (c->closed != nullptr && c->closed->load()) continue;
    std::string reply;
    resp::ReplyWriter out(&reply);
    out.SetProtocol(c->proto);
    CommandStatus status;
    if (c->leave == BlockedClient::Leave::kError) {
      status = Fail("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    } else {
      out.NullArray();  // Redis's reply to a timed-out blocking list command
    }
    FinishUnblocked(stats_, *c->entry, 0, status, out);
    c->done(std::move(reply));
  }
}

void Writer::RunExec(WriteRequest& req, store::Txn& txn, resp::ReplyWriter& out,
                     std::string& replies) {
  if (req.watch) {
    txn.BeginOp();
    bool aborted = req.watch->dirty.load(std::memory_order_acquire) ||
                   watches_.ExpiredSinceWatch(*req.watch, txn, NowMs());
    Status error = txn.op_error();
    txn.EndOp();
    if (!error.ok()) {
      return ReplyError(
          stats_, "EXECABORT Transaction discarded because of: " + ReadErrorReply(error.ToString()),
          out);
    }
    if (aborted) return out.NullArray();
  }
  out.ArrayHeader(req.ops.size());
  int db = req.db;
  for (WriteOp& op : req.ops) RunOp(req, op, &db, txn, out, replies);
  // CLIENT CACHING held for the transaction: done.
  if (req.session != nullptr) req.session->SetCachingGiven(false);
}

void Writer::RunGroup(std::vector<std::unique_ptr<WriteRequest>>& group) {
  // The whole group is one WAL batch: every command in it is atomic (so is a transaction, and so
  // is the group), and the key counters are written once per group instead of once per command.
  PrepareEvents();
  store::Txn txn(store_, &events_);
  WriteBatch batch;
  txn.BeginCommand(&batch);
  std::vector<std::string> replies(group.size());
  std::vector<Served> served;                      // blocked clients served by this group
  std::vector<bool> blocked(group.size(), false);  // requests whose last command waits
  for (size_t r = 0; r < group.size(); r++) {
    WriteRequest& req = *group[r];
    resp::ReplyWriter out(&replies[r]);
    out.SetProtocol(req.proto);
    events_.SetOrigin(req.client_id);
    if (req.exec) {
      RunExec(req, txn, out, replies[r]);
      ServeReady(txn, &served, req.client_id);  // after the transaction, as Redis does
      continue;
    }
    int db = req.db;
    for (size_t i = 0; i < req.ops.size(); i++) {
      WriteOp& op = req.ops[i];
      if (!(op.entry->spec->flags & kCmdBlocking)) {
        RunOp(req, op, &db, txn, out, replies[r]);
      } else {
        // Only the last command of a request may wait: the session sends nothing after it.
        BlockingOp b;
        b.may_block = i + 1 == req.ops.size() && req.blocked != nullptr;
        RunOp(req, op, &db, txn, out, replies[r], &b);
        if (b.blocked) {
          blocked[r] = true;
          Block(req, b);
        }
      }
      ServeReady(txn, &served, req.client_id);
    }
  }
  txn.EndCommand();
  events_.SetOrigin(0);
  Status s = store_.Commit(txn, &batch);
  // FUNCTION LOAD & co. changed the engine at once: when their writes are not committed, the
  // engine goes back to what the store holds.
  if (scripts_.TakeLibrariesChanged() && !s.ok()) LoadFunctions();
  // The events go out before the replies; what a client owes itself, right after its replies.
  std::vector<std::string> own(group.size());
  AfterCommit(s.ok(), [&](uint64_t client) -> std::string* {
    for (size_t r = 0; r < group.size(); r++) {
      if (client != 0 && group[r]->client_id == client) return &own[r];
    }
    return nullptr;
  });
  if (!s.ok()) {
    // Nothing of this group is acknowledged: every command gets the error instead, and an EXEC
    // (one command, whatever it queued) is refused as a whole, as Redis refuses it on a disk error.
    // MISCONF and EXECABORT mean "not applied"; when the engine cannot promise that, the reply
    // says the outcome is unknown instead (docs/errors.md).
    const bool unknown = IsOutcomeUnknown(s);
    std::string error = unknown ? "ERR " + s.message() : RefusedReply(store_.WriteErrorOrigin(), s);
    // A client that blocked in this group does not wait (its command gets the error too); one
    // served by it gets the error instead of what it was served.
    for (size_t r = 0; r < group.size(); r++) {
      if (!blocked[r]) continue;
      blocked[r] = false;
      std::erase_if(served,
                    [&](const Served& sv) { return sv.client->client_id == group[r]->client_id; });
      blocking_.Remove(group[r]->client_id);
    }
    for (Served& sv : served) {
      sv.reply.clear();
      resp::ReplyWriter out(&sv.reply);
      out.SetProtocol(sv.client->proto);
      ReplyError(stats_, error, out);
    }
    for (size_t r = 0; r < group.size(); r++) {
      replies[r].clear();
      resp::ReplyWriter out(&replies[r]);
      if (group[r]->exec && !unknown) {
        ReplyError(stats_, "EXECABORT Transaction discarded because of: " + error, out);
        continue;
      }
      if (group[r]->exec) {  // one reply for an EXEC
        ReplyError(stats_, error, out);
        continue;
      }
      for (WriteOp& op : group[r]->ops) {
        // The command ran, but its outcome is this error: a failed call (counted once).
        op.entry->failed_calls.fetch_add(1, std::memory_order_relaxed);
        ReplyError(stats_, error, out);
      }
    }
  }
  for (size_t r = 0; r < group.size(); r++) {
    replies[r] += own[r];
    if (blocked[r]) {
      group[r]->blocked(std::move(replies[r]));
    } else {
      group[r]->done(std::move(replies[r]));
    }
  }
  // After the requests: a client served here that blocked in this group has had its earlier
  // replies first.
  for (Served& sv : served) sv.client->done(std::move(sv.reply));
  store_.RunDeferredReclaims();  // after the replies: it switches the memtable
}

}  // namespace stash
