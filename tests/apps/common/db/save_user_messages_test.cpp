// save_user_messages_test.cpp - database::save_user_messages, the batch behind the API's
// group commit (issue 15), on both backends: each request answered as if it were sent
// alone, a refusal or a malformed text failing only its own request; and
// database::save_user_message_once, behind a send with an Idempotency-Key: a key stores
// one message however often it is sent, and a retry reads the history the first read.
#include <drover_app/db/database.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "support/db_backends.hpp"
#include "support/postgres_server.hpp"
#include "support/temp_dir.hpp"

namespace drover::app {
namespace {

using test::backend_kind;

class save_user_messages_test : public testing::TestWithParam<backend_kind> {
 protected:
  void SetUp() override {
    url_ = GetParam() == backend_kind::sqlite ? "sqlite://" + (dir_ / "drover.db")
                                              : test::postgres_server::shared().create_database();
    db_ = open_database(url_);
    db_->migrate();
  }

  static user_message_to_save to(std::string conversation, std::string user, std::string content,
                                 std::size_t limit = 10, bool require_owner = true) {
    return {std::move(conversation), std::move(user), std::move(content), limit, require_owner};
  }

  test::temp_dir dir_;
  std::string url_;
  std::unique_ptr<database> db_;
};

INSTANTIATE_TEST_SUITE_P(backends, save_user_messages_test,
                         testing::Values(backend_kind::sqlite, backend_kind::postgres), test::backend_name);

std::vector<std::string> contents(const std::vector<message>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.content);
  return out;
}

// A batch mixing what a busy server meets at once: an owner going on, a stranger
// refused, two users creating the same new conversation (the first in the batch wins),
// a development caller (no owner check), and a short history limit.
TEST_P(save_user_messages_test, answers_each_request_as_if_alone) {
  ASSERT_TRUE(db_->save_user_message("c1", "alice", "before", 10));
  db_->put_assessment("alice", R"({"level":"beginner"})");
  std::vector<user_message_to_save> batch = {
      to("c1", "alice", "one"),           // 0: the owner
      to("c2", "bob", "new"),             // 1: a new conversation
      to("c1", "bob", "intrude"),         // 2: refused
      to("c3", "carol", "first"),         // 3: creates c3
      to("c3", "dave", "second"),         // 4: refused: carol's now
      to("c1", "alice", "two", 1),        // 5: the owner again, history of 1
      to("c1", "bob", "dev", 10, false),  // 6: no owner check
  };
  auto out = db_->save_user_messages(batch);
  ASSERT_EQ(out.size(), batch.size());
  for (const auto& o : out) EXPECT_FALSE(o.error);

  ASSERT_TRUE(out[0].saved);
  EXPECT_EQ(contents(out[0].saved->history), std::vector<std::string>{"before"});
  ASSERT_TRUE(out[0].saved->assessment);
  ASSERT_TRUE(out[1].saved);
  EXPECT_TRUE(out[1].saved->history.empty());
  EXPECT_FALSE(out[1].saved->assessment);
  EXPECT_FALSE(out[2].saved);
  ASSERT_TRUE(out[3].saved);
  EXPECT_FALSE(out[4].saved);
  ASSERT_TRUE(out[5].saved);
  ASSERT_TRUE(out[6].saved);

  EXPECT_EQ(db_->conversation_owner("c2"), "bob");
  EXPECT_EQ(db_->conversation_owner("c3"), "carol");
  EXPECT_EQ(contents(db_->list_messages("c3")), std::vector<std::string>{"first"});
  // Stored in the batch's order, each request's id its own message's.
  auto c1 = db_->list_messages("c1");
  ASSERT_EQ(contents(c1), (std::vector<std::string>{"before", "one", "two", "dev"}));
  EXPECT_EQ(c1[1].id, out[0].saved->message_id);
  EXPECT_EQ(c1[2].id, out[5].saved->message_id);
  EXPECT_EQ(c1[3].id, out[6].saved->message_id);
  EXPECT_EQ(c1[2].role, "user");
  // The history holds what was stored before the batch, at most its limit.
  ASSERT_EQ(out[5].saved->history.size(), 1u);
  if (GetParam() == backend_kind::postgres) {
    // One statement, one snapshot: requests of a batch do not see each other.
    EXPECT_EQ(out[5].saved->history[0].content, "before");
    EXPECT_EQ(contents(out[6].saved->history), std::vector<std::string>{"before"});
  }
}

// Invalid UTF-8 is refused by PostgreSQL for the whole statement; the batch is then
// sent request by request, so that only the malformed one fails. (SQLite stores bytes.)
TEST_P(save_user_messages_test, a_malformed_request_fails_alone) {
  std::vector<user_message_to_save> batch = {to("c1", "alice", "good"), to("c1", "alice", "bad \xff\xfe"),
                                             to("c2", "bob", "also good")};
  auto out = db_->save_user_messages(batch);
  ASSERT_EQ(out.size(), 3u);
  ASSERT_TRUE(out[0].saved);
  ASSERT_TRUE(out[2].saved);
  EXPECT_FALSE(out[0].error);
  EXPECT_FALSE(out[2].error);
  if (GetParam() == backend_kind::postgres) {
    ASSERT_TRUE(out[1].error);
    EXPECT_FALSE(out[1].saved);
    try {
      std::rethrow_exception(out[1].error);
    } catch (const database_error& e) {
      EXPECT_NE(std::string(e.what()).find("conversation 'c1'"), std::string::npos) << e.what();
    }
    EXPECT_EQ(contents(db_->list_messages("c1")), std::vector<std::string>{"good"});
  }
  EXPECT_EQ(contents(db_->list_messages("c2")), std::vector<std::string>{"also good"});
}

TEST_P(save_user_messages_test, keeps_quotes_backslashes_and_braces_intact) {
  const std::string text = R"(a "quoted" \back\slash {braces}, commas, NULL)";
  auto out = db_->save_user_messages({to("c1", "alice", text), to("c1", "alice", "")});
  ASSERT_TRUE(out[0].saved);
  ASSERT_TRUE(out[1].saved);
  EXPECT_EQ(contents(db_->list_messages("c1")), (std::vector<std::string>{text, ""}));
}

TEST_P(save_user_messages_test, an_empty_batch_answers_nothing) { EXPECT_TRUE(db_->save_user_messages({}).empty()); }

// save_user_message_once.

TEST_P(save_user_messages_test, once_stores_once_and_answers_the_stored_message_again) {
  ASSERT_TRUE(db_->save_user_message("c1", "alice", "before", 10));
  auto first = db_->save_user_message_once("send:k1", to("c1", "alice", "hello"));
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(contents(first->saved.history), std::vector<std::string>{"before"});
  db_->add_message("c1", "assistant", "an answer", std::string("7"));  // after it, as an answer would be

  auto again = db_->save_user_message_once("send:k1", to("c1", "alice", "hello"));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->saved.message_id, first->saved.message_id);
  EXPECT_EQ(contents(again->saved.history), std::vector<std::string>{"before"});  // not the answer after it
  EXPECT_FALSE(again->job_id);
  EXPECT_EQ(contents(db_->list_messages("c1")), (std::vector<std::string>{"before", "hello", "an answer"}));
}

