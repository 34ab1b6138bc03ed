#include "lsm/table_cache.h"

#include "lsm/filename.h"
#include "lsm/table.h"
#include "util/coding.h"

namespace stash {
namespace {

void DeleteTableEntry(std::string_view /*key*/, void* value) {
  delete static_cast<std::shared_ptr<Table>*>(value);
}

}  // namespace

TableCache::TableCache(std::string dir, const TableOptions* options, Env* env, int entries)
    : dir_(std::move(dir)),
      options_(options),
      env_(env),
      // Each entry is charged 1, so the capacity counts tables. Shard only when every shard
      // still gets a useful share of the slots.
      cache_(NewLRUCache(static_cast<size_t>(entries < 1 ? 1 : entries), entries >= 256 ? 4 : 0)) {}

TableCache::~TableCache() = default;

Status TableCache::FindTable(uint64_t file_number, uint64_t file_size,
                             std::shared_ptr<Table>* table) {
  char key[8];
  EncodeFixed64(key, file_number);
  std::string_view cache_key(key, sizeof(key));
  if (Cache::Handle* h = cache_->Lookup(cache_key)) {
    *table = *static_cast<std::shared_ptr<Table>*>(cache_->Value(h));
    cache_->Release(h);
    return Status::OK();
  }
  std::string path = TableFileName(dir_, file_number);
  std::unique_ptr<RandomAccessFile> file;
  STASH_RETURN_IF_ERROR(env_->NewRandomAccessFile(path, &file));
  std::shared_ptr<Table> opened;
  STASH_RETURN_IF_ERROR(Table::Open(*options_, path, std::move(file), file_size, &opened));
  *table = opened;
  cache_->Release(cache_->Insert(cache_key, new std::shared_ptr<Table>(std::move(opened)), 1,
                                 &DeleteTableEntry));
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
  std::shared_ptr<Table> table;
  STASH_RETURN_IF_ERROR(FindTable(file_number, file_size, &table));
  return table->InternalGet(internal_key, user_key, found);
}

void TableCache::Evict(uint64_t file_number) {
  char key[8];
  EncodeFixed64(key, file_number);
  cache_->Erase(std::string_view(key, sizeof(key)));
}

}  // namespace stash
