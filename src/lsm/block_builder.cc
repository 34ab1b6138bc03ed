// Block format (all blocks of a table: data, index, metaindex, properties):
//
//   block   := entry* restart: fixed32 * num_restarts, num_restarts: fixed32
//   entry   := shared: varint32, unshared: varint32, value_length: varint32,
//              key_suffix: byte[unshared], value: byte[value_length]
//
// An entry's key is the first `shared` bytes of the previous entry's key followed by key_suffix.
// Every restart_interval-th entry is a restart point: it stores its whole key (shared = 0) and
// its offset in the block is listed in the restart array, so a reader can binary-search the
// restart points and decode forward from one. An empty block is a single restart at offset 0.
#include "lsm/block_builder.h"

#include <algorithm>
#include <cassert>

#include "util/coding.h"

namespace stash {

BlockBuilder::BlockBuilder(int restart_interval) : restart_interval_(restart_interval) {
  assert(restart_interval_ >= 1);
  restarts_.push_back(0);
}

void BlockBuilder::Reset() {
  buffer_.clear();
  restarts_.clear();
  restarts_.push_back(0);
  entries_since_restart_ = 0;
  num_entries_ = 0;
  finished_ = false;
  last_key_.clear();
}

void BlockBuilder::Add(std::string_view key, std::string_view value) {
  assert(!finished_);
  size_t shared = 0;
  if (entries_since_restart_ < restart_interval_) {
    const size_t max_shared = std::min(last_key_.size(), key.size());
    while (shared < max_shared && last_key_[shared] == key[shared]) shared++;
  } else {
    restarts_.push_back(static_cast<uint32_t>(buffer_.size()));
    entries_since_restart_ = 0;
  }
  const size_t unshared = key.size() - shared;

  char header[15];
  char* p = EncodeVarint32(header, static_cast<uint32_t>(shared));
  p = EncodeVarint32(p, static_cast<uint32_t>(unshared));
  p = EncodeVarint32(p, static_cast<uint32_t>(value.size()));
  buffer_.append(header, static_cast<size_t>(p - header));
  buffer_.append(key.substr(shared));
  buffer_.append(value);

  last_key_.resize(shared);
  last_key_.append(key.substr(shared));
  entries_since_restart_++;
  num_entries_++;
}

std::string_view BlockBuilder::Finish() {
  if (!finished_) {
    for (uint32_t restart : restarts_) PutFixed32(&buffer_, restart);
    PutFixed32(&buffer_, static_cast<uint32_t>(restarts_.size()));
    finished_ = true;
  }
  return buffer_;
}

size_t BlockBuilder::CurrentSizeEstimate() const {
  if (finished_) return buffer_.size();
  return buffer_.size() + restarts_.size() * sizeof(uint32_t) + sizeof(uint32_t);
}

}  // namespace stash
