// Table reading. The file format is described in table_builder.cc and format.cc.
#include "lsm/table.h"

#include "lsm/cache.h"
#include "lsm/two_level_iterator.h"
#include "util/coding.h"

namespace stash {
namespace {

void DeleteCachedBlock(std::string_view /*key*/, void* value) { delete static_cast<Block*>(value); }

}  // namespace

Table::Table(const TableOptions& options, std::string file_name,
             std::unique_ptr<RandomAccessFile> file, uint64_t file_size)
    : options_(options),
      file_name_(std::move(file_name)),
      file_(std::move(file)),
      file_size_(file_size) {}

Table::~Table() = default;

Status Table::Open(const TableOptions& options, std::string file_name,
                   std::unique_ptr<RandomAccessFile> file, uint64_t file_size,
                   std::shared_ptr<Table>* table) {
  table->reset();
  if (file_size < Footer::kEncodedLength) {
    return CorruptionAt(file_name, 0,
                        "file too short (" + std::to_string(file_size) + " bytes) to be a table");
  }
  const uint64_t footer_offset = file_size - Footer::kEncodedLength;
  char scratch[Footer::kEncodedLength];
  std::string_view encoded;
  STASH_RETURN_IF_ERROR(file->Read(footer_offset, Footer::kEncodedLength, &encoded, scratch));
  if (encoded.size() != Footer::kEncodedLength) {
    return CorruptionAt(file_name, footer_offset, "truncated footer read");
  }
  Footer footer;
  STASH_RETURN_IF_ERROR(footer.DecodeFrom(encoded, file_name, footer_offset));

  std::shared_ptr<Table> t(new Table(options, std::move(file_name), std::move(file), file_size));
  t->data_limit_ = footer_offset;
  t->metaindex_offset_ = footer.metaindex.offset;
  t->index_offset_ = footer.index.offset;
  std::unique_ptr<Block> metaindex;
  STASH_RETURN_IF_ERROR(t->ReadMetaBlock(footer.metaindex, &metaindex));
  STASH_RETURN_IF_ERROR(t->ReadMeta(*metaindex));
  STASH_RETURN_IF_ERROR(t->ReadMetaBlock(footer.index, &t->index_block_));
  if (options.comparator->IsBytewiseInternal()) {
    t->index_search_ = IndexSearch::Build(*t->index_block_);
  }
  if (options.block_cache != nullptr) t->cache_id_ = options.block_cache->NewId();
  *table = std::move(t);
  return Status::OK();
}

Status Table::ReadMetaBlock(const BlockHandle& handle, std::unique_ptr<Block>* block) const {
  BlockContents contents;
  STASH_RETURN_IF_ERROR(
      ReadBlock(*file_, file_name_, data_limit_, handle, /*verify_checksum=*/true, &contents));
  return Block::Parse(std::move(contents), file_name_, handle.offset, block);
}

Status Table::ReadMeta(const Block& metaindex) {
  std::string filter_name;
  if (options_.filter_policy != nullptr) {
    filter_name.assign(kFilterBlockPrefix).append(options_.filter_policy->Name());
  }
  bool have_properties = false;
  auto it = metaindex.NewIterator(BytewiseComparator(), file_name_);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const bool is_properties = it->key() == kPropertiesBlockName;
    const bool is_filter = !filter_name.empty() && it->key() == filter_name;
    if (!is_properties && !is_filter) continue;  // meta blocks this reader does not use
    BlockHandle handle;
    std::string_view value = it->value();
    if (!handle.DecodeFrom(&value)) {
      return CorruptionAt(file_name_, metaindex_offset_, "bad block handle in metaindex");
    }
    if (is_filter) {
      STASH_RETURN_IF_ERROR(ReadBlock(*file_, file_name_, data_limit_, handle,
                                      /*verify_checksum=*/true, &filter_));
      filter_policy_ = options_.filter_policy;
      continue;
    }
    std::unique_ptr<Block> block;
    STASH_RETURN_IF_ERROR(ReadMetaBlock(handle, &block));
    auto props = block->NewIterator(BytewiseComparator(), file_name_);
    for (props->SeekToFirst(); props->Valid(); props->Next()) {
      properties_.emplace(props->key(), props->value());
    }
    STASH_RETURN_IF_ERROR(props->status());
    have_properties = true;
  }
  STASH_RETURN_IF_ERROR(it->status());
  if (!have_properties) {
    return CorruptionAt(file_name_, metaindex_offset_, "table has no properties block");
  }
  auto comparator = properties_.find(std::string(table_property::kComparator));
  if (comparator == properties_.end()) {
    return CorruptionAt(file_name_, metaindex_offset_, "table properties lack the comparator");
  }
  if (comparator->second != options_.comparator->Name()) {
    return Status::InvalidArgument(file_name_ + ": table was written with comparator " +
                                   comparator->second + ", not " + options_.comparator->Name());
  }
  return Status::OK();
}

