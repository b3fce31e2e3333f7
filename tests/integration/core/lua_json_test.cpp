// lua_json_test.cpp - cjson_text against Redis's own Lua: for objects of every size drover
// might store as a job's options (and many it would not), the text must be byte for byte
// what `cjson.encode(cmsgpack.unpack(msgpack))` gives in the suite's redis-server.
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/lua_json.hpp"
#include "core/msgpack.hpp"
#include "redis/connection.hpp"
#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"

namespace drover {
namespace {

namespace json = boost::json;

class lua_json_test : public test::queue_fixture {
 protected:
  lua_json_test() : queue_fixture("lua-json") {}
};

// Keys BullMQ and drover store, then made-up ones: short and long (Lua hashes only every
// few characters of a string over 31 bytes), so that tables collide and grow.
std::string random_key(std::mt19937& rng) {
  static const std::vector<std::string> known = {
      "attempts",     "backoff",         "delay", "priority",  "lifo",    "jobId", "timestamp", "removeOnComplete",
      "removeOnFail", "stackTraceLimit", "kl",    "sizeLimit", "timeout", "tm",    "omc",       "type",
      "age",          "count",           "fpof"};
  std::uniform_int_distribution<int> pick(0, 2);
  if (pick(rng) == 0) return known[std::uniform_int_distribution<std::size_t>(0, known.size() - 1)(rng)];
  std::uniform_int_distribution<int> length(1, pick(rng) == 0 ? 80 : 12);
  std::uniform_int_distribution<int> ch('!', '~');
  std::string k(static_cast<std::size_t>(length(rng)), 'a');
  for (auto& c : k) c = static_cast<char>(ch(rng));
  return k;
}

json::value random_value(std::mt19937& rng, int depth);

json::object random_object(std::mt19937& rng, int depth) {
  json::object o;
  const int n = std::uniform_int_distribution<int>(0, depth == 0 ? 40 : 6)(rng);
  for (int i = 0; i < n; ++i) o[random_key(rng)] = random_value(rng, depth);
  return o;
}

json::value random_value(std::mt19937& rng, int depth) {
  switch (std::uniform_int_distribution<int>(0, depth < 3 ? 6 : 5)(rng)) {
    case 0:
      return std::uniform_int_distribution<std::int64_t>(-1000, 1000)(rng);
    case 1:
      return std::uniform_int_distribution<std::int64_t>(0, 99'999'999'999'999)(rng);
    case 2:
      return std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    case 3:
      return static_cast<double>(std::uniform_int_distribution<int>(-50, 50)(rng));
    case 4:
      return "plain text";
    case 5:
      return "esc \" \\ / \b\f\n\r\t \x01\x1f\x7f é ✓ 😀";
    default:
      return random_object(rng, depth + 1);
  }
}

TEST_F(lua_json_test, matches_cjson_encode_of_the_unpacked_msgpack_byte_for_byte) {
  DROVER_SKIP_ON_CLUSTER("EVAL without keys, on one redis-server");
  std::mt19937 rng(20261204);
  std::vector<json::object> objects;
  for (int i = 0; i < 600; ++i) objects.push_back(random_object(rng, 0));
  objects.push_back({});
  objects.push_back({{"attempts", 0}});
  objects.push_back({{"attempts", 3}, {"backoff", {{"type", "fixed"}, {"delay", 40}}}, {"removeOnComplete", true}});
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = redis::connection::create(io.get_executor(), redis());
    int compared = 0;
    for (const auto& o : objects) {
      auto text = detail::cjson_text(o);
      if (!text) continue;
      detail::msgpack_writer packed;
      packed.json(o);
      redis::command eval{"EVAL", "return cjson.encode(cmsgpack.unpack(ARGV[1]))", "0"};
      eval.push(packed.take());
      auto r = co_await conn->exec(std::move(eval));
      EXPECT_EQ(*text, r.str) << "for " << json::serialize(o);
      ++compared;
    }
    EXPECT_GT(compared, 500);
    conn->close();
  });
}

}  // namespace
}  // namespace drover
