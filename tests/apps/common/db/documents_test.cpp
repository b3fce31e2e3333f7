// documents_test.cpp - uploads, their extraction and full-text search over chunks,
// run against both backends (SQLite FTS5 and PostgreSQL tsvector).
#include <drover_app/clock.hpp>
#include <drover_app/db/database.hpp>

#include <gtest/gtest.h>

#include <memory>

#include "support/db_backends.hpp"
#include "support/postgres_server.hpp"
#include "support/temp_dir.hpp"

namespace drover::app {
namespace {

using test::backend_kind;
using test::backend_name;
using test::postgres_server;

class documents_test : public testing::TestWithParam<backend_kind> {
 protected:
  void SetUp() override {
    url_ = GetParam() == backend_kind::sqlite ? "sqlite://" + (dir_ / "drover.db")
                                              : postgres_server::shared().create_database();
    db_ = open_database(url_);
    db_->migrate();
  }

  document upload(const std::string& id, std::optional<std::string> conversation, std::size_t size = 3) {
    document d;
    d.id = id;
    d.conversation_id = std::move(conversation);
    d.filename = id + ".txt";
    d.content_type = "text/plain";
    d.size_bytes = static_cast<std::int64_t>(size);
    d.job_id = "doc-" + id;
    return d;
  }

  void ready(const std::string& id, std::vector<std::string> chunks, std::optional<std::string> title = {}) {
    document_extraction x;
    x.title = std::move(title);
    x.word_count = 10;
    x.text = "whole text";
    x.chunks = std::move(chunks);
    ASSERT_TRUE(db_->store_document_extraction(id, x));
  }

