// redis_client.cpp - a thin public face of redis::connection for plain keys.
#include "drover/redis_client.hpp"

#include "redis/connection.hpp"

namespace net = boost::asio;

namespace drover {

struct redis_client::impl {
  std::shared_ptr<redis::connection> conn;
};

redis_client::redis_client(net::any_io_executor ex, redis_options opts, std::string client_name)
    : impl_(std::make_unique<impl>(impl{redis::connection::create(ex, std::move(opts), std::move(client_name))})) {}

redis_client::~redis_client() { close(); }

namespace {

// A Redis error reply as an exception naming the command.
void throw_if_error(const redis::reply& r, const char* what) {
  if (r.is_error()) throw error(errc::redis_error, std::string(what) + ": " + r.as_string());
}

}  // namespace

net::awaitable<std::chrono::steady_clock::duration> redis_client::ping() {
  if (!impl_->conn->is_connected()) {
    redis::command warm{"PING"};
    co_await impl_->conn->exec(std::move(warm));
  }
  redis::command cmd{"PING"};
  auto started = std::chrono::steady_clock::now();
  auto r = co_await impl_->conn->exec(std::move(cmd));
  auto took = std::chrono::steady_clock::now() - started;
  throw_if_error(r, "PING");
  co_return took;
}

net::awaitable<std::optional<std::string>> redis_client::get(std::string key) {
  redis::command cmd{"GET", key};
  auto r = co_await impl_->conn->exec(std::move(cmd));
  throw_if_error(r, "GET");
  if (r.is_nil()) co_return std::nullopt;
  co_return r.as_string();
}

net::awaitable<bool> redis_client::set(std::string key, std::string value, redis_set_options opts) {
  redis::command cmd{"SET", key, value};
  if (opts.ttl.count() > 0) cmd.push("PX").push(static_cast<std::int64_t>(opts.ttl.count()));
  if (opts.only_if_absent) cmd.push("NX");
  auto r = co_await impl_->conn->exec(std::move(cmd));
  throw_if_error(r, "SET");
  co_return !r.is_nil();
}

net::awaitable<void> redis_client::del(std::string key) {
  redis::command cmd{"DEL", key};
  auto r = co_await impl_->conn->exec(std::move(cmd));
  throw_if_error(r, "DEL");
}

void redis_client::close() {
  if (impl_ && impl_->conn) impl_->conn->close();
}

}  // namespace drover
