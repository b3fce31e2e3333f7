// connection_limits.hpp - how many connections the HTTP server holds, in total and per client address.
#pragma once

#include <cstddef>
#include <string>

#include <drover_app/held_amounts.hpp>

namespace drover::httpd {

// Counts open connections and decides whether one more may be served. Sans-I/O:
// the server asks admit() for each accepted socket and keeps the returned slot for
// as long as it serves the connection; dropping the slot releases it.
//
// Thread safety: none; the HTTP server uses it from its one executor. Slots may
// outlive the object (app::held_amounts).
class connection_limits {
 public:
  enum class verdict { admitted, too_many_total, too_many_from_address };

  // A held connection; releases its count when destroyed.
  using slot = app::held_amounts::holding;

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
  app::held_amounts counts_;
};

}  // namespace drover::httpd
