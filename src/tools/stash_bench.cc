// stash_bench: the engine benchmark. It takes RocksDB db_bench's own flag names, so one command
// line drives both (scripts/bench-engine.sh runs them side by side), and prints db_bench's line
// format:
//   fillrandom   :       5.100 micros/op 196078 ops/sec;   21.7 MB/s
// Flags: --db=DIR --benchmarks=fillseq,fillrandom,overwrite,readrandom,readseq --num=N
//        --value_size=N --key_size=N --compression_type=zstd|none --cache_size=BYTES --sync=0|1
//        --bloom_bits=N --write_buffer_size=BYTES --seed=N --reads=N
//        --level0_file_num_compaction_trigger=N --level0_slowdown_writes_trigger=N
//        --level0_stop_writes_trigger=N (unset: the engine's defaults)
// After each benchmark a `stats:` line gives the engine's shape and stall time (for diagnosis).
// Keys are the index as 8 big-endian bytes padded with '0' to key_size (db_bench's shape);
// values are pseudo-random bytes that compress to about half (db_bench's compression_ratio 0.5).
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lsm/db.h"
#include "lsm/write_batch.h"

namespace stash {
namespace {

struct Flags {
  std::string db = "/tmp/stash_bench";
  std::string benchmarks = "fillseq,fillrandom,overwrite,readrandom,readseq";
  int64_t num = 1000000;
  int64_t reads = -1;
  int value_size = 100;
  int key_size = 16;
  std::string compression = "zstd";
  int64_t cache_size = 8 << 20;  // db_bench's default block cache
  bool sync = false;
  int bloom_bits = 10;
  int64_t write_buffer_size = 64 << 20;
  uint64_t seed = 301;
  int l0_compaction_trigger = 0;  // 0: the engine's default
  int l0_slowdown_trigger = 0;
  int l0_stop_trigger = 0;
};

bool ParseFlag(const char* arg, Flags* f) {
  std::string a(arg);
  if (a.rfind("--", 0) != 0 || a.find('=') == std::string::npos) return false;
  std::string name = a.substr(2, a.find('=') - 2), v = a.substr(a.find('=') + 1);
  if (name == "db")
    f->db = v;
  else if (name == "benchmarks")
    f->benchmarks = v;
  else if (name == "num")
    f->num = std::stoll(v);
  else if (name == "reads")
    f->reads = std::stoll(v);
  else if (name == "value_size")
    f->value_size = std::stoi(v);
  else if (name == "key_size")
    f->key_size = std::stoi(v);
  else if (name == "compression_type")
    f->compression = v;
  else if (name == "cache_size")
    f->cache_size = std::stoll(v);
  else if (name == "sync")
    f->sync = v == "1" || v == "true";
  else if (name == "bloom_bits")
    f->bloom_bits = std::stoi(v);
  else if (name == "write_buffer_size")
    f->write_buffer_size = std::stoll(v);
  else if (name == "seed")
    f->seed = std::stoull(v);
  else if (name == "level0_file_num_compaction_trigger")
    f->l0_compaction_trigger = std::stoi(v);
  else if (name == "level0_slowdown_writes_trigger")
    f->l0_slowdown_trigger = std::stoi(v);
  else if (name == "level0_stop_writes_trigger")
    f->l0_stop_trigger = std::stoi(v);
  else
    return false;
  return true;
}

// Values whose bytes compress to about half their size, like db_bench's RandomGenerator.
class ValueSource {
 public:
  explicit ValueSource(uint64_t seed) {
    std::mt19937_64 rng(seed);
    while (data_.size() < (1 << 20)) {
      std::string piece(100, '\0');
      for (int i = 0; i < 50; i++) piece[i] = static_cast<char>(' ' + rng() % 95);
      for (int i = 50; i < 100; i++) piece[i] = piece[i - 50];  // the repeated half
      data_ += piece;
    }
  }
  std::string_view Next(size_t len) {
    if (pos_ + len > data_.size()) pos_ = 0;
    pos_ += len;
    return std::string_view(data_).substr(pos_ - len, len);
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

std::string MakeKey(int64_t k, int key_size) {
  std::string key(std::max(key_size, 8), '0');
  for (int i = 0; i < 8; i++)
    key[i] = static_cast<char>((static_cast<uint64_t>(k) >> (56 - 8 * i)) & 0xff);
  key.resize(key_size);
  return key;
}

class Bench {
 public:
  explicit Bench(Flags f) : f_(std::move(f)), values_(f_.seed), rng_(f_.seed) {}

  int Run() {
    fmt::print(
        "Keys:       {} bytes each\nValues:     {} bytes each (about {} after compression)\n"
        "Entries:    {}\nEngine:     StashDB LSM ({}, sync={}, bloom_bits={})\n{}\n",
        f_.key_size, f_.value_size, f_.value_size / 2, f_.num, f_.compression, f_.sync,
        f_.bloom_bits, std::string(48, '-'));
    std::string list = f_.benchmarks + ",";
    for (size_t pos = 0, next; (next = list.find(',', pos)) != std::string::npos; pos = next + 1) {
      std::string name = list.substr(pos, next - pos);
      if (name.empty()) continue;
      bool fresh = name == "fillseq" || name == "fillrandom";
      if (fresh || !db_) {
        if (!Open(fresh)) return 1;
      }
      if (!RunOne(name)) return 1;
    }
    if (db_) {
      Status s = db_->Close();
      if (!s.ok()) fmt::print(stderr, "close: {}\n", s.ToString());
    }
    return 0;
  }

 private:
  bool Open(bool fresh) {
    if (db_) {
      Status s = db_->Close();
      db_.reset();
      if (!s.ok()) return Fail("close", s);
    }
    if (fresh) std::filesystem::remove_all(f_.db);
    Options o;
    o.memtable_size = static_cast<size_t>(f_.write_buffer_size);
    o.block_cache_size = static_cast<size_t>(f_.cache_size);
    o.bloom_bits_per_key = f_.bloom_bits;
    o.compression = f_.compression == "none" ? TableOptions::Compression::kNone
                                             : TableOptions::Compression::kZstd;
    o.appendfsync = f_.sync ? AppendFsync::kAlways : AppendFsync::kNo;
    if (f_.l0_compaction_trigger > 0) o.l0_compaction_trigger = f_.l0_compaction_trigger;
    if (f_.l0_slowdown_trigger > 0) o.l0_slowdown_trigger = f_.l0_slowdown_trigger;
    if (f_.l0_stop_trigger > 0) o.l0_stop_trigger = f_.l0_stop_trigger;
    Status s = DB::Open(o, f_.db, &db_);
    return s.ok() || Fail("open", s);
  }

  bool Fail(const char* what, const Status& s) {
    fmt::print(stderr, "{}: {}\n", what, s.ToString());
    return false;
  }

  bool RunOne(const std::string& name) {
    auto start = std::chrono::steady_clock::now();
    int64_t ops = 0, bytes = 0, found = 0;
    bool ok = true;
    if (name == "fillseq" || name == "fillrandom" || name == "overwrite") {
      bool seq = name == "fillseq";
      std::uniform_int_distribution<int64_t> dist(0, f_.num - 1);
      WriteOptions wo{.sync = f_.sync};
      for (int64_t i = 0; i < f_.num && ok; i++) {
        std::string key = MakeKey(seq ? i : dist(rng_), f_.key_size);
        std::string_view value = values_.Next(f_.value_size);
        Status s = db_->Put(wo, key, value);
        ok = s.ok() || Fail(name.c_str(), s);
        bytes += static_cast<int64_t>(key.size() + value.size());
        ops++;
      }
    } else if (name == "readrandom") {
      std::uniform_int_distribution<int64_t> dist(0, f_.num - 1);
      int64_t reads = f_.reads < 0 ? f_.num : f_.reads;
      std::string value;
      for (int64_t i = 0; i < reads && ok; i++) {
        Status s = db_->Get(ReadOptions(), MakeKey(dist(rng_), f_.key_size), &value);
        if (s.ok())
          found++;
        else if (!s.IsNotFound())
          ok = Fail(name.c_str(), s);
        ops++;
      }
    } else if (name == "readseq") {
      std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        bytes += static_cast<int64_t>(it->key().size() + it->value().size());
        ops++;
      }
      ok = it->status().ok() || Fail(name.c_str(), it->status());
    } else {
      fmt::print(stderr, "unknown benchmark '{}'\n", name);
      return false;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string extra;
    if (bytes > 0) extra = fmt::format(" {:6.1f} MB/s", bytes / 1048576.0 / secs);
    if (name == "readrandom") extra = fmt::format(" ({} of {} found)", found, ops);
    fmt::print("{:<12} : {:11.3f} micros/op {} ops/sec;{}\n", name,
               secs * 1e6 / std::max<int64_t>(ops, 1), static_cast<int64_t>(ops / secs), extra);
    PrintStats();
    std::fflush(stdout);
    return ok;
  }

  void PrintStats() {
    DbStats st = db_->GetStats();
    std::string levels;
    for (const auto& l : st.levels) levels += fmt::format(" {}", l.files);
    fmt::print(stderr,
               "stats: files per level{}; stall {:.1f} s; compactions {} ({} moves); "
               "write amplification {:.2f}; pending compaction {} MB; block cache {} hits {} "
               "misses {} MB\n",
               levels, st.stall_micros / 1e6, st.compactions, st.trivial_moves,
               st.write_amplification, st.pending_compaction_bytes >> 20, st.block_cache_hits,
               st.block_cache_misses, st.block_cache_usage >> 20);
  }

  Flags f_;
  ValueSource values_;
  std::mt19937_64 rng_;
  std::unique_ptr<DB> db_;
};

}  // namespace
}  // namespace stash

int main(int argc, char** argv) {
  stash::Flags flags;
  for (int i = 1; i < argc; i++) {
    if (!stash::ParseFlag(argv[i], &flags)) {
      std::fprintf(stderr, "stash_bench: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  return stash::Bench(flags).Run();
}
