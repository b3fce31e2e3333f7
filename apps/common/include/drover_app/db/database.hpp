// database.hpp - the apps' relational store (chat history, assessments, job logs,
// uploaded documents and their searchable chunks)
// over SQLite or PostgreSQL, chosen by URL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace drover::app {

// Thrown when the database fails: cannot connect, connection lost, a constraint
// violated, a statement failed. what() names the operation and its subject, then
// the driver's message ("adding a message to conversation 'c1': FOREIGN KEY ...").
// URLs in messages are redacted (no passwords).
class database_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The database cannot write now, whatever is written: its disk is full, it is out of
// memory or read-only, an I/O error. A passing state, like a lost connection, not a
// refusal of the data: a writer keeps what it has for later rather than dropping it.
class database_unwritable : public database_error {
 public:
  using database_error::database_error;
};

// One chat message. Timestamps are milliseconds since the Unix epoch.
struct message {
  std::int64_t id = 0;
  std::string conversation_id;
  std::string role;  // user | assistant | system
  std::string content;
  std::optional<std::string> job_id;  // the job that produced or consumes it
  std::int64_t created_at_ms = 0;
};

// One step in a job's life, as the workers report it. Fields left empty keep the
// value stored by an earlier update.
struct job_log_update {
  std::string queue;
  std::string job_id;
  std::string job_type;  // the job's name
  std::string status;    // pending | processing | completed | failed
  std::optional<std::string> user_id;
  std::optional<std::string> payload_json;  // must be valid JSON
  std::optional<std::string> result_json;   // must be valid JSON
  std::optional<std::string> error_message;
  std::optional<std::string> error_stack;
  std::optional<int> attempts;
  std::int64_t at_ms = 0;  // when it happened; 0 means now
  // The job's first event (its "added" entry): a row of the same id last written before
  // it is an earlier job's (ids restart when Redis loses its data) and is replaced, so
  // that the new job's outcome is never read under the earlier job's owner.
  bool begins = false;
};

// A job_logs row.
struct job_log {
  std::int64_t id = 0;
  std::string queue;
  std::string job_id;
  std::string job_type;
  std::string status;
  std::optional<std::string> user_id;
  std::optional<std::string> payload_json;  // PostgreSQL returns JSONB's normal form
  std::optional<std::string> result_json;
  std::optional<std::string> error_message;
  std::optional<std::string> error_stack;
  int attempts = 0;
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> started_at_ms;    // last time it became processing
  std::optional<std::int64_t> completed_at_ms;  // when it became completed or failed
  std::int64_t updated_at_ms = 0;
};

