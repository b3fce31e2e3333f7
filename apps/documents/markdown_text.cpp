// markdown_text.cpp - text of a Markdown document through libcmark: rendered to HTML, raw
// HTML kept, then read as an HTML page is (html_text.cpp), so that what a reader of the
// rendered page sees is the text: markup gone, blocks as paragraphs, raw HTML read as HTML
// (its comments and hidden parts gone, <br> a line break, table cells apart).
#include <cmark.h>

#include <cstdlib>
#include <memory>

#include "documents/extracted_text.hpp"

namespace drover::documents {

extracted_text extract_markdown(const std::string& bytes) {
  // CMARK_OPT_UNSAFE keeps raw HTML in the rendering, to be read as HTML rather than as
  // text: without it cmark writes a placeholder comment, and a page's own HTML (a table,
  // a <details>) would be lost.
  const int options = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_UNSAFE;
  std::unique_ptr<cmark_node, decltype(&cmark_node_free)> root(
      cmark_parse_document(bytes.data(), bytes.size(), options), &cmark_node_free);
  if (!root) throw unreadable_document("the Markdown document could not be parsed");
  std::unique_ptr<char, decltype(&std::free)> html(cmark_render_html(root.get(), options), &std::free);
  if (!html) throw unreadable_document("the Markdown document could not be parsed");
  const std::string page(html.get());
  if (page.find_first_not_of(" \t\r\n") == std::string::npos) return {};
  // The first level-1 heading is the title, as extract_html takes a page's first <h1>
  // when it has no <title>.
  return extract_html(page, html_encoding::utf8);
}

}  // namespace drover::documents
