// extraction_records.hpp - what the extraction helper (drover-extract) writes on its
// stdout and the Workers app reads back: a stream of records, each "<tag> <length>\n"
// followed by <length> bytes. Length-prefixed rather than delimited so that any text,
// binary or not, passes unchanged; small enough to need no JSON in the helper.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "documents/extracted_text.hpp"

namespace drover::documents {

// The records, in the order the helper writes them.
enum class record_tag : char {
  progress = 'P',    // "<done> <total>", after each PDF page
  title = 'T',       // the title, when there is one
  page_count = 'N',  // decimal, PDFs only
  text = 'X',        // the text; the last record of a success
  unreadable = 'U',  // the reason the upload cannot be read (unreadable_document)
};

// Appends one record to `out`.
void append_record(std::string& out, record_tag tag, std::string_view payload);

// The writer's side: the records of a whole result.
std::string result_records(const extracted_text& text);
std::string progress_record(int done, int total);

// Reads records from bytes that arrive in pieces, as from a pipe.
// Thread safety: none; one reader per stream.
class record_reader {
 public:
  // Called for each progress record as soon as it is complete; may throw, and the
  // exception leaves feed().
  explicit record_reader(page_progress progress) : progress_(std::move(progress)) {}

  // Takes the next bytes of the stream. Throws std::runtime_error for bytes that are
  // not records (the helper and this reader disagree: a bug, not a bad upload).
  void feed(std::string_view bytes);

  // After the stream ended: the result when a text record arrived.
  std::optional<extracted_text> result() const;
  // The reason of an unreadable record, if one arrived.
  const std::optional<std::string>& unreadable() const { return unreadable_; }

 private:
  void take(record_tag tag, std::string payload);

  page_progress progress_;
  std::string pending_;
  extracted_text text_;
  bool have_text_ = false;
  std::optional<std::string> unreadable_;
};

}  // namespace drover::documents
