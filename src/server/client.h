// Client: joins a connection (net/) to its session (cmd/). The connection owns it as its
// handler: bytes read go to the session, and the session reaches its connection through the
// SessionLink this implements. Closing the connection unregisters the client from the server.
#pragma once

#include <memory>
#include <string>

#include "cmd/session.h"
#include "net/connection.h"

namespace stash {

class Server;

class Client final : public net::Handler, public SessionLink {
 public:
  Client(Server& server, net::Connection& conn);

  Session& session() { return session_; }

  // net::Handler
  void OnInput(const char* data, size_t n) override { session_.OnInput(data, n); }
  void OnOutputDrained() override { session_.OnOutputDrained(); }
  void OnClose() override;
  bool PubSubClass() const override { return session_.subscriptions().active(); }

  // SessionLink
  std::string& Output() override { return conn_.output(); }
  bool CheckOutputLimit() override { return conn_.CheckOutputLimit(); }
  void Flush() override { conn_.Flush(); }
  void CloseAfterReply() override { conn_.CloseAfterReply(); }
  bool Closing() const override { return conn_.closing(); }
  void Post(std::function<void()> fn) override { conn_.Post(std::move(fn)); }
  std::shared_ptr<void> KeepAlive() override { return conn_.shared_from_this(); }
  void Kill(const std::string& why) override { conn_.Kill(why); }
  LinkFacts Facts() const override;
  bool OnOwnThread() const override { return conn_.OnOwnThread(); }

 private:
  Server& server_;
  net::Connection& conn_;
  Session session_;
};

}  // namespace stash
