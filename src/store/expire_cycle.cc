#include "store/expire_cycle.h"

#include <algorithm>
#include <vector>

#include "lsm/write_batch.h"
#include "store/txn.h"

namespace stash::store {

ExpireCycleResult ExpireCycle(Store& store, int64_t now_ms, uint64_t budget, TouchHook* hook) {
  ExpireCycleResult result;
  Txn txn(store, hook);
  WriteBatch batch;
  txn.BeginCommand(&batch);
  std::unique_ptr<Iterator> it = store.engine()->NewIterator(ReadOptions());
  struct Raise {
    uint32_t slot;
    std::string mark;
  };
  std::vector<Raise> raises;
  uint64_t work = 0;
  for (int db = 0; db < store.databases() && !result.more && result.status.ok(); db++) {
    uint32_t slot = txn.Slot(db);
    const std::string old_mark = store.WriterExpiryMark(slot);
    // The walk ends at the first entry not due: then every entry up to now_ms is gone.
    std::string new_mark = ExpiryPosition(now_ms + 1);
    ForEachDueExpiry(
        it.get(), slot, old_mark, now_ms, [&](std::string_view entry_key, int64_t when) {
          if (work == budget) {
            result.more = true;
            new_mark = ExpiryPosition(when, entry_key);  // every entry before this one is gone
            return false;
          }
          // entry_key views the iterator's key: copy before the Txn reads through the engine.
          std::string key(entry_key);
          txn.BeginOp();
          // Only a record that carries this very expiry is reclaimed; an entry whose record says
          // otherwise (a stale entry, which no code path should leave, but a bug or damage could)
          // is removed alone, so that it can never delete a live key or count as pending forever.
          Status s = txn.DeleteStaleExpiry(db, key, when);
          if (s.IsNotFound()) {
            s = txn.Delete(db, key, now_ms);
            if (s.ok()) result.reclaimed++;
          } else if (s.ok()) {
            result.stale++;
          }
          if (!txn.op_error().ok()) {
            txn.AbortOp();
            result.status = txn.op_error();
            new_mark = ExpiryPosition(when, key);
            return false;
          }
          txn.EndOp();
          work++;
          return true;
        });
    if (!it->status().ok()) {  // the walk stopped early: nothing is known past old_mark
      if (result.status.ok()) result.status = it->status();
      break;
    }
    if (new_mark > old_mark) raises.push_back({slot, std::move(new_mark)});
  }
  txn.EndCommand();
  Status s = store.Commit(txn, &batch);
  result.committed = s.ok();
  store.RunDeferredReclaims();  // expired big collections (nobody waits for a reply here)
  if (!s.ok()) {
    result.reclaimed = result.stale = 0;
    if (result.status.ok()) result.status = s;
    return result;
  }
  uint64_t seq =
      batch.Count() > 0 ? batch.Sequence() + batch.Count() - 1 : store.engine()->LastSequence();
  for (const Raise& r : raises) store.RaiseExpiryMark(r.slot, r.mark, seq);
  return result;
}

}  // namespace stash::store
