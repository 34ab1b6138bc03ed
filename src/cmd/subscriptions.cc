#include "cmd/subscriptions.h"

#include <mutex>

#include "cmd/session.h"
#include "resp/reply_writer.h"

namespace stash {

using pubsub::Kind;

namespace {

const char* SubscribeName(Kind kind) {
  return kind == Kind::kPattern ? "psubscribe" : kind == Kind::kShard ? "ssubscribe" : "subscribe";
}
const char* UnsubscribeName(Kind kind) {
  return kind == Kind::kPattern ? "punsubscribe"
         : kind == Kind::kShard ? "sunsubscribe"
                                : "unsubscribe";
}

}  // namespace

void Mailbox::DeliverBytes(std::string_view bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (link_ == nullptr) return;
  if (link_->OnOwnThread()) {
    std::string& out = link_->Output();
    out.append(pending_);  // whatever other threads left first keeps its place
    pending_.clear();
    out.append(bytes);
  } else {
    pending_.append(bytes);
  }
  if (!drain_posted_) {
    drain_posted_ = true;
    link_->Post([self = shared_from_this()] { self->Drain(); });
  }
}

void Mailbox::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  link_ = nullptr;
  std::string().swap(pending_);
}

bool Mailbox::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return link_ == nullptr;
}

void Mailbox::Drain() {
  SessionLink* link;
  {
    std::lock_guard<std::mutex> lock(mu_);
    drain_posted_ = false;
    link = link_;
    if (link == nullptr) return;
    link->Output().append(pending_);
    pending_.clear();
    if (pending_.capacity() > (1 << 20)) std::string().swap(pending_);
  }
  if (!link->CheckOutputLimit()) return;  // closed: Close() ran
  link->Flush();
}

Subscriptions::Subscriptions(SessionLink& link, int proto)
    : mailbox_(std::make_shared<Mailbox>(link, proto)) {}

Subscriptions::~Subscriptions() { Close(); }

void Subscriptions::SetProtocol(int proto) { mailbox_->SetProtocol(proto); }

size_t Subscriptions::ReplyCount(Kind kind) const {
  if (kind == Kind::kShard) return names_[static_cast<int>(Kind::kShard)].size();
  return names_[static_cast<int>(Kind::kChannel)].size() +
         names_[static_cast<int>(Kind::kPattern)].size();
}

void Subscriptions::Confirm(const char* what, const std::string* name, Kind kind,
                            resp::ReplyWriter& out) {
  out.PushHeader(3);
  out.Bulk(what);
  if (name != nullptr) {
    out.Bulk(*name);
  } else {
    out.Null();
  }
  out.Integer(static_cast<int64_t>(ReplyCount(kind)));
}

void Subscriptions::Subscribe(pubsub::Hub& hub, Kind kind, std::span<const std::string> names,
                              resp::ReplyWriter& out) {
  hub_ = &hub;
  auto& mine = names_[static_cast<int>(kind)];
  for (const std::string& name : names) {
    if (mine.insert(name).second) {
      hub.Subscribe(kind, name, mailbox_);
      counts_[static_cast<int>(kind)].store(mine.size(), std::memory_order_relaxed);
      mailbox_->SetSubscribed(true);
    }
    Confirm(SubscribeName(kind), &name, kind, out);
  }
}

void Subscriptions::Drop(Kind kind, const std::string& name) {
  auto& mine = names_[static_cast<int>(kind)];
  hub_->Unsubscribe(kind, name, mailbox_.get());
  mine.erase(name);
  counts_[static_cast<int>(kind)].store(mine.size(), std::memory_order_relaxed);
  mailbox_->SetSubscribed(active());
}

void Subscriptions::Unsubscribe(pubsub::Hub& hub, Kind kind, std::span<const std::string> names,
                                resp::ReplyWriter& out) {
  hub_ = &hub;
  auto& mine = names_[static_cast<int>(kind)];
  if (names.empty()) {
    if (mine.empty()) return Confirm(UnsubscribeName(kind), nullptr, kind, out);
    while (!mine.empty()) {
      std::string name = *mine.begin();
      Drop(kind, name);
      Confirm(UnsubscribeName(kind), &name, kind, out);
    }
    return;
  }
  for (const std::string& name : names) {
    if (mine.contains(name)) Drop(kind, name);
    Confirm(UnsubscribeName(kind), &name, kind, out);
  }
}

void Subscriptions::Clear() {
  if (hub_ == nullptr) return;
  for (Kind kind : {Kind::kChannel, Kind::kPattern, Kind::kShard}) {
    auto& mine = names_[static_cast<int>(kind)];
    while (!mine.empty()) {
      std::string name = *mine.begin();
      Drop(kind, name);
    }
  }
}

void Subscriptions::Close() {
  Clear();
  mailbox_->Close();
}

}  // namespace stash
