// address_policy_fuzz.cpp - libFuzzer harness of the webhook SSRF guard (apps/workers/address_policy.cpp).
//
// Input: lines. The first is an allowlist (WEBHOOK_ALLOWED_HOSTS); each later line is
// judged as "host port" by host_allowed and, when it is an IP literal, by refusal().
// The trailing 16 bytes, when there are that many, are also judged as a raw IPv6 address
// and their last 4 as an IPv4 one. Properties: an address that is not special-purpose is
// never refused; an allowlisted range can only lift a refusal; an IPv4 address inside the
// IPv4-mapped IPv6 form is judged as the address itself.
#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "workers/address_policy.hpp"

namespace ip = boost::asio::ip;
using drover::workers::address_policy;
using drover::workers::special_purpose_range;

namespace {

void judge(const address_policy& policy, const ip::address& a) {
  const auto range = special_purpose_range(a);
  const auto refusal = policy.refusal(a);
  if (!range && refusal) std::abort();
  if (refusal && *refusal != *range) std::abort();
  if (a.is_v4()) {
    const auto mapped = special_purpose_range(ip::make_address_v6(ip::v4_mapped, a.to_v4()));
    if (range.has_value() != mapped.has_value()) std::abort();
    if (range && *mapped != "IPv4-mapped " + *range) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  address_policy policy;
  try {
    policy = address_policy(input.substr(0, newline));
  } catch (const std::invalid_argument&) {
  }

  if (size >= 16) {
    ip::address_v6::bytes_type b;
    std::copy(data + size - 16, data + size, b.begin());
    judge(policy, ip::address_v6(b));
    ip::address_v4::bytes_type b4;
    std::copy(data + size - 4, data + size, b4.begin());
    judge(policy, ip::address_v4(b4));
  }

  auto rest = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const auto line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    const auto space = line.find(' ');
    const auto host = line.substr(0, space);
    const auto port = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    (void)policy.host_allowed(host, port);
    boost::system::error_code ec;
    auto a = ip::make_address(std::string(host), ec);
    if (!ec) judge(policy, a);
  }
  return 0;
}
