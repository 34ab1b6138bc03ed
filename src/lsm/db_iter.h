// DB iterator: turns a merged stream of internal keys (memtable, immutable memtables, tables)
// into the user's view at one sequence number: one entry per user key holding its newest value
// visible at that sequence; keys whose newest visible write is a deletion are hidden.
#pragma once

#include <memory>

#include "lsm/comparator.h"
#include "lsm/dbformat.h"
#include "lsm/iterator.h"

namespace stash {

// internal: sorted by InternalKeyComparator over user_comparator; owned by the result.
// user_comparator is not owned and must outlive the iterator. Seek takes a user key.
// A malformed internal key stops the iteration with Corruption.
std::unique_ptr<Iterator> NewDBIterator(const Comparator* user_comparator,
                                        std::unique_ptr<Iterator> internal,
                                        SequenceNumber sequence);

}  // namespace stash
