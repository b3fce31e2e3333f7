// extraction_process_test.cpp - extraction in a drover-extract child: results and
// progress come back; an unreadable upload says why; a crash, a hang, a decompression
// bomb and a stop each end the child and fail with their own reason, and the caller
// goes on.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/pdf_bomb.hpp"
#include "support/pdf_writer.hpp"
#include "workers/extraction_process.hpp"

using namespace std::chrono_literals;

namespace drover::workers {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool sanitized = true;  // the helper sets no address-space limit there
#else
constexpr bool sanitized = false;
#endif

class extraction_process_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { setenv("DROVER_EXTRACT_TEST_TRIGGERS", "1", 1); }
  static void TearDownTestSuite() { unsetenv("DROVER_EXTRACT_TEST_TRIGGERS"); }

  extraction_process make(extraction_limits l = {}) { return extraction_process(DROVER_EXTRACT_HELPER, l); }

  // The reason extraction_failed gives.
  std::string failure(const extraction_process& x, const std::string& type, const std::string& bytes) {
    try {
      x.extract(type, bytes, nullptr, nullptr);
    } catch (const extraction_failed& e) {
      return e.what();
    }
    return "no failure";
  }
};

TEST_F(extraction_process_test, text_and_progress_come_back_from_the_child) {
  std::vector<std::pair<int, int>> seen;
  auto text = make().extract(
      "application/pdf", test::make_pdf({{"One."}, {"Two."}}, "Guide"),
      [&](int done, int total) { seen.emplace_back(done, total); }, nullptr);
  EXPECT_EQ(text.title, "Guide");
  EXPECT_EQ(text.page_count, 2);
  EXPECT_EQ(text.text, "One.\n\nTwo.");
  EXPECT_EQ(seen, (std::vector<std::pair<int, int>>{{1, 2}, {2, 2}}));
  EXPECT_EQ(make().extract("text/markdown", "# Notes\n\nbody", nullptr, nullptr).title, "Notes");
}

TEST_F(extraction_process_test, an_unreadable_upload_says_why) {
  EXPECT_THROW(
      {
        try {
          make().extract("application/pdf", "%PDF-1.4\nnothing\n%%EOF\n", nullptr, nullptr);
        } catch (const documents::unreadable_document& e) {
          EXPECT_NE(std::string(e.what()).find("damaged"), std::string::npos) << e.what();
          throw;
        }
      },
      documents::unreadable_document);
}

TEST_F(extraction_process_test, a_crash_fails_with_its_signal) {
  auto x = make();
  EXPECT_EQ(failure(x, "text/plain", "DROVER-TEST-CRASH"), "extraction crashed: signal 11");
  EXPECT_EQ(x.extract("text/plain", "still here", nullptr, nullptr).text, "still here");
}

TEST_F(extraction_process_test, a_hang_times_out) {
  extraction_limits l;
  l.timeout = 1s;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(failure(make(l), "text/plain", "DROVER-TEST-HANG"), "extraction timed out after 1 s");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(extraction_process_test, a_decompression_bomb_reaches_the_memory_limit) {
  if (sanitized) GTEST_SKIP() << "no address-space limit under the sanitizers";
  extraction_limits l;
  l.memory_mib = 256;
  auto bomb = test::make_pdf_bomb(std::size_t{1} << 30);
  ASSERT_LT(bomb.size(), 2u << 20);  // a 1 GiB page in under 2 MB
  EXPECT_EQ(failure(make(l), "application/pdf", bomb).rfind("extraction exceeded 256 MiB (EXTRACT_MEMORY_MB; ", 0), 0u);
}

TEST_F(extraction_process_test, the_cpu_limit_ends_a_busy_child) {
  extraction_limits l;
  l.cpu_seconds = 1;
  EXPECT_EQ(failure(make(l), "text/plain", "DROVER-TEST-SPIN"), "extraction exceeded 1 s of CPU time");
}

// What the child may write is bounded: it is killed once it passes the bound, before the
// rest of a repetitive document's text reaches the worker's memory.
TEST_F(extraction_process_test, output_past_the_bound_kills_the_child) {
  const std::string long_text(256 * 1024, 'w');
  try {
    make().extract("text/plain", long_text, nullptr, nullptr, 64 * 1024);
    FAIL() << "256 kB of text passed a 64 kB bound";
  } catch (const workers::extraction_too_long& e) {
    EXPECT_EQ(e.max_output, 64u * 1024);
  }
  EXPECT_EQ(make().extract("text/plain", "short", nullptr, nullptr, 64 * 1024).text, "short");
}

TEST_F(extraction_process_test, a_stop_kills_the_child_at_once) {
  std::atomic<bool> stop = false;
  std::thread later([&] {
    std::this_thread::sleep_for(300ms);
    stop = true;
  });
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(make().extract("text/plain", "DROVER-TEST-HANG", nullptr, [&] { return stop.load(); }),
               extraction_stopped);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  later.join();
}

TEST_F(extraction_process_test, limits_come_from_the_environment) {
  setenv("EXTRACT_MEMORY_MB", "64", 1);
  setenv("EXTRACT_CPU_SECONDS", "5", 1);
  setenv("EXTRACT_TIMEOUT_SECONDS", "7", 1);
  auto l = extraction_limits::from_env();
  EXPECT_EQ(l.memory_mib, 64);
  EXPECT_EQ(l.cpu_seconds, 5);
  EXPECT_EQ(l.timeout, 7s);
  setenv("EXTRACT_MEMORY_MB", "8", 1);  // too little for the helper to start
  EXPECT_THROW(extraction_limits::from_env(), std::exception);
  setenv("EXTRACT_MEMORY_MB", "lots", 1);
  EXPECT_THROW(extraction_limits::from_env(), std::exception);
  for (const char* v : {"EXTRACT_MEMORY_MB", "EXTRACT_CPU_SECONDS", "EXTRACT_TIMEOUT_SECONDS"}) unsetenv(v);
  EXPECT_EQ(extraction_limits::from_env().memory_mib, 1024);
}

// The document's error is read by its user: the deployment's path stays in the log.
TEST_F(extraction_process_test, a_missing_helper_fails_without_naming_its_path) {
  extraction_process x("/nonexistent/drover-extract", {});
  try {
    x.extract("text/plain", "x", nullptr, nullptr);
    ADD_FAILURE() << "extracted without a helper";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "the extraction helper could not be started");
  }
}

