// What the stream commands (stream_commands.cc, stream_groups.cc, stream_info.cc) share: Redis's
// stream ID parsing and errors, opening a stream for a read or a write, replying entries, and a
// consumer group changed by a write. Storage: store/stream.h.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cmd/collection_source.h"
#include "cmd/command.h"
#include "store/collection.h"
#include "store/stream.h"

namespace stash::streams {

using store::StreamId;

inline constexpr const char* kInvalidIdError =
    "ERR Invalid stream ID specified as stream command argument";

// Redis's streamGenericParseIDOrReply: "ms" or "ms-seq" (missing_seq when there is no seq);
// "-" and "+" unless strict; "ms-*" only where seq_auto is given (XADD: *seq_auto set).
bool ParseId(std::string_view arg, bool strict, uint64_t missing_seq, StreamId* id,
             bool* seq_auto = nullptr);
// The same, failing with Redis's error.
CommandStatus ParseIdArg(std::string_view arg, bool strict, uint64_t missing_seq, StreamId* id);

// s as Redis's %s formats it in an error: up to its first NUL byte.
inline std::string CString(std::string_view s) { return std::string(s.substr(0, s.find('\0'))); }

// Point reads at the writer's group state (Txn::ReadRaw) and at a read source's read point.
inline store::RawRead TxnRead(store::Txn& txn) {
  return [&txn](const std::string& key, std::string* value) { return txn.ReadRaw(key, value); };
}
inline store::RawRead SourceRead(CollectionSource& src) {
  return [&src](const std::string& key, std::string* value) { return src.Raw(key, value); };
}

// A stream as a read sees it.
struct StreamRef {
  bool found = false;
  CollectionRef coll;
  std::optional<store::Stream> s;
};
// key as a stream: found false when absent, WRONGTYPE when of another type.
CommandStatus OpenStream(CollectionSource& src, std::string_view key, StreamRef* ref);

// A stream a write command changes.
struct StreamWrite {
  store::CollectionWrite w;
  std::optional<store::Stream> s;
};
// Opens key for a write: WRONGTYPE for another type; absent: *found false, and with create a
// new empty stream (a fresh version) that SaveStream creates.
CommandStatus OpenStreamWrite(WriteContext& c, std::string_view key, bool create, StreamWrite* sw,
                              bool* found);
// OpenStreamWrite (without create) for the commands Redis reads the key of (XREAD, XREADGROUP,
// XACK, XCLAIM, XAUTOCLAIM): counts a keyspace hit or miss (and its keymiss event); a key of
// another type is a hit.
CommandStatus OpenStreamCounted(WriteContext& c, std::string_view key, StreamWrite* sw,
                                bool* found);
// Writes the stream's metadata back (a stream exists even when empty). touch: the change counts
// for WATCH and client-side caching (Redis's signalModifiedKey: entries added or removed, not
// the group commands' changes).
CommandStatus SaveStream(WriteContext& c, StreamWrite* sw, bool touch = true);

// Entries read for a reply: id and its record.
using Entries = std::vector<std::pair<StreamId, std::string>>;
// [start, end] (rev: from end down), at most count (0: all).
Status ReadRange(Iterator* it, const store::Stream& s, StreamId start, StreamId end, bool rev,
                 uint64_t count, Entries* out);
// The newest entry's id (found false when the stream is empty).
// (A point read of the last ID first: it is usually there.)
Status LastEntryId(Iterator* it, const store::RawRead& read, const store::Stream& s, bool* found,
                   StreamId* id);
// [id, [field, value, ...]] for each entry; Corruption for a record that does not decode.
Status ReplyEntries(resp::ReplyWriter& out, const Entries& entries);
void ReplyId(resp::ReplyWriter& out, StreamId id);

// Redis's estimate of the entries-read counter of id (streamEstimateDistanceFromFirstEverEntry)
// and whether a range holds a deleted entry (streamRangeHasTombstones).
int64_t EstimateEntriesRead(const store::Stream& s, StreamId id);
bool RangeHasTombstones(const store::Stream& s, StreamId start, StreamId end);
// A group's lag (XINFO GROUPS), or nullopt when Redis cannot tell.
std::optional<int64_t> GroupLag(const store::Stream& s, const store::GroupState& g);

// A consumer group being changed by a write: its state, the consumers it touched (saved with
// it), and the stream it belongs to.
class GroupWrite {
 public:
  GroupWrite(WriteContext& c, StreamWrite& sw, std::string name, store::GroupState g)
      : c_(c), sw_(sw), name_(std::move(name)), g_(g) {}
  store::GroupState& state() { return g_; }
  const std::string& name() const { return name_; }
  // The consumer (created when missing and create: *created); null when missing.
  CommandStatus Consumer(std::string_view name, bool create, store::ConsumerState** out,
                         bool* created = nullptr);
  // Delivers id to consumer (a new pending entry, or one taken over: count reset to 1).
  CommandStatus Deliver(StreamId id, std::string_view consumer, int64_t now_ms);
  // Writes the group record and every consumer touched.
  void Save();
  store::Stream& stream() { return *sw_.s; }

 private:
  WriteContext& c_;
  StreamWrite& sw_;
  std::string name_;
  store::GroupState g_;
  std::map<std::string, store::ConsumerState, std::less<>> consumers_;
};

// Opens group of sw's stream: *found false when it does not exist.
CommandStatus OpenGroup(WriteContext& c, StreamWrite& sw, std::string_view name,
                        std::optional<GroupWrite>* out);

}  // namespace stash::streams
