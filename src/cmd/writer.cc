#include "cmd/writer.h"

#include <chrono>

#include "cmd/command_table.h"
#include "cmd/dispatch.h"
#include "cmd/errors.h"
#include "cmd/server_api.h"
#include "cmd/session.h"
#include "cmd/stats.h"
#include "lsm/write_batch.h"
#include "resp/reply_writer.h"
#include "store/expire_cycle.h"
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
    : server_(server), store_(store), stats_(stats) {}

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

void Writer::Loop() {
  auto next_expire = std::chrono::steady_clock::now() + kExpireCycleInterval;
  std::vector<std::unique_ptr<WriteRequest>> group;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, next_expire, [this] { return stopping_ || !queue_.empty(); });
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
                   std::string& replies) {
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
    status = spec.write(ctx);
  }
  if (txn.op_error().ok()) {
    txn.EndOp();
  } else {
    // A read failed: whatever the handler made of it, none of this command's writes stay in
    // the group, and its reply is the error (the rest of the group goes on: docs/errors.md).
    status = Fail(ReadErrorReply(txn.op_error().ToString()));
    txn.AbortOp();
    replies.resize(before);
  }
  Finish(stats_, *op.entry, MicrosSince(start), status, out);
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
  for (size_t r = 0; r < group.size(); r++) {
    WriteRequest& req = *group[r];
    resp::ReplyWriter out(&replies[r]);
    out.SetProtocol(req.proto);
    events_.SetOrigin(req.client_id);
    if (req.exec) {
      RunExec(req, txn, out, replies[r]);
      continue;
    }
    int db = req.db;
    for (WriteOp& op : req.ops) RunOp(req, op, &db, txn, out, replies[r]);
  }
  txn.EndCommand();
  events_.SetOrigin(0);
  Status s = store_.Commit(txn, &batch);
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
    group[r]->done(std::move(replies[r]));
  }
  store_.RunDeferredReclaims();  // after the replies: it switches the memtable
}

}  // namespace stash
