// The sequence check of log replay, shared by recovery (db_impl_open.cc) and the offline check
// (db_check.cc). A commit group gives its batches consecutive sequence numbers and only non-empty
// batches are logged; a log switch, and a failed log cut back by Resume, keep the numbers
// consecutive. So from one logged batch to the next, across logs too, first_seq continues
// exactly: a gap means batches were lost, an overlap that some would be applied twice.
#pragma once

#include <string>

#include "lsm/dbformat.h"
#include "util/status.h"
#include "wal/wal_reader.h"

namespace stash {

// Checks that batch, read from the log at path, starts at *next (0: no batch read yet) and moves
// *next past it (one sequence number per op record). A batch without ops carries no numbers.
inline Status CheckBatchSequence(const std::string& path, const wal::WalBatch& batch,
                                 SequenceNumber* next) {
  const uint64_t ops = batch.records.size();
  if (ops == 0) return Status::OK();
  if (*next != 0 && batch.first_seq != *next) {
    return Status::Corruption(path + ": batch at offset " + std::to_string(batch.start_offset) +
                              " starts at sequence " + std::to_string(batch.first_seq) +
                              ", expected " + std::to_string(*next) +
                              (batch.first_seq > *next ? " (a gap: batches are missing)"
                                                       : " (it overlaps earlier batches)"));
  }
  *next = batch.first_seq + ops;
  return Status::OK();
}

}  // namespace stash
