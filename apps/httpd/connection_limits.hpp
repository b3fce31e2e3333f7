// connection_limits.hpp - how many connections the HTTP server holds, in total and per client address.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

namespace drover::httpd {

// Counts open connections and decides whether one more may be served. Sans-I/O:
// the server asks admit() for each accepted socket and keeps the returned slot for
// as long as it serves the connection; dropping the slot releases it.
//
// Thread safety: none; the HTTP server uses it from its one executor. Slots may
// outlive the object (they keep the counts alive), so a session that ends after
// the server is gone is harmless.
class connection_limits {
 public:
  enum class verdict { admitted, too_many_total, too_many_from_address };

  // A held connection; releases its count when destroyed.
  class slot {
   public:
    slot() = default;
    slot(slot&&) noexcept = default;
    slot& operator=(slot&& other) noexcept;
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;
    ~slot();
    explicit operator bool() const { return counts_ != nullptr; }

   private:
    friend class connection_limits;
    struct counts;
    slot(std::shared_ptr<counts> c, std::string address);
    void release();
    std::shared_ptr<counts> counts_;
    std::string address_;
  };

  // A limit of 0 means no limit.
  connection_limits(std::size_t max_total, std::size_t max_per_address);

  // Returns the verdict for a new connection from `address`, counted under its
  // app::address_key (an IPv6 client by its /64), and fills `held` when it is admitted.
  verdict admit(const std::string& address, slot& held);

  std::size_t open() const;
  std::size_t open_from(const std::string& address) const;

 private:
  std::size_t max_total_;
  std::size_t max_per_address_;
  std::shared_ptr<slot::counts> counts_;
};

}  // namespace drover::httpd
