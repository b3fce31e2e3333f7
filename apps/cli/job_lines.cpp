// job_lines.cpp - one JSON object a line into new_job, with the line number in every error.
#include "job_lines.hpp"

#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <drover/error.hpp>
#include <drover/json.hpp>

namespace json = boost::json;

namespace drover::cli {

namespace {

[[noreturn]] void bad_line(std::string_view source, std::size_t line_no, const std::string& what) {
  throw error(errc::invalid_argument, fmt::format("{} line {}: {}", source, line_no, what));
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r") == std::string_view::npos; }

}  // namespace

new_job parse_job_line(std::string_view text, std::size_t line_no, std::string_view source) {
  boost::system::error_code ec;
  auto v = drover::parse_json(text, ec);
  if (ec) bad_line(source, line_no, fmt::format("not valid JSON ({})", ec.message()));
  if (!v.is_object()) bad_line(source, line_no, R"(expected an object {"name", "data", "opts"})");
  auto& o = v.as_object();
  for (const auto& [key, value] : o) {
    if (key != "name" && key != "data" && key != "opts") {
      bad_line(source, line_no, fmt::format(R"(unknown field "{}" (known: name, data, opts))", std::string_view(key)));
    }
  }
  new_job j;
  auto* name = o.if_contains("name");
  // An empty name is a name, as in Node's addBulk.
  if (!name || !name->is_string()) bad_line(source, line_no, R"("name" must be a string)");
  j.name = std::string(name->as_string());
  if (auto* data = o.if_contains("data")) j.data = *data;
  if (auto* opts = o.if_contains("opts")) {
    if (!opts->is_object()) bad_line(source, line_no, R"("opts" must be an object)");
    try {
      j.opts = job_options::from_json(*opts);
    } catch (const std::exception& e) {
      bad_line(source, line_no, fmt::format("opts: {}", e.what()));
    }
  }
  return j;
}

std::vector<numbered_job> read_job_lines(std::istream& in, std::string_view source) {
  std::vector<numbered_job> out;
  std::string text;
  for (std::size_t line_no = 1; std::getline(in, text); ++line_no) {
    if (blank(text)) continue;
    out.push_back({line_no, parse_job_line(text, line_no, source)});
  }
  if (in.bad()) throw error(errc::invalid_argument, fmt::format("{}: read error", source));
  return out;
}

}  // namespace drover::cli
