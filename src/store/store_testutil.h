// StoreTest: the fixture of the Store/Txn/ExpireCycle tests: a Store on a real engine with tiny
// sizes (flushes and compactions happen), commands committed as the writer commits them, and
// small inspection helpers.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lsm/db_testutil.h"
#include "lsm/write_batch.h"
#include "store/layout.h"
#include "store/store.h"
#include "store/txn.h"

namespace stash::store {

class StoreTest : public testing::Test {
 protected:
  StoreTest() : dir_("store") {}

  void Open(int databases = 4) {
    store_.reset();
    Options o = test::TinyOptions();
    Status s = Store::Open(o, dir_.path(), databases, &store_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Reopen(int databases = 4) {
    ASSERT_TRUE(store_->Close().ok());
    Open(databases);
  }

  // Runs fn as one command (one batch), commits it and publishes, like the writer.
  template <typename Fn>
  void Command(Fn&& fn) {
    Txn txn(*store_);
    WriteBatch batch;
    txn.BeginCommand(&batch);
    fn(txn);
    txn.EndCommand();
    Status s = store_->Commit(txn, &batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
    store_->RunDeferredReclaims();
  }

  static Record Str(std::string value, int64_t expire_at = 0) {
    Record r;
    r.payload = std::move(value);
    r.expire_at_ms = expire_at;
    return r;
  }

  void Set(int db, const std::string& key, const std::string& value, int64_t expire_at = 0) {
    Command([&](Txn& t) { EXPECT_TRUE(t.Put(db, key, Str(value, expire_at)).ok()); });
  }

  std::string Get(int db, const std::string& key, int64_t now = 1000) {
    Record r;
    Status s = store_->Get(db, key, now, &r);
    if (s.IsNotFound()) return "NONE";
    if (!s.ok()) return s.ToString();
    return r.payload;
  }

  std::pair<uint64_t, uint64_t> Size(int db, int64_t now = 1000) {
    uint64_t keys = 0, expires = 0;
    Status s = store_->DbSize(db, now, &keys, &expires);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return {keys, expires};
  }

  // Every engine key of one kind ('M', 'X', 'C') of slot, as the user-visible part.
  std::vector<std::string> Raw(char kind, uint32_t slot) {
    std::string prefix(1, kind);
    PutBigEndian32(&prefix, slot);
    std::vector<std::string> out;
    auto it = store_->engine()->NewIterator(ReadOptions());
    for (it->Seek(prefix); it->Valid() && it->key().rfind(prefix, 0) == 0; it->Next()) {
      out.emplace_back(it->key().substr(5));
    }
    return out;
  }

  test::TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace stash::store
