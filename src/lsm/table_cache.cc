#include "lsm/table_cache.h"

#include <algorithm>

#include "lsm/filename.h"
#include "lsm/table.h"
#include "util/coding.h"

namespace stash {

// A cached table and the bytes it was counted with.
struct TableCache::Entry {
  std::shared_ptr<Table> table;
  size_t bytes;
  TableCache* owner;
};

void TableCache::DeleteEntry(std::string_view /*key*/, void* value) {
  auto* e = static_cast<Entry*>(value);
  e->owner->ChangeTableBytes(-static_cast<int64_t>(e->bytes));
  delete e;
}

void TableCache::ChangeTableBytes(int64_t delta) {
  const size_t bytes = table_bytes_.fetch_add(static_cast<size_t>(delta)) + delta;
  Cache* blocks = options_->block_cache;
  if (shared_budget_ == 0 || blocks == nullptr) return;
  const size_t floor = shared_budget_ / 8;
  blocks->SetCapacity(bytes + floor > shared_budget_ ? floor : shared_budget_ - bytes);
}

TableCache::TableCache(std::string dir, const TableOptions* options, Env* env, int entries,
                       size_t shared_budget)
    : dir_(std::move(dir)),
      options_(options),
      env_(env),
      shared_budget_(shared_budget),
      pin_slots_(entries / 4),
      // Each entry is charged 1, so the capacity counts tables: what the pins may keep open
      // beside it is set aside. Shard only when every shard still gets a useful share.
      cache_(NewLRUCache(static_cast<size_t>(std::max(1, entries - entries / 4)),
                         entries >= 256 ? 4 : 0)) {}

TableCache::~TableCache() = default;

Status TableCache::FindTable(uint64_t file_number, uint64_t file_size,
                             std::shared_ptr<Table>* table) {
  char key[8];
  EncodeFixed64(key, file_number);
  std::string_view cache_key(key, sizeof(key));
  if (Cache::Handle* h = cache_->Lookup(cache_key)) {
    *table = static_cast<Entry*>(cache_->Value(h))->table;
    cache_->Release(h);
    return Status::OK();
  }
  std::string path = TableFileName(dir_, file_number);
  std::unique_ptr<RandomAccessFile> file;
  STASH_RETURN_IF_ERROR(env_->NewRandomAccessFile(path, &file));
  std::shared_ptr<Table> opened;
  STASH_RETURN_IF_ERROR(Table::Open(*options_, path, std::move(file), file_size, &opened));
  *table = opened;
  const size_t bytes = opened->MemoryUsage();
  ChangeTableBytes(static_cast<int64_t>(bytes));
  cache_->Release(
      cache_->Insert(cache_key, new Entry{std::move(opened), bytes, this}, 1, &DeleteEntry));
  return Status::OK();
}

std::unique_ptr<Iterator> TableCache::NewIterator(uint64_t file_number, uint64_t file_size,
                                                  bool fill_cache) {
  std::shared_ptr<Table> table;
  Status s = FindTable(file_number, file_size, &table);
  if (!s.ok()) return NewEmptyIterator(s);
  return table->NewIterator(fill_cache);  // the iterator keeps the table alive
}

Status TableCache::Get(uint64_t file_number, uint64_t file_size, std::string_view internal_key,
                       std::string_view user_key,
                       const std::function<void(std::string_view, std::string_view)>& found) {
  // A cached table is used under the cache's pin, without copying its shared_ptr (an atomic
  // count every reading thread would bounce between cores).
  char key[8];
  EncodeFixed64(key, file_number);
  if (Cache::Handle* h = cache_->Lookup(std::string_view(key, sizeof(key)))) {
    Status s =
        static_cast<Entry*>(cache_->Value(h))->table->InternalGet(internal_key, user_key, found);
    cache_->Release(h);
    return s;
  }
  std::shared_ptr<Table> table;
  STASH_RETURN_IF_ERROR(FindTable(file_number, file_size, &table));
  return table->InternalGet(internal_key, user_key, found);
}

Status TableCache::GetPinned(TablePin* pin, bool may_pin, uint64_t file_number, uint64_t file_size,
                             std::string_view internal_key, std::string_view user_key,
                             const std::function<void(std::string_view, std::string_view)>& found) {
  if (pin == nullptr) return Get(file_number, file_size, internal_key, user_key, found);
  if (Table* table = pin->table.load(std::memory_order_acquire)) {
    return table->InternalGet(internal_key, user_key, found);
  }
  if (!may_pin) return Get(file_number, file_size, internal_key, user_key, found);
  std::shared_ptr<Table> table;
  STASH_RETURN_IF_ERROR(FindTable(file_number, file_size, &table));
  {
    std::lock_guard<std::mutex> lock(pin->mu);
    if (pin->owner == nullptr) {
      pin->owner = table;
      pin->table.store(table.get(), std::memory_order_release);
    }
  }
  return table->InternalGet(internal_key, user_key, found);
}

void TableCache::Evict(uint64_t file_number) {
  char key[8];
  EncodeFixed64(key, file_number);
  cache_->Erase(std::string_view(key, sizeof(key)));
}

}  // namespace stash
