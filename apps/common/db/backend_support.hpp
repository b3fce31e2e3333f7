// backend_support.hpp - what both database backends share: the operations they
// declare, the order of job statuses, checking a job log batch before it is written,
// the words of a search and the limit of a read (the clock is drover_app/clock.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <drover_app/clock.hpp>
#include <drover_app/db/database.hpp>
#include <drover_app/utf8.hpp>

// The operations of drover::app::database that every backend implements, declared once
// for both: each backend's class names this in its body and defines them in its .cpp.
// (backend() is each one's own inline; save_user_message has a default that a backend
// may override.)
#define DROVER_APP_DATABASE_OPERATIONS                                                                                 \
  std::vector<int> migrate() override;                                                                                 \
  void ping() override;                                                                                                \
  void ensure_conversation(const std::string& id, const std::string& user_id) override;                                \
  std::optional<std::string> conversation_owner(const std::string& id) override;                                       \
  std::int64_t add_message(const std::string& conversation_id, const std::string& role, const std::string& content,    \
                           std::optional<std::string> job_id) override;                                                \
  std::optional<std::int64_t> add_message_once(const std::string& idempotency_key, const std::string& conversation_id, \
                                               const std::string& role, const std::string& content,                    \
                                               std::optional<std::string> job_id) override;                            \
  std::vector<message> list_messages(const std::string& conversation_id, std::size_t limit,                            \
                                     std::optional<std::int64_t> before) override;                                     \
  std::optional<message> find_message_by_key(const std::string& idempotency_key) override;                             \
  bool set_message_job(std::int64_t message_id, const std::string& job_id,                                             \
                       const std::optional<std::string>& replacing) override;                                          \
  std::vector<std::string> recent_job_ids(const std::string& queue, std::size_t limit) override;                       \
  void put_assessment(const std::string& user_id, const std::string& json) override;                                   \
  std::optional<std::string> get_assessment(const std::string& user_id) override;                                      \
  void record_job_logs(const std::vector<job_log_update>& batch) override;                                             \
  void record_job_logs_at(const std::vector<job_log_update>& batch, const std::string& stream,                         \
                          const std::string& position) override;                                                       \
  std::optional<std::string> event_stream_position(const std::string& stream) override;                                \
  std::vector<job_log> unfinished_job_logs(const std::string& queue, std::size_t limit) override;                      \
  std::optional<job_log> get_job_log(const std::string& queue, const std::string& job_id) override;                    \
  std::vector<job_log> list_job_logs(std::optional<std::string> status, std::size_t limit) override;                   \
  void add_document(const document& doc, const std::string& content) override;                                         \
  std::optional<document> get_document(const std::string& id, text_slice slice) override;                              \
  std::optional<std::string> get_document_content(const std::string& id) override;                                     \
  document_usage user_document_usage(const std::string& user_id, std::int64_t unfinished_since_ms) override;           \
  bool delete_document(const std::string& id) override;                                                                \
  bool set_document_status(const std::string& id, const std::string& status, std::optional<std::string> error)         \
      override;                                                                                                        \
  bool store_document_extraction(const std::string& id, const document_extraction& x) override;                        \
  std::vector<chunk_match> search_document_chunks(const std::string& conversation_id, const std::string& query,        \
                                                  std::size_t limit) override;

namespace drover::app::detail {

// list_messages's `before` when none is given: above every message id.
inline constexpr std::int64_t no_message_after = std::numeric_limits<std::int64_t>::max();

// A row limit as the databases take it: a size_t past int64's range reads as "all".
inline std::int64_t clamp_limit(std::size_t limit) {
  constexpr auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(limit > max ? max : limit);
}

// A job log row only moves forward in this order; -1 for an unknown status. The
// SQL of both backends spells the same order as a CASE over the stored status.
inline int job_status_rank(std::string_view status) {
  if (status == "pending") return 0;
  if (status == "processing") return 1;
  if (status == "completed" || status == "failed") return 2;
  return -1;
}

// Throws std::invalid_argument naming the first bad update. Checked up front
// because an unknown status would otherwise be dropped by the rank comparison
// of an existing row instead of failing.
inline void check_job_log_batch(const std::vector<job_log_update>& batch) {
  for (const auto& u : batch) {
    if (job_status_rank(u.status) < 0) {
      throw std::invalid_argument("record_job_logs: unknown status '" + u.status + "' for job " + u.queue + "/" +
                                  u.job_id + " (pending|processing|completed|failed)");
    }
    if (u.queue.empty() || u.job_id.empty()) {
      throw std::invalid_argument("record_job_logs: an update has an empty queue or job id");
    }
  }
}

// Unicode punctuation, spaces and controls that separate words like ASCII punctuation
// does: the C1 controls (U+0085 is a line break), Latin-1 signs (no-break space,
// guillemets, middle dot...), the Ogham and Mongolian spaces, the General Punctuation
// block (typographic quotes, dashes, thin spaces), CJK and fullwidth punctuation. Every
// code point the C library counts as a space is among them: PostgreSQL's tsquery parser
// splits on those, and one inside a word broke the query (a security review, U+1680).
inline bool is_unicode_separator(char32_t c) {
  return (c >= 0x80 && c <= 0xBF && c != 0xAA && c != 0xB5 && c != 0xBA) || c == 0xD7 || c == 0xF7 || c == 0x1680 ||
         c == 0x180E || (c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFF0F) ||
         c == 0xFEFF;
}

// The words of a search query, lowercased, for a query that matches any of them:
// runs of ASCII letters and digits and of other Unicode characters (letters of other
// scripts) except punctuation and spaces, so that no operator of FTS5 or tsquery
// syntax ever reaches the database, and a word in typographic quotes is the word. At
// most 32, without repeats.
inline std::vector<std::string> search_words(std::string_view query) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty() && words.size() < 32) {
      bool seen = false;
      for (const auto& w : words) seen = seen || w == word;
      if (!seen) words.push_back(word);
    }
    word.clear();
  };
  for (std::size_t i = 0; i < query.size();) {
    unsigned char c = static_cast<unsigned char>(query[i]);
    if (c < 0x80) {
      if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')) {
        word += static_cast<char>(c);
      } else if (c >= 'A' && c <= 'Z') {
        word += static_cast<char>(c - 'A' + 'a');
      } else {
        flush();
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence; an invalid byte separates words.
    const std::size_t len = utf8_sequence(query, i);
    if (len == 0 || is_unicode_separator(utf8_code_point(query, i, len))) {
      flush();
      i += len == 0 ? 1 : len;
      continue;
    }
    word.append(query.substr(i, len));
    i += len;
  }
  flush();
  return words;
}

inline void check_document_status(const std::string& status) {
  if (status != "queued" && status != "processing" && status != "ready" && status != "failed") {
    throw std::invalid_argument("unknown document status '" + status + "' (queued|processing|ready|failed)");
  }
}

}  // namespace drover::app::detail
