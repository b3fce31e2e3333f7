// upload_budget.hpp - the bytes that request bodies being read may hold in memory, all together.
#pragma once

#include <cstddef>
#include <memory>

namespace drover::httpd {

// A budget shared by all connections of one HTTP server: before it reads a body,
// the server reserves what the body may grow to (its Content-Length, or the
// route's body limit when the length is not declared). A reservation that does not
// fit is refused, so many parallel uploads cannot together exhaust memory, while
// one upload up to the route's limit always fits in an idle server (when the
// budget is at least that limit).
//
// Thread safety: none; used from the server's one executor. Reservations may
// outlive the budget object.
class upload_budget {
 public:
  // Bytes held by one request until it is destroyed (the request was answered).
  class reservation {
   public:
    reservation() = default;
    reservation(reservation&& other) noexcept;
    reservation& operator=(reservation&& other) noexcept;
    reservation(const reservation&) = delete;
    reservation& operator=(const reservation&) = delete;
    ~reservation();
    std::size_t bytes() const { return bytes_; }

   private:
    friend class upload_budget;
    reservation(std::shared_ptr<std::size_t> used, std::size_t bytes) : used_(std::move(used)), bytes_(bytes) {}
    void release();
    std::shared_ptr<std::size_t> used_;
    std::size_t bytes_ = 0;
  };

  // A budget of 0 means no limit.
  explicit upload_budget(std::size_t total) : total_(total), used_(std::make_shared<std::size_t>(0)) {}

  // Reserves `bytes`; returns false, and leaves `held` empty, when they do not fit
  // in what is left. Zero bytes always fit.
  bool try_reserve(std::size_t bytes, reservation& held);

  std::size_t used() const { return *used_; }

 private:
  std::size_t total_;
  std::shared_ptr<std::size_t> used_;
};

}  // namespace drover::httpd
