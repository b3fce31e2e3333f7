// address_policy.hpp - where outbound webhooks may go: the server-side request forgery guard.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/url/url_view.hpp>

#include <drover_app/ip_range.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover::workers {

// A webhook URL comes from a client, so without a guard the worker would POST wherever a
// client points it: the cloud's metadata service, Redis on localhost, the office LAN.
// The policy refuses every address that is not public unicast, unless an operator
// allowlisted it. It judges the addresses a host name resolves to, and the worker then
// connects to exactly those addresses, so a name that resolves differently on a second
// lookup (DNS rebinding) gains nothing.
//
// Allowlist entries (comma- or space-separated in WEBHOOK_ALLOWED_HOSTS):
//   host or host:port         a host name or IP literal as written in the URL ([v6]:port)
//   address/prefix-length     a CIDR range that resolved addresses may fall in
class address_policy {
 public:
  address_policy() = default;  // no allowlist: every special-purpose address is refused
  // Throws std::invalid_argument naming the entry that cannot be read.
  explicit address_policy(std::string_view allowlist);

  // True when the URL's host (and port) is allowlisted by name: no address check then.
  bool host_allowed(std::string_view host, std::string_view port) const;

  // Why the address may not be contacted ("loopback", "private", ...), or nothing.
  std::optional<std::string> refusal(const boost::asio::ip::address& a) const;

 private:
  struct host_entry {
    std::string host;  // lower-case; IPv6 without brackets
    std::string port;  // empty: any
  };
  std::vector<host_entry> hosts_;
  std::vector<app::ip_range> ranges_;
};

// The special-purpose range an address is in ("loopback", "link-local (cloud metadata)",
// ...), or nothing for a public unicast address. IPv4 addresses embedded in IPv6 forms
// (mapped, compatible, NAT64, 6to4) are judged as the IPv4 address they carry.
std::optional<std::string> special_purpose_range(const boost::asio::ip::address& a);

// The port an http or https URL reaches, as allowlist entries name it: its own, else its
// scheme's (443 for https, 80 otherwise).
std::string port_of(const boost::urls::url_view& u);

}  // namespace drover::workers
