// backend_support.hpp - what both database backends share: the order of job
// statuses, and checking a job log batch before it is written (the clock is
// drover_app/clock.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <drover_app/clock.hpp>
#include <drover_app/db/database.hpp>

namespace drover::app::detail {

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

// Unicode punctuation and spaces that separate words like ASCII punctuation does:
// Latin-1 signs (no-break space, guillemets, middle dot...), the General Punctuation
// block (typographic quotes, dashes, thin spaces), CJK and fullwidth punctuation.
inline bool is_unicode_separator(char32_t c) {
  return (c >= 0xA0 && c <= 0xBF && c != 0xAA && c != 0xB5 && c != 0xBA) || c == 0xD7 || c == 0xF7 ||
         (c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFF0F) || c == 0xFEFF;
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
    std::size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    char32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    bool ok = len > 0 && i + len <= query.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(query[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!ok || is_unicode_separator(cp)) {
      flush();
      i += ok ? len : 1;
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
