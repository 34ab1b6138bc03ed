#include "store/expire_cycle.h"

#include "lsm/write_batch.h"
#include "store/txn.h"

namespace stash::store {

ExpireCycleResult ExpireCycle(Store& store, int64_t now_ms, uint64_t budget, TouchHook* hook) {
  ExpireCycleResult result;
  Txn txn(store, hook);
  WriteBatch batch;
  txn.BeginCommand(&batch);
  std::unique_ptr<Iterator> it = store.engine()->NewIterator(ReadOptions());
  for (int db = 0; db < store.databases() && !result.more; db++) {
    uint32_t slot = txn.Slot(db);
    for (it->Seek(ExpirePrefix(slot)); it->Valid(); it->Next()) {
      uint32_t entry_slot;
      int64_t when;
      std::string_view user_key;
      if (!ParseExpireKey(it->key(), &entry_slot, &when, &user_key) || entry_slot != slot ||
          when > now_ms) {
        break;
      }
      if (result.reclaimed == budget) {
        result.more = true;
        break;
      }
      // user_key views the iterator's key: copy before the Txn reads through the engine.
      std::string key(user_key);
      txn.Delete(db, key, now_ms);
      result.reclaimed++;
    }
    if (!it->status().ok()) {
      result.status = it->status();
      return result;
    }
  }
  txn.EndCommand();
  if (batch.Count() == 0) return result;
  result.status = store.engine()->Write(WriteOptions(), &batch);
  if (result.status.ok()) {
    txn.Publish();
  } else {
    result.reclaimed = 0;
  }
  return result;
}

}  // namespace stash::store
