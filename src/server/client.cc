#include "server/client.h"

#include "server/server.h"

namespace stash {

Client::Client(Server& server, net::Connection& conn)
    : server_(server), conn_(conn), session_(server, *this, conn.id()) {}

void Client::OnClose() {
  session_.OnClose();
  server_.Unregister(conn_.id());
}

LinkFacts Client::Facts() const {
  LinkFacts f;
  f.local_address = conn_.local_address();
  f.remote_address = conn_.remote_address();
  f.fd = conn_.fd();
  f.created_ms = conn_.created_ms();
  f.last_interaction_ms = conn_.last_interaction_ms();
  f.output_bytes = conn_.OutputBytes();
  f.read_buffer_bytes = net::Connection::kReadBufferBytes;
  return f;
}

}  // namespace stash