std::unique_ptr<Iterator> Table::NewDataBlockIterator(std::string_view index_value,
                                                      bool fill_cache) const {
  BlockHandle handle;
  if (!handle.DecodeFrom(&index_value)) {
    return NewEmptyIterator(
        CorruptionAt(file_name_, index_offset_, "bad data block handle in index block"));
  }
  const Comparator* comparator = options_.comparator;
  Cache* cache = options_.block_cache;
  char cache_key_buf[16];
  std::string_view cache_key(cache_key_buf, sizeof(cache_key_buf));
  if (cache != nullptr) {
    EncodeFixed64(cache_key_buf, cache_id_);
    EncodeFixed64(cache_key_buf + 8, handle.offset);
    if (Cache::Handle* cached = cache->Lookup(cache_key); cached != nullptr) {
      auto iter =
          static_cast<const Block*>(cache->Value(cached))->NewIterator(comparator, file_name_);
      iter->RegisterCleanup([cache, cached] { cache->Release(cached); });
      return iter;
    }
  }

  BlockContents contents;
  std::unique_ptr<Block> block;
  Status s =
      ReadBlock(*file_, file_name_, data_limit_, handle, options_.verify_checksums, &contents);
  if (s.ok()) s = Block::Parse(std::move(contents), file_name_, handle.offset, &block);
  if (!s.ok()) return NewEmptyIterator(std::move(s));

  auto iter = block->NewIterator(comparator, file_name_);
  if (cache != nullptr && fill_cache) {
    const size_t charge = block->MemoryUsage();
    Cache::Handle* cached = cache->Insert(cache_key, block.release(), charge, &DeleteCachedBlock);
    iter->RegisterCleanup([cache, cached] { cache->Release(cached); });
  } else {
    iter->RegisterCleanup([owned = block.release()] { delete owned; });
  }
  return iter;
}

std::unique_ptr<Iterator> Table::NewIterator(bool fill_cache) const {
  auto iter = NewTwoLevelIterator(index_block_->NewIterator(options_.comparator, file_name_),
                                  [this, fill_cache](std::string_view index_value) {
                                    return NewDataBlockIterator(index_value, fill_cache);
                                  });
  // Runs after the two-level iterator's members (which use this table) are destroyed.
  iter->RegisterCleanup([self = shared_from_this()] {});
  return iter;
}

