// redis_client.cpp - a thin public face of redis::connection for plain keys.
#include "drover/redis_client.hpp"

#include <openssl/evp.h>

#include <boost/json/array.hpp>

#include <map>

#include "core/script_runner.hpp"
#include "redis/connection.hpp"
#include "redis/hash_slot.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover {

struct redis_client::impl {
  net::any_io_executor ex;
  redis_options opts;
  std::string client_name;
  std::shared_ptr<redis::connection> conn;  // the only one, or on a cluster the keyless calls'
  // A cluster's: one connection per slot used, made on first use (an application's own
  // keys are few), so that none of them is sent back and forth by MOVED.
  std::map<std::uint16_t, std::shared_ptr<redis::connection>> by_slot;

  redis::connection& for_key(std::string_view key) {
    if (opts.cluster.seeds.empty()) return *conn;
    auto slot = redis::hash_slot(key);
    auto& c = by_slot[slot];
    if (!c) c = redis::connection::create(ex, opts, client_name, slot);
    return *c;
  }
};

namespace {

std::string sha1_hex(std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md, &len, EVP_sha1(), nullptr) != 1) {
    throw error(errc::invalid_argument, "redis_script: cannot compute SHA1 (OpenSSL)");
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(digits[md[i] >> 4]);
    out.push_back(digits[md[i] & 0x0f]);
  }
  return out;
}

// What a script returned, as JSON (Lua's conversion rules already made it RESP).
json::value to_json(const redis::reply& r) {
  switch (r.type) {
    case redis::reply::kind::nil:
      return nullptr;
    case redis::reply::kind::integer:
      return r.integer;
    case redis::reply::kind::string:
    case redis::reply::kind::status:
      return json::string(r.str);
    case redis::reply::kind::error:
      break;  // run_script threw already
    case redis::reply::kind::array: {
      json::array a;
      a.reserve(r.elements.size());
      for (const auto& e : r.elements) a.push_back(to_json(e));
      return a;
    }
  }
  return nullptr;
}

}  // namespace

redis_script::redis_script(std::string name, std::string source)
    : name_(std::move(name)), source_(std::move(source)), sha1_(sha1_hex(source_)) {}

redis_client::redis_client(net::any_io_executor ex, redis_options opts, std::string client_name)
    : impl_(std::make_unique<impl>()) {
  impl_->ex = ex;
  impl_->opts = std::move(opts);
  impl_->client_name = std::move(client_name);
  impl_->conn = redis::connection::create(ex, impl_->opts, impl_->client_name);
}

redis_client::~redis_client() { close(); }

net::awaitable<std::chrono::steady_clock::duration> redis_client::ping() {
  if (!impl_->conn->is_connected()) {
    redis::command warm{"PING"};
    co_await impl_->conn->exec(std::move(warm));
  }
  redis::command cmd{"PING"};
  auto started = std::chrono::steady_clock::now();
  auto r = co_await impl_->conn->exec(std::move(cmd));
  auto took = std::chrono::steady_clock::now() - started;
  redis::expect_no_error(r, "PING");
  co_return took;
}

net::awaitable<std::optional<std::string>> redis_client::get(std::string key) {
  redis::command cmd{"GET", key};
  auto r = co_await impl_->for_key(key).exec(std::move(cmd));
  redis::expect_no_error(r, "GET");
  if (r.is_nil()) co_return std::nullopt;
  co_return r.as_string();
}

net::awaitable<bool> redis_client::set(std::string key, std::string value, redis_set_options opts) {
  redis::command cmd{"SET", key, value};
  if (opts.ttl.count() > 0) cmd.push("PX").push(static_cast<std::int64_t>(opts.ttl.count()));
  if (opts.only_if_absent) cmd.push("NX");
  auto r = co_await impl_->for_key(key).exec(std::move(cmd));
  redis::expect_no_error(r, "SET");
  co_return !r.is_nil();
}

net::awaitable<void> redis_client::del(std::string key) {
  redis::command cmd{"DEL", key};
  auto r = co_await impl_->for_key(key).exec(std::move(cmd));
  redis::expect_no_error(r, "DEL");
}

net::awaitable<json::value> redis_client::eval(const redis_script& script, std::vector<std::string> keys,
                                               std::vector<std::string> args) {
  // The engine's runner, with a description of this script in its terms.
  const detail::lua::script s{script.name(), static_cast<int>(keys.size()), script.sha1(), script.source(), false};
  // A script's keys must share a slot on a cluster anyway: the first one routes it.
  auto& conn = keys.empty() ? *impl_->conn : impl_->for_key(keys.front());
  detail::script_args keys_and_args = std::move(keys);
  keys_and_args.insert(keys_and_args.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  auto r = co_await detail::run_script(conn, s, std::move(keys_and_args));
  co_return to_json(r);
}

void redis_client::close() {
  if (!impl_) return;
  if (impl_->conn) impl_->conn->close();
  for (auto& [slot, c] : impl_->by_slot) c->close();
}

}  // namespace drover