// An uploaded document and what processing learned about it (documents table).
// Status moves queued -> processing -> ready | failed; `error` says why it failed.
struct document {
  std::string id;
  std::optional<std::string> conversation_id;  // the conversation whose prompts may cite it
  std::optional<std::string> user_id;          // who uploaded it; none for uploads before migration 3
  std::string filename;
  std::string content_type;  // the normalized media type, e.g. application/pdf
  std::int64_t size_bytes = 0;
  std::string job_id;  // its document-processing job
  std::string status = "queued";
  std::optional<std::string> error;
  std::optional<std::string> title;
  std::optional<int> page_count;
  std::optional<std::int64_t> word_count;
  std::optional<int> chunk_count;
  std::optional<std::string> text;         // the bytes of the extracted text asked for (text_slice), once ready
  std::int64_t text_from = 0;              // where `text` starts in the whole text, in bytes
  std::optional<std::int64_t> text_bytes;  // the whole text's length in bytes, once ready
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

// Which bytes of a document's extracted text a read brings: a text is up to
// DOCUMENT_MAX_BYTES times its expansion, and a reader wants a page of it (or none), not
// the whole of it on every request (a security review made the database unavailable to
// everyone by reading a 19 MB text 30 times at once).
struct text_slice {
  std::int64_t from = 0;    // bytes
  std::int64_t bytes = -1;  // -1: to the end; 0: none
  static text_slice none() { return {0, 0}; }
};

// What processing produced: the metadata and the chunks, stored in one go.
struct document_extraction {
  std::optional<std::string> title;
  std::optional<int> page_count;
  std::int64_t word_count = 0;
  std::string text;
  std::vector<std::string> chunks;  // in document order
};

// A chunk found by full-text search, best first.
struct chunk_match {
  std::string document_id;
  std::string document_name;  // the title, else the filename
  int seq = 0;                // its position in the document, from 0
  std::string content;
  double score = 0;  // higher is better (backend-specific scale)
};

// What POST /api/chat/send stores and reads: see database::save_user_message.
struct saved_user_message {
  std::int64_t message_id = 0;
  std::vector<message> history;           // the newest messages before it, oldest first
  std::optional<std::string> assessment;  // as get_assessment
};

// One request of database::save_user_messages: save_user_message's arguments.
struct user_message_to_save {
  std::string conversation_id;
  std::string user_id;
  std::string content;
  std::size_t history_limit = 20;
  bool require_owner = true;
};

// What save_user_messages answers for one request: save_user_message's result
// (std::nullopt: refused), or the error that request alone met.
struct user_message_outcome {
  std::optional<saved_user_message> saved;
  std::exception_ptr error;
};

// What database::save_user_message_once answers: the message stored under the key, by
// this call or by an earlier one (`duplicate`).
struct keyed_user_message {
  saved_user_message saved;  // the message's id, the history before it, the assessment
  bool duplicate = false;    // the key was taken: nothing was written
  // The stored message's; a duplicate's may differ from the request's (the caller's key
  // reused for another message): then `saved` holds its id alone.
  std::string conversation_id;
  std::string content;
  std::optional<std::string> job_id;  // the job recorded for it by set_message_job, if any
};

// A connection to the apps' database. Make one with open_database().
// Thread safety: every method may be called from any thread. SQLite serializes the
// calls on one object (one connection); PostgreSQL runs up to 4 at once, each on a
// connection of its own, and a call that finds all 4 busy waits at most pool_timeout
// for one (then database_error "no database connection free within ...").
// Every method throws database_error when the database fails. PostgreSQL outages:
// while the server is down every call throws; the first call after it is back
// reconnects and succeeds (a connection the server closed while idle is replaced
// before use). A statement running past statement_timeout fails with database_error;
// a server that vanishes without closing its sockets is noticed by TCP keepalives
// (about 60 s of silence) or by the statement timeout, whichever comes first.
class database {
 public:
  virtual ~database() = default;

  // "sqlite" or "postgres".
  virtual std::string_view backend() const = 0;

  // Applies the migrations not yet recorded in schema_migrations, each in its own
  // transaction, in version order; returns the versions applied by this call
  // (empty when the schema is current). Safe to run from several processes at once.
  virtual std::vector<int> migrate() = 0;

  // A trivial query; throws database_error when the database is unreachable.
  virtual void ping() = 0;

  // Creates the conversation unless it exists (an existing owner is kept).
  virtual void ensure_conversation(const std::string& id, const std::string& user_id) = 0;

  // The user who owns the conversation (conversations.user_id: who created it, or
  // "unknown" when add_message created it), or std::nullopt when it does not exist.
  virtual std::optional<std::string> conversation_owner(const std::string& id) = 0;

  // Appends a message and returns its id. Creates the conversation, owned by
  // "unknown", when it is missing. A role outside user|assistant|system throws.
  virtual std::int64_t add_message(const std::string& conversation_id, const std::string& role,
                                   const std::string& content, std::optional<std::string> job_id) = 0;

  // add_message, unless a message with this idempotency key exists: then nothing
  // is written and std::nullopt is returned. Race-free across threads and
  // processes (the key is UNIQUE), so a webhook delivered twice saves once.
  virtual std::optional<std::int64_t> add_message_once(const std::string& idempotency_key,
                                                       const std::string& conversation_id, const std::string& role,
                                                       const std::string& content,
                                                       std::optional<std::string> job_id) = 0;

  // The newest `limit` messages of the conversation (with `before`, the newest of those
  // whose id is below it: the page before a message), oldest first; empty when the
  // conversation has none or does not exist.
  virtual std::vector<message> list_messages(const std::string& conversation_id, std::size_t limit = 100,
                                             std::optional<std::int64_t> before = std::nullopt) = 0;

