// alert_rules_test.cpp - parsing ALERT_RULES.
#include <gtest/gtest.h>

#include <drover/error.hpp>

#include "support/scoped_env.hpp"
#include "workers/alerts/alert_rules.hpp"

using drover::workers::alert_kind;
using drover::workers::parse_alert_rules;

TEST(AlertRules, ParsesEveryTypeWithDefaults) {
  auto rules = parse_alert_rules(R"([
    {"type": "failure_rate", "queue": "ai-processing", "threshold": 0.2, "windowSeconds": 60, "minJobs": 5},
    {"type": "waiting", "queue": "q", "forSeconds": 1.5, "name": "Backlog"},
    {"type": "stalled", "queue": "q"},
    {"type": "dead_letter_growing", "queue": "q", "windowSeconds": 600},
    {"type": "no_worker", "queue": "q", "forSeconds": 30}
  ])");
  ASSERT_EQ(rules.size(), 5u);
  EXPECT_EQ(rules[0].kind, alert_kind::failure_rate);
  EXPECT_EQ(rules[0].name, "failure_rate ai-processing");
  EXPECT_DOUBLE_EQ(rules[0].threshold, 0.2);
  EXPECT_EQ(rules[0].window, std::chrono::seconds(60));
  EXPECT_EQ(rules[0].min_jobs, 5);
  EXPECT_EQ(rules[1].name, "Backlog");
  EXPECT_DOUBLE_EQ(rules[1].threshold, 100);
  EXPECT_EQ(rules[1].for_duration, std::chrono::milliseconds(1500));
  EXPECT_EQ(rules[2].window, std::chrono::minutes(5));
  EXPECT_EQ(rules[3].kind, alert_kind::dead_letter_growing);
  EXPECT_EQ(rules[4].for_duration, std::chrono::seconds(30));
}

TEST(AlertRules, AcceptsAnObjectWithRules) {
  auto rules = parse_alert_rules(R"({"rules": [{"type": "stalled", "queue": "q"}]})");
  ASSERT_EQ(rules.size(), 1u);
}

TEST(AlertRules, RefusesMalformedRulesNamingThem) {
  auto message = [](const char* text) {
    try {
      parse_alert_rules(text);
    } catch (const drover::error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(message("{}").find("JSON array"), std::string::npos);
  EXPECT_NE(message(R"([{"queue": "q"}])").find("rule 1: needs \"type\""), std::string::npos);
  EXPECT_NE(message(R"([{"type": "loud", "queue": "q"}])").find("unknown type 'loud'"), std::string::npos);
  EXPECT_NE(message(R"([{"type": "stalled"}])").find("needs \"queue\""), std::string::npos);
  EXPECT_NE(message(R"([{"type": "failure_rate", "queue": "q", "threshold": 2}])").find("from 0 to 1"),
            std::string::npos);
  EXPECT_NE(message(R"([{"type": "waiting", "queue": "q", "forSeconds": -1}])").find("at least 0"), std::string::npos);
  // Past 30 days a duration overflowed, and the rule fired at once (a configuration review).
  EXPECT_NE(message(R"([{"type": "waiting", "queue": "q", "forSeconds": 1e10}])")
                .find("\"forSeconds\" must be at most 2592000 (30 days)"),
            std::string::npos);
  EXPECT_NE(message(R"([{"type": "waiting", "queue": "q", "thresold": 5}])").find("unknown field \"thresold\""),
            std::string::npos);
  EXPECT_NE(message(R"([{"type": "stalled", "queue": "q"}, {"type": "stalled", "queue": "q"}])").find("used twice"),
            std::string::npos);
}

// A typo in ALERT_WEBHOOK_URL stops the start (it lost the first alert), without showing
// the value: a Slack hook's path is its token.
TEST(AlertRules, ARefusedWebhookUrlStopsTheStartWithoutShowingIt) {
  for (const char* bad : {"htps//hooks.example.com/services/T000/SECRETPART", "ftp://hooks.example.com/x", "https://",
                          "https://hooks.example.com:99999/SECRETPART", "https://hooks.example.com:0/SECRETPART"}) {
    drover::test::scoped_env env{{"ALERT_WEBHOOK_URL", bad}, {"ALERT_RULES", nullptr}, {"ALERT_RULES_FILE", nullptr}};
    try {
      drover::workers::alert_settings::from_env();
      ADD_FAILURE() << bad << " accepted";
    } catch (const drover::error& e) {
      EXPECT_NE(std::string(e.what()).find("ALERT_WEBHOOK_URL must be an http or https URL"), std::string::npos);
      EXPECT_EQ(std::string(e.what()).find("SECRETPART"), std::string::npos) << e.what();
    }
  }
  drover::test::scoped_env good{{"ALERT_WEBHOOK_URL", "https://hooks.example.com/services/T000/B000/X"},
                                {"ALERT_RULES", nullptr},
                                {"ALERT_RULES_FILE", nullptr}};
  EXPECT_EQ(drover::workers::alert_settings::from_env().webhook_url, "https://hooks.example.com/services/T000/B000/X");
}

TEST(AlertRules, ARulesFileThatIsADirectoryIsSaidToBeOne) {
  drover::test::scoped_env env{{"ALERT_RULES_FILE", "/tmp"}, {"ALERT_RULES", nullptr}, {"ALERT_WEBHOOK_URL", nullptr}};
  try {
    drover::workers::alert_settings::from_env();
    ADD_FAILURE() << "a directory accepted";
  } catch (const drover::error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read '/tmp': it is a directory"), std::string::npos) << e.what();
  }
}
