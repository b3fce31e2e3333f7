// span_exporter.cpp - see span_exporter.hpp. The only file of the library that speaks
// HTTP (Beast stays here): one POST per batch, on a thread and io_context of its own, so
// that a slow or absent collector never holds up the threads that record spans.
#include "core/tracing/span_exporter.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/tracing/otlp_json.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace drover::detail {

namespace {

struct collector_url {
  std::string host, port, target;
};

// "http://host[:port][/path]"; no path (or "/") means OTLP's default "/v1/traces".
collector_url parse_endpoint(const std::string& url) {
  constexpr std::string_view scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    throw error(errc::invalid_argument, "tracing endpoint '" + url + "': only http:// URLs are supported");
  }
  std::string rest = url.substr(scheme.size());
  collector_url c;
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  c.target = slash == std::string::npos ? "" : rest.substr(slash);
  if (c.target.empty() || c.target == "/") c.target = "/v1/traces";
  auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    c.host = authority.substr(0, colon);
    c.port = authority.substr(colon + 1);
  } else {
    c.host = authority;
    c.port = "80";
  }
  if (c.host.size() > 1 && c.host.front() == '[') c.host = c.host.substr(1, c.host.size() - 2);
  if (c.host.empty()) throw error(errc::invalid_argument, "tracing endpoint '" + url + "': no host");
  return c;
}

}  // namespace

struct span_exporter::impl {
  explicit impl(tracing_options o) : opts(std::move(o)), url(parse_endpoint(opts.endpoint)), timer(io) {}

  tracing_options opts;
  collector_url url;
  net::io_context io;
  net::steady_timer timer;
  std::thread thread;

  mutable std::mutex mu;
  std::condition_variable sent_cv;
  std::deque<span_record> queued;   // guarded by mu
  bool wake = false;                // guarded by mu: send without waiting for the interval
  bool stopping = false;            // guarded by mu
  std::uint64_t flushes_asked = 0;  // guarded by mu
  std::uint64_t flushes_done = 0;   // guarded by mu
  std::atomic<std::uint64_t> exported{0}, dropped{0};
  bool warned = false;  // the sending thread's own: one warning per outage

  void poke() {
    net::post(io, [this] { timer.cancel(); });
  }

  net::awaitable<bool> post(std::string body) {
    auto ex = co_await net::this_coro::executor;
    tcp::resolver resolver(ex);
    beast::tcp_stream stream(ex);
    stream.expires_after(opts.timeout);
    auto endpoints = co_await resolver.async_resolve(url.host, url.port, net::use_awaitable);
    co_await stream.async_connect(endpoints, net::use_awaitable);
    http::request<http::string_body> req{http::verb::post, url.target, 11};
    req.set(http::field::host, url.host);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "drover");
    req.body() = std::move(body);
    req.prepare_payload();
    co_await http::async_write(stream, req, net::use_awaitable);
    // Bounded, as every HTTP reader here: Beast throws from inside its read on a trailer
    // field of 64 KiB, which would end the program instead of failing this export.
    beast::flat_buffer buf(32 * 1024);
    http::response<http::string_body> res;
    co_await http::async_read(stream, buf, res, net::use_awaitable);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (res.result_int() / 100 != 2) {
      throw error(errc::protocol_error, "collector answered " + std::to_string(res.result_int()) + ": " + res.body());
    }
    co_return true;
  }

  // Whether the collector took the batch.
  net::awaitable<bool> send(std::vector<span_record> batch) {
    const auto n = batch.size();
    std::string problem;
    try {
      auto body = otlp_traces_json(opts.service_name, batch);
      co_await post(std::move(body));
    } catch (const boost::system::system_error& e) {
      problem = e.code().message();  // what() would name Asio's own source lines
    } catch (const std::exception& e) {
      problem = e.what();
    }
    if (problem.empty()) {
      exported += n;
      warned = false;
      co_return true;
    }
    dropped += n;
    if (!warned) {
      spdlog::warn("tracing: cannot send {} spans to {}: {}; dropping spans until it answers", n, opts.endpoint,
                   problem);
      warned = true;
    }
    co_return false;
  }

  net::awaitable<void> loop() {
    for (;;) {
      bool idle;
      {
        std::lock_guard lock(mu);
        idle = !wake && !stopping && queued.size() < opts.max_batch;
        wake = false;
      }
      if (idle) {
        timer.expires_after(opts.flush_interval);
        boost::system::error_code ec;
        co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
      }
      std::vector<span_record> batch;
      std::uint64_t asked;
      bool last;
      {
        std::lock_guard lock(mu);
        while (!queued.empty() && batch.size() < opts.max_batch) {
          batch.push_back(std::move(queued.front()));
          queued.pop_front();
        }
        asked = flushes_asked;
        last = stopping;
      }
      bool sent = true;
      if (!batch.empty()) sent = co_await send(std::move(batch));
      std::lock_guard lock(mu);
      // On the way out a collector that did not answer gets no second chance.
      if (last && !sent) {
        dropped += queued.size();
        queued.clear();
      }
      if (queued.empty()) {
        flushes_done = asked;
        sent_cv.notify_all();
        if (stopping) co_return;
      } else {
        wake = true;
      }
    }
  }
};

span_exporter::span_exporter(tracing_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {
  net::co_spawn(impl_->io, impl_->loop(), net::detached);
  impl_->thread = std::thread([i = impl_.get()] { i->io.run(); });
}

span_exporter::~span_exporter() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->poke();
  impl_->thread.join();
}

void span_exporter::push(span_record r) {
  bool full_batch;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->queued.size() >= impl_->opts.max_queued) {
      ++impl_->dropped;
      return;
    }
    impl_->queued.push_back(std::move(r));
    full_batch = impl_->queued.size() == impl_->opts.max_batch;
  }
  if (full_batch) impl_->poke();
}

tracing_stats span_exporter::stats() const { return {impl_->exported.load(), impl_->dropped.load()}; }

bool span_exporter::flush(std::chrono::milliseconds wait) {
  std::unique_lock lock(impl_->mu);
  const auto mine = ++impl_->flushes_asked;
  impl_->wake = true;
  lock.unlock();
  impl_->poke();
  lock.lock();
  return impl_->sent_cv.wait_for(lock, wait, [&] { return impl_->flushes_done >= mine; });
}

}  // namespace drover::detail
