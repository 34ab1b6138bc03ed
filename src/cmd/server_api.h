// ServerApi: what command handlers and sessions need from the process around them (the server
// implements it in server/server.*). It keeps cmd/ below server/ and net/: commands reach
// clients, INFO and shutdown only through this interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace stash {

class Config;
class CommandTable;
class ScanCursorTable;
class Session;
class Tracker;
class Writer;
struct ServerStats;
namespace store {
class KeyReader;
class Store;
}  // namespace store
namespace pubsub {
class Hub;
}

// Request-size limits a session's parser applies (CONFIG SET changes them; generation tells a
// session its copy is stale).
struct RequestLimits {
  size_t max_bulk_len = 0;
  size_t query_buffer_limit = 0;
  uint64_t generation = 0;
};

class ServerApi {
 public:
  virtual ~ServerApi() = default;

  virtual Config& config() = 0;
  virtual CommandTable& commands() = 0;
  virtual ServerStats& stats() = 0;
  virtual ScanCursorTable& scan_cursors() = 0;
  virtual int databases() const = 0;

  // Any thread. True until the data directory is open and the writer runs.
  virtual bool Loading() const = 0;
  // REQUIRES: !Loading().
  virtual store::Store& store() = 0;
  virtual Writer& writer() = 0;
  // The keyspace for commands: the store, or while loading a reader that fails every read.
  virtual store::KeyReader& keys() = 0;

  // Whether a client must AUTH before other commands (requirepass is set).
  virtual bool AuthRequired() const = 0;
  virtual bool CheckPassword(const std::string& password) const = 0;
  virtual RequestLimits Limits() const = 0;
  virtual uint64_t LimitsGeneration() const = 0;

  // Any thread: every connected client's session (CLIENT LIST, CLIENT KILL).
  virtual std::vector<std::shared_ptr<Session>> Sessions() const = 0;
  // Any thread: Pub/Sub's channels and their subscribers.
  virtual pubsub::Hub& pubsub() = 0;
  // Any thread: client-side caching's tracking table (cmd/tracking.h).
  virtual Tracker& tracker() = 0;
  // Any thread: the keyspace notification classes to publish (config/notify_flags.h).
  virtual uint32_t NotifyFlags() const = 0;
  // Any thread: zset-max-listpack-entries and zset-max-listpack-value (the size class Redis
  // would hold a sorted set in, which decides whether it keeps a score of -0: zset_commands.cc).
  virtual std::pair<int64_t, int64_t> ZSetListpackLimits() const = 0;
  // Any thread: busy-reply-threshold (script_commands.cc).
  virtual int64_t BusyReplyThresholdMs() const = 0;
  // Any thread: 0, or the script::Engine::kBusy* kind of the script that has run past
  // busy-reply-threshold (other commands get BUSY).
  virtual int ScriptBusy() const = 0;
  // Any thread: starts an orderly shutdown.
  virtual void RequestShutdown(const std::string& reason) = 0;
  // The text of INFO for these (lowercase) section names.
  virtual std::string Info(const std::vector<std::string>& sections) = 0;
};

}  // namespace stash
