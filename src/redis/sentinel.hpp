// sentinel.hpp - asking Redis Sentinels where a master is.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstddef>
#include <memory>

#include "drover/redis_options.hpp"

namespace drover::redis {

struct sentinel_answer {
  redis_endpoint master;
  std::size_t sentinel = 0;  // the index in opts.sentinel.sentinels of the one that answered
};

// Asks each sentinel of opts.sentinel in turn, from index `first` on (wrapping around),
// `SENTINEL get-master-addr-by-name` (after AUTH when a sentinel password is set) and
// returns the first address given. Each sentinel has opts.connect_timeout for the whole
// exchange; with `tls`, they are spoken to over TLS like the master. Throws
// std::runtime_error listing why each sentinel gave no answer ("26379: connection
// refused; 26380: master 'x' unknown").
boost::asio::awaitable<sentinel_answer> ask_sentinels(boost::asio::any_io_executor ex, const redis_options& opts,
                                                      std::shared_ptr<boost::asio::ssl::context> tls,
                                                      std::size_t first = 0);

}  // namespace drover::redis
