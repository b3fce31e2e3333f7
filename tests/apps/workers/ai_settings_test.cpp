// ai_settings_test.cpp - the model server's settings are checked when the Workers app
// starts: a typo there would fail every chat job three times instead.
#include <gtest/gtest.h>

#include <drover/error.hpp>

#include "support/scoped_env.hpp"
#include "workers/ai_provider.hpp"

namespace drover::workers {
namespace {

TEST(ai_settings, a_base_url_must_be_an_http_or_https_url) {
  for (const char* bad :
       {"notaurl", "ftp://models.example/v1", "https://", "http://127.0.0.1:99999/v1", "http://127.0.0.1:0/v1"}) {
    test::scoped_env env{{"AI_BASE_URL", bad}, {"AI_TIMEOUT_MS", nullptr}};
    EXPECT_THROW(ai_settings::from_env(), drover::error) << bad;
  }
  test::scoped_env env{{"AI_BASE_URL", "https://api.openai.com/v1"}, {"AI_TIMEOUT_MS", nullptr}};
  EXPECT_EQ(ai_settings::from_env().base_url, "https://api.openai.com/v1");
}

TEST(ai_settings, a_timeout_too_long_for_a_timer_is_refused) {
  {
    test::scoped_env env{{"AI_BASE_URL", nullptr}, {"AI_TIMEOUT_MS", "9223372036854775807"}};
    EXPECT_THROW(ai_settings::from_env(), drover::error);
  }
  test::scoped_env env{{"AI_BASE_URL", nullptr}, {"AI_TIMEOUT_MS", "45000"}};
  EXPECT_EQ(ai_settings::from_env().read_timeout, std::chrono::milliseconds(45000));
}

}  // namespace
}  // namespace drover::workers
