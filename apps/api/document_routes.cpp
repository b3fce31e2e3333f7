// document_routes.cpp - the documents API. Uploads are stored in the database (so that
// workers on any machine read them) and processed by a document-processing job.
#include "api/document_routes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <memory>
#include <unordered_map>
#include <spdlog/spdlog.h>

#include <drover/queue.hpp>
#include <drover_app/ascii.hpp>
#include <drover_app/clock.hpp>
#include <drover_app/held_amounts.hpp>
#include <drover_app/job_snapshot.hpp>
#include <drover_app/random_token.hpp>

#include "api/blocking_call.hpp"
#include "api/client_ids.hpp"
#include "api/ended_job_retention.hpp"
#include "api/error_reply.hpp"
#include "api/http_error.hpp"
#include "api/text_page.hpp"
#include "api/user_reads.hpp"
#include "api/multipart.hpp"
#include "api/rate_limiter.hpp"
#include "documents/byte_order_mark.hpp"
#include "documents/declared_charset.hpp"
#include "documents/extracted_text.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

namespace {

constexpr std::chrono::milliseconds db_deadline{1000};
constexpr std::chrono::milliseconds upload_deadline{15000};  // writing up to the limit in bytes
// A document processes within its 5 attempts of at most 5 minutes and their waits: one
// unfinished and not updated for longer is stuck, its job gone. Not sooner: the document
// names its first job, and a job requeued from the dead letters (a new id) may still be
// waiting or running.
constexpr std::int64_t unfinished_document_lifetime_ms = std::int64_t{45} * 60 * 1000;

struct upload_input {
  std::string filename = "upload";
  std::string content_type;
  std::string_view bytes;
  std::optional<std::string> conversation_id;
};

// An upload's row, written on the database pool under a deadline that its request may
// give up at: the 503 says the upload was not kept, so it must not be, however late the
// pool gets to it (a database review: rows kept with no job, counted against the quota
// and against the unfinished documents, and 77 MB held by queued writes).
class upload_store {
 public:
  upload_store(std::string bytes) : bytes_(std::make_shared<std::string>(std::move(bytes))) {}

  // The work for the pool: writes the document unless its request gave up first, and
  // takes it back out when the request gave up while it was written.
  std::function<void()> work(drover::app::database* db, drover::app::document doc) {
    return [db, doc = std::move(doc), bytes = bytes_, step = step_]() {
      auto expected = pending;
      if (!step->compare_exchange_strong(expected, writing)) return;  // given up: nothing written
      try {
        db->add_document(doc, *bytes);
      } catch (...) {
        step->store(failed);  // nothing written: a request that gave up meanwhile has no row to keep
        throw;
      }
      expected = writing;
      if (step->compare_exchange_strong(expected, done)) return;
      try {
        db->delete_document(doc.id);
      } catch (const std::exception& e) {
        // Left as "queued" with no job: it reads as failed once past its lifetime.
        spdlog::error(
            "POST /api/documents: document {} was refused (503) but stored late, and could not be taken "
            "back out: {}",
            doc.id, e.what());
      }
    };
  }

  // At the request's deadline: true when the row was written all the same (the upload
  // goes on); else it is not, or will be taken back out, and the bytes are let go now
  // when no write holds them.
  bool give_up() {
    const auto was = step_->exchange(abandoned);
    if (was == done) {
      step_->store(done);
      return true;
    }
    if (was == pending) std::string().swap(*bytes_);  // never read now: only the pool's copy of the pointer stays
    return false;
  }

 private:
  enum step_t { pending, writing, done, failed, abandoned };
  std::shared_ptr<std::string> bytes_;
  std::shared_ptr<std::atomic<step_t>> step_ = std::make_shared<std::atomic<step_t>>(pending);
};

// Document ids: we hand out hex; anything printable is looked up (and not found).
bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > max_id_chars || !drover::app::is_utf8(id)) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) { return c > 0x20 && c != 0x7f; });
}

// 128 bits from the OS's CSPRNG: an id is all a reader needs besides their token, so
// it must not be guessable from another.
std::string new_document_id() { return drover::app::random_hex(16); }

// Only the last path component, without invisible characters, at most 255 bytes cut on
// a character's end; 400 for a name that is not UTF-8 (a database storing text refuses it).
constexpr std::size_t max_filename_bytes = 255;