  test::temp_dir dir_;
  std::string url_;
  std::unique_ptr<database> db_;
};

INSTANTIATE_TEST_SUITE_P(backends, documents_test, testing::Values(backend_kind::sqlite, backend_kind::postgres),
                         backend_name);

TEST_P(documents_test, upload_round_trips_with_binary_bytes) {
  std::string bytes("%PDF-\0\x01\xff\xfe end", 14);
  auto d = upload("d1", "c1", bytes.size());
  d.content_type = "application/pdf";
  db_->add_document(d, bytes);

  auto got = db_->get_document("d1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, "queued");
  EXPECT_EQ(got->conversation_id, "c1");
  EXPECT_EQ(got->filename, "d1.txt");
  EXPECT_EQ(got->content_type, "application/pdf");
  EXPECT_EQ(got->size_bytes, 14);
  EXPECT_EQ(got->job_id, "doc-d1");
  EXPECT_FALSE(got->text);
  EXPECT_FALSE(got->page_count);
  EXPECT_GT(got->created_at_ms, 0);
  EXPECT_EQ(db_->get_document_content("d1"), bytes);

  EXPECT_FALSE(db_->get_document("missing"));
  EXPECT_FALSE(db_->get_document_content("missing"));
}

TEST_P(documents_test, a_document_needs_no_conversation) {
  db_->add_document(upload("d1", std::nullopt), "abc");
  EXPECT_FALSE(db_->get_document("d1")->conversation_id);
}

// The error names what was done (on SQLite that label was a freed temporary when a step
// failed: a SQLite review's logs showed random bytes).
TEST_P(documents_test, the_same_id_twice_is_an_error) {
  db_->add_document(upload("d1", "c1"), "abc");
  try {
    db_->add_document(upload("d1", "c1"), "abc");
    ADD_FAILURE() << "the same id stored twice";
  } catch (const database_error& e) {
    EXPECT_NE(std::string(e.what()).find("storing document 'd1'"), std::string::npos) << e.what();
  }
}

TEST_P(documents_test, status_moves_and_failure_keeps_the_reason) {
  db_->add_document(upload("d1", "c1"), "abc");
  EXPECT_TRUE(db_->set_document_status("d1", "processing", std::nullopt));
  EXPECT_EQ(db_->get_document("d1")->status, "processing");
  EXPECT_TRUE(db_->set_document_status("d1", "failed", "the PDF is encrypted"));
  auto d = db_->get_document("d1");
  EXPECT_EQ(d->status, "failed");
  EXPECT_EQ(d->error, "the PDF is encrypted");
  EXPECT_FALSE(db_->set_document_status("missing", "processing", std::nullopt));
  EXPECT_THROW(db_->set_document_status("d1", "done", std::nullopt), std::invalid_argument);
}

TEST_P(documents_test, extraction_stores_metadata_and_chunks) {
  db_->add_document(upload("d1", "c1"), "abc");
  document_extraction x;
  x.title = "Queues";
  x.page_count = 3;
  x.word_count = 1234;
  x.text = "Ünïcode text";
  x.chunks = {"first chunk", "second chunk"};
  ASSERT_TRUE(db_->store_document_extraction("d1", x));
  auto d = db_->get_document("d1");
  EXPECT_EQ(d->status, "ready");
  EXPECT_EQ(d->title, "Queues");
  EXPECT_EQ(d->page_count, 3);
  EXPECT_EQ(d->word_count, 1234);
  EXPECT_EQ(d->chunk_count, 2);
  EXPECT_EQ(d->text, "Ünïcode text");
  EXPECT_FALSE(d->error);
  EXPECT_FALSE(db_->store_document_extraction("missing", x));
}

// A reader asks for the bytes of a page, not the whole text; a slice may cut a
// character (the API's paging finishes it), and the whole length comes with it.
TEST_P(documents_test, a_read_brings_the_slice_of_the_text_it_asks_for) {
  db_->add_document(upload("d1", "c1"), "abc");
  document_extraction x;
  x.word_count = 2;
  x.text = "Ünïcode text";  // Ü and ï take two bytes each: 14 bytes
  ASSERT_TRUE(db_->store_document_extraction("d1", x));
  auto d = db_->get_document("d1", text_slice{1, 4});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->text_bytes, 14);
  EXPECT_EQ(d->text_from, 1);
  EXPECT_EQ(d->text, std::string("\x9Cn\xC3\xAF"));
  auto none = db_->get_document("d1", text_slice::none());
  EXPECT_EQ(none->text, std::string());
  EXPECT_EQ(none->text_bytes, 14);
  auto beyond = db_->get_document("d1", text_slice{100, 10});
  EXPECT_EQ(beyond->text, std::string());
  EXPECT_EQ(beyond->text_from, 14);
  auto rest = db_->get_document("d1", text_slice{10, -1});
  EXPECT_EQ(rest->text, "text");
  // Before extraction there is no text, and no length.
  db_->add_document(upload("d2", "c1"), "abc");
  auto queued = db_->get_document("d2", text_slice{0, 10});
  EXPECT_FALSE(queued->text);
  EXPECT_FALSE(queued->text_bytes);
}

TEST_P(documents_test, search_ranks_matching_chunks_of_the_conversation_only) {
  db_->add_document(upload("d1", "c1"), "x");
  db_->add_document(upload("d2", "c1"), "x");
  db_->add_document(upload("other", "c2"), "x");
  ready("d1",
        {"Redis keeps the queue in lists and sorted sets.", "Workers renew their locks while they run.",
         "Unrelated paragraph about gardening tomatoes."},
        "Queue internals");
  ready("d2", {"The stalled checker moves jobs back when a worker's lock expired and locks lapse."});
  ready("other", {"Locks and workers in another conversation."});

  auto hits = db_->search_document_chunks("c1", "How do workers renew locks?", 10);
  ASSERT_EQ(hits.size(), 2u);
  // Stemming: "locks" finds "lock" too, so both chunks match; the one with more of the
  // words ranks first.
  EXPECT_EQ(hits[0].document_id, "d1");
  EXPECT_EQ(hits[0].seq, 1);
  EXPECT_EQ(hits[0].document_name, "Queue internals");
  EXPECT_EQ(hits[0].content, "Workers renew their locks while they run.");
  EXPECT_EQ(hits[1].document_id, "d2");
  EXPECT_EQ(hits[1].document_name, "d2.txt");  // no title: the filename
  EXPECT_GE(hits[0].score, hits[1].score);

  EXPECT_EQ(db_->search_document_chunks("c1", "workers locks", 1).size(), 1u);
  EXPECT_TRUE(db_->search_document_chunks("c1", "zeppelin", 10).empty());
  EXPECT_TRUE(db_->search_document_chunks("c3", "workers", 10).empty());
}

TEST_P(documents_test, search_ignores_query_syntax) {
  db_->add_document(upload("d1", "c1"), "x");
  ready("d1", {"Quotes \"and\" operators: NEAR AND OR NOT * ^ are plain text here."});
  // Operators of FTS5 and tsquery, quotes and parentheses must not break the query.
  for (const char* q : {"\"", "(operators", "NOT operators*", "a & b | !c", "col:operators", "''", "-- ;",
                        "\u201coperators\u201d \u2014 here", "caf\u00e9 \u00b7 na\u00efve", "\u00a0\u2003"}) {
    EXPECT_NO_THROW(db_->search_document_chunks("c1", q, 5)) << q;
  }
  EXPECT_EQ(db_->search_document_chunks("c1", "(operators)!", 5).size(), 1u);
  // Typographic quotes and dashes around a word (non-ASCII punctuation) still find it.
  EXPECT_EQ(db_->search_document_chunks("c1", "\u201coperators\u201d \u2014", 5).size(), 1u);
  EXPECT_TRUE(db_->search_document_chunks("c1", "?!", 5).empty());
  // Characters the C library counts as spaces separate words (PostgreSQL's tsquery parser
  // split on U+1680 inside a word and refused the query).
  for (const char* q : {"zz operators\u1680zz", "zz\u0085operators", "operators\u180Ezz"}) {
    EXPECT_EQ(db_->search_document_chunks("c1", q, 5).size(), 1u) << q;
  }
}

TEST_P(documents_test, only_ready_documents_are_searched) {
  db_->add_document(upload("d1", "c1"), "x");
  ready("d1", {"workers and locks"});
  EXPECT_EQ(db_->search_document_chunks("c1", "workers", 5).size(), 1u);
  db_->set_document_status("d1", "failed", "re-processing failed");
  EXPECT_TRUE(db_->search_document_chunks("c1", "workers", 5).empty());
}

TEST_P(documents_test, a_second_extraction_replaces_the_chunks) {
  db_->add_document(upload("d1", "c1"), "x");
  ready("d1", {"alpha one", "alpha two", "alpha three"});
  ready("d1", {"beta only"});
  EXPECT_EQ(db_->get_document("d1")->chunk_count, 1);
  EXPECT_TRUE(db_->search_document_chunks("c1", "alpha", 5).empty());
  EXPECT_EQ(db_->search_document_chunks("c1", "beta", 5).size(), 1u);
}

}  // namespace
}  // namespace drover::app

