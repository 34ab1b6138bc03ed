#include "lsm/db_iter.h"

#include <cassert>
#include <string>

namespace stash {
namespace {

class DBIter final : public Iterator {
 public:
  DBIter(const Comparator* ucmp, std::unique_ptr<Iterator> internal, SequenceNumber sequence)
      : ucmp_(ucmp), iter_(std::move(internal)), sequence_(sequence) {}

  bool Valid() const override { return valid_; }

  void SeekToFirst() override {
    status_ = Status::OK();
    iter_->SeekToFirst();
    FindNextUserEntry(/*skipping=*/false);
  }

  void Seek(std::string_view target) override {
    status_ = Status::OK();
    seek_key_.clear();
    AppendInternalKey(&seek_key_, ParsedInternalKey(target, sequence_, kValueTypeForSeek));
    iter_->Seek(seek_key_);
    FindNextUserEntry(/*skipping=*/false);
  }

  void Next() override {
    assert(valid_);
    // Every older version of the current key must be skipped.
    skip_key_.assign(ExtractUserKey(iter_->key()));
    iter_->Next();
    FindNextUserEntry(/*skipping=*/true);
  }

  std::string_view key() const override {
    assert(valid_);
    return ExtractUserKey(iter_->key());
  }
  std::string_view value() const override {
    assert(valid_);
    return iter_->value();
  }
  Status status() const override { return status_.ok() ? iter_->status() : status_; }

 private:
  // Moves iter_ to the next entry that is the newest visible value of its user key. With
  // skipping, entries of user keys <= skip_key_ are hidden (already shown, or deleted).
  void FindNextUserEntry(bool skipping) {
    for (; iter_->Valid(); iter_->Next()) {
      ParsedInternalKey ikey;
      if (!ParseInternalKey(iter_->key(), &ikey)) {
        status_ = Status::Corruption("malformed internal key in DB iterator");
        valid_ = false;
        return;
      }
      if (ikey.sequence > sequence_) continue;  // written after the read point
      if (ikey.type == kTypeDeletion) {
        // Hides this key's older versions.
        skip_key_.assign(ikey.user_key);
        skipping = true;
      } else if (!skipping || ucmp_->Compare(ikey.user_key, skip_key_) > 0) {
        valid_ = true;
        return;
      }
    }
    valid_ = false;
  }

  const Comparator* const ucmp_;
  const std::unique_ptr<Iterator> iter_;
  const SequenceNumber sequence_;
  bool valid_ = false;
  Status status_;
  std::string skip_key_;
  std::string seek_key_;
};

}  // namespace

std::unique_ptr<Iterator> NewDBIterator(const Comparator* user_comparator,
                                        std::unique_ptr<Iterator> internal,
                                        SequenceNumber sequence) {
  return std::make_unique<DBIter>(user_comparator, std::move(internal), sequence);
}

}  // namespace stash
