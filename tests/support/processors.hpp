// processors.hpp - processors the engine's tests share (one definition, so that unity
// builds do not see two).
#pragma once

#include <boost/json/value.hpp>

#include <drover/worker.hpp>

namespace drover::test {

// Completes each job with its data as the return value.
inline processor echo() {
  return processor::async(
      [](job_context& ctx) -> boost::asio::awaitable<boost::json::value> { co_return ctx.job().data; });
}

}  // namespace drover::test
