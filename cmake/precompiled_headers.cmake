# Precompiled headers, built once and shared (`target_precompile_headers(REUSE_FROM)`).
#
# Each set is built by a small object library of its own, compiled with the project's flags
# and definitions, so that every target reusing it agrees with it; GCC refuses a precompiled
# header whose command-line macros differ (-Winvalid-pch, an error under -Werror). Hence no
# fmt or spdlog here: their definitions (FMT_SHARED, SPDLOG_*) are not on every target.
#
# Three sets rather than one: loading a precompiled header costs in proportion to its size
# (about 0.4 s for the engine's, 0.7 s with Beast, per translation unit, on the 2-core
# machine), so Beast is only in the set of the HTTP and WebSocket targets, and GoogleTest
# (0.9 s parsed) only in the tests'.
#   drover_pch       Asio (coroutines, timers, TCP) and Boost.JSON: the library, the CLI
#   drover_pch_test  the same and GoogleTest: the C++ test programs
#   drover_pch_http  the same as drover_pch and Beast's HTTP: httpd, the API, Socket.IO, Workers
# Use: drover_reuse_pch(<target> drover_pch|drover_pch_test|drover_pch_http).

set(DROVER_PCH_ENGINE
  <algorithm> <chrono> <cstdint> <functional> <map> <memory> <optional> <string> <string_view>
  <unordered_map> <utility> <vector>
  <boost/asio/any_io_executor.hpp> <boost/asio/as_tuple.hpp> <boost/asio/awaitable.hpp>
  <boost/asio/co_spawn.hpp> <boost/asio/detached.hpp> <boost/asio/io_context.hpp>
  <boost/asio/ip/tcp.hpp> <boost/asio/post.hpp> <boost/asio/redirect_error.hpp>
  <boost/asio/steady_timer.hpp> <boost/asio/this_coro.hpp> <boost/asio/thread_pool.hpp>
  <boost/asio/use_awaitable.hpp>
  <boost/json.hpp>)

set(_drover_pch_source "${CMAKE_CURRENT_LIST_DIR}/pch/pch.cpp")

add_library(drover_pch OBJECT "${_drover_pch_source}")
target_link_libraries(drover_pch PRIVATE Boost::json)
target_precompile_headers(drover_pch PRIVATE ${DROVER_PCH_ENGINE})

if(DROVER_BUILD_TESTS)
  find_package(GTest REQUIRED)
  add_library(drover_pch_test OBJECT "${_drover_pch_source}")
  target_link_libraries(drover_pch_test PRIVATE Boost::json GTest::gtest)
  target_precompile_headers(drover_pch_test PRIVATE ${DROVER_PCH_ENGINE} <gtest/gtest.h>)
endif()

add_library(drover_pch_http OBJECT "${_drover_pch_source}")
target_link_libraries(drover_pch_http PRIVATE Boost::json)
target_precompile_headers(drover_pch_http PRIVATE ${DROVER_PCH_ENGINE}
  <boost/beast/core/flat_buffer.hpp> <boost/beast/core/tcp_stream.hpp> <boost/beast/http.hpp>)

function(drover_reuse_pch target pch)
  if(NOT TARGET ${pch})
    message(FATAL_ERROR "drover_reuse_pch: no precompiled-header target ${pch}")
  endif()
  target_precompile_headers(${target} REUSE_FROM ${pch})
endfunction()
