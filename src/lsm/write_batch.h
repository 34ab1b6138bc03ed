// WriteBatch: an ordered group of writes applied atomically (one command, or a whole
// MULTI/EXEC). Op i of the batch gets sequence number Sequence() + i. The byte format is spelled
// out at the top of write_batch.cc.
//
// Thread-safety: a batch is a plain value; const methods may run concurrently, anything else
// needs external synchronisation.
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/dbformat.h"
#include "util/coding.h"
#include "util/status.h"

namespace stash {

class MemTable;

class WriteBatch {
 public:
  // Receives the ops of a batch in order (Iterate).
  class Handler {
   public:
    virtual ~Handler() = default;
    // A non-OK result stops the iteration and is returned by Iterate.
    virtual Status Put(std::string_view key, std::string_view value) = 0;
    virtual Status Delete(std::string_view key) = 0;
  };

  WriteBatch() { Clear(); }

  // REQUIRES (both): key.size() and value.size() < 2^32; Count() < 2^32 - 1.
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  // Removes every op; the sequence number becomes 0.
  void Clear();
  // Appends src's ops after this batch's ops; this batch's sequence number is kept.
  void Append(const WriteBatch& src);

  uint32_t Count() const { return DecodeFixed32(rep_.data() + 8); }
  // Bytes of the encoded batch (header included): the memory it takes and about what it adds to
  // the WAL.
  size_t ApproximateSize() const { return rep_.size(); }
  SequenceNumber Sequence() const { return DecodeFixed64(rep_.data()); }
  void SetSequence(SequenceNumber seq) { EncodeFixed64(rep_.data(), seq); }

  // Calls handler->Put / Delete for every op, in order. Returns the first non-OK result of the
  // handler, or Corruption if the batch does not parse (cannot happen for a batch built through
  // this class, which only ever holds valid ops).
  Status Iterate(Handler* handler) const;

  // Adds every op to mem with sequence numbers Sequence(), Sequence() + 1, ...
  // REQUIRES: Sequence() + Count() - 1 <= kMaxSequenceNumber; the caller is mem's writer.
  Status InsertInto(MemTable* mem) const;

  // The encoded op records, in order, as the WAL stores them (one log record each). The views
  // point into this batch and live until it is next modified.
  std::vector<std::string_view> OpRecords() const;
  // The same without building a vector: fn(std::string_view record) for each op record in order.
  template <typename Fn>
  void ForEachOpRecord(Fn&& fn) const;

  // Rebuilds a batch from op records read back from the WAL, with sequence number first_seq.
  // Every record must be exactly one well-formed op record; otherwise returns Corruption and
  // leaves *out cleared.
  static Status FromWalRecords(SequenceNumber first_seq, const std::vector<std::string>& records,
                               WriteBatch* out);

 private:
  static constexpr size_t kHeaderSize = 12;  // fixed64 sequence | fixed32 count

  void SetCount(uint32_t n) { EncodeFixed32(rep_.data() + 8, n); }
  // Moves the first op record of *ops into *record. REQUIRES: *ops starts with a valid record.
  static void TakeOpRecord(std::string_view* ops, std::string_view* record);

  // Invariant: the header followed by exactly Count() well-formed op records.
  std::string rep_;
};

template <typename Fn>
void WriteBatch::ForEachOpRecord(Fn&& fn) const {
  std::string_view ops(rep_);
  ops.remove_prefix(kHeaderSize);
  std::string_view record;
  while (!ops.empty()) {
    TakeOpRecord(&ops, &record);
    fn(record);
  }
}

}  // namespace stash
