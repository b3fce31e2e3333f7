// full_redis_test.cpp - a Redis at its maxmemory (noeviction) refuses writes until memory is
// freed: an outage the caller may wait out (redis_unavailable) that names maxmemory, not a
// script's own failure that a worker would count against the job.
#include <gtest/gtest.h>

#include <string>

#include "drover/queue.hpp"
#include "support/async.hpp"
#include "support/redis_server.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover {
namespace {

using test::redis_server;
using test::run_async;

TEST(full_redis, refused_writes_are_an_outage_that_says_so) {
  redis_server server(false, {"--maxmemory-policy", "noeviction"});
  std::string refusal;
  bool outage = false;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue_options qo;
    qo.redis = server.options();
    queue q(io.get_executor(), test::unique_queue("full"), qo);
    const json::value data = json::object{{"n", 1}};
    auto before = q.add("before", data);  // named: GCC 12 and temporaries in co_await
    co_await std::move(before);
    server.cli("CONFIG SET maxmemory 1");
    try {
      auto refused = q.add("refused", data);
      co_await std::move(refused);
    } catch (const error& e) {
      outage = e.is(errc::redis_unavailable);
      refusal = e.what();
    }
    server.cli("CONFIG SET maxmemory 0");
    auto after = q.add("after", data);
    auto j = co_await std::move(after);
    EXPECT_FALSE(j.id.empty());
    q.close();
  });
  EXPECT_TRUE(outage) << refusal;
  EXPECT_NE(refusal.find("maxmemory"), std::string::npos) << refusal;
}

}  // namespace
}  // namespace drover
