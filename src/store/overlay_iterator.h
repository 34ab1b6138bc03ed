// OverlayIterator: an engine iterator seen through a transaction's own writes (an ordered map of
// engine key -> value, or nullopt for a delete): overlay entries replace or hide the base's.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "lsm/iterator.h"

namespace stash::store {

using Overlay = std::map<std::string, std::optional<std::string>, std::less<>>;

// REQUIRES: overlay outlives the iterator and is not modified while it is in use.
std::unique_ptr<Iterator> NewOverlayIterator(const Overlay* overlay,
                                             std::unique_ptr<Iterator> base);

}  // namespace stash::store
