// address_key.cpp - see address_key.hpp.
#include "drover_app/address_key.hpp"

#include <boost/asio/ip/address.hpp>

namespace drover::app {

namespace ip = boost::asio::ip;

std::string address_key(std::string_view address) {
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(address), ec);
  if (ec) return std::string(address);
  if (a.is_v4()) return a.to_v4().to_string();
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, v6).to_string();
  auto bytes = v6.to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace drover::app