TEST_F(extraction_process_test, the_start_check_refuses_a_helper_that_cannot_run) {
  EXPECT_NO_THROW(extraction_process::check_helper(DROVER_EXTRACT_HELPER));
  try {
    extraction_process::check_helper("/nonexistent/drover-extract");
    ADD_FAILURE() << "a missing helper passed";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("EXTRACT_HELPER"), std::string::npos) << e.what();
  }
  const auto plain = std::filesystem::temp_directory_path() / ("drover-not-executable-" + std::to_string(::getpid()));
  std::ofstream(plain) << "#!/bin/sh\n";
  std::filesystem::permissions(plain, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_THROW(extraction_process::check_helper(plain.string()), std::invalid_argument);
  std::filesystem::remove(plain);
  EXPECT_THROW(extraction_process::check_helper("/tmp"), std::invalid_argument);  // a directory
}

// The environment of this process's running drover-extract child, one entry a string;
// empty while there is none.
std::vector<std::string> child_environment() {
  const auto self = std::to_string(::getpid());
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    std::string pid, comm, state, ppid;
    if (!(stat >> pid >> comm >> state >> ppid) || ppid != self || comm != "(drover-extract)") continue;
    std::ifstream environ_file(entry.path() / "environ");
    std::vector<std::string> out;
    for (std::string e; std::getline(environ_file, e, '\0');) out.push_back(e);
    return out;
  }
  return {};
}

TEST_F(extraction_process_test, the_child_gets_none_of_the_workers_secrets) {
  setenv("WEBHOOK_SECRET", "whsec-test-secret", 1);
  std::atomic<bool> stop = false;
  std::vector<std::string> seen;
  std::thread look([&] {
    for (int i = 0; i < 200 && seen.empty(); ++i) {
      std::this_thread::sleep_for(10ms);
      seen = child_environment();
    }
    stop = true;
  });
  EXPECT_THROW(make().extract("text/plain", "DROVER-TEST-HANG", nullptr, [&] { return stop.load(); }),
               extraction_stopped);
  look.join();
  unsetenv("WEBHOOK_SECRET");
  ASSERT_FALSE(seen.empty()) << "no drover-extract child seen";
  EXPECT_NE(std::find(seen.begin(), seen.end(), "DROVER_EXTRACT_TEST_TRIGGERS=1"), seen.end());
  for (const auto& e : seen) EXPECT_FALSE(e.starts_with("WEBHOOK_SECRET=")) << e;
}

TEST(extraction_environment, keeps_what_a_parser_needs_and_none_of_the_secrets) {
  const std::vector<std::string> kept{"PATH=/usr/bin",
                                      "LANG=C.UTF-8",
                                      "LC_ALL=C",
                                      "TZ=UTC",
                                      "TMPDIR=/tmp",
                                      "ASAN_OPTIONS=detect_leaks=0",
                                      "DROVER_EXTRACT_TEST_TRIGGERS=1",
                                      "LD_LIBRARY_PATH=/opt/poppler/lib"};
  std::vector<std::string> given = kept;
  for (const char* dropped :
       {"WEBHOOK_SECRET=whsec_abc", "REDIS_URL=redis://:pw@127.0.0.1:6379", "DATABASE_URL=postgres://u:pw@db/drover",
        "AI_API_KEY=sk-secret", "PATHS_NOT_PATH=x", "noequals"}) {
    given.insert(given.begin() + static_cast<std::ptrdiff_t>(given.size() / 2), dropped);  // among the kept
  }
  std::vector<char*> env;
  for (auto& e : given) env.push_back(e.data());
  env.push_back(nullptr);
  EXPECT_EQ(extraction_environment(env.data()), kept);
  EXPECT_TRUE(extraction_environment(nullptr).empty());
}

}  // namespace
}  // namespace drover::workers
