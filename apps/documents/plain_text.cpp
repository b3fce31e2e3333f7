// plain_text.cpp - plain text as it is (whitespace tidied), and the dispatch by type.
#include <algorithm>
#include <cctype>

#include "documents/byte_order_mark.hpp"
#include "documents/extracted_text.hpp"
#include "documents/text_cleanup.hpp"

namespace drover::documents {

namespace {

bool ends_with(const std::string& s, std::string_view suffix) { return s.ends_with(suffix); }

}  // namespace

extracted_text extract_plain_text(const std::string& bytes) {
  extracted_text out;
  out.text = clean_block(bytes);  // which also replaces invalid UTF-8
  return out;
}

std::optional<std::string> readable_media_type(std::string_view content_type, std::string_view filename,
                                               std::string_view bytes) {
  auto type = ascii_lower(content_type.substr(0, content_type.find(';')));
  // Spaces and tabs around it (HTTP's optional whitespace).
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.erase(0, 1);
  if (type == "application/pdf" || type == "application/x-pdf") return "application/pdf";
  if (type == "text/html" || type == "application/xhtml+xml") return "text/html";
  if (type == "text/markdown" || type == "text/x-markdown") return "text/markdown";
  if (type == "text/plain") return "text/plain";
  if (!type.empty() && type != "application/octet-stream") return std::nullopt;
  // No useful type: the file name, then the bytes.
  auto name = ascii_lower(filename);
  if (ends_with(name, ".pdf")) return "application/pdf";
  if (ends_with(name, ".html") || ends_with(name, ".htm") || ends_with(name, ".xhtml")) return "text/html";
  if (ends_with(name, ".md") || ends_with(name, ".markdown")) return "text/markdown";
  if (ends_with(name, ".txt") || ends_with(name, ".text")) return "text/plain";
  if (bytes.starts_with("%PDF-")) return "application/pdf";
  return std::nullopt;
}

extracted_text extract_text(const std::string& media_type, const std::string& bytes, const page_progress& progress) {
  extracted_text out;
  // Text formats: a byte order mark says the encoding (UTF-16 from Windows editors).
  const auto from_mark = media_type == "application/pdf" ? std::nullopt : utf8_from_byte_order_mark(bytes);
  const std::string& text = from_mark ? *from_mark : bytes;
  if (media_type == "application/pdf") {
    out = extract_pdf(bytes, progress);
  } else if (media_type == "text/html") {
    // libxml2 decodes the page's own charset, unless a mark said it already.
    out = extract_html(text, from_mark ? html_encoding::utf8 : html_encoding::as_declared);
  } else if (media_type == "text/markdown") {
    out = extract_markdown(text);  // cmark replaces invalid UTF-8 itself
  } else if (media_type == "text/plain") {
    out = extract_plain_text(text);
  } else {
    throw unreadable_document("documents of type '" + media_type + "' cannot be read");
  }
  if (out.text.empty()) throw unreadable_document("the document has no text to extract");
  if (out.title) out.title = cut_title(std::move(*out.title));
  return out;
}

}  // namespace drover::documents