Status Table::InternalGet(
    std::string_view key, std::string_view filter_key,
    const std::function<void(std::string_view, std::string_view)>& found) const {
  if (filter_policy_ != nullptr && !filter_policy_->KeyMayMatch(filter_key, filter_.data)) {
    return Status::OK();
  }
  // The common case without iterators: the index entry IndexSearch (or the index block's own
  // Seek) picks, then its data block, searched in place (key buffers reused per thread).
  thread_local std::string index_key;
  thread_local std::string entry_key;
  bool in_index = false;
  std::string_view index_value;
  const IndexSearch::Result searched = index_search_ != nullptr
                                           ? index_search_->Seek(key, &index_value)
                                           : IndexSearch::Result::kUnknown;
  if (searched == IndexSearch::Result::kUnknown) {
    STASH_RETURN_IF_ERROR(index_block_->Seek(options_.comparator, file_name_, key, &in_index,
                                             &index_key, &index_value));
  } else {
    in_index = searched == IndexSearch::Result::kFound;
  }
  if (!in_index) return Status::OK();
  bool in_block = false;
  STASH_RETURN_IF_ERROR(SeekDataBlock(index_value, key, &in_block, &entry_key, found));
  if (in_block) return Status::OK();
  // The first entry >= key is normally in the block Seek picks; with an arbitrary comparator's
  // separators it can be the first entry of a later block.
  auto index = index_block_->NewIterator(options_.comparator, file_name_);
  for (index->Seek(key), index->Next(); index->Valid(); index->Next()) {
    auto block = NewDataBlockIterator(index->value());
    block->Seek(key);
    if (block->Valid()) {
      found(block->key(), block->value());
      return Status::OK();
    }
    STASH_RETURN_IF_ERROR(block->status());
  }
  return index->status();
}

Status Table::SeekDataBlock(
    std::string_view index_value, std::string_view key, bool* in_block, std::string* entry_key,
    const std::function<void(std::string_view, std::string_view)>& found) const {
  BlockHandle handle;
  if (!handle.DecodeFrom(&index_value)) {
    return CorruptionAt(file_name_, index_offset_, "bad data block handle in index block");
  }
  Cache* cache = options_.block_cache;
  char cache_key_buf[16];
  const std::string_view cache_key(cache_key_buf, sizeof(cache_key_buf));
  Cache::Handle* cached = nullptr;
  std::unique_ptr<Block> owned;
  const Block* block = nullptr;
  if (cache != nullptr) {
    EncodeFixed64(cache_key_buf, cache_id_);
    EncodeFixed64(cache_key_buf + 8, handle.offset);
    cached = cache->Lookup(cache_key);
  }
  if (cached == nullptr) {
    BlockContents contents;
    Status s =
        ReadBlock(*file_, file_name_, data_limit_, handle, options_.verify_checksums, &contents);
    if (s.ok()) s = Block::Parse(std::move(contents), file_name_, handle.offset, &owned);
    if (!s.ok()) return s;
    if (cache != nullptr) {
      const size_t charge = owned->MemoryUsage();
      cached = cache->Insert(cache_key, owned.release(), charge, &DeleteCachedBlock);
    }
  }
  block = cached != nullptr ? static_cast<const Block*>(cache->Value(cached)) : owned.get();
  std::string_view value;
  Status s = block->Seek(options_.comparator, file_name_, key, in_block, entry_key, &value);
  if (s.ok() && *in_block) found(*entry_key, value);
  if (cached != nullptr) cache->Release(cached);
  return s;
}

uint64_t Table::ApproximateOffsetOf(std::string_view key) const {
  auto index = index_block_->NewIterator(options_.comparator, file_name_);
  index->Seek(key);
  if (index->Valid()) {
    BlockHandle handle;
    std::string_view value = index->value();
    if (handle.DecodeFrom(&value)) return handle.offset;
  }
  // Past the last key (or a broken index entry): the metadata starts about where the data ends.
  return metaindex_offset_;
}

size_t Table::MemoryUsage() const {
  size_t bytes = sizeof(*this) + file_name_.size() + filter_.data.size();
  if (index_block_ != nullptr) bytes += index_block_->MemoryUsage();
  if (index_search_ != nullptr) bytes += index_search_->MemoryUsage();
  for (const auto& [name, value] : properties_) bytes += name.size() + value.size() + 64;
  return bytes;
}

}  // namespace stash
