// upload_budget.cpp - reservations against the server's in-flight body budget.
#include "httpd/upload_budget.hpp"

#include <utility>

namespace drover::httpd {

upload_budget::reservation::reservation(reservation&& other) noexcept
    : used_(std::move(other.used_)), bytes_(std::exchange(other.bytes_, 0)) {}

upload_budget::reservation& upload_budget::reservation::operator=(reservation&& other) noexcept {
  if (this != &other) {
    release();
    used_ = std::move(other.used_);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

upload_budget::reservation::~reservation() { release(); }

void upload_budget::reservation::release() {
  if (used_) *used_ -= bytes_;
  used_.reset();
  bytes_ = 0;
}

bool upload_budget::try_reserve(std::size_t bytes, reservation& held) {
  if (bytes == 0) return true;
  if (total_ != 0 && (*used_ > total_ || bytes > total_ - *used_)) return false;
  *used_ += bytes;
  held = reservation(used_, bytes);
  return true;
}

}  // namespace drover::httpd