  // POST /api/chat/send's database work in one call, so that a backend can do it in
  // one round trip: makes sure of the conversation (owned by user_id when new), reads
  // its newest `history_limit` messages, appends the user's message after them and
  // reads the user's assessment.
  // Returns std::nullopt, having written nothing, when `require_owner` and the
  // conversation belongs to another user; also when another user creates the same new
  // id at the same moment: exactly one of them gets it, and the other's message never
  // lands in it. With `require_owner` false an existing owner is kept and the message
  // appended whoever owns it. The default makes the calls above in turn.
  virtual std::optional<saved_user_message> save_user_message(const std::string& conversation_id,
                                                              const std::string& user_id, const std::string& content,
                                                              std::size_t history_limit, bool require_owner = true);

  // save_user_message for many requests at once (the API's group commit, issue 15),
  // answering one outcome per request in order. Each is checked and refused on its own,
  // as if sent alone; requests for one conversation in one batch do not see each other
  // in their history (as two requests at the same moment may not), and are stored in
  // the batch's order. A request the database refuses whole (a malformed text) fails
  // alone. Throws database_error, with nothing answered, when the batch as a whole
  // fails: the database unreachable, a connection lost mid-statement (outcome unknown),
  // a timeout. PostgreSQL does it in one statement; the default calls
  // save_user_message for each in turn, every error an outcome of its own.
  virtual std::vector<user_message_outcome> save_user_messages(const std::vector<user_message_to_save>& batch);

  // save_user_message for a send with an idempotency key (the API's Idempotency-Key,
  // scoped to its user by the caller): the first call for a key stores the message under
  // it; a later call writes nothing and answers the stored message (`duplicate`) with the
  // newest `history_limit` messages before it, as the first call read them unless
  // messages were added around it since. Refused (std::nullopt) as save_user_message, for
  // a key not yet used. The default makes the calls below in turn; the key is UNIQUE, so
  // two calls with one key at once store it once.
  virtual std::optional<keyed_user_message> save_user_message_once(const std::string& idempotency_key,
                                                                   const user_message_to_save& m);

  // The message stored under the idempotency key, or std::nullopt.
  virtual std::optional<message> find_message_by_key(const std::string& idempotency_key) = 0;

  // Records the job a user's message was sent to, unless one is recorded other than
  // `replacing` (the job of the message that Redis lost, queued again); returns whether
  // it was written (false: no such message, or another job already there).
  virtual bool set_message_job(std::int64_t message_id, const std::string& job_id,
                               const std::optional<std::string>& replacing) = 0;

  // The job ids recorded most recently for the chat queue `queue`: those of the newest
  // `limit` messages that have one and of its newest `limit` job_logs rows. The ids
  // BullMQ's counter gave last are among them, which the API keeps Redis from giving
  // again after it lost its data (app_queue::keep_ids_above).
  virtual std::vector<std::string> recent_job_ids(const std::string& queue, std::size_t limit) = 0;

  // Stores the user's assessment (a JSON document), replacing an earlier one.
  virtual void put_assessment(const std::string& user_id, const std::string& json) = 0;

  // The stored JSON (PostgreSQL returns JSONB's normal form: same value, its own
  // spacing and key order), or std::nullopt when the user has none.
  virtual std::optional<std::string> get_assessment(const std::string& user_id) = 0;

  // Applies the updates in order, in one transaction (all or nothing). Each one
  // upserts the row keyed by (queue, job_id):
  //   1. a new row gets created_at = at;
  //   2. processing sets started_at, completed and failed set completed_at, and
  //      updated_at is always set;
  //   3. a row never moves backwards (pending < processing < completed|failed): an
  //      update whose status ranks below the stored one is dropped whole, so a late
  //      "processing" cannot undo "completed". Equal ranks apply (a retry's second
  //      "processing", or "completed" after "failed");
  //   4. fields an update leaves empty keep their stored values, but for "completed",
  //      which keeps no error of an earlier failure.
  // An unknown status throws std::invalid_argument before anything is written.
  virtual void record_job_logs(const std::vector<job_log_update>& batch) = 0;

  // record_job_logs(batch) and, in the same transaction, `position` stored as the last
  // entry of the events stream `stream` whose updates are in the database. A relay that
  // resumes from event_stream_position() after a crash therefore misses no update, and
  // re-applies at most ones already stored, which the rules above make harmless when
  // `at` is the event's own time. An empty batch stores the position alone.
  virtual void record_job_logs_at(const std::vector<job_log_update>& batch, const std::string& stream,
                                  const std::string& position) = 0;

