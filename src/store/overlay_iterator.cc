#include "store/overlay_iterator.h"

namespace stash::store {
namespace {

class OverlayIterator final : public Iterator {
 public:
  OverlayIterator(const Overlay* overlay, std::unique_ptr<Iterator> base)
      : overlay_(overlay), base_(std::move(base)), over_(overlay->end()) {}

  bool Valid() const override { return on_overlay_ ? over_ != overlay_->end() : base_->Valid(); }
  void SeekToFirst() override {
    base_->SeekToFirst();
    over_ = overlay_->begin();
    Settle();
  }
  void Seek(std::string_view target) override {
    base_->Seek(target);
    over_ = overlay_->lower_bound(target);
    Settle();
  }
  void Next() override {
    if (on_overlay_) {
      // The base may sit on the same key, which the overlay entry replaced.
      if (base_->Valid() && base_->key() == over_->first) base_->Next();
      ++over_;
    } else {
      base_->Next();
    }
    Settle();
  }
  std::string_view key() const override {
    return on_overlay_ ? std::string_view(over_->first) : base_->key();
  }
  std::string_view value() const override {
    return on_overlay_ ? std::string_view(*over_->second) : base_->value();
  }
  Status status() const override { return base_->status(); }

 private:
  // Chooses the smaller current key, skipping overlay deletes and the base keys they hide.
  void Settle() {
    while (true) {
      bool have_over = over_ != overlay_->end();
      bool have_base = base_->Valid();
      if (!have_over) {
        on_overlay_ = false;
        return;
      }
      int cmp = have_base ? base_->key().compare(over_->first) : 1;
      if (cmp < 0) {
        on_overlay_ = false;
        return;
      }
      if (over_->second.has_value()) {
        on_overlay_ = true;
        return;
      }
      // A delete in the overlay: skip it and the base entry it hides.
      if (cmp == 0) base_->Next();
      ++over_;
    }
  }

  const Overlay* overlay_;
  std::unique_ptr<Iterator> base_;
  Overlay::const_iterator over_;
  bool on_overlay_ = false;
};

}  // namespace

std::unique_ptr<Iterator> NewOverlayIterator(const Overlay* overlay,
                                             std::unique_ptr<Iterator> base) {
  return std::make_unique<OverlayIterator>(overlay, std::move(base));
}

}  // namespace stash::store
