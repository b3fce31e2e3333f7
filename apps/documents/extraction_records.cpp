// extraction_records.cpp - writing and reading the helper's record stream.
#include "documents/extraction_records.hpp"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

namespace drover::documents {

namespace {

// A header is a tag, a space, at most 20 digits and a newline.
constexpr std::size_t max_header = 24;

template <typename T = int>
T number(std::string_view s, std::string_view what) {
  T v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    throw std::runtime_error(fmt::format("extraction helper: malformed {} record '{}'", what, s));
  }
  return v;
}

bool known(char tag) {
  switch (static_cast<record_tag>(tag)) {
    case record_tag::progress:
    case record_tag::title:
    case record_tag::page_count:
    case record_tag::text:
    case record_tag::unreadable:
      return true;
  }
  return false;
}

}  // namespace

void append_record(std::string& out, record_tag tag, std::string_view payload) {
  out += fmt::format("{} {}\n", static_cast<char>(tag), payload.size());
  out += payload;
}

std::string result_records(const extracted_text& text) {
  std::string out;
  if (text.title) append_record(out, record_tag::title, *text.title);
  if (text.page_count) append_record(out, record_tag::page_count, std::to_string(*text.page_count));
  append_record(out, record_tag::text, text.text);
  return out;
}

std::string progress_record(int done, int total) {
  std::string out;
  append_record(out, record_tag::progress, fmt::format("{} {}", done, total));
  return out;
}

void record_reader::feed(std::string_view bytes) {
  pending_ += bytes;
  std::size_t at = 0;
  for (;;) {
    auto nl = pending_.find('\n', at);
    if (nl == std::string::npos) {
      if (pending_.size() - at > max_header) throw std::runtime_error("extraction helper: a record header is too long");
      break;
    }
    std::string_view header(pending_.data() + at, nl - at);
    // The same limit whether the newline came in this piece or not (found by fuzzing).
    if (header.size() > max_header) throw std::runtime_error("extraction helper: a record header is too long");
    if (header.size() < 3 || header[1] != ' ' || !known(header[0])) {
      throw std::runtime_error(fmt::format("extraction helper: not a record header: '{}'", header.substr(0, 40)));
    }
    auto length = number<std::size_t>(header.substr(2), "length");
    if (pending_.size() - (nl + 1) < length) break;
    take(static_cast<record_tag>(header[0]), pending_.substr(nl + 1, length));
    at = nl + 1 + length;
  }
  pending_.erase(0, at);
}

void record_reader::take(record_tag tag, std::string payload) {
  switch (tag) {
    case record_tag::progress: {
      auto space = payload.find(' ');
      if (space == std::string::npos) throw std::runtime_error("extraction helper: malformed progress record");
      int done = number(std::string_view(payload).substr(0, space), "progress");
      int total = number(std::string_view(payload).substr(space + 1), "progress");
      if (progress_) progress_(done, total);
      break;
    }
    case record_tag::title:
      text_.title = std::move(payload);
      break;
    case record_tag::page_count:
      text_.page_count = number(payload, "page count");
      break;
    case record_tag::text:
      text_.text = std::move(payload);
      have_text_ = true;
      break;
    case record_tag::unreadable:
      unreadable_ = std::move(payload);
      break;
  }
}

std::optional<extracted_text> record_reader::result() const {
  if (!have_text_) return std::nullopt;
  return text_;
}

}  // namespace drover::documents
