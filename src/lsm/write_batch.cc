// WriteBatch encoding (rep_):
//
//   batch     := sequence: fixed64 | count: fixed32 | op_record * count
//   op_record := kTypeValue (1 byte)    | varint32 key_len | key | varint32 value_len | value
//              | kTypeDeletion (1 byte) | varint32 key_len | key
//
// Integers are little-endian (util/coding.h); the type bytes are the ValueType values of
// dbformat.h (kTypeDeletion = 0, kTypeValue = 1). Op i carries sequence number `sequence + i`.
// The WAL logs each op_record as a record of its own (the header is not logged: the WAL frames a
// batch with its batch-end record, and recovery numbers the ops); FromWalRecords reassembles a
// batch from those records.
#include "lsm/write_batch.h"

#include <cstdlib>
#include <limits>

#include "lsm/memtable.h"

namespace stash {
namespace {

struct ParsedOp {
  ValueType type;
  std::string_view key;
  std::string_view value;
};

// Parses the op record at the front of *input and consumes it. false when malformed or truncated.
bool ParseOp(std::string_view* input, ParsedOp* op) {
  if (input->empty()) return false;
  const auto type = static_cast<uint8_t>((*input)[0]);
  input->remove_prefix(1);
  if (!GetLengthPrefixed(input, &op->key)) return false;
  switch (type) {
    case kTypeValue:
      op->type = kTypeValue;
      return GetLengthPrefixed(input, &op->value);
    case kTypeDeletion:
      op->type = kTypeDeletion;
      op->value = {};
      return true;
    default:
      return false;
  }
}

class MemTableInserter final : public WriteBatch::Handler {
 public:
  MemTableInserter(SequenceNumber first_seq, MemTable* mem) : seq_(first_seq), mem_(mem) {}
  Status Put(std::string_view key, std::string_view value) override {
    mem_->Add(seq_++, kTypeValue, key, value);
    return Status::OK();
  }
  Status Delete(std::string_view key) override {
    mem_->Add(seq_++, kTypeDeletion, key, {});
    return Status::OK();
  }

 private:
  SequenceNumber seq_;
  MemTable* mem_;
};

}  // namespace

void WriteBatch::Put(std::string_view key, std::string_view value) {
  assert(key.size() <= std::numeric_limits<uint32_t>::max());
  assert(value.size() <= std::numeric_limits<uint32_t>::max());
  assert(Count() < std::numeric_limits<uint32_t>::max());
  SetCount(Count() + 1);
  rep_.push_back(static_cast<char>(kTypeValue));
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
}

void WriteBatch::Delete(std::string_view key) {
  assert(key.size() <= std::numeric_limits<uint32_t>::max());
  assert(Count() < std::numeric_limits<uint32_t>::max());
  SetCount(Count() + 1);
  rep_.push_back(static_cast<char>(kTypeDeletion));
  PutLengthPrefixed(&rep_, key);
}

void WriteBatch::Clear() {
  rep_.clear();
  rep_.resize(kHeaderSize, '\0');
}

void WriteBatch::Append(const WriteBatch& src) {
  assert(static_cast<uint64_t>(Count()) + src.Count() <= std::numeric_limits<uint32_t>::max());
  SetCount(Count() + src.Count());
  rep_.append(src.rep_, kHeaderSize);
}

Status WriteBatch::Iterate(Handler* handler) const {
  if (rep_.size() < kHeaderSize) return Status::Corruption("write batch shorter than its header");
  std::string_view input(rep_);
  input.remove_prefix(kHeaderSize);
  uint32_t found = 0;
  ParsedOp op;
  while (!input.empty()) {
    if (!ParseOp(&input, &op)) return Status::Corruption("malformed write batch op record");
    found++;
    if (op.type == kTypeValue) {
      STASH_RETURN_IF_ERROR(handler->Put(op.key, op.value));
    } else {
      STASH_RETURN_IF_ERROR(handler->Delete(op.key));
    }
  }
  if (found != Count()) return Status::Corruption("write batch count does not match its ops");
  return Status::OK();
}

Status WriteBatch::InsertInto(MemTable* mem) const {
  assert(Count() == 0 || Sequence() + Count() - 1 <= kMaxSequenceNumber);
  MemTableInserter inserter(Sequence(), mem);
  return Iterate(&inserter);
}

void WriteBatch::TakeOpRecord(std::string_view* ops, std::string_view* record) {
  const char* start = ops->data();
  ParsedOp op;
  if (!ParseOp(ops, &op)) {
    // rep_ only ever holds records written by Put/Delete or validated by FromWalRecords: a
    // failure here is memory corruption or a bug, and logging garbage would be worse than dying.
    std::abort();
  }
  *record = std::string_view(start, static_cast<size_t>(ops->data() - start));
}

std::vector<std::string_view> WriteBatch::OpRecords() const {
  std::vector<std::string_view> records;
  records.reserve(Count());
  ForEachOpRecord([&records](std::string_view record) { records.push_back(record); });
  return records;
}

Status WriteBatch::FromWalRecords(SequenceNumber first_seq, const std::vector<std::string>& records,
                                  WriteBatch* out) {
  out->Clear();
  if (records.size() >= std::numeric_limits<uint32_t>::max()) {
    return Status::Corruption("write batch has too many op records");
  }
  if (first_seq > kMaxSequenceNumber ||
      (!records.empty() && records.size() - 1 > kMaxSequenceNumber - first_seq)) {
    return Status::Corruption("write batch sequence numbers out of range");
  }
  for (size_t i = 0; i < records.size(); i++) {
    std::string_view input(records[i]);
    ParsedOp op;
    if (!ParseOp(&input, &op) || !input.empty()) {
      out->Clear();
      return Status::Corruption("malformed write batch op record " + std::to_string(i) + " of " +
                                std::to_string(records.size()));
    }
    out->rep_.append(records[i]);
  }
  out->SetCount(static_cast<uint32_t>(records.size()));
  out->SetSequence(first_seq);
  return Status::OK();
}

}  // namespace stash