namespace drover::app {
namespace {

TEST_P(documents_test, a_users_uploads_are_summed_and_counted_and_a_deleted_document_takes_its_chunks_along) {
  auto mine = upload("d1", "c1", 100);
  mine.user_id = "alice";
  db_->add_document(mine, "abc");
  auto more = upload("d2", std::nullopt, 50);
  more.user_id = "alice";
  db_->add_document(more, "abc");
  auto theirs = upload("d3", "c1", 7);
  theirs.user_id = "bob";
  db_->add_document(theirs, "abc");
  EXPECT_EQ(db_->user_document_usage("alice", 0).stored_bytes, 150);
  EXPECT_EQ(db_->user_document_usage("bob", 0).stored_bytes, 7);
  EXPECT_EQ(db_->user_document_usage("nobody", 0).stored_bytes, 0);
  // Queued, then processing, count as unfinished; ready and failed do not.
  EXPECT_EQ(db_->user_document_usage("alice", 0).unfinished, 2);
  ASSERT_TRUE(db_->set_document_status("d2", "processing", std::nullopt));
  EXPECT_EQ(db_->user_document_usage("alice", 0).unfinished, 2);
  ASSERT_TRUE(db_->set_document_status("d2", "failed", std::string("unreadable")));
  EXPECT_EQ(db_->user_document_usage("alice", 0).unfinished, 1);
  EXPECT_EQ(db_->user_document_usage("nobody", 0).unfinished, 0);
  // One unchanged since before the given time is stuck, not counted.
  EXPECT_EQ(db_->user_document_usage("alice", now_ms() + 60000).unfinished, 0);

  ready("d1", {"zeppelin maintenance"});
  ready("d3", {"zeppelin schedules"});
  EXPECT_TRUE(db_->delete_document("d1"));
  EXPECT_FALSE(db_->get_document("d1"));
  EXPECT_FALSE(db_->delete_document("d1"));
  EXPECT_EQ(db_->user_document_usage("alice", 0).stored_bytes, 50);
  // Its chunks went too (and out of the full-text index): only bob's matches now.
  auto hits = db_->search_document_chunks("c1", "zeppelin", 10);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].document_id, "d3");
}

}  // namespace
}  // namespace drover::app
