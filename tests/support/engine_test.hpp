// engine_test.hpp - what every integration test of the engine begins with: running a
// coroutine to its end, waiting for a condition, and the short names the tests use.
// The tests live in namespace drover, so the names are declared there; include this
// only from test files.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/json/value.hpp>

#include <chrono>

#include "support/async.hpp"

namespace drover {

namespace net = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

using test::eventually;
using test::run_async;

}  // namespace drover
