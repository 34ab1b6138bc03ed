#include "lsm/build_table.h"

#include "lsm/filename.h"
#include "lsm/table.h"
#include "lsm/table_builder.h"
#include "lsm/table_cache.h"

namespace stash {

Status BuildTable(const std::string& dir, Env* env, const TableOptions& options,
                  TableCache* table_cache, Iterator* iter, FileMetaData* meta) {
  meta->file_size = 0;
  iter->SeekToFirst();
  if (!iter->Valid()) return iter->status();

  const std::string path = TableFileName(dir, meta->number);
  std::unique_ptr<WritableFile> file;
  STASH_RETURN_IF_ERROR(env->NewWritableFile(path, &file));
  TableBuilder builder(options, file.get());
  meta->smallest.assign(iter->key());
  for (; iter->Valid(); iter->Next()) {
    meta->largest.assign(iter->key());  // copied: the view dies when the iterator moves
    builder.Add(meta->largest, iter->value());
  }
  Status s = iter->status();
  if (s.ok()) {
    s = builder.Finish();
  } else {
    builder.Abandon();
  }
  if (s.ok()) s = file->Sync();
  Status close = file->Close();
  if (s.ok()) s = close;
  if (s.ok()) {
    meta->file_size = builder.FileSize();
    std::shared_ptr<Table> table;
    s = table_cache->FindTable(meta->number, meta->file_size, &table);
  }
  if (!s.ok()) {
    meta->file_size = 0;
    env->RemoveFile(path).IgnoreError();  // best effort: the build already failed
  }
  return s;
}

}  // namespace stash
