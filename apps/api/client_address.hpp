// client_address.hpp - which address a request comes from, behind trusted proxies too.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <drover_app/ip_range.hpp>

namespace drover::api {

// The per-address limits (send and upload budgets, the dashboard's login throttle) key on
// the client's address. Behind a reverse proxy every connection comes from the proxy, so
// all users would share one budget; TRUSTED_PROXIES names the proxies whose
// X-Forwarded-For may be believed. Nobody else's is: a client could claim any address.
//
// client_of: the peer itself when it is not a trusted proxy; otherwise the right-most
// X-Forwarded-For entry that is not a trusted proxy (each proxy appends the address it
// saw, so the entries right of the first untrusted one are ours), or the left-most entry
// when all are trusted. Entries are read as addresses, a port after one dropped
// ("198.51.100.1:8080", "[2001:db8::5]:443"), and written in one form. An entry that is
// not an address ends the walk at the trusted hop right of it: its proxy could not say
// who its client was, and a client must not pick a budget of its own by writing text.
// `forwarded_for` is every X-Forwarded-For line of the request, joined with commas.
// Thread safety: immutable after construction.
class client_address_policy {
 public:
  client_address_policy() = default;  // trusts no proxy
  // Comma- or space-separated addresses and CIDR ranges ("127.0.0.1, 10.0.0.0/8").
  // Throws std::invalid_argument naming the entry that cannot be read.
  explicit client_address_policy(std::string_view trusted);

  std::string client_of(std::string_view peer, std::string_view forwarded_for) const;
  bool trusts_any() const { return !trusted_.empty(); }

 private:
  bool trusted(const boost::asio::ip::address& address) const;
  std::vector<app::ip_range> trusted_;
};

}  // namespace drover::api
