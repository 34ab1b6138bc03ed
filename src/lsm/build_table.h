// BuildTable: writes a memtable's entries to a new L0 SSTable (the flush).
#pragma once

#include <string>

#include "lsm/iterator.h"
#include "lsm/table_options.h"
#include "lsm/version_edit.h"
#include "util/env.h"
#include "util/status.h"

namespace stash {

class TableCache;

// Writes every entry of iter (internal keys in order) to TableFileName(dir, meta->number), then
// fsyncs and closes the file and checks that the table opens through table_cache. Fills
// meta->file_size, smallest and largest. When iter is empty no file is left and file_size is 0.
// On error the file is removed. The caller fsyncs the directory before referencing the file.
Status BuildTable(const std::string& dir, Env* env, const TableOptions& options,
                  TableCache* table_cache, Iterator* iter, FileMetaData* meta);

}  // namespace stash