  // The position record_job_logs_at last stored for `stream`; std::nullopt when none.
  virtual std::optional<std::string> event_stream_position(const std::string& stream) = 0;

  // Rows of `queue` that are not final (pending or processing), oldest first, at most
  // `limit`: what a relay must reconcile when the events it missed are gone.
  virtual std::vector<job_log> unfinished_job_logs(const std::string& queue, std::size_t limit) = 0;

  // Stores an upload (status queued, its bytes kept until processing has read them)
  // under doc.id, which the caller chose. Timestamps are set here.
  virtual void add_document(const document& doc, const std::string& content) = 0;

  // The document without its upload's bytes, with the slice of its extracted text asked
  // for (by default all of it), or std::nullopt when no document has this id.
  virtual std::optional<document> get_document(const std::string& id, text_slice slice) = 0;
  std::optional<document> get_document(const std::string& id) { return get_document(id, text_slice{}); }

  // The bytes of the upload; std::nullopt when the document does not exist.
  virtual std::optional<std::string> get_document_content(const std::string& id) = 0;

  // What `user_id`'s uploads hold: the bytes of all of them (the storage quota's reading)
  // and how many are queued or processing and changed since `unfinished_since_ms` (the
  // cap on unfinished documents'; an older one is stuck, its job gone, and must not hold
  // its user back for good).
  struct document_usage {
    std::int64_t stored_bytes = 0;
    std::int64_t unfinished = 0;
  };
  virtual document_usage user_document_usage(const std::string& user_id, std::int64_t unfinished_since_ms) = 0;

  // Deletes the document, its bytes and its chunks. Returns false when it did not exist.
  virtual bool delete_document(const std::string& id) = 0;

  // Sets status processing (clearing an earlier error) or failed (with `error`).
  // Returns false when the document does not exist.
  virtual bool set_document_status(const std::string& id, const std::string& status,
                                   std::optional<std::string> error) = 0;

  // Replaces the document's chunks and metadata with `x` and marks it ready, in one
  // transaction. Returns false when the document does not exist.
  virtual bool store_document_extraction(const std::string& id, const document_extraction& x) = 0;

  // The chunks of the conversation's ready documents that best match the words of
  // `query` (any of them; SQLite FTS5 bm25, PostgreSQL ts_rank over an English
  // tsvector), best first, at most `limit`. Empty when nothing matches or the query
  // has no words; punctuation and search operators in `query` are ignored.
  virtual std::vector<chunk_match> search_document_chunks(const std::string& conversation_id, const std::string& query,
                                                          std::size_t limit) = 0;

  // std::nullopt when no row has this (queue, job_id).
  virtual std::optional<job_log> get_job_log(const std::string& queue, const std::string& job_id) = 0;

  // The newest rows first (by insertion), only those with `status` when given.
  virtual std::vector<job_log> list_job_logs(std::optional<std::string> status, std::size_t limit = 100) = 0;
};

// Opens the database named by `url`:
//   postgres://user:pass@host:port/db?params, postgresql://...  PostgreSQL (libpq's
//     URI syntax; connect_timeout=10, keepalives=1, keepalives_idle=30,
//     keepalives_interval=10 and keepalives_count=3 are added unless given; drover's
//     own statement_timeout=<ms>, default 5000, 0 for none, and pool_timeout=<ms>,
//     default 5000, are taken off before libpq sees the URL);
//   sqlite:///abs/path.db, sqlite://relative/path.db, sqlite:path.db,
//   sqlite::memory:, or a plain file path                        SQLite (WAL,
//     busy_timeout 5000 ms, foreign keys on; the file's directory is created).
// Does not migrate: call migrate() once at startup. Throws std::invalid_argument
// for an empty URL, an unknown scheme or a malformed statement_timeout or pool_timeout, and database_error when the
// database cannot be opened or reached.
std::unique_ptr<database> open_database(const std::string& url);

// db.migrate(), said in the log: a warning when every table was made now (a first start,
// or the apps' database gone or moved away, so that the API and the Workers app may now
// use different ones: whichever app starts on the empty database says so), else how many
// migrations were applied. `url` names the database (redacted).
void migrate_and_say(database& db, const std::string& url);

// The URL the apps use when none is configured.
inline constexpr std::string_view default_database_url = "sqlite://var/drover.db";

}  // namespace drover::app
