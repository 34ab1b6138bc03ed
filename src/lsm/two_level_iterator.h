// TwoLevelIterator: iterates the entries of a sequence of blocks. An index iterator yields one
// entry per block (its value locates the block); block_function turns that value into an
// iterator over the block. A table iterator is an index-block iterator over data blocks.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "lsm/iterator.h"

namespace stash {

// Returns an iterator over the block the index value locates; an error is reported as an
// iterator whose status() is not OK (e.g. NewEmptyIterator(status)).
using BlockFunction = std::function<std::unique_ptr<Iterator>(std::string_view index_value)>;

// REQUIRES: the index keys separate the blocks: every key of a block is <= its index key and
// greater than the previous block's index key.
// The first error of any block stops the iteration (Valid() becomes false, status() reports it):
// skipping a bad block could expose an older version of a key that block shadows.
std::unique_ptr<Iterator> NewTwoLevelIterator(std::unique_ptr<Iterator> index_iter,
                                              BlockFunction block_function);

}  // namespace stash
