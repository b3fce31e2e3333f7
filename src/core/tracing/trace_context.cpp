// trace_context.cpp - W3C traceparent reading and writing, random ids, and the job
// option (telemetry.metadata) that carries a trace context between producer and worker.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdlib>
#include <random>

#include "core/tracing/span_record.hpp"
#include "drover/tracing.hpp"
#include <drover/json.hpp>

namespace json = boost::json;

namespace drover {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // W3C allows lower case only
}

template <std::size_t N>
bool read_hex(std::string_view s, std::array<std::uint8_t, N>& out) {
  if (s.size() != 2 * N) return false;
  bool any = false;
  for (std::size_t i = 0; i < N; ++i) {
    int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    any = any || out[i] != 0;
  }
  return any;
}

template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xf]);
  }
  return out;
}

std::mt19937_64& rng() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

template <std::size_t N>
std::array<std::uint8_t, N> random_id() {
  std::array<std::uint8_t, N> id{};
  do {
    for (std::size_t i = 0; i < N; i += 8) {
      auto r = rng()();
      for (std::size_t k = 0; k < 8 && i + k < N; ++k) id[i + k] = static_cast<std::uint8_t>(r >> (8 * k));
    }
  } while (id == std::array<std::uint8_t, N>{});
  return id;
}

}  // namespace

std::optional<trace_context> trace_context::parse(std::string_view tp) {
  // version "00" has exactly four fields; a later version may append more after a '-'.
  if (tp.size() < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return std::nullopt;
  if (tp.substr(0, 2) == "ff" || hex_digit(tp[0]) < 0 || hex_digit(tp[1]) < 0) return std::nullopt;
  if (tp.substr(0, 2) == "00" && tp.size() != 55) return std::nullopt;
  if (tp.size() > 55 && tp[55] != '-') return std::nullopt;
  trace_context c;
  if (!read_hex(tp.substr(3, 32), c.trace_id) || !read_hex(tp.substr(36, 16), c.span_id)) return std::nullopt;
  int hi = hex_digit(tp[53]), lo = hex_digit(tp[54]);
  if (hi < 0 || lo < 0) return std::nullopt;
  c.flags = static_cast<std::uint8_t>(hi << 4 | lo);
  return c;
}

std::string trace_context::traceparent() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string f{digits[flags >> 4], digits[flags & 0xf]};
  return "00-" + trace_id_hex() + "-" + span_id_hex() + "-" + f;
}
std::string trace_context::trace_id_hex() const { return to_hex(trace_id); }
std::string trace_context::span_id_hex() const { return to_hex(span_id); }

std::string telemetry_metadata(const trace_context& ctx) {
  return drover::serialize_json(json::object{{"traceparent", ctx.traceparent()}});
}

std::optional<trace_context> trace_parent_of(const job_options& opts) {
  const auto* t = opts.extra.if_contains("telemetry");
  if (!t || !t->is_object()) return std::nullopt;
  const auto* m = t->get_object().if_contains("metadata");
  if (!m || !m->is_string()) return std::nullopt;
  boost::system::error_code ec;
  auto headers = drover::parse_json(m->get_string(), ec);
  if (ec || !headers.is_object()) return std::nullopt;
  const auto* tp = headers.get_object().if_contains("traceparent");
  if (!tp || !tp->is_string()) return std::nullopt;
  return trace_context::parse(tp->get_string());
}

void set_trace_parent(job_options& opts, const trace_context& ctx) {
  auto& t = opts.extra["telemetry"];
  if (!t.is_object()) t = json::object();
  t.as_object()["metadata"] = telemetry_metadata(ctx);
}

tracing_options tracing_options::from_env() {
  tracing_options o;
  if (const char* e = std::getenv("DROVER_OTLP_ENDPOINT")) o.endpoint = e;
  if (const char* s = std::getenv("DROVER_OTLP_SERVICE_NAME"); s && *s) {
    o.service_name = s;
  } else if (const char* s2 = std::getenv("OTEL_SERVICE_NAME"); s2 && *s2) {
    o.service_name = s2;
  }
  return o;
}

namespace detail {

std::uint64_t now_unix_ns() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count());
}
std::array<std::uint8_t, 16> random_trace_id() { return random_id<16>(); }
std::array<std::uint8_t, 8> random_span_id() { return random_id<8>(); }

}  // namespace detail

}  // namespace drover
