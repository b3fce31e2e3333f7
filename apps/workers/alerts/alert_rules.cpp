// alert_rules.cpp - parsing ALERT_RULES / ALERT_RULES_FILE.
#include "workers/alerts/alert_rules.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <drover/json.hpp>
#include <drover/error.hpp>
#include <drover_app/env.hpp>
#include <drover_app/http_url.hpp>

namespace json = boost::json;

namespace drover::workers {

const char* to_string(alert_kind k) {
  switch (k) {
    case alert_kind::failure_rate:
      return "failure_rate";
    case alert_kind::waiting:
      return "waiting";
    case alert_kind::stalled:
      return "stalled";
    case alert_kind::dead_letter_growing:
      return "dead_letter_growing";
    case alert_kind::no_worker:
      return "no_worker";
  }
  return "unknown";
}

namespace {

[[noreturn]] void bad(std::size_t index, const std::string& what) {
  throw error(errc::invalid_argument, fmt::format("alert rule {}: {}", index + 1, what));
}

std::optional<double> number(const json::object& o, const char* key, std::size_t index) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_number()) bad(index, fmt::format("\"{}\" must be a number", key));
  double d = v->to_number<double>();
  if (!std::isfinite(d) || d < 0) bad(index, fmt::format("\"{}\" must be a number of at least 0", key));
  return d;
}

// A duration of the rule's: at most 30 days (max_setting_ms), as every duration setting; a
// forSeconds of 10^10 overflowed and the rule fired at once (a configuration review).
std::chrono::milliseconds seconds(double s, const char* key, std::size_t index) {
  constexpr double longest = app::max_setting_ms / 1000.0;
  if (s > longest) bad(index, fmt::format("\"{}\" must be at most {} (30 days)", key, app::max_setting_ms / 1000));
  return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
}

alert_kind kind_of(std::string_view type, std::size_t index) {
  for (auto k : {alert_kind::failure_rate, alert_kind::waiting, alert_kind::stalled, alert_kind::dead_letter_growing,
                 alert_kind::no_worker}) {
    if (type == to_string(k)) return k;
  }
  bad(index, fmt::format("unknown type '{}' (failure_rate, waiting, stalled, dead_letter_growing, no_worker)", type));
}

alert_rule parse_rule(const json::value& v, std::size_t index) {
  if (!v.is_object()) bad(index, "must be an object");
  const auto& o = v.get_object();
  static const std::set<std::string_view> known = {"name",          "type",       "queue",  "threshold",
                                                   "windowSeconds", "forSeconds", "minJobs"};
  for (const auto& kv : o) {
    if (!known.contains(kv.key())) bad(index, fmt::format("unknown field \"{}\"", std::string_view(kv.key())));
  }
  alert_rule r;
  auto* type = o.if_contains("type");
  if (!type || !type->is_string()) bad(index, "needs \"type\"");
  r.kind = kind_of(type->get_string(), index);
  auto* queue = o.if_contains("queue");
  if (!queue || !queue->is_string() || queue->get_string().empty()) bad(index, "needs \"queue\"");
  r.queue = std::string(queue->get_string());
  if (auto* name = o.if_contains("name")) {
    if (!name->is_string() || name->get_string().empty()) bad(index, "\"name\" must be a non-empty string");
    r.name = std::string(name->get_string());
  } else {
    r.name = fmt::format("{} {}", to_string(r.kind), r.queue);
  }
  r.threshold = r.kind == alert_kind::failure_rate ? 0.5 : r.kind == alert_kind::waiting ? 100 : 0;
  if (auto t = number(o, "threshold", index)) r.threshold = *t;
  if (r.kind == alert_kind::failure_rate && r.threshold > 1) bad(index, "a failure rate threshold is from 0 to 1");
  if (auto w = number(o, "windowSeconds", index)) {
    if (*w == 0) bad(index, "\"windowSeconds\" must be above 0");
    r.window = seconds(*w, "windowSeconds", index);
  }
  if (auto f = number(o, "forSeconds", index)) r.for_duration = seconds(*f, "forSeconds", index);
  if (auto m = number(o, "minJobs", index)) r.min_jobs = std::max<std::int64_t>(1, static_cast<std::int64_t>(*m));
  return r;
}

}  // namespace

std::vector<alert_rule> parse_alert_rules(std::string_view json_text) {
  boost::system::error_code ec;
  auto doc = drover::parse_json(json_text, ec);
  if (ec) throw error(errc::invalid_argument, fmt::format("alert rules are not valid JSON: {}", ec.message()));
  const json::array* list = doc.if_array();
  if (!list && doc.is_object()) {
    if (auto* rules = doc.get_object().if_contains("rules")) list = rules->if_array();
  }
  if (!list) throw error(errc::invalid_argument, "alert rules must be a JSON array, or an object with \"rules\"");
  std::vector<alert_rule> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto r = parse_rule((*list)[i], i);
    if (!names.insert(r.name).second) bad(i, fmt::format("the name '{}' is used twice", r.name));
    out.push_back(std::move(r));
  }
  return out;
}

alert_settings alert_settings::from_env() {
  alert_settings s;
  const char* inline_rules = app::env("ALERT_RULES");
  const char* file = app::env("ALERT_RULES_FILE");
  if (inline_rules && file) throw error(errc::invalid_argument, "set ALERT_RULES or ALERT_RULES_FILE, not both");
  if (inline_rules) {
    try {
      s.rules = parse_alert_rules(inline_rules);
    } catch (const error& e) {
      throw error(errc::invalid_argument, fmt::format("ALERT_RULES: {}", e.what()));
    }
  } else if (file) {
    std::ifstream in(file);
    // A directory opens, and reads as nothing ("not valid JSON" said an operator's drill).
    std::error_code dir_ec;
    if (!in || std::filesystem::is_directory(file, dir_ec)) {
      throw error(errc::invalid_argument,
                  fmt::format("ALERT_RULES_FILE: cannot read '{}'{}", file, in ? ": it is a directory" : ""));
    }
    std::stringstream text;
    text << in.rdbuf();
    try {
      s.rules = parse_alert_rules(text.str());
    } catch (const error& e) {
      throw error(errc::invalid_argument, fmt::format("ALERT_RULES_FILE {}: {}", file, e.what()));
    }
  }
  if (const char* v = app::env("ALERT_WEBHOOK_URL")) {
    // Checked at start: a typo otherwise lost the first alert, with the URL masked in the
    // log as the credential it is (an operator's drill). Not shown here either.
    if (!app::http_url(v)) {
      throw error(errc::invalid_argument,
                  "ALERT_WEBHOOK_URL must be an http or https URL with a host (and a port, if any, from 1 to 65535) "
                  "such as https://hooks.slack.com/services/... (the value is not shown: it is a credential)");
    }
    s.webhook_url = v;
  }
  if (const char* v = app::env("ALERT_INTERVAL_MS")) {
    s.interval = app::env_ms("ALERT_INTERVAL_MS", v, 100);
  }
  return s;
}

}  // namespace drover::workers