std::string safe_filename(std::string_view given) {
  if (!drover::app::is_utf8(given)) throw http_error(http::status::bad_request, "The file name is not valid UTF-8");
  if (auto slash = given.find_last_of("/\\"); slash != std::string_view::npos) given.remove_prefix(slash + 1);
  std::string name;
  drover::app::shown_code_points seen;
  for (std::size_t i = 0; i < given.size();) {
    const std::size_t n = drover::app::utf8_sequence(given, i);
    if (seen.shows(drover::app::utf8_code_point(given, i, n))) name.append(given.substr(i, n));
    i += n;
  }
  if (name.size() > max_filename_bytes) {
    // Cut before the extension, which says the type when the Content-Type does not (a
    // Japanese name of 93 characters lost ".md" and the upload got 415).
    const auto dot = name.rfind('.');
    const bool extension = dot != std::string::npos && dot > 0 && name.size() - dot <= 16;
    const std::string ext = extension ? name.substr(dot) : std::string();
    const std::string stem = extension ? name.substr(0, dot) : name;
    name = std::string(drover::app::utf8_prefix(stem, max_filename_bytes - ext.size())) + ext;
  }
  return name.empty() ? "upload" : name;
}

upload_input read_upload(const route_request& r) {
  const request& req = r.req;
  // A compressed body read as the file stored gzip's bytes as the document's text (a
  // documents review): refused, as no readable type.
  if (const auto coding = drover::app::trim_ows(std::string_view(req[http::field::content_encoding]));
      !coding.empty() && !drover::app::iequals(coding, "identity")) {
    throw http_error(http::status::unsupported_media_type,
                     fmt::format("Content-Encoding '{}' is not read here: send the file itself, uncompressed",
                                 drover::app::valid_utf8(coding)));
  }
  upload_input in;
  std::string content_type(req[http::field::content_type]);
  std::optional<std::string> boundary;
  try {
    boundary = multipart_boundary(content_type);
  } catch (const multipart_error& e) {
    throw http_error(http::status::bad_request, e.what());
  }
  if (boundary) {
    std::vector<multipart_part> parts;
    try {
      parts = parse_multipart(req.body(), *boundary);
    } catch (const multipart_error& e) {
      throw http_error(http::status::bad_request, std::string("Malformed multipart body: ") + e.what());
    }
    const multipart_part* file = nullptr;
    for (const auto& p : parts) {
      if (p.filename || p.name == "file") {
        if (file) throw http_error(http::status::bad_request, "Send one file per request");
        file = &p;
      } else if (p.name == "conversationId") {
        in.conversation_id = std::string(p.body);
      }
    }
    if (!file) throw http_error(http::status::bad_request, "The multipart body has no file part");
    in.filename = file->filename.value_or("upload");
    in.content_type = file->content_type;
    in.bytes = file->body;
  } else {
    in.content_type = content_type;
    in.bytes = req.body();
    if (auto name = r.query("filename")) {
      in.filename = *name;
    } else if (auto name = filename_parameter(req[http::field::content_disposition])) {
      in.filename = *name;
    }
  }
  if (auto c = r.query("conversationId"); c && !in.conversation_id) in.conversation_id = *c;
  in.filename = safe_filename(in.filename);
  return in;
}

json::value optional_json(const std::optional<std::string>& v) { return v ? json::value(*v) : json::value(nullptr); }

