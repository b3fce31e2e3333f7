// document_processing_test.cpp - the document-processing processor in a real worker:
// documents become ready with searchable chunks and per-page progress; unreadable PDFs
// fail at once (not retried) and say why; other errors are retried, and the document
// says why after the last attempt.
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <zlib.h>

#include <drover/queue.hpp>
#include <drover/worker.hpp>
#include <drover_app/db/database.hpp>

#include "support/async.hpp"
#include "support/pdf_writer.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"
#include "workers/extraction_process.hpp"
#include "workers/processors.hpp"

namespace net = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace drover {
namespace {

using test::eventually;
using test::run_async;

class document_processing_test : public ::testing::Test {
 protected:
  void SetUp() override {
    db = app::open_database("sqlite://" + (dir / "drover.db"));
    db->migrate();
  }

  // Stores an upload as the API does and returns its job options' id.
  std::string store(const std::string& id, const std::string& type, const std::string& bytes) {
    app::document d;
    d.id = id;
    d.conversation_id = "c1";
    d.filename = id + ".bin";
    d.content_type = type;
    d.size_bytes = static_cast<std::int64_t>(bytes.size());
    d.job_id = "doc-" + id;
    db->add_document(d, bytes);
    return d.job_id;
  }

  // Adds process-document jobs for `ids` (with `attempts`), runs a worker until each has
  // finished, and returns the jobs.
  std::vector<job> run_jobs(const std::vector<std::string>& ids, int attempts, std::string name = "process-document") {
    std::vector<job> out;
    run_async([&](net::io_context& io) -> net::awaitable<void> {
      queue q(io.get_executor(), queue_name, queue_options{"bull", test::redis_server::shared().options()});
      for (const auto& id : ids) {
        job_options o;
        o.job_id = "doc-" + id;
        o.attempts = attempts;
        json::object data;
        data["documentId"] = id;
        json::value v = std::move(data);
        co_await q.add(name, v, o);
      }
      worker_options wo;
      wo.redis = test::redis_server::shared().options();
      wo.drain_delay = 200ms;
      wo.concurrency = 2;
      workers::extraction_process extractor(DROVER_EXTRACT_HELPER, limits);
      worker w(io.get_executor(), queue_name, workers::document_processing_processor(*db, extractor), wo);
      w.start();
      auto finished = [&]() -> net::awaitable<bool> {
        for (const auto& id : ids) {
          auto state = co_await q.get_job_state("doc-" + id);
          if (state != job_state::completed && state != job_state::failed) co_return false;
        }
        co_return true;
      };
      EXPECT_TRUE(co_await eventually(finished, 20s));
      co_await w.close();
      for (const auto& id : ids) {
        auto j = co_await q.get_job("doc-" + id);
        DROVER_CO_ASSERT_TRUE(j.has_value());
        out.push_back(*j);
      }
      q.close();
    });
    return out;
  }

  test::temp_dir dir;
  std::unique_ptr<app::database> db;
  workers::extraction_limits limits;
  std::string queue_name = test::unique_queue("documents");
};

TEST_F(document_processing_test, a_pdf_becomes_ready_with_searchable_chunks) {
  store("d1", "application/pdf",
        test::make_pdf({{"Workers renew locks."}, {"Stalled jobs return."}, {"Cron plans zeppelins."}}, "Guide"));
  store("d2", "text/markdown", "# Notes\n\nZeppelins fly *slowly*.");
  auto jobs = run_jobs({"d1", "d2"}, 3);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].returnvalue.at("status"), "ready");
  EXPECT_EQ(jobs[0].returnvalue.at("pageCount"), 3);
  EXPECT_EQ(jobs[0].returnvalue.at("chunkCount"), 1);
  EXPECT_EQ(jobs[0].progress, json::parse(R"({"page":3,"pages":3,"percent":100})"));
  EXPECT_EQ(jobs[1].returnvalue.at("title"), "Notes");

  auto d1 = db->get_document("d1");
  EXPECT_EQ(d1->status, "ready");
  EXPECT_EQ(d1->title, "Guide");
  EXPECT_EQ(d1->word_count, 9);
  auto hits = db->search_document_chunks("c1", "zeppelins", 5);
  ASSERT_EQ(hits.size(), 2u);
}

TEST_F(document_processing_test, unreadable_pdfs_fail_at_once_with_the_reason) {
  store("damaged", "application/pdf", "%PDF-1.4\nnothing here\n%%EOF\n");
  store("empty", "text/plain", " \n\n ");
  auto jobs = run_jobs({"damaged", "empty"}, 3);
  ASSERT_EQ(jobs.size(), 2u);
  for (const auto& j : jobs) {
    EXPECT_EQ(j.attempts_made, 1) << j.id;  // unrecoverable: the other two attempts are not used
    ASSERT_TRUE(j.failed_reason) << j.id;
  }
  EXPECT_NE(jobs[0].failed_reason->find("cannot read 'damaged.bin': the PDF is damaged"), std::string::npos)
      << *jobs[0].failed_reason;
  EXPECT_NE(jobs[1].failed_reason->find("no text"), std::string::npos) << *jobs[1].failed_reason;
  auto d = db->get_document("damaged");
  EXPECT_EQ(d->status, "failed");
  EXPECT_EQ(d->error, jobs[0].failed_reason);
}

