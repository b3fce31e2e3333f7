// processors.cpp - the built-in processors; each reads its parameters from the job's data.
#include "processors.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace json = boost::json;
namespace net = boost::asio;

namespace drover::cli {

namespace {

std::int64_t int_field(const json::value& data, const char* name, std::int64_t fallback) {
  if (!data.is_object()) return fallback;
  const auto* v = data.get_object().if_contains(name);
  if (!v) return fallback;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return fallback;
}

net::awaitable<json::value> noop(job_context&) { co_return nullptr; }

net::awaitable<json::value> echo(job_context& ctx) { co_return ctx.job().data; }

net::awaitable<json::value> sleep_for(job_context& ctx) {
  auto ms = int_field(ctx.job().data, "ms", 0);
  net::steady_timer t(co_await net::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(net::use_awaitable);
  co_return json::object{{"slept", ms}};
}

net::awaitable<json::value> fail(job_context& ctx) {
  std::string message = "failed";
  if (ctx.job().data.is_object()) {
    if (const auto* m = ctx.job().data.get_object().if_contains("message"); m && m->is_string()) {
      message = std::string(m->get_string());
    }
  }
  throw std::runtime_error(message);
  co_return nullptr;
}

net::awaitable<json::value> flaky(job_context& ctx) {
  auto failures = int_field(ctx.job().data, "failures", 1);
  auto attempt = ctx.job().attempts_made + 1;
  if (attempt <= failures) throw std::runtime_error(fmt::format("flaky failure {} of {}", attempt, failures));
  co_return json::object{{"attempts", attempt}};
}

// For the chaos suite (tests/chaos): works data.ms, then fails every attempt when
// data.fail is true, so that a job either completes or fails for good.
net::awaitable<json::value> chaos(job_context& ctx) {
  auto ms = int_field(ctx.job().data, "ms", 0);
  net::steady_timer t(co_await net::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(net::use_awaitable);
  const auto& data = ctx.job().data;
  if (data.is_object()) {
    if (const auto* f = data.get_object().if_contains("fail"); f && f->is_bool() && f->get_bool()) {
      throw std::runtime_error(fmt::format("chaos: job {} fails for good", ctx.job().id));
    }
  }
  co_return json::object{{"worked", ms}};
}

// For flows (tests/interop/flows.test.mjs): fails when data.fail is true, else answers
// data.n with what the job knows of its children (their values, the failures ignored).
net::awaitable<json::value> flow(job_context& ctx) {
  const auto& data = ctx.job().data;
  if (data.is_object()) {
    if (const auto* f = data.get_object().if_contains("fail"); f && f->is_bool() && f->get_bool()) {
      throw std::runtime_error(fmt::format("flow: job {} fails", ctx.job().id));
    }
  }
  auto values = co_await ctx.children_values();
  auto ignored = co_await ctx.ignored_children_failures();
  json::object failures;
  for (const auto& [key, reason] : ignored) failures[key] = reason;
  json::value n = data.is_object() && data.get_object().contains("n") ? data.at("n") : json::value(nullptr);
  co_return json::object{{"n", n}, {"children", std::move(values)}, {"ignored", std::move(failures)}};
}

net::awaitable<json::value> progress(job_context& ctx) {
  auto steps = std::max<std::int64_t>(1, int_field(ctx.job().data, "steps", 5));
  for (std::int64_t i = 1; i <= steps; ++i) {
    co_await ctx.update_progress(static_cast<std::int64_t>(std::lround(100.0 * static_cast<double>(i) / steps)));
    co_await ctx.log(fmt::format("step {} of {}", i, steps));
  }
  co_return json::object{{"steps", steps}};
}

json::value cpu(blocking_job_context& ctx) {
  auto ms = int_field(ctx.job().data, "ms", 0);
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  volatile std::uint64_t x = 0;
  while (std::chrono::steady_clock::now() < until && !ctx.cancelled()) {
    for (int i = 0; i < 10000; ++i) x = x + static_cast<std::uint64_t>(i);
  }
  return json::object{{"spun", ms}};
}

}  // namespace

const std::vector<std::string>& builtin_processor_names() {
  static const std::vector<std::string> names{"noop",     "echo", "sleep", "fail", "flaky",
                                              "progress", "cpu",  "chaos", "flow"};
  return names;
}

std::optional<processor> builtin_processor(const std::string& name) {
  if (name == "noop") return processor::async(noop);
  if (name == "echo") return processor::async(echo);
  if (name == "sleep") return processor::async(sleep_for);
  if (name == "fail") return processor::async(fail);
  if (name == "flaky") return processor::async(flaky);
  if (name == "progress") return processor::async(progress);
  if (name == "cpu") return processor::blocking(cpu);
  if (name == "chaos") return processor::async(chaos);
  if (name == "flow") return processor::async(flow);
  return std::nullopt;
}

}  // namespace drover::cli