template <class Int>
json::value optional_json(const std::optional<Int>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

http_error document_not_found() { return http_error(http::status::not_found, "Document not found"); }

net::awaitable<response> upload(api_context& app, route_request& r) {
  {
    const auto& req = r.req;
    auto in = read_upload(r);
    if (in.bytes.empty()) throw http_error(http::status::bad_request, "The upload is empty");
    if (in.bytes.size() > app.cfg.document_limit) {
      throw http_error(http::status::payload_too_large,
                       fmt::format("The document is larger than the limit of {} bytes", app.cfg.document_limit));
    }
    // Any id the chat takes (a space included): a conversation started by a send must
    // take its documents too.
    if (in.conversation_id && !valid_conversation_id(*in.conversation_id)) {
      throw http_error(http::status::bad_request,
                       fmt::format("'conversationId' must be 1 to {} bytes of UTF-8, without NUL, and not '.' or '..'",
                                   max_id_chars));
    }
    auto type = documents::readable_media_type(in.content_type, in.filename, in.bytes);
    if (!type) {
      throw http_error(http::status::unsupported_media_type,
                       fmt::format("Cannot read documents of type '{}'; send PDF, HTML, Markdown or plain text",
                                   in.content_type.empty() ? std::string("unknown") : in.content_type));
    }
    // Text in a charset its Content-Type declares is stored decoded (declared_charset.hpp);
    // a byte order mark in the text outranks the declaration.
    std::string decoded;
    const auto charset = documents::charset_parameter(in.content_type);
    if (type->starts_with("text/") && charset && documents::needs_decoding(*charset) &&
        !documents::has_byte_order_mark(in.bytes)) {
      try {
        decoded = documents::utf8_from_declared_charset(in.bytes, *charset);
      } catch (const std::invalid_argument& e) {
        throw http_error(http::status::unsupported_media_type,
                         fmt::format("Cannot read the upload in the charset its Content-Type declares: {}", e.what()));
      }
      in.bytes = decoded;
    }

    auto* db = &app.db;
    std::string owner = r.who.development ? std::string() : r.who.user;
    if (in.conversation_id && !r.who.development) {
      // Uploading into a conversation makes it the caller's when it is new; someone
      // else's is refused as if it did not exist.
      auto conversation_id = *in.conversation_id;
      auto claim = [db, conversation_id, owner]() {
        db->ensure_conversation(conversation_id, owner);
        return db->conversation_owner(conversation_id);
      };
      auto holder = co_await app.in_db(claim);
      if (!holder || !r.who.owns(*holder)) throw http_error(http::status::not_found, "Conversation not found");
    }

    const auto most_unfinished = static_cast<std::int64_t>(app.cfg.limits.max_unfinished_documents_per_user);
    if (!owner.empty() && (app.cfg.document_quota > 0 || most_unfinished > 0)) {
      // Checked before the bytes are stored; uploads at the same moment may pass them
      // together, by at most the upload rate limit's burst.
      // One unfinished longer than a document's lifetime is stuck and no longer counts.
      const auto since = drover::app::now_ms() - unfinished_document_lifetime_ms;
      auto sum = [db, owner, since]() { return db->user_document_usage(owner, since); };
      const auto usage = co_await app.in_db(sum);
      if (most_unfinished > 0 && usage.unfinished >= most_unfinished) {
        // One user's uploads, each up to a minute of a document worker's CPU, would
        // otherwise hold everyone else's behind them (a security review's five PDFs
        // that expand to 140 MB of drawing held another user's text file 20 s).
        throw http_error(http::status::too_many_requests,
                         fmt::format("{} of your documents are still being processed; send this one when one of "
                                     "them is ready (retry in 5 s), or delete one (DELETE /api/documents/:documentId)",
                                     usage.unfinished))
            .with_header("Retry-After", "5");
      }
      const auto size = static_cast<std::int64_t>(in.bytes.size());
      if (app.cfg.document_quota > 0 && usage.stored_bytes + size > app.cfg.document_quota) {
        throw http_error(http::status::payload_too_large,
                         fmt::format("Your documents take {} of your {} bytes; this one ({} bytes) does not fit: "
                                     "delete some (DELETE /api/documents/:documentId)",
                                     usage.stored_bytes, app.cfg.document_quota, size));
      }
    }

    drover::app::document doc;
    doc.id = new_document_id();
    if (!owner.empty()) doc.user_id = owner;
    doc.conversation_id = in.conversation_id;
    doc.filename = in.filename;
    doc.content_type = *type;
    doc.size_bytes = static_cast<std::int64_t>(in.bytes.size());
    // The job's own id, and the app id that names it (its shard's, when sharded).
    const std::string custom_job_id = "doc-" + doc.id;
    doc.job_id = app.documents_queue.id_for_custom(custom_job_id);
    upload_store stored{std::string(in.bytes)};
    auto store = stored.work(db, doc);
    bool late = false;
    try {
      co_await app.in_db(std::move(store), upload_deadline);  // no copy of the bytes
    } catch (const deadline_exceeded&) {
      late = true;
    }
    if (late && !stored.give_up()) {
      spdlog::warn("POST /api/documents: storing document {} took over {} s, the upload is dropped", doc.id,
                   upload_deadline.count() / 1000);
      throw http_error(http::status::service_unavailable,
                       fmt::format("Database unavailable: no answer in {} s; the upload was not kept: send it again "
                                   "shortly",
                                   upload_deadline.count() / 1000));
    }

    job_options opts;
    opts.job_id = custom_job_id;  // one job per document, and the document names it before it exists
    // Five attempts 2, 4, 8 and 16 s apart ride out a database or Redis outage of about
    // half a minute (three, 6 s, failed documents in an operator's drill); a document
    // that cannot be read fails at once (unrecoverable).
    opts.attempts = 5;
    opts.backoff = backoff_options{"exponential", 2000, std::nullopt};
    opts.timeout = 300000;
    opts.replication = app.cfg.replication;
    keep_ended_jobs_a_while(opts);  // the document's row says how it ended
    json::object data;
    data["documentId"] = doc.id;
    json::value job_data = std::move(data);
    std::string job_name = "process-document";
    std::string queue_failure;
    bool not_replicated = false;
    std::string failure_text;
    try {
      co_await app.documents_queue.add(job_name, job_data, opts);
    } catch (const std::exception& e) {
      queue_failure = e.what();
      const auto* engine_error = dynamic_cast<const error*>(&e);
      not_replicated = engine_error && engine_error->is(errc::not_replicated);
      // A lasting refusal in its own words (out of memory, an ACL), as every route says it.
      failure_text = queue_unavailable_text(e);
    }
    if (!queue_failure.empty()) {
      // The upload is refused, so nothing of it is kept: its 503 names no document, and a
      // document kept "failed" counted against the user's quota with no way to delete it
      // (an operator's drill: three refused uploads filled the quota). A job Redis ran
      // after all (a reply lost, replicas that did not confirm) finds the document gone
      // and ends with nothing to do; the uploader sends the file again.
      spdlog::warn("POST /api/documents: queueing document {} failed, the upload is dropped: {}", doc.id,
                   queue_failure);
      auto id = doc.id;
      auto drop = [db, id]() { db->delete_document(id); };
      co_await app.in_db(drop, db_deadline);
      throw http_error(http::status::service_unavailable,
                       not_replicated ? "Queue not replicated: Redis's replicas did not confirm the job in time; the "
                                        "upload was not kept: send it again shortly"
                                      : fmt::format("{}; the upload was not kept: send it again", failure_text));
    }

    json::object out;
    out["documentId"] = doc.id;
    out["jobId"] = doc.job_id;
    out["status"] = "queued";
    co_return json_response(req, http::status::accepted, out);
  }
}

// The document the route's :documentId names, when the caller owns it: 400 for a
// malformed id, 404 for an unknown one or someone else's (as if it did not exist).
net::awaitable<drover::app::document> owned_document(api_context& app, const route_request& r,
                                                     drover::app::text_slice slice) {
  std::string id = r.param("documentId");
  if (!valid_id(id)) throw http_error(http::status::bad_request, "Malformed document id");
  auto* db = &app.db;
  auto read = [db, id, slice]() { return db->get_document(id, slice); };
  auto doc = co_await app.in_db(read, db_deadline);
  if (!doc || !r.who.owns(doc->user_id.value_or(""))) throw document_not_found();
  co_return std::move(*doc);
}

net::awaitable<response> get(api_context& app, route_request& r) {
  {
    const auto& req = r.req;
    const auto reading = app.reads.enter(r.who.user);
    // Only the bytes one page can take are read: the few before the offset that finish a
    // character, the page's most, and a few after it that tell where the next begins.
    const auto offset_param = r.query("textOffset");
    const auto wanted = text_offset_of(offset_param, std::numeric_limits<std::int64_t>::max());
    constexpr std::size_t lookaround = 16;
    // Beyond any text (a 400 below, once the length is known), and within the int the
    // databases' substring takes.
    const std::size_t read_limit = std::numeric_limits<std::int32_t>::max() - 1;
    const auto from = static_cast<std::int64_t>(std::min(wanted - std::min<std::size_t>(wanted, 3), read_limit));
    const drover::app::text_slice slice{from, static_cast<std::int64_t>(text_limits::max_json_bytes + lookaround)};
    auto owned = owned_document(app, r, slice);
    const auto doc = co_await std::move(owned);
    const std::string& id = doc.id;

    json::object out;
    out["id"] = doc.id;
    out["status"] = doc.status;
    out["error"] = optional_json(doc.error);
    out["conversationId"] = optional_json(doc.conversation_id);
    out["filename"] = doc.filename;
    out["contentType"] = doc.content_type;
    out["sizeBytes"] = doc.size_bytes;
    out["title"] = optional_json(doc.title);
    out["pageCount"] = optional_json(doc.page_count);
    out["wordCount"] = optional_json(doc.word_count);
    out["chunkCount"] = optional_json(doc.chunk_count);
    // The text a page at a time (text_page.hpp): ?textOffset= reads on from nextTextOffset.
    if (!doc.text && offset_param && *offset_param != "0") {
      throw http_error(
          http::status::bad_request,
          fmt::format("The document has no text yet (it is {}); 'textOffset' applies once it is ready", doc.status));
    }
    const auto total = static_cast<std::size_t>(doc.text_bytes.value_or(0));
    text_offset_of(offset_param, total);  // 400 beyond the text's end, now that it is known
    const std::string_view slice_text = doc.text ? std::string_view(*doc.text) : std::string_view();
    const auto start = static_cast<std::size_t>(doc.text_from);
    auto page = page_of_text(slice_text, wanted - std::min(wanted, start));
    page.offset += start;
    if (page.next_offset) *page.next_offset += start;
    out["text"] = doc.text ? json::value(json::string(page.text)) : json::value(nullptr);
    out["textOffset"] = page.offset;
    out["textBytes"] = doc.text ? json::value(total) : json::value(nullptr);
    out["nextTextOffset"] = page.next_offset ? json::value(*page.next_offset) : json::value(nullptr);
    out["createdAt"] = doc.created_at_ms;
    out["updatedAt"] = doc.updated_at_ms;

    // The job's side (attempts, per-page progress) from Redis. Redis being away only
    // leaves this out; what it says may make the status above "failed" (below).
    json::value job_json = nullptr;
    try {
      std::string job_id = doc.job_id;
      auto read = app::read_job_snapshot(app.documents_queue, job_id);
      auto [state, j] = co_await std::move(read);
      // A document whose job will not finish it: the job failed for good while the
      // database was away, so the worker could not mark the document, or it is gone
      // without an end (Redis lost its data, or an operator removed it) and the document
      // outlived any job (operators' drills left both "processing" for good). The
      // database is told now.
      const bool unfinished = doc.status == "queued" || doc.status == "processing";
      std::optional<std::string> failure;
      if (j && unfinished && state == drover::job_state::failed) {
        failure = j->failed_reason.value_or("processing failed");
      } else if (!j && unfinished && drover::app::now_ms() - doc.updated_at_ms > unfinished_document_lifetime_ms) {
        failure =
            "its processing job is no longer in Redis (removed, or Redis lost its data): upload the document again";
        spdlog::warn("GET /api/documents/{}: job {} is gone from Redis; the document is marked failed", id, doc.job_id);
      }
      if (j) {
        json::object o;
        o["id"] = j->id;
        o["state"] = to_string(state);
        o["attemptsMade"] = j->attempts_made;
        o["progress"] = j->progress;
        o["failedReason"] = optional_json(j->failed_reason);
        job_json = std::move(o);
      }
      if (failure) {
        out["status"] = "failed";
        out["error"] = *failure;
        auto* db = &app.db;
        auto mark = [db, id, reason = *failure]() { db->set_document_status(id, "failed", reason); };
        try {
          co_await app.in_db(mark, db_deadline);
        } catch (const std::exception& e) {
          spdlog::warn("GET /api/documents/{}: cannot mark it failed: {}", id, e.what());
        }
      }
    } catch (const std::exception& e) {
      spdlog::warn("GET /api/documents/{}: job {} unavailable: {}", id, doc.job_id, e.what());
    }
    out["job"] = std::move(job_json);
    co_return json_response(req, http::status::ok, out);
  }
}

// DELETE /api/documents/:documentId: the document, its bytes and its chunks go (which
// frees its share of the storage quota); its processing job, when it has not ended, is
// cancelled. 404 for someone else's, as for a read.
net::awaitable<response> remove(api_context& app, route_request& r) {
  auto owned = owned_document(app, r, drover::app::text_slice::none());
  const auto doc = co_await std::move(owned);
  const std::string id = doc.id;
  auto* db = &app.db;
  auto erase = [db, id]() { return db->delete_document(id); };
  const bool deleted = co_await app.in_db(erase, db_deadline);
  if (!deleted) throw document_not_found();
  // A job still waiting goes; a running one is stopped, and finds the document gone.
  try {
    std::string job_id = doc.job_id;
    std::string reason = "document deleted";
    co_await app.documents_queue.cancel(job_id, reason);
  } catch (const std::exception& e) {
    spdlog::warn("DELETE /api/documents/{}: job {} not cancelled: {}", id, doc.job_id, e.what());
  }
  json::object out;
  out["id"] = id;
  out["deleted"] = true;
  co_return json_response(r.req, http::status::ok, out);
}

}  // namespace

void add_document_routes(route_table& table, api_context& app) {
  using v = http::verb;
  auto& uploads =
      table.add(v::post, "/api/documents", route_access::user, [&app](route_request& r) { return upload(app, r); });
  uploads.budget = route_budget::upload;
  uploads.upload_limit = upload_body_limit(app.cfg.document_limit);
  table.add(v::get, "/api/documents/:documentId", route_access::user, [&app](route_request& r) { return get(app, r); });
  table.add(v::delete_, "/api/documents/:documentId", route_access::user,
            [&app](route_request& r) { return remove(app, r); });
}

}  // namespace drover::api
