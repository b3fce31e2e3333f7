// http_client_test.cpp - where the Workers app's HTTP client looks names up: an IP address
// never, a host name on the executor the request names (http_request::lookups), so that
// users' webhook hosts whose DNS never answers hold up no other lookup.
#include "workers/http_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

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

}  // namespace
}  // namespace drover::workers
