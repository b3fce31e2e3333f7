// database_test.cpp - the database contract, run against both backends: SQLite in
// a temporary file and PostgreSQL in a fresh database of a private server.
#include <drover_app/db/database.hpp>

#include "db/migrations.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <boost/json.hpp>
#include <memory>
#include <set>
#include <thread>

#include "support/db_backends.hpp"
#include "support/postgres_server.hpp"
#include "support/temp_dir.hpp"

namespace drover::app {
namespace {

using test::backend_kind;
using test::backend_name;
using test::postgres_server;

// The names of the tables and indexes in the database, read from its catalog.
std::set<std::string> schema_names(backend_kind kind, const std::string& url, const std::string& sqlite_path) {
  std::set<std::string> names;
  if (kind == backend_kind::postgres) {
    for (auto& n : postgres_server::query(url,
                                          "SELECT tablename FROM pg_tables WHERE schemaname = 'public' UNION ALL "
                                          "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")) {
      names.insert(n);
    }
    return names;
  }
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(sqlite_path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(
      sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')", -1, &stmt, nullptr),
      SQLITE_OK);
  while (sqlite3_step(stmt) == SQLITE_ROW) names.insert(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return names;
}

bool same_json(const std::string& a, const std::string& b) { return boost::json::parse(a) == boost::json::parse(b); }

job_log_update update(const std::string& job_id, const std::string& status, std::int64_t at_ms) {
  job_log_update u;
  u.queue = "ai";
  u.job_id = job_id;
  u.job_type = "chat";
  u.status = status;
  u.at_ms = at_ms;
  return u;
}

class database_test : public testing::TestWithParam<backend_kind> {
 protected:
  void SetUp() override {
    if (GetParam() == backend_kind::sqlite) {
      sqlite_path_ = dir_ / "drover.db";
      url_ = "sqlite://" + sqlite_path_;  // sqlite:///tmp/... (absolute)
    } else {
      url_ = postgres_server::shared().create_database();
    }
    db_ = open_database(url_);
    first_migration_ = db_->migrate();
  }

  test::temp_dir dir_;
  std::string sqlite_path_;
  std::string url_;
  std::unique_ptr<database> db_;
  std::vector<int> first_migration_;
};

INSTANTIATE_TEST_SUITE_P(backends, database_test, testing::Values(backend_kind::sqlite, backend_kind::postgres),
                         backend_name);

TEST_P(database_test, reports_its_backend) {
  EXPECT_EQ(db_->backend(), GetParam() == backend_kind::sqlite ? "sqlite" : "postgres");
  EXPECT_NO_THROW(db_->ping());
}

TEST_P(database_test, migrate_applies_each_version_once) {
  EXPECT_EQ(first_migration_, (std::vector<int>{1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(db_->migrate().empty());
  EXPECT_TRUE(open_database(url_)->migrate().empty());  // another connection sees the record
}

TEST_P(database_test, migrate_from_several_connections_at_once_applies_once) {
  // A second, unmigrated database: the fixture's is migrated already.
  std::string url = url_;
  test::temp_dir other;
  if (GetParam() == backend_kind::sqlite) {
    url = "sqlite://" + (other / "concurrent.db");
  } else {
    url = postgres_server::shared().create_database();
  }
  std::vector<std::unique_ptr<database>> dbs;
  for (int i = 0; i < 4; ++i) dbs.push_back(open_database(url));
  std::atomic<int> applied{0};
  std::vector<std::thread> threads;
  for (auto& db : dbs) {
    threads.emplace_back([&] { applied += static_cast<int>(db->migrate().size()); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(applied, static_cast<int>(detail::migrations().size()));  // each version once
}

TEST_P(database_test, schema_has_the_tables_and_indexes) {
  auto names = schema_names(GetParam(), url_, sqlite_path_);
  for (const char* expected :
       {"schema_migrations", "conversations", "messages", "user_assessments", "job_logs",
        "idx_messages_conversation_id", "idx_job_logs_status", "idx_job_logs_user_id", "documents", "document_chunks",
        "idx_documents_conversation_id", "event_stream_positions", "idx_documents_user_id"}) {
    EXPECT_TRUE(names.count(expected)) << expected;
  }
}

TEST_P(database_test, messages_round_trip_oldest_first) {
  auto before =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  db_->ensure_conversation("c1", "alice");
  db_->ensure_conversation("c1", "bob");  // exists: no error, nothing changes
  auto id1 = db_->add_message("c1", "user", "hello", std::nullopt);
  auto id2 = db_->add_message("c1", "assistant", "hi there", std::string("job-7"));
  db_->add_message("c2", "user", "elsewhere", std::nullopt);
  auto id3 = db_->add_message("c1", "system", "note", std::nullopt);
  EXPECT_LT(id1, id2);
  EXPECT_LT(id2, id3);

  auto all = db_->list_messages("c1");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, id1);
  EXPECT_EQ(all[0].conversation_id, "c1");
  EXPECT_EQ(all[0].role, "user");
  EXPECT_EQ(all[0].content, "hello");
  EXPECT_EQ(all[0].job_id, std::nullopt);
  EXPECT_GE(all[0].created_at_ms, before);
  EXPECT_LE(all[0].created_at_ms, before + 60'000);
  EXPECT_EQ(all[1].role, "assistant");
  EXPECT_EQ(all[1].job_id, "job-7");
  EXPECT_EQ(all[2].id, id3);

  auto newest = db_->list_messages("c1", 2);  // the newest two, still oldest first
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(newest[0].id, id2);
  EXPECT_EQ(newest[1].id, id3);

  // A page before a message: the newest of those older than it (the history's cursor).
  auto older = db_->list_messages("c1", 1, id3);
  ASSERT_EQ(older.size(), 1u);
  EXPECT_EQ(older[0].id, id2);
  auto rest = db_->list_messages("c1", 10, id2);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].id, id1);
  EXPECT_TRUE(db_->list_messages("c1", 10, id1).empty());

  EXPECT_TRUE(db_->list_messages("nobody-here").empty());
}

// POST /api/chat/send's call: the history before the new message, the new message
// stored after it, and the user's assessment.
TEST_P(database_test, save_user_message_returns_the_history_before_it_and_the_assessment) {
  auto first = db_->save_user_message("c1", "alice", "one", 2);  // a new conversation
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->history.empty());
  EXPECT_EQ(first->assessment, std::nullopt);
  db_->add_message("c1", "assistant", "two", std::string("job-1"));
  db_->add_message("c1", "user", "three", std::nullopt);
  db_->add_message("c2", "user", "elsewhere", std::nullopt);
  db_->put_assessment("alice", R"({"level":"beginner"})");

  auto saved = db_->save_user_message("c1", "alice", "four", 2);
  ASSERT_TRUE(saved);
  ASSERT_EQ(saved->history.size(), 2u);
  EXPECT_EQ(saved->history[0].content, "two");
  EXPECT_EQ(saved->history[0].role, "assistant");
  EXPECT_EQ(saved->history[0].job_id, std::optional<std::string>("job-1"));
  EXPECT_EQ(saved->history[0].conversation_id, "c1");
  EXPECT_EQ(saved->history[1].content, "three");
  EXPECT_LT(saved->history[0].id, saved->history[1].id);
  EXPECT_GT(saved->history[1].created_at_ms, 0);
  ASSERT_TRUE(saved->assessment);
  EXPECT_TRUE(same_json(*saved->assessment, R"({"level":"beginner"})")) << *saved->assessment;

  auto all = db_->list_messages("c1");
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].id, first->message_id);
  EXPECT_EQ(all[3].id, saved->message_id);
  EXPECT_EQ(all[3].role, "user");
  EXPECT_EQ(all[3].content, "four");
  EXPECT_EQ(all[3].job_id, std::nullopt);
}

TEST_P(database_test, conversation_owner_is_who_created_it) {
  EXPECT_EQ(db_->conversation_owner("c1"), std::nullopt);
  db_->ensure_conversation("c1", "alice");
  db_->ensure_conversation("c1", "bob");  // exists: alice keeps it
  EXPECT_EQ(db_->conversation_owner("c1"), "alice");
  db_->add_message("c2", "assistant", "x", std::nullopt);  // created without a user
  EXPECT_EQ(db_->conversation_owner("c2"), "unknown");
  EXPECT_EQ(db_->conversation_owner("missing"), std::nullopt);
}

TEST_P(database_test, save_user_message_creates_the_conversation_owned_by_the_sender) {
  auto saved = db_->save_user_message("c1", "alice", "hello", 10);
  ASSERT_TRUE(saved);
  EXPECT_EQ(db_->conversation_owner("c1"), "alice");
  auto again = db_->save_user_message("c1", "alice", "again", 10);  // the owner may go on
  ASSERT_TRUE(again);
  ASSERT_EQ(again->history.size(), 1u);
  EXPECT_EQ(again->history[0].id, saved->message_id);
  EXPECT_EQ(db_->list_messages("c1").size(), 2u);
}

// Refused means nothing written: no message, no change of owner, and neither the
// history nor the owner's assessment comes back.
TEST_P(database_test, save_user_message_refuses_another_users_conversation) {
  ASSERT_TRUE(db_->save_user_message("c1", "alice", "mine", 10));
  db_->put_assessment("alice", R"({"secret":true})");
  db_->put_assessment("bob", R"({"level":"beginner"})");
  EXPECT_EQ(db_->save_user_message("c1", "bob", "let me in", 10), std::nullopt);
  auto all = db_->list_messages("c1");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].content, "mine");
  EXPECT_EQ(db_->conversation_owner("c1"), "alice");

  db_->ensure_conversation("c2", "alice");  // exists, still empty
  EXPECT_EQ(db_->save_user_message("c2", "bob", "x", 10), std::nullopt);
  EXPECT_TRUE(db_->list_messages("c2").empty());
}

TEST_P(database_test, save_user_message_without_require_owner_appends_to_any_conversation) {
  ASSERT_TRUE(db_->save_user_message("c1", "alice", "mine", 10));
  auto saved = db_->save_user_message("c1", "bob", "appended", 10, false);
  ASSERT_TRUE(saved);
  ASSERT_EQ(saved->history.size(), 1u);
  EXPECT_EQ(saved->history[0].content, "mine");
  EXPECT_EQ(db_->list_messages("c1").size(), 2u);
  EXPECT_EQ(db_->conversation_owner("c1"), "alice");  // the owner is kept
  ASSERT_TRUE(db_->save_user_message("c2", "bob", "new", 10, false));
  EXPECT_EQ(db_->conversation_owner("c2"), "bob");
}

// Two users send to the same new conversation id at the same moment, each on a
// connection of its own, three messages each, 50 times. On PostgreSQL the loser's
// statement may not see the winner's row (READ COMMITTED snapshot); it must still
// be refused, never appended. Exactly one sender wins each id, and every message
// there is the winner's.
TEST_P(database_test, save_user_message_race_for_a_new_conversation_has_one_owner) {
  constexpr int rounds = 50, per_round = 3;
  const std::vector<std::string> users = {"alice", "bob"};
  std::vector<std::unique_ptr<database>> dbs;
  for (std::size_t i = 0; i < users.size(); ++i) dbs.push_back(open_database(url_));
  std::barrier start(static_cast<std::ptrdiff_t>(users.size()));
  std::vector<std::vector<int>> saved(users.size(), std::vector<int>(rounds));  // per user, per round
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (std::size_t u = 0; u < users.size(); ++u) {
    threads.emplace_back([&, u] {
      for (int r = 0; r < rounds; ++r) {
        start.arrive_and_wait();
        for (int i = 0; i < per_round; ++i) {
          try {
            if (dbs[u]->save_user_message("race-" + std::to_string(r), users[u], users[u], 10)) ++saved[u][r];
          } catch (const database_error&) {
            ++failed;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed, 0);
  for (int r = 0; r < rounds; ++r) {
    auto id = "race-" + std::to_string(r);
    auto owner = db_->conversation_owner(id);
    ASSERT_TRUE(owner) << id;
    int winners = 0;
    for (std::size_t u = 0; u < users.size(); ++u) {
      EXPECT_EQ(saved[u][r], users[u] == *owner ? per_round : 0) << id << " " << users[u];
      winners += saved[u][r] > 0;
    }
    EXPECT_EQ(winners, 1) << id;
    auto all = db_->list_messages(id);
    EXPECT_EQ(all.size(), std::size_t{per_round}) << id;
    for (const auto& m : all) EXPECT_EQ(m.content, *owner) << id;
  }
}

// The same user twice at once (a double click) to a new conversation: both are
// saved, although on PostgreSQL one statement may not see the row the other made.
TEST_P(database_test, save_user_message_same_user_racing_for_a_new_conversation_saves_both) {
  constexpr int rounds = 50;
  std::vector<std::unique_ptr<database>> dbs;
  for (int i = 0; i < 2; ++i) dbs.push_back(open_database(url_));
  std::barrier start(2);
  std::atomic<int> saved{0}, refused{0}, failed{0};
  std::vector<std::thread> threads;
  for (auto& db : dbs) {
    threads.emplace_back([&] {
      for (int r = 0; r < rounds; ++r) {
        start.arrive_and_wait();
        try {
          if (db->save_user_message("twice-" + std::to_string(r), "alice", "x", 10)) {
            ++saved;
          } else {
            ++refused;
          }
        } catch (const database_error&) {
          ++failed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(saved, 2 * rounds);
  EXPECT_EQ(refused, 0);
  EXPECT_EQ(failed, 0);
  for (int r = 0; r < rounds; ++r) EXPECT_EQ(db_->list_messages("twice-" + std::to_string(r)).size(), 2u);
}

TEST_P(database_test, documents_keep_who_uploaded_them) {
  document d;
  d.id = "d1";
  d.conversation_id = "c1";
  d.user_id = "alice";
  d.filename = "notes.txt";
  d.content_type = "text/plain";
  d.size_bytes = 3;
  d.job_id = "doc-d1";
  db_->add_document(d, "abc");
  d.id = "d2";
  d.conversation_id = std::nullopt;
  d.user_id = std::nullopt;  // as rows stored before migration 3
  d.job_id = "doc-d2";
  db_->add_document(d, "abc");
  auto got = db_->get_document("d1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user_id, "alice");
  EXPECT_EQ(got->conversation_id, "c1");
  got = db_->get_document("d2");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user_id, std::nullopt);
}

TEST_P(database_test, message_content_keeps_unicode_and_quotes) {
  const std::string content = "it's \"quoted\"; DROP TABLE messages; -- \xC3\xA9\xE2\x82\xAC\n2nd line";
  db_->add_message("c1", "user", content, std::nullopt);
  EXPECT_EQ(db_->list_messages("c1").at(0).content, content);
}

TEST_P(database_test, add_message_rejects_unknown_roles) {
  for (const char* role : {"admin", "", "User"}) {
    EXPECT_THROW(db_->add_message("c1", role, "x", std::nullopt), database_error) << role;
  }
  EXPECT_TRUE(db_->list_messages("c1").empty());
}

TEST_P(database_test, add_message_once_saves_once_per_key) {
  auto first = db_->add_message_once("delivery-1", "c1", "assistant", "answer", std::string("job-1"));
  auto again = db_->add_message_once("delivery-1", "c1", "assistant", "answer", std::string("job-1"));
  auto other = db_->add_message_once("delivery-2", "c1", "assistant", "answer 2", std::string("job-2"));
  ASSERT_TRUE(first);
  EXPECT_EQ(again, std::nullopt);
  ASSERT_TRUE(other);
  EXPECT_NE(*first, *other);
  EXPECT_EQ(db_->list_messages("c1").size(), 2u);
}

// Each thread opens its own connection, so the race is between transactions,
// not just serialized calls on one object.
TEST_P(database_test, add_message_once_from_eight_connections_inserts_once) {
  constexpr int threads_n = 8;
  std::vector<std::unique_ptr<database>> dbs;
  for (int i = 0; i < threads_n; ++i) dbs.push_back(open_database(url_));
  std::barrier start(threads_n);
  std::atomic<int> inserted{0}, skipped{0}, failed{0};
  std::vector<std::thread> threads;
  for (auto& db : dbs) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      try {
        if (db->add_message_once("webhook-42", "c-race", "assistant", "once", std::nullopt)) {
          ++inserted;
        } else {
          ++skipped;
        }
      } catch (const database_error&) {
        ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(inserted, 1);
  EXPECT_EQ(skipped, threads_n - 1);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(db_->list_messages("c-race").size(), 1u);
}

TEST_P(database_test, one_object_is_safe_to_share_between_threads) {
  constexpr int threads_n = 8, per_thread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> inserted{0};
  for (int t = 0; t < threads_n; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        db_->add_message("shared", "user", std::to_string(t) + "/" + std::to_string(i), std::nullopt);
        if (db_->add_message_once("same-key", "shared-once", "user", "x", std::nullopt)) ++inserted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(db_->list_messages("shared", 1000).size(), std::size_t{threads_n * per_thread});
  EXPECT_EQ(inserted, 1);
}

TEST_P(database_test, assessments_upsert) {
  EXPECT_EQ(db_->get_assessment("u1"), std::nullopt);
  db_->put_assessment("u1", R"({"level":"beginner","scores":[1,2,3]})");
  auto stored = db_->get_assessment("u1");
  ASSERT_TRUE(stored);
  EXPECT_TRUE(same_json(*stored, R"({"level":"beginner","scores":[1,2,3]})")) << *stored;

  db_->put_assessment("u1", R"({"level":"advanced"})");
  stored = db_->get_assessment("u1");
  ASSERT_TRUE(stored);
  EXPECT_TRUE(same_json(*stored, R"({"level":"advanced"})")) << *stored;
  EXPECT_EQ(db_->get_assessment("u2"), std::nullopt);
}

TEST_P(database_test, assessments_reject_invalid_json) {
  EXPECT_THROW(db_->put_assessment("u1", "{not json"), database_error);
  EXPECT_EQ(db_->get_assessment("u1"), std::nullopt);
}

TEST_P(database_test, job_log_lifecycle_pending_processing_completed) {
  auto pending = update("1", "pending", 1'000);
  pending.user_id = "alice";
  pending.payload_json = R"({"prompt":"hi"})";
  db_->record_job_logs({pending});

  auto row = db_->get_job_log("ai", "1");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->queue, "ai");
  EXPECT_EQ(row->job_id, "1");
  EXPECT_EQ(row->job_type, "chat");
  EXPECT_EQ(row->status, "pending");
  EXPECT_EQ(row->user_id, "alice");
  ASSERT_TRUE(row->payload_json);
  EXPECT_TRUE(same_json(*row->payload_json, R"({"prompt":"hi"})"));
  EXPECT_EQ(row->attempts, 0);
  EXPECT_EQ(row->created_at_ms, 1'000);
  EXPECT_EQ(row->started_at_ms, std::nullopt);
  EXPECT_EQ(row->completed_at_ms, std::nullopt);
  EXPECT_EQ(row->updated_at_ms, 1'000);

  auto processing = update("1", "processing", 2'000);
  processing.attempts = 1;
  db_->record_job_logs({processing});
  row = db_->get_job_log("ai", "1");
  EXPECT_EQ(row->status, "processing");
  EXPECT_EQ(row->attempts, 1);
  EXPECT_EQ(row->started_at_ms, 2'000);
  EXPECT_EQ(row->updated_at_ms, 2'000);
  EXPECT_EQ(row->user_id, "alice");  // absent fields keep their values
  EXPECT_TRUE(row->payload_json);

  auto completed = update("1", "completed", 3'456);
  completed.result_json = R"({"answer":"hello","tokens":12})";
  db_->record_job_logs({completed});
  row = db_->get_job_log("ai", "1");
  EXPECT_EQ(row->status, "completed");
  ASSERT_TRUE(row->result_json);
  EXPECT_TRUE(same_json(*row->result_json, R"({"answer":"hello","tokens":12})"));
  EXPECT_EQ(row->created_at_ms, 1'000);
  EXPECT_EQ(row->started_at_ms, 2'000);
  EXPECT_EQ(row->completed_at_ms, 3'456);
  EXPECT_EQ(row->updated_at_ms, 3'456);
  EXPECT_EQ(row->attempts, 1);
  EXPECT_EQ(row->error_message, std::nullopt);

  EXPECT_EQ(db_->get_job_log("ai", "2"), std::nullopt);
  EXPECT_EQ(db_->get_job_log("other-queue", "1"), std::nullopt);
}

TEST_P(database_test, job_log_failure_keeps_the_error) {
  db_->record_job_logs({update("9", "pending", 1'000), update("9", "processing", 2'000)});
  auto failed = update("9", "failed", 5'000);
  failed.error_message = "model timed out";
  failed.error_stack = "at call_model (ai.cpp:42)\nat run (worker.cpp:7)";
  failed.attempts = 3;
  db_->record_job_logs({failed});
  auto row = db_->get_job_log("ai", "9");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "failed");
  EXPECT_EQ(row->error_message, "model timed out");
  EXPECT_EQ(row->error_stack, "at call_model (ai.cpp:42)\nat run (worker.cpp:7)");
  EXPECT_EQ(row->attempts, 3);
  EXPECT_EQ(row->started_at_ms, 2'000);
  EXPECT_EQ(row->completed_at_ms, 5'000);
  EXPECT_EQ(row->result_json, std::nullopt);
}

// A failed job retried by hand that then completes: the row says completed and keeps no
// error of the earlier failure (an operator's restore review read "completed" beside "the
// AI provider could not be reached").
TEST_P(database_test, job_log_completion_drops_an_earlier_failures_error) {
  auto failed = update("10", "failed", 5'000);
  failed.error_message = "the AI provider could not be reached";
  failed.error_stack = "at call_model (ai.cpp:42)";
  db_->record_job_logs({failed});
  auto completed = update("10", "completed", 9'000);
  completed.result_json = R"({"response":"hi"})";
  db_->record_job_logs({completed});
  auto row = db_->get_job_log("ai", "10");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "completed");
  EXPECT_EQ(row->error_message, std::nullopt);
  EXPECT_EQ(row->error_stack, std::nullopt);
  EXPECT_TRUE(row->result_json);
}

// The no-going-backwards rule, as (status, at) sequences and the row they leave.
TEST_P(database_test, job_log_never_moves_backwards) {
  struct step {
    const char* status;
    std::int64_t at;
  };
  struct expected_row {
    const char* status;
    std::optional<std::int64_t> started, completed;
    std::int64_t updated;
  };
  struct test_case {
    const char* name;
    std::vector<step> steps;
    expected_row want;
  };
  const std::vector<test_case> cases = {
      {"late processing after completed",
       {{"pending", 1}, {"completed", 3}, {"processing", 4}},
       {"completed", {}, 3, 3}},
      {"late pending after processing", {{"processing", 2}, {"pending", 5}}, {"processing", 2, {}, 2}},
      {"late pending after failed", {{"failed", 3}, {"pending", 4}}, {"failed", {}, 3, 3}},
      {"in order", {{"pending", 1}, {"processing", 2}, {"failed", 3}}, {"failed", 2, 3, 3}},
      {"retry starts again", {{"processing", 2}, {"processing", 5}}, {"processing", 5, {}, 5}},
      {"older duplicate ignored", {{"completed", 3}, {"completed", 2}}, {"completed", {}, 3, 3}},
      {"completed after failed", {{"failed", 3}, {"completed", 4}}, {"completed", {}, 4, 4}},
      {"first seen as processing", {{"processing", 2}, {"completed", 3}}, {"completed", 2, 3, 3}},
  };
  int n = 0;
  for (const auto& c : cases) {
    std::string job_id = "case-" + std::to_string(++n);
    for (const auto& s : c.steps) db_->record_job_logs({update(job_id, s.status, s.at)});
    auto row = db_->get_job_log("ai", job_id);
    ASSERT_TRUE(row) << c.name;
    EXPECT_EQ(row->status, c.want.status) << c.name;
    EXPECT_EQ(row->started_at_ms, c.want.started) << c.name;
    EXPECT_EQ(row->completed_at_ms, c.want.completed) << c.name;
    EXPECT_EQ(row->updated_at_ms, c.want.updated) << c.name;
  }
}

// The event relay's position goes with the rows it wrote: both or neither.
TEST_P(database_test, stream_position_is_stored_with_its_batch) {
  EXPECT_EQ(db_->event_stream_position("bull:ai"), std::nullopt);
  db_->record_job_logs_at({update("1", "processing", 2'000), update("1", "completed", 3'000)}, "bull:ai", "3000-0");
  EXPECT_EQ(db_->event_stream_position("bull:ai"), "3000-0");
  EXPECT_EQ(db_->get_job_log("ai", "1")->status, "completed");
  EXPECT_EQ(db_->event_stream_position("bull:other"), std::nullopt);

  // A batch the database refuses (a payload that is not JSON) stores neither.
  auto bad = update("2", "pending", 4'000);
  bad.payload_json = "{not json";
  EXPECT_ANY_THROW(db_->record_job_logs_at({update("3", "completed", 4'000), bad}, "bull:ai", "4000-0"));
  EXPECT_EQ(db_->event_stream_position("bull:ai"), "3000-0");
  EXPECT_EQ(db_->get_job_log("ai", "3"), std::nullopt);

  // An empty batch moves the position alone.
  db_->record_job_logs_at({}, "bull:ai", "5000-1");
  EXPECT_EQ(db_->event_stream_position("bull:ai"), "5000-1");
}

// A relay that resumes from its stored position replays the events after it, some of
// which it had already written: with the events' own times, nothing regresses.
TEST_P(database_test, replayed_events_do_not_regress_a_final_row) {
  // Attempt 1 fails at 3000, attempt 2 runs at 4000 and completes at 5000.
  const std::vector<job_log_update> events = {update("7", "processing", 2'000), update("7", "failed", 3'000),
                                              update("7", "processing", 4'000), update("7", "completed", 5'000)};
  db_->record_job_logs_at(events, "bull:ai", "5000-0");
  for (std::size_t from = 0; from < events.size(); ++from) {
    for (std::size_t k = from; k < events.size(); ++k) db_->record_job_logs_at({events[k]}, "bull:ai", "x");
    auto row = db_->get_job_log("ai", "7");
    EXPECT_EQ(row->status, "completed") << from;
    EXPECT_EQ(row->completed_at_ms, 5'000) << from;
  }
}

TEST_P(database_test, unfinished_job_logs_are_the_pending_and_processing_rows_of_a_queue) {
  db_->record_job_logs({update("1", "pending", 1'000), update("2", "processing", 2'000),
                        update("3", "completed", 3'000), update("4", "failed", 4'000), update("5", "pending", 5'000)});
  auto other = update("1", "pending", 1'000);
  other.queue = "other";
  db_->record_job_logs({other});
  auto rows = db_->unfinished_job_logs("ai", 10);
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r.job_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"1", "2", "5"}));
  EXPECT_EQ(db_->unfinished_job_logs("ai", 2).size(), 2u);
}

// Job ids restart when Redis loses its data: a later job's first event replaces the row
// of the earlier job with its id, so that its outcome is never read under the earlier
// job's owner; the same event read again (a replay) changes nothing.
TEST_P(database_test, job_log_a_later_job_of_the_same_id_begins_a_new_row) {
  auto alices = update("7", "pending", 1);
  alices.begins = true;
  alices.user_id = "alice";
  alices.payload_json = R"({"userId":"alice"})";
  auto done = update("7", "completed", 3);
  done.result_json = R"({"response":"for alice"})";
  db_->record_job_logs({alices, done});
  db_->record_job_logs({alices});  // replayed after a restart
  auto row = db_->get_job_log("ai", "7");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "completed");
  EXPECT_EQ(row->user_id, "alice");

  auto bobs = update("7", "pending", 10);
  bobs.begins = true;
  bobs.user_id = "bob";
  auto bobs_done = update("7", "completed", 12);
  bobs_done.result_json = R"({"response":"for bob"})";
  db_->record_job_logs({bobs});
  row = db_->get_job_log("ai", "7");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "pending");
  EXPECT_EQ(row->user_id, "bob");
  EXPECT_FALSE(row->result_json) << "nothing of alice's job is left";
  EXPECT_FALSE(row->payload_json);
  db_->record_job_logs({bobs_done});
  row = db_->get_job_log("ai", "7");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->user_id, "bob");
  EXPECT_TRUE(same_json(*row->result_json, R"({"response":"for bob"})"));
}

TEST_P(database_test, job_log_batch_of_500_in_one_call) {
  // 125 jobs x (pending, processing, completed, a late processing) = 500 updates.
  std::vector<job_log_update> batch;
  for (int job = 0; job < 125; ++job) {
    auto id = std::to_string(job);
    auto pending = update(id, "pending", 1'000 + job);
    pending.user_id = job % 2 ? "odd" : "even";
    batch.push_back(pending);
    batch.push_back(update(id, "processing", 2'000 + job));
    batch.push_back(update(id, "completed", 3'000 + job));
    batch.push_back(update(id, "processing", 4'000 + job));
  }
  ASSERT_EQ(batch.size(), 500u);
  auto start = std::chrono::steady_clock::now();
  db_->record_job_logs(batch);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(10));

  EXPECT_EQ(db_->list_job_logs("completed", 1000).size(), 125u);
  EXPECT_TRUE(db_->list_job_logs("processing", 1000).empty());
  auto newest = db_->list_job_logs(std::nullopt, 10);
  ASSERT_EQ(newest.size(), 10u);
  EXPECT_EQ(newest[0].job_id, "124");  // newest first
  EXPECT_TRUE(std::is_sorted(newest.begin(), newest.end(), [](auto& a, auto& b) { return a.id > b.id; }));
  auto row = db_->get_job_log("ai", "7");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->user_id, "odd");
  EXPECT_EQ(row->completed_at_ms, 3'007);
}

TEST_P(database_test, job_log_batch_is_all_or_nothing) {
  auto bad = update("2", "pending", 1'000);
  bad.payload_json = "{broken";
  std::string why;
  try {
    db_->record_job_logs({update("1", "pending", 1'000), bad, update("3", "pending", 1'000)});
  } catch (const database_error& e) {
    why = e.what();
  }
  // The error names the update the database refused.
  EXPECT_NE(why.find("recording job log ai/2 as pending"), std::string::npos) << why;
  EXPECT_TRUE(db_->list_job_logs(std::nullopt, 10).empty());

  EXPECT_THROW(db_->record_job_logs({update("1", "pending", 1'000), update("2", "done", 1'000)}),
               std::invalid_argument);
  EXPECT_TRUE(db_->list_job_logs(std::nullopt, 10).empty());

  EXPECT_NO_THROW(db_->record_job_logs({}));
}

TEST_P(database_test, job_log_at_zero_means_now) {
  auto before =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  db_->record_job_logs({update("1", "pending", 0)});
  auto row = db_->get_job_log("ai", "1");
  ASSERT_TRUE(row);
  EXPECT_GE(row->created_at_ms, before);
  EXPECT_LE(row->created_at_ms, before + 60'000);
}

}  // namespace
}  // namespace drover::app
