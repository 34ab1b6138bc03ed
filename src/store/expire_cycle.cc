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
    ForEachDueExpiry(it.get(), slot, now_ms, [&](std::string_view user_key) {
      if (result.reclaimed == budget) {
        result.more = true;
        return false;
      }
      // user_key views the iterator's key: copy before the Txn reads through the engine.
      txn.Delete(db, std::string(user_key), now_ms);
      result.reclaimed++;
      return true;
    });
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
