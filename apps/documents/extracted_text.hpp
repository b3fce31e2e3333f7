// extracted_text.hpp - turning an upload into plain text: one function per format we
// read, and the dispatch by media type. Pure CPU work (no I/O); call it off the event loop.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace drover::documents {

// What extraction learned. `text` is UTF-8 with paragraphs separated by blank lines,
// the boundaries chunking prefers.
struct extracted_text {
  std::optional<std::string> title;
  std::optional<int> page_count;  // PDFs only
  std::string text;
};

// The upload cannot be read, and trying again will not change that (a corrupt or
// encrypted PDF, a type we do not read). what() is the reason shown to the user.
class unreadable_document : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Called after each PDF page with (pages done, pages in all).
using page_progress = std::function<void(int done, int total)>;

// The media types we read, normalized (lowercase, without parameters):
// application/pdf, text/html, text/markdown, text/plain. std::nullopt for others.
// `content_type` may carry parameters ("text/html; charset=utf-8"); aliases map to
// the names above (application/xhtml+xml, text/x-markdown). application/octet-stream
// or an empty type is decided by the file name's extension, then by the bytes.
std::optional<std::string> readable_media_type(std::string_view content_type, std::string_view filename,
                                               std::string_view bytes);

// Each throws unreadable_document when the bytes cannot be read as that format.
extracted_text extract_pdf(const std::string& bytes, const page_progress& progress);
// How extract_html learns the page's encoding: from the page (its meta charset; UTF-8
// when it names none), or UTF-8 whatever the page says (the caller decoded it already).
enum class html_encoding { as_declared, utf8 };
// Where the title comes from: the page's <title>, else its first <h1>; or only the first
// <h1> (a Markdown document's, whose raw HTML may hold a <title> too).
enum class html_title { title_element, first_h1 };
// By value: the page is let go once parsed, so that a large one fits the extraction's memory.
extracted_text extract_html(std::string page, html_encoding encoding = html_encoding::as_declared,
                            html_title title_from = html_title::title_element);
extracted_text extract_markdown(const std::string& bytes);
extracted_text extract_plain_text(const std::string& bytes);

// Dispatches on a media type readable_media_type() returned; throws
// unreadable_document for any other.
extracted_text extract_text(const std::string& media_type, const std::string& bytes, const page_progress& progress);

}  // namespace drover::documents
