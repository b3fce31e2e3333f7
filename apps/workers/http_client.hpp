// http_client.hpp - outbound HTTP(S) for the workers: the AI provider and webhooks.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace drover::workers {

class address_policy;

struct http_request {
  std::string method = "POST";
  std::string url;  // http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{5000};  // for resolving and connecting each
  std::chrono::milliseconds read_timeout{30000};    // longest silence while reading
  std::chrono::milliseconds total_timeout{0};       // the whole exchange; 0: no limit
  // When set, the host must be allowlisted or resolve only to addresses the policy
  // accepts (URLs chosen by clients); the connection goes to those addresses.
  const address_policy* destinations = nullptr;
  // When set, a host name is looked up on this executor's resolver, not the caller's. An
  // io_context looks names up one at a time on one thread of its own, and getaddrinfo
  // ends only when the DNS gives up (10 s and more; the deadline only stops waiting), so a
  // name whose DNS never answers held up every later lookup of the process: a user's
  // webhook host delayed every answer's delivery, the AI provider and Redis's reconnects
  // (a security review). URLs users chose are looked up on an executor of their own. An
  // IP address is never looked up.
  boost::asio::any_io_executor lookups;
  // The most of a collected body kept, 0 for all of it (up to 64 MiB). Past it the answer
  // is not read on: its connection closes. A receiver a user chose could otherwise make a
  // worker hold up to 64 MiB per delivery (a review: 379 MB from one user's ten sends).
  std::size_t body_kept = 0;
};

struct http_response {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                            // empty when streamed to on_data
  bool body_cut = false;                       // body_kept stopped the read
};

// A failure before a status line arrived (DNS, connect, TLS, timeout, reset).
class transport_error : public std::runtime_error {
 public:
  explicit transport_error(const std::string& what, bool timed_out = false)
      : std::runtime_error(what), timed_out_(timed_out) {}
  // The peer gave no answer in time (resolving, connecting, the head or the body).
  bool timed_out() const noexcept { return timed_out_; }

 private:
  bool timed_out_;
};

// The URL is unusable (malformed, not http/https) or points where the destination
// policy forbids: trying again will not help.
class bad_destination : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Sends the request and reads the answer; with on_data a successful (2xx) body is handed
// over as it arrives (for server-sent events) instead of being collected; other bodies
// are always collected, to report them. Asynchronous: it never
// blocks the executor. TLS certificates are verified against the system's store.
// Throws transport_error or bad_destination; any HTTP status is a normal return.
// (No default for on_data: a defaulted temporary argument of a coroutine is destroyed
// twice by GCC 12; pass an empty std::function to collect the body.)
boost::asio::awaitable<http_response> fetch(boost::asio::any_io_executor ex, http_request req,
                                            std::function<void(std::string_view)> on_data);

}  // namespace drover::workers
