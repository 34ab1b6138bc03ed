// notify-keyspace-events: Redis's event classes as bits, and the letters that name them.
//   K keyspace channel (__keyspace@<db>__:<key>, message: the event)
//   E keyevent channel (__keyevent@<db>__:<event>, message: the key)
//   g generic (DEL, EXPIRE, RENAME, ...)  $ strings  l lists  s sets  h hashes  z sorted sets
//   x expired  e evicted  t streams  m key miss  d module  n new key
//   A alias of g$lshzxetd (not m, not n)
// Events are published only with K or E, and only for the classes named.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace stash {

enum NotifyFlag : uint32_t {
  kNotifyKeyspace = 1u << 0,
  kNotifyKeyevent = 1u << 1,
  kNotifyGeneric = 1u << 2,
  kNotifyString = 1u << 3,
  kNotifyList = 1u << 4,
  kNotifySet = 1u << 5,
  kNotifyHash = 1u << 6,
  kNotifyZset = 1u << 7,
  kNotifyExpired = 1u << 8,
  kNotifyEvicted = 1u << 9,
  kNotifyStream = 1u << 10,
  kNotifyKeyMiss = 1u << 11,
  kNotifyModule = 1u << 12,
  kNotifyNew = 1u << 13,
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZset | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,
};

// The flags the letters name; false on a letter Redis does not know.
bool ParseNotifyFlags(std::string_view letters, uint32_t* flags);
// The letters CONFIG GET shows, as Redis writes them (A for all of kNotifyAll).
std::string FormatNotifyFlags(uint32_t flags);

}  // namespace stash
