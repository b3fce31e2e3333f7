// common_options.hpp - the flags every queue command shares: which queue, under which
// key prefix, on which Redis.
#pragma once

#include <cstddef>
#include <string>

#include <drover/redis_options.hpp>

namespace drover::cli {

struct common_options {
  std::string queue;
  std::string prefix = "bull";
  std::string redis_url;  // --redis; wins over REDIS_URL and REDIS_HOST/PORT/PASSWORD
  // --redis-tls-*: win over the URL's tls_* parameters and the REDIS_TLS_* variables.
  std::string tls_ca, tls_cert, tls_key, tls_server_name;
  bool tls_insecure = false;
  // --shards: the queue is a sharded one (drover/sharded_queue.hpp) of this many shards; 0: a plain queue.
  std::size_t shards = 0;

  // The Redis options of --redis or the environment, with short timeouts: a command
  // line tool should say quickly that Redis is not there.
  redis_options redis() const;
};

}  // namespace drover::cli
