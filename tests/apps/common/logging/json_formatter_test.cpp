// json_formatter_test.cpp - JSON log lines: valid JSON whatever the message holds, and
// the job fields.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include <drover/error.hpp>
#include <drover_app/logging/json_formatter.hpp>
#include <drover_app/logging/log_setup.hpp>
#include <drover_app/logging/redact.hpp>

namespace json = boost::json;
using drover::app::json_log_line;

namespace {

json::object parse_line(const std::string& line) {
  boost::system::error_code ec;
  auto v = json::parse(line, ec);
  EXPECT_FALSE(ec) << line;
  return v.is_object() ? v.get_object() : json::object();
}

}  // namespace

TEST(JsonLogLine, EscapesQuotesBackslashesAndControlCharacters) {
  const std::string message = "say \"hi\" \\ then\nnext\tline \x01 end";
  auto o = parse_line(json_log_line("2026-01-01T00:00:00.000Z", "info", message));
  EXPECT_EQ(o.at("msg").as_string(), message);
  EXPECT_EQ(o.at("level").as_string(), "info");
  EXPECT_EQ(o.at("time").as_string(), "2026-01-01T00:00:00.000Z");
  EXPECT_FALSE(o.contains("queue"));
}

TEST(JsonLogLine, ReplacesBytesThatAreNotUtf8) {
  auto line = json_log_line("t", "warn", std::string("caf\xc3\xa9 \xff\xfe bad \xe2\x82"));
  auto o = parse_line(line);
  EXPECT_EQ(o.at("msg").as_string(), "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd bad \xef\xbf\xbd\xef\xbf\xbd");
}

TEST(JsonLogLine, NamesTheJobOfAJobLine) {
  auto o = parse_line(json_log_line("t", "warn", "queue ai-processing: job 42 (attempt 3) failed for good: boom"));
  EXPECT_EQ(o.at("queue").as_string(), "ai-processing");
  EXPECT_EQ(o.at("jobId").as_string(), "42");
  EXPECT_EQ(o.at("attempt").as_int64(), 3);
  auto no_attempt = parse_line(json_log_line("t", "info", "queue q: job abc: failed to add"));
  EXPECT_EQ(no_attempt.at("jobId").as_string(), "abc");
  EXPECT_FALSE(no_attempt.contains("attempt"));
  // Not a job line: an error text naming a job does not make one.
  auto other = parse_line(json_log_line("t", "warn", "queue q: cannot renew 2 lock(s): Missing lock for job 5"));
  EXPECT_EQ(other.at("queue").as_string(), "q");
  EXPECT_FALSE(other.contains("jobId"));
}

TEST(JsonFormatter, WritesOneScrubbedObjectPerLine) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  sink->set_formatter(std::make_unique<drover::app::json_formatter>());
  spdlog::logger logger("test", sink);
  drover::app::add_secret("hunter2-secret");
  logger.info("connecting with hunter2-secret to \"{}\"", "db");
  logger.warn("second");
  std::istringstream lines(out.str());
  std::string line;
  std::getline(lines, line);
  auto first = parse_line(line);
  EXPECT_EQ(first.at("msg").as_string(), "connecting with *** to \"db\"");
  std::getline(lines, line);
  EXPECT_EQ(parse_line(line).at("level").as_string(), "warning");
}

TEST(LogSetup, ParsesFormatsAndLevels) {
  EXPECT_EQ(drover::app::parse_log_format("json"), drover::app::log_format::json);
  EXPECT_EQ(drover::app::parse_log_format("text"), drover::app::log_format::text);
  EXPECT_THROW(drover::app::parse_log_format("xml"), drover::error);
  EXPECT_EQ(drover::app::parse_log_level("debug"), spdlog::level::debug);
  EXPECT_EQ(drover::app::parse_log_level("warn"), spdlog::level::warn);
  EXPECT_EQ(drover::app::parse_log_level("error"), spdlog::level::err);
  EXPECT_THROW(drover::app::parse_log_level("loud"), drover::error);
}

TEST(OneLineText, EscapesLineBreaksAndControlCharacters) {
  using drover::app::one_line_text;
  EXPECT_EQ(one_line_text("nope\n2026-12-05T04:30:00.000 critical api: FORGED\r\n"),
            "nope\\n2026-12-05T04:30:00.000 critical api: FORGED\\r\\n");
  EXPECT_EQ(one_line_text("a\tb\x01\x7f"
                          "c"),
            "a\\tb\\x01\\x7fc");
  EXPECT_EQ(one_line_text("x\xc2\x85y\xe2\x80\xa8z\xe2\x80\xa9"), "x\\u0085y\\u2028z\\u2029");
  EXPECT_EQ(one_line_text("caf\xc3\xa9 \xe2\x80\x94 \xe2\x82\xac"),
            "caf\xc3\xa9 \xe2\x80\x94 \xe2\x82\xac");  // text stays
  // Bytes that are not UTF-8 (an upstream's error body) as their values, as JSON lines
  // replace them: a reader that decodes strictly takes the line.
  EXPECT_EQ(one_line_text("caf\xe9 \xff\xc3"), "caf\\xe9 \\xff\\xc3");
}

TEST(ScrubbingFormatter, WritesEachMessageOnOneLine) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  sink->set_formatter(
      std::make_unique<drover::app::scrubbing_formatter>(std::make_unique<spdlog::pattern_formatter>("%l %v")));
  spdlog::logger logger("test", sink);
  drover::app::add_secret("hunter3-secret");
  logger.warn("webhook answered 422: {}", "nope\n2026-12-05 critical FORGED hunter3-secret");
  EXPECT_EQ(out.str(), "warning webhook answered 422: nope\\n2026-12-05 critical FORGED ***\n");
}
