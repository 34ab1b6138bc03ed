// Merging iterator: one sorted stream over several sorted children (memtable, immutable
// memtables, SSTables and levels), without removing duplicates: entries with equal keys from
// different children all appear, the one from the earlier child (lower index) first.
#pragma once

#include <memory>
#include <vector>

#include "lsm/comparator.h"
#include "lsm/iterator.h"

namespace stash {

// Returns an iterator yielding the union of the children's entries in cmp order. Forward only.
// It owns the children; cmp is not owned and must outlive it. Every child must be sorted by cmp.
// Cost: O(log n) comparisons per Next for n children.
//
// Errors: status() is the first non-OK status among the children, in child order. As soon as a
// child stops with an error the merged iterator stops too (Valid() false), since a merge missing
// one source could surface a value that source shadows; a later Seek/SeekToFirst retries.
std::unique_ptr<Iterator> NewMergingIterator(const Comparator* cmp,
                                             std::vector<std::unique_ptr<Iterator>> children);

}  // namespace stash
