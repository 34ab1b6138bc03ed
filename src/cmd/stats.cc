#include "cmd/stats.h"

namespace stash {

void ServerStats::RecordOpsSample(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(sample_mu_);
  uint64_t ops = total_commands_processed.load(std::memory_order_relaxed);
  if (last_sample_ms_ != 0 && now_ms > last_sample_ms_) {
    rates_[next_sample_] = static_cast<double>(ops - last_sample_ops_) * 1000.0 /
                           static_cast<double>(now_ms - last_sample_ms_);
    next_sample_ = (next_sample_ + 1) % kSamples;
  }
  last_sample_ms_ = now_ms;
  last_sample_ops_ = ops;
}

double ServerStats::InstantaneousOpsPerSec() const {
  std::lock_guard<std::mutex> lock(sample_mu_);
  double sum = 0;
  for (double r : rates_) sum += r;
  return sum / kSamples;
}

void ServerStats::CountErrorReply(std::string_view error) {
  total_error_replies.fetch_add(1, std::memory_order_relaxed);
  size_t space = error.substr(0, 32).find(' ');
  std::string_view code = space == std::string_view::npos ? "ERR" : error.substr(0, space);
  std::lock_guard<std::mutex> lock(errors_mu_);
  auto it = errors_.find(code);
  if (it == errors_.end()) it = errors_.emplace(std::string(code), 0).first;
  it->second++;
}

std::vector<std::pair<std::string, uint64_t>> ServerStats::ErrorCounts() const {
  std::lock_guard<std::mutex> lock(errors_mu_);
  return {errors_.begin(), errors_.end()};
}

void ServerStats::Reset() {
  total_connections_received = 0;
  total_commands_processed = 0;
  rejected_connections = 0;
  keyspace_hits = 0;
  keyspace_misses = 0;
  expired_keys = 0;
  net_input_bytes = 0;
  net_output_bytes = 0;
  total_error_replies = 0;
  client_output_limit_disconnections = 0;
  {
    std::lock_guard<std::mutex> lock(errors_mu_);
    errors_.clear();
  }
  std::lock_guard<std::mutex> lock(sample_mu_);
  rates_.fill(0);
  last_sample_ops_ = 0;
  last_sample_ms_ = 0;
}

}  // namespace stash
