// http_client_test.cpp - where the Workers app's HTTP client looks names up: an IP address
// never, a host name on the executor the request names (http_request::lookups), so that
// users' webhook hosts whose DNS never answers hold up no other lookup; and what a hostile
// receiver's answer can do (a user's webhookUrl names any server).
#include "workers/http_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <future>
#include <string>

#include "support/otlp_receiver.hpp"

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace drover::workers {
namespace {

http_request request_to(const std::string& url, net::io_context& lookups) {
  http_request req;
  req.url = url;
  req.body = "{}";
  req.connect_timeout = 300ms;
  req.total_timeout = 2s;
  req.lookups = lookups.get_executor();
  return req;
}

TEST(http_client, an_ip_address_is_never_looked_up) {
  test::otlp_receiver server;
  net::io_context io, lookups;  // nothing runs `lookups`: a lookup there would never end
  auto done = net::co_spawn(io, fetch(io.get_executor(), request_to(server.url() + "/v1/traces", lookups), {}),
                            net::use_future);
  io.run();
  EXPECT_GT(done.get().status, 0u);  // answered: the server was reached
}

// A scheme in capitals is the same scheme (a review's "HTTP://" delivery was refused).
TEST(http_client, a_scheme_in_capitals_is_the_same_scheme) {
  test::otlp_receiver server;
  net::io_context io, lookups;
  auto url = server.url() + "/v1/traces";
  url.replace(0, 4, "HTTP");
  auto done = net::co_spawn(io, fetch(io.get_executor(), request_to(url, lookups), {}), net::use_future);
  io.run();
  EXPECT_GT(done.get().status, 0u);
}

TEST(http_client, a_host_name_is_looked_up_on_the_executor_the_request_names) {
  test::otlp_receiver server;
  const std::string port = server.url().substr(server.url().rfind(':') + 1);
  net::io_context io, lookups;
  auto done = net::co_spawn(io, fetch(io.get_executor(), request_to("http://localhost:" + port + "/", lookups), {}),
                            net::use_future);
  // Past the lookup's deadline the fetch still waits: its lookup's end is for `lookups`
  // to deliver, which nothing runs yet (on `io`'s own resolver it would have ended).
  io.run_for(500ms);
  EXPECT_EQ(done.wait_for(0s), std::future_status::timeout);
  lookups.run();
  io.run();
  try {
    done.get();
    FAIL() << "the lookup ended before its deadline";
  } catch (const transport_error& e) {
    EXPECT_TRUE(e.timed_out());
    EXPECT_NE(std::string(e.what()).find("cannot resolve localhost: no answer in 300 ms"), std::string::npos)
        << e.what();
  }
}

// The security review's crash, from the other side: Beast throws from inside its read on
// a trailer field of 64 KiB, which would have ended the Workers app. The fetch fails.
TEST(http_client, a_huge_trailer_fails_the_fetch) {
  net::io_context io, lookups;
  net::ip::tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), 0});
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        auto socket = co_await acceptor.async_accept(net::use_awaitable);
        std::string request;
        co_await net::async_read_until(socket, net::dynamic_buffer(request), "\r\n\r\n", net::use_awaitable);
        const std::string answer =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Big: " + std::string(70000, 'a') +
            "\r\n\r\n";
        boost::system::error_code ec;
        co_await net::async_write(socket, net::buffer(answer), net::redirect_error(net::use_awaitable, ec));
      },
      net::detached);
  const auto url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/hook";
  auto done = net::co_spawn(io, fetch(io.get_executor(), request_to(url, lookups), {}), net::use_future);
  io.run();
  try {
    done.get();
    FAIL() << "a 70 kB trailer was read";
  } catch (const transport_error& e) {
    EXPECT_NE(std::string(e.what()).find("reading the body failed"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace drover::workers