// The caller compares: a reused key answers the stored message, whatever was asked.
TEST_P(save_user_messages_test, once_a_reused_key_answers_what_it_stored_and_writes_nothing) {
  auto first = db_->save_user_message_once("send:k1", to("c1", "alice", "hello"));
  ASSERT_TRUE(first);
  auto other = db_->save_user_message_once("send:k1", to("c2", "alice", "something else"));
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->duplicate);
  EXPECT_EQ(other->conversation_id, "c1");
  EXPECT_EQ(other->content, "hello");
  EXPECT_FALSE(db_->conversation_owner("c2"));  // not created
}

TEST_P(save_user_messages_test, once_refuses_another_users_conversation_without_taking_the_key) {
  ASSERT_TRUE(db_->save_user_message("c1", "alice", "mine", 10));
  EXPECT_FALSE(db_->save_user_message_once("send:k1", to("c1", "bob", "intrude")));
  EXPECT_FALSE(db_->find_message_by_key("send:k1"));
  EXPECT_EQ(contents(db_->list_messages("c1")), std::vector<std::string>{"mine"});
}

TEST_P(save_user_messages_test, once_records_the_first_job_only) {
  auto first = db_->save_user_message_once("send:k1", to("c1", "alice", "hello"));
  ASSERT_TRUE(first);
  EXPECT_TRUE(db_->set_message_job(first->saved.message_id, "41", std::nullopt));
  EXPECT_FALSE(db_->set_message_job(first->saved.message_id, "42", std::nullopt));
  EXPECT_FALSE(db_->set_message_job(first->saved.message_id, "42", "40"));  // replaces only the job it names
  auto again = db_->save_user_message_once("send:k1", to("c1", "alice", "hello"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->job_id, std::optional<std::string>("41"));
  EXPECT_FALSE(db_->set_message_job(123456, "1", std::nullopt));  // no such message
}

// A message whose job Redis lost is queued again: its new job replaces the lost one.
TEST_P(save_user_messages_test, a_job_queued_again_replaces_the_lost_one) {
  auto first = db_->save_user_message_once("send:k1", to("c1", "alice", "hello"));
  ASSERT_TRUE(first);
  ASSERT_TRUE(db_->set_message_job(first->saved.message_id, "41", std::nullopt));
  EXPECT_TRUE(db_->set_message_job(first->saved.message_id, "57", "41"));
  auto again = db_->save_user_message_once("send:k1", to("c1", "alice", "hello"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->job_id, std::optional<std::string>("57"));
}

// What the API keeps Redis's id counter above: the newest messages' jobs and the newest
// job_logs rows of the queue.
TEST_P(save_user_messages_test, recent_job_ids_are_the_newest_messages_and_job_logs_of_the_queue) {
  for (int i = 1; i <= 4; ++i) {
    auto m = db_->save_user_message_once("send:k" + std::to_string(i), to("c1", "alice", "m" + std::to_string(i)));
    ASSERT_TRUE(m);
    if (i != 3) {
      ASSERT_TRUE(db_->set_message_job(m->saved.message_id, std::to_string(10 * i), std::nullopt));
    }
  }
  auto row = [](std::string queue, std::string id) {
    job_log_update u;
    u.queue = std::move(queue);
    u.job_id = std::move(id);
    u.job_type = "generate-response";
    u.status = "pending";
    u.at_ms = 1000;
    return u;
  };
  db_->record_job_logs({row("ai-processing", "55"), row("ai-processing", "56"), row("documents", "99")});
  auto ids = db_->recent_job_ids("ai-processing", 2);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"20", "40", "55", "56"}));  // a message without a job is none
  EXPECT_TRUE(db_->recent_job_ids("nothing-yet", 0).empty());
}

}  // namespace
}  // namespace drover::app
