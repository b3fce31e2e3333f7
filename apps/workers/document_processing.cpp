// document_processing.cpp - the document-processing processor: reads an upload from the
// database, extracts its text in a child process (extraction_process.hpp; per page for
// PDFs, reporting progress), chunks it and stores text, metadata and chunks. It blocks
// (waiting for the child, chunking), so it runs on the worker's thread pool
// (processor::blocking) while the event loop keeps renewing the job's lock.
#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include <drover_app/clock.hpp>
#include <drover_app/logging/log_throttle.hpp>

#include "documents/chunking.hpp"
#include "documents/extracted_text.hpp"
#include "documents/text_cleanup.hpp"
#include "workers/extraction_process.hpp"
#include "workers/infrastructure_failure.hpp"
#include "workers/job_log_line.hpp"
#include "workers/page_progress.hpp"
#include "workers/processors.hpp"

namespace json = boost::json;

namespace drover::workers {

namespace {

std::string document_id_of(const job& j) {
  if (j.name != "process-document") {
    throw unrecoverable_error(fmt::format("document-processing has no processor for jobs named '{}'", j.name));
  }
  const auto* id = j.data.is_object() ? j.data.get_object().if_contains("documentId") : nullptr;
  if (!id || !id->is_string() || id->get_string().empty()) {
    throw unrecoverable_error("process-document needs data.documentId (a string)");
  }
  return std::string(id->get_string());
}

// While the database does not answer (down, or refusing this app's password during a
// rotation), every document would fail alike and spend its attempts, ending in the dead
// letters after ~30 s: each is put off this long instead, without using one, as a worker
// stops fetching while Redis is away.
constexpr std::int64_t database_away_pause_ms = 5000;

// A plain global: one line every 30 s while the database is away, whatever the jobs.
app::log_throttle database_away_log{std::chrono::seconds(30)};

bool database_answers(app::database& db) {
  try {
    db.ping();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// Marks the document failed; a database that fails here must not hide the real reason.
void mark_failed(app::database& db, const std::string& id, const std::string& reason) {
  try {
    db.set_document_status(id, "failed", reason);
  } catch (const std::exception& e) {
    spdlog::warn("document {}: could not record the failure ({}): {}", id, reason, e.what());
  }
}

// What one upload may store: its text (which its chunks repeat) at most this many times
// the file's size, a MiB at least. The storage quota counts uploads, and a PDF that draws
// one compressed page a thousand times made 5.7 MB of text from 169 kB (a security
// review); real documents hold less text than bytes, compressed text-only PDFs a few
// times more.
constexpr std::size_t max_text_per_file_byte = 8;
constexpr std::size_t min_text_allowed = 1024 * 1024;
// What the helper writes beside the text: its title and a progress record per page.
constexpr std::size_t max_record_overhead = 1024 * 1024;

json::value process(app::database& db, const extraction_process& extractor, const documents::chunking_options& chunking,
                    blocking_job_context& ctx) {
  const auto& j = ctx.job();
  auto id = document_id_of(j);
  // A document gone before its job ran (deleted by its owner, or its upload refused with a
  // 503 while Redis ran the add after all) leaves nothing to do: the job ends done, saying
  // so, rather than failing for good into the dead letters, which the alerts count (a
  // fault-tolerance review's refused uploads raised the dead-letter alert).
  const auto gone = [&id]() {
    // Said, as a warning: many of them, with uploads answered 202, mean that this app
    // reads another database than the API (DATABASE_URL).
    spdlog::warn(
        "document {}: no longer exists, nothing to process (deleted, or its upload answered 503); if uploads "
        "answered 202 do this, the Workers app reads another database than the API (DATABASE_URL)",
        id);
    return json::object{{"skipped", fmt::format("document '{}' no longer exists: nothing to process", id)}};
  };
  auto doc = db.get_document(id);
  if (!doc) return gone();
  auto bytes = db.get_document_content(id);
  if (!bytes) return gone();
  db.set_document_status(id, "processing", std::nullopt);

  const auto text_allowed = std::max(min_text_allowed, bytes->size() * max_text_per_file_byte);
  auto refuse_text_size = [&](const std::string& size) {
    auto reason = fmt::format(
        "cannot store '{}': its text ({} bytes) is more than {} times the file's size (the storage quota counts "
        "files)",
        doc->filename, size, max_text_per_file_byte);
    mark_failed(db, id, reason);
    throw unrecoverable_error(reason);
  };
  documents::extracted_text text;
  try {
    page_progress pages;
    auto progress = [&ctx, &pages](int done, int total) {
      if (!pages.worth_reporting(done, total)) return;
      json::object p;
      p["page"] = done;
      p["pages"] = total;
      p["percent"] = total > 0 ? done * 100 / total : 100;
      ctx.update_progress(p);
    };
    // The text's records come with a little more (title, progress): the bound on what the
    // child may write keeps a bomb's output out of this process's memory.
    const auto max_output = text_allowed + max_record_overhead;
    text = extractor.extract(
        doc->content_type, *bytes, progress, [&ctx] { return ctx.cancelled(); }, max_output);
  } catch (const extraction_too_long& e) {
    refuse_text_size(fmt::format("over {}", e.max_output - max_record_overhead));
  } catch (const documents::unreadable_document& e) {
    // The same bytes will fail the same way: fail the job for good.
    auto reason = fmt::format("cannot read '{}': {}", doc->filename, e.what());
    mark_failed(db, id, reason);
    throw unrecoverable_error(reason);
  } catch (const extraction_failed& e) {
    // A crash or a limit reached: another attempt would end the same way.
    auto reason = fmt::format("cannot read '{}': {}", doc->filename, e.what());
    mark_failed(db, id, reason);
    throw unrecoverable_error(reason);
  } catch (const extraction_stopped&) {
    if (ctx.cancel_reason() == cancellation::shutdown) {
      throw std::runtime_error(fmt::format("extraction of document '{}' stopped: the worker is shutting down", id));
    }
    throw std::runtime_error(fmt::format("extraction of document '{}' stopped: the job timed out", id));
  }

  if (text.text.size() > text_allowed) refuse_text_size(std::to_string(text.text.size()));

  app::document_extraction x;
  // Cut here too: the helper is sandboxed for being what a crafted file may take over.
  if (text.title) x.title = documents::cut_title(std::move(*text.title));
  x.page_count = text.page_count;
  x.word_count = documents::count_words(text.text);
  x.chunks = documents::split_into_chunks(text.text, chunking);
  x.text = std::move(text.text);
  if (!db.store_document_extraction(id, x)) throw unrecoverable_error(fmt::format("document '{}' was deleted", id));

  json::object out;
  out["documentId"] = id;
  out["status"] = "ready";
  out["title"] = x.title ? json::value(*x.title) : json::value(nullptr);
  out["pageCount"] = x.page_count ? json::value(*x.page_count) : json::value(nullptr);
  out["wordCount"] = x.word_count;
  out["chunkCount"] = x.chunks.size();
  return out;
}

}  // namespace

processor document_processing_processor(app::database& db, const extraction_process& extractor,
                                        documents::chunking_options chunking) {
  return processor::blocking([&db, &extractor, chunking](blocking_job_context& ctx) -> json::value {
    try {
      return process(db, extractor, chunking, ctx);
    } catch (const unrecoverable_error&) {
      throw;
    } catch (const std::exception& e) {
      // A retry may succeed (the database was away); after the last attempt the
      // document says why it failed.
      // Not after a shutdown: the job was handed back and runs again.
      // Redis's and the database's errors name hosts: the user reads a category, the log
      // the detail (infrastructure_failure.hpp).
      const auto& j = ctx.job();
      if (dynamic_cast<const app::database_error*>(&e) && ctx.cancel_reason() != cancellation::shutdown &&
          !database_answers(db)) {
        database_away_log.warn("{}: the database does not answer ({}); documents wait for it without using attempts",
                               job_log_line("document-processing", j), e.what());
        throw move_to_delayed(app::now_ms() + database_away_pause_ms);
      }
      const auto category = infrastructure_failure(e);
      if (category) spdlog::warn("{}: {}", job_log_line("document-processing", j), e.what());
      const std::string reason = category ? *category : std::string(e.what());
      const bool last = j.attempts_made + 1 >= j.opts.attempts.value_or(1);
      if (last && ctx.cancel_reason() != cancellation::shutdown && j.data.is_object()) {
        if (const auto* id = j.data.get_object().if_contains("documentId"); id && id->is_string()) {
          mark_failed(db, std::string(id->get_string()), reason);
        }
      }
      if (category) throw std::runtime_error(reason);
      throw;
    }
  });
}

}  // namespace drover::workers
