// Server-wide counters for INFO stats and INFO errorstats. Atomics: bumped from every I/O
// thread and the writer.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stash {

struct ServerStats {
  std::atomic<uint64_t> total_connections_received{0};
  std::atomic<uint64_t> total_commands_processed{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> keyspace_hits{0};
  std::atomic<uint64_t> keyspace_misses{0};
  std::atomic<uint64_t> expired_keys{0};
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  std::atomic<uint64_t> total_error_replies{0};
  std::atomic<uint64_t> client_output_limit_disconnections{0};

  // Instantaneous ops/sec: the cron records (time, commands) samples; the rate is the mean over
  // the last kSamples intervals, as Redis computes it.
  static constexpr int kSamples = 16;
  void RecordOpsSample(int64_t now_ms);
  double InstantaneousOpsPerSec() const;

  // Counts one error reply (text without the leading '-'): total_error_replies, and INFO
  // errorstats under its code, as Redis 7.0 does: the first word when a space ends it within
  // the first 32 bytes, else "ERR".
  void CountErrorReply(std::string_view error);
  // INFO errorstats: (code, count) in byte order of the code.
  std::vector<std::pair<std::string, uint64_t>> ErrorCounts() const;

  void Reset();

 private:
  mutable std::mutex sample_mu_;
  std::array<double, kSamples> rates_{};
  int next_sample_ = 0;
  int64_t last_sample_ms_ = 0;
  uint64_t last_sample_ops_ = 0;

  mutable std::mutex errors_mu_;
  std::map<std::string, uint64_t, std::less<>> errors_;
};

}  // namespace stash
