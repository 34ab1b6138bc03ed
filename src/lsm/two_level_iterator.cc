#include "lsm/two_level_iterator.h"

#include <string>

namespace stash {
namespace {

class TwoLevelIterator final : public Iterator {
 public:
  TwoLevelIterator(std::unique_ptr<Iterator> index_iter, BlockFunction block_function)
      : block_function_(std::move(block_function)), index_(std::move(index_iter)) {}

  bool Valid() const override { return data_ != nullptr && data_->Valid(); }
  std::string_view key() const override { return data_->key(); }
  std::string_view value() const override { return data_->value(); }

  Status status() const override {
    if (!index_->status().ok()) return index_->status();
    if (data_ != nullptr && !data_->status().ok()) return data_->status();
    return status_;
  }

  void SeekToFirst() override {
    status_ = Status::OK();
    index_->SeekToFirst();
    InitDataBlock();
    if (data_ != nullptr) data_->SeekToFirst();
    SkipEmptyBlocksForward();
  }

  void Seek(std::string_view target) override {
    status_ = Status::OK();
    index_->Seek(target);
    InitDataBlock();
    if (data_ != nullptr) data_->Seek(target);
    SkipEmptyBlocksForward();
  }

  void Next() override {
    data_->Next();
    SkipEmptyBlocksForward();
  }

 private:
  // Points data_ at the block of the current index entry (keeping it if it is that block
  // already), or clears it when the index is exhausted.
  void InitDataBlock() {
    if (!index_->Valid()) {
      data_.reset();
      return;
    }
    std::string_view handle = index_->value();
    if (data_ != nullptr && handle == data_handle_) return;
    data_.reset();  // release the old block before loading the next
    data_ = block_function_(handle);
    data_handle_.assign(handle);
  }

  // Moves to the first entry of the next non-empty block while the current block is exhausted;
  // stops for good at the first block error.
  void SkipEmptyBlocksForward() {
    while (data_ == nullptr || !data_->Valid()) {
      if (data_ != nullptr && !data_->status().ok()) {
        status_ = data_->status();
        data_.reset();
        return;
      }
      if (!index_->Valid()) {
        data_.reset();
        return;
      }
      index_->Next();
      InitDataBlock();
      if (data_ != nullptr) data_->SeekToFirst();
    }
  }

  BlockFunction block_function_;
  std::unique_ptr<Iterator> index_;
  std::unique_ptr<Iterator> data_;  // nullptr when not positioned in a block
  std::string data_handle_;         // index value data_ was made from
  Status status_;                   // the block error that stopped the iteration
};

}  // namespace

std::unique_ptr<Iterator> NewTwoLevelIterator(std::unique_ptr<Iterator> index_iter,
                                              BlockFunction block_function) {
  return std::make_unique<TwoLevelIterator>(std::move(index_iter), std::move(block_function));
}

}  // namespace stash