// The storage quota counts files: a PDF whose text is far larger than itself (a page
// drawn from one compressed stream) would store many times the quota. Refused at once.
// `pages` pages that all draw one deflated content stream of `page_bytes` of text.
std::string repeated_page_pdf(int pages, std::size_t page_bytes) {
  // Tiny type, so that every line falls on the page (text off it is not extracted).
  std::string content = "BT /F1 1 Tf 1 TL 10 780 Td\n";
  while (content.size() < page_bytes) content += "(workers renew locks and stalled jobs return) Tj T*\n";
  content += "ET\n";
  uLongf packed_size = compressBound(content.size());
  std::string packed(packed_size, '\0');
  compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, reinterpret_cast<const Bytef*>(content.data()),
            content.size(), 9);
  packed.resize(packed_size);
  // 1 catalog, 2 pages, 3 font, 4 the content, 5.. the pages.
  std::vector<std::string> objects{
      "<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
      "<< /Length " + std::to_string(packed.size()) + " /Filter /FlateDecode >>\nstream\n" + packed + "\nendstream"};
  std::string kids;
  for (int i = 0; i < pages; ++i) {
    kids += std::to_string(5 + i) + " 0 R ";
    objects.push_back(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 3 0 R >> >> "
        ">>");
  }
  objects[1] = "<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages) + " >>";
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t k = 0; k < objects.size(); ++k) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(k + 1) + " 0 obj\n" + objects[k] + "\nendobj\n";
  }
  const auto xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (auto off : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
    pdf += line;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

TEST_F(document_processing_test, a_pdf_whose_text_dwarfs_the_file_is_refused) {
  const auto bomb = repeated_page_pdf(60, 36 * 1024);
  ASSERT_LT(bomb.size() * 8, std::size_t{1} << 20);
  store("bomb", "application/pdf", bomb);
  auto jobs = run_jobs({"bomb"}, 3);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].attempts_made, 1);
  ASSERT_TRUE(jobs[0].failed_reason) << boost::json::serialize(jobs[0].returnvalue);
  EXPECT_NE(jobs[0].failed_reason->find("is more than 8 times the file's size"), std::string::npos)
      << *jobs[0].failed_reason;
  auto d = db->get_document("bomb");
  EXPECT_EQ(d->status, "failed");
  EXPECT_FALSE(d->text);
}

TEST_F(document_processing_test, other_errors_are_retried_and_the_last_one_is_recorded) {
  store("d1", "text/plain", "Some text.");
  // Storing the chunks fails: the table is gone (as if the database were broken). The
  // sqlite3 shell (a dependency of the tests) drops it through its own connection.
  ASSERT_EQ(std::system(("sqlite3 " + (dir / "drover.db") + " 'DROP TABLE document_chunks'").c_str()), 0);
  auto jobs = run_jobs({"d1"}, 2);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].attempts_made, 2);
  ASSERT_TRUE(jobs[0].failed_reason);
  // A category: the database's own message (its path here, a host elsewhere) goes to the log.
  EXPECT_EQ(*jobs[0].failed_reason, "the database failed");
  auto d = db->get_document("d1");
  EXPECT_EQ(d->status, "failed");
  EXPECT_EQ(d->error, jobs[0].failed_reason);
}

TEST_F(document_processing_test, a_crashing_or_hanging_extraction_fails_that_job_for_good) {
  setenv("DROVER_EXTRACT_TEST_TRIGGERS", "1", 1);
  limits.timeout = std::chrono::seconds(1);
  store("crash", "text/plain", "DROVER-TEST-CRASH");
  store("hang", "text/plain", "DROVER-TEST-HANG");
  store("fine", "text/plain", "Zeppelins after the crash.");
  auto jobs = run_jobs({"crash", "hang", "fine"}, 3);
  unsetenv("DROVER_EXTRACT_TEST_TRIGGERS");
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].failed_reason, "cannot read 'crash.bin': extraction crashed: signal 11");
  EXPECT_EQ(jobs[1].failed_reason, "cannot read 'hang.bin': extraction timed out after 1 s");
  for (int k : {0, 1}) EXPECT_EQ(jobs[k].attempts_made, 1) << jobs[k].id;  // not retried
  EXPECT_EQ(db->get_document("crash")->status, "failed");
  EXPECT_EQ(db->get_document("crash")->error, jobs[0].failed_reason);
  EXPECT_EQ(jobs[2].returnvalue.at("status"), "ready");
}

// A document gone before its job ran (deleted, or its upload refused while Redis ran the
// add after all) leaves nothing to do: done, saying so, not a failure for the dead letters
// (a fault-tolerance review's refused uploads raised the dead-letter alert).
TEST_F(document_processing_test, a_job_whose_document_is_gone_is_done_with_nothing_to_do) {
  auto jobs = run_jobs({"missing"}, 3);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].attempts_made, 1);
  EXPECT_FALSE(jobs[0].failed_reason.has_value()) << jobs[0].failed_reason.value_or("");
  EXPECT_EQ(jobs[0].returnvalue.at("skipped"), "document 'missing' no longer exists: nothing to process");
}

TEST_F(document_processing_test, bad_jobs_fail_at_once) {
  queue_name = test::unique_queue("documents-other");
  auto jobs = run_jobs({"x"}, 3, "resize-image");
  EXPECT_EQ(jobs[0].failed_reason, "document-processing has no processor for jobs named 'resize-image'");
}

}  // namespace
}  // namespace drover
