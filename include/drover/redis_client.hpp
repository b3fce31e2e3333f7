// redis_client.hpp - a plain Redis connection for an application's own small keys
// beside its queues (an alert state, a health probe, a rate limiter's script), and for
// timing round trips.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drover/redis_options.hpp"

namespace drover {

struct redis_set_options {
  redis_set_options() = default;
  std::chrono::milliseconds ttl{0};  // expire after this (PX); 0: never
  bool only_if_absent = false;       // NX: write only when the key does not exist
};

// A Lua script of an application's own, for redis_client::eval: its source and the
// SHA1 that EVALSHA calls it by (computed here, once). Make it once and keep it.
// Thread safety: immutable after construction.
class redis_script {
 public:
  // `name` is only for error messages ("token-bucket").
  redis_script(std::string name, std::string source);

  const std::string& name() const { return name_; }
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }

 private:
  std::string name_, source_, sha1_;
};

// One connection, made on first use and remade after a failure (see redis_options).
// Every call throws drover::error (redis_unavailable, redis_timeout, closed) when Redis
// does not answer.
// Thread safety: none; use it from coroutines on the executor it was made with.
class redis_client {
 public:
  // `client_name` is set with CLIENT SETNAME when given.
  redis_client(boost::asio::any_io_executor ex, redis_options opts, std::string client_name = {});
  ~redis_client();
  redis_client(const redis_client&) = delete;
  redis_client& operator=(const redis_client&) = delete;

  // Sends PING and returns how long the answer took (a connection made on the way is
  // not counted: the first call pings twice).
  boost::asio::awaitable<std::chrono::steady_clock::duration> ping();
  // The string at `key`, or std::nullopt when there is none.
  boost::asio::awaitable<std::optional<std::string>> get(std::string key);
  // Writes `value` at `key`; returns false when only_if_absent and the key exists.
  boost::asio::awaitable<bool> set(std::string key, std::string value, redis_set_options opts = {});
  boost::asio::awaitable<void> del(std::string key);
  // Runs `script` with `keys` as KEYS and `args` as ARGV: EVALSHA, and after NOSCRIPT (a
  // restarted or flushed Redis) SCRIPT LOAD and EVALSHA once more. Returns the reply as
  // JSON: integers as int64, strings and status replies as strings, nil (Lua nil or false)
  // as null, tables as arrays. Throws drover::error(script_error) naming the script when
  // it raises an error.
  boost::asio::awaitable<boost::json::value> eval(const redis_script& script, std::vector<std::string> keys,
                                                  std::vector<std::string> args = {});
  // Fails calls in flight with errc::closed and refuses later ones.
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace drover
