// Names of the files in a StashDB data directory, and the CURRENT pointer update.
//
//   NNNNNN.log        write-ahead log of one memtable (wal/ format)
//   NNNNNN.sst        SSTable
//   MANIFEST-NNNNNN   version edits (wal/ format, one edit per batch)
//   CURRENT           "MANIFEST-NNNNNN\n": the manifest to recover from
//   LOCK              flock'ed while a process has the directory open
//   NNNNNN.tmp        a CURRENT being written (renamed over CURRENT when durable)
//
// All numbers come from one counter (VersionSet::NewFileNumber), so no two files share one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/env.h"
#include "util/status.h"

namespace stash {

enum class FileType { kLogFile, kTableFile, kDescriptorFile, kCurrentFile, kLockFile, kTempFile };

std::string LogFileName(std::string_view dir, uint64_t number);
std::string TableFileName(std::string_view dir, uint64_t number);
std::string DescriptorFileName(std::string_view dir, uint64_t number);
std::string CurrentFileName(std::string_view dir);
std::string LockFileName(std::string_view dir);
std::string TempFileName(std::string_view dir, uint64_t number);

// Parses a directory entry name (not a path). Returns false for names StashDB does not own;
// *number is 0 for CURRENT and LOCK.
bool ParseFileName(std::string_view name, uint64_t* number, FileType* type);

// Points CURRENT at MANIFEST-<descriptor_number> atomically and durably: writes a temp file,
// fsyncs it, renames it over CURRENT and fsyncs the directory. REQUIRES: the manifest itself has
// already been synced.
Status SetCurrentFile(Env* env, const std::string& dir, uint64_t descriptor_number);

// Reads CURRENT and returns the manifest's file name (not a path) in *manifest_name.
// Corruption (naming CURRENT) if the content is malformed.
Status ReadCurrentFile(Env* env, const std::string& dir, std::string* manifest_name);

}  // namespace stash
