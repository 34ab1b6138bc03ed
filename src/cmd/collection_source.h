// CollectionSource: where a command reads hashes and sets from. On a connection's thread that is
// one read point (ReadSource: an engine snapshot and the slot of that moment, or inside EXEC the
// transaction's state); on the writer it is the group's Txn (TxnSource), so that a write command
// (SINTERSTORE, SMOVE, HRANDFIELD's neighbours) reads the writes before it. The helpers below
// read a collection's metadata and elements the same way from either.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cmd/command.h"
#include "cmd/keyspace_util.h"
#include "store/collection.h"
#include "store/layout.h"

namespace stash {

// HRANDFIELD's and SRANDMEMBER's count is a 64-bit integer other than its minimum.
inline constexpr const char* kCountRangeError =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";

class CollectionSource {
 public:
  virtual ~CollectionSource() = default;
  // key's live record: OK, NotFound (absent or expired) or the engine's error.
  virtual Status Record(std::string_view key, store::Record* out) = 0;
  virtual Status Raw(const std::string& engine_key, std::string* value) = 0;
  virtual std::unique_ptr<Iterator> NewIterator() = 0;
  virtual uint32_t slot() = 0;
  // The command's reply for a failed read.
  virtual CommandStatus Failure(const Status& s) = 0;
};

// A connection thread's read point (counts keyspace hits and misses as Redis does).
class ReadSource final : public CollectionSource {
 public:
  explicit ReadSource(CommandContext& c) : read_(c) {}
  Status Record(std::string_view key, store::Record* out) override { return read_.Get(key, out); }
  Status Raw(const std::string& engine_key, std::string* value) override {
    return read_.GetRaw(engine_key, value);
  }
  std::unique_ptr<Iterator> NewIterator() override { return read_.NewIterator(); }
  uint32_t slot() override { return read_.slot(); }
  CommandStatus Failure(const Status& s) override { return EngineError(s); }

 private:
  MultiKeyRead read_;
};

// The writer's group, for write commands that read collections.
class TxnSource final : public CollectionSource {
 public:
  explicit TxnSource(WriteContext& c) : c_(c) {}
  // Counts a keyspace hit or miss, as Redis's reads of SINTERSTORE's sources do.
  Status Record(std::string_view key, store::Record* out) override {
    Status s = c_.txn.Get(c_.db, key, c_.now_ms, out);
    if (!ReadFailed(s)) CountLookup(c_, key, s.ok());
    return s;
  }
  Status Raw(const std::string& engine_key, std::string* value) override {
    return c_.txn.ReadRaw(engine_key, value);
  }
  std::unique_ptr<Iterator> NewIterator() override { return c_.txn.NewRawIterator(); }
  uint32_t slot() override { return c_.txn.Slot(c_.db); }
  CommandStatus Failure(const Status& s) override {
    c_.txn.Fail(s).IgnoreError();  // recorded: the writer takes the command back
    return ReadFailure(s);
  }

 private:
  WriteContext& c_;
};

// A collection as a read sees it.
struct CollectionRef {
  std::string key;
  bool found = false;  // a live collection of the type
  int64_t expire_at_ms = 0;
  store::CollectionMeta meta;
};

// Reads key as a collection of type: found false when absent, WRONGTYPE when another type.
CommandStatus OpenCollection(CollectionSource& src, std::string_view key, store::ValueType type,
                             CollectionRef* ref);
// One element's value: OK, NotFound or the engine's error.
Status GetElement(CollectionSource& src, const CollectionRef& ref, std::string_view element,
                  std::string* value);
// Calls fn(element, value) in element order from the first element >= from, until it returns
// false.
Status ForEachElement(
    CollectionSource& src, const CollectionRef& ref, std::string_view from,
    const std::function<bool(std::string_view element, std::string_view value)>& fn);
// Every (element, value) of the collection (none when !ref.found).
Status LoadElements(CollectionSource& src, const CollectionRef& ref,
                    std::vector<std::pair<std::string, std::string>>* out);

// Random elements for HRANDFIELD/SRANDMEMBER/SPOP: count < 0: -count picks with repeats; else
// min(count, size) distinct ones. Each pick is uniform over the elements: a random position
// and one point read for it (layout.h), so a pick costs O(1) reads whatever the size; a count
// at or above the size reads the whole collection once instead. with_values: each pair's
// second is the element's value (else empty).
Status PickElements(CollectionSource& src, const CollectionRef& ref, int64_t count,
                    bool with_values, std::vector<std::pair<std::string, std::string>>* out);

// HRANDFIELD / ZRANDMEMBER key [count [word]] (word: WITHVALUES / WITHSCORES), and what they
// share after parsing: an absent key or a zero count replied at once (*replied), else the
// picks (PickElements; pair values only with word).
struct RandomArgs {
  bool with_count = false;
  int64_t count = 1;
  bool with_values = false;
};
CommandStatus ParseRandomArgs(const std::vector<std::string>& argv, std::string_view word,
                              RandomArgs* a);
CommandStatus PickRandom(CommandContext& c, CollectionSource& src, const CollectionRef& ref,
                         const RandomArgs& a,
                         std::vector<std::pair<std::string, std::string>>* picks, bool* replied);

// LMPOP/ZMPOP and their blocking forms, from argv[at]: numkeys key [key ...] END [COUNT n],
// END being first_end (then first is true) or second_end, in any case.
struct MPopArgs {
  std::span<const std::string> keys;
  bool first = true;
  int64_t count = 1;
};
CommandStatus ParseMPop(const std::vector<std::string>& argv, size_t at, std::string_view first_end,
                        std::string_view second_end, MPopArgs* out);

// --- shared by the hash and set commands ---
// Reads element argv[2] of the collection at argv[1] (of type): *found, and its *value.
CommandStatus ReadElementArg(CommandContext& c, store::ValueType type, std::string* value,
                             bool* found);
// HEXISTS / SISMEMBER: 1 when argv[2] is an element of the collection at argv[1], else 0.
CommandStatus ReplyHasElement(CommandContext& c, store::ValueType type);
// HLEN / SCARD: the count of the collection at argv[1] (0 when absent).
CommandStatus ReplyCount(CommandContext& c, store::ValueType type);
// Opens key for a write command: WRONGTYPE for another type, the read's failure.
CommandStatus OpenForWrite(WriteContext& c, std::string_view key, store::ValueType type,
                           store::CollectionWrite* w);
// SaveCollection, with a read failure as the command's failure.
CommandStatus SaveForWrite(WriteContext& c, store::CollectionWrite* w);
// HDEL / SREM: removes argv[2..] from the collection at argv[1]; replies how many were there.
CommandStatus RemoveElements(WriteContext& c, store::ValueType type);
// After a save that removed elements (HDEL, SREM, SPOP, SMOVE's source): Redis's event (class
// cls) when any went, then "del" when the collection is gone.
void NotifyRemoved(WriteContext& c, const store::CollectionWrite& w, uint32_t cls,
                   std::string_view event, int64_t removed);

// HSCAN/SSCAN key cursor [MATCH pattern] [COUNT n] (scan_command.cc): SCAN's contract over one
// collection's elements, in element order; with_values: each element is followed by its value.
CommandStatus ScanElements(CommandContext& c, store::ValueType type, bool with_values);

}  // namespace stash
