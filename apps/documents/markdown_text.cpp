// markdown_text.cpp - text of a Markdown document through libcmark: rendered to HTML, raw
// HTML kept, then read as an HTML page is (html_text.cpp), so that what a reader of the
// rendered page sees is the text: markup goes, blocks are paragraphs, raw HTML is read as
// HTML (its comments and hidden parts gone, <br> a line break, table cells apart).
#include <cmark.h>

#include <array>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "documents/extracted_text.hpp"
#include "documents/skipped_elements.hpp"
#include "documents/text_cleanup.hpp"

namespace drover::documents {

namespace {

// Besides the elements extract_html skips, those whose content libxml2 takes as raw text
// or as the title: an unclosed one hides what follows it too.
constexpr std::array raw_or_title = {"title", "textarea", "noembed", "noframes"};

// The element a raw HTML literal opens with, if it is one of those and the literal does
// not close it too: Markdown that names a tag in prose ("put it in a <script> tag") would
// otherwise hide every word after it, without an error (a diff review).
bool opens_unclosed_hiding_element(std::string_view literal) {
  const auto text = ascii_lower(literal);
  std::vector<std::string_view> hiding(skipped_elements.begin(), skipped_elements.end());
  hiding.insert(hiding.end(), raw_or_title.begin(), raw_or_title.end());
  for (std::string_view name : hiding) {
    const std::string open = "<" + std::string(name);
    const auto at = text.find(open);
    if (at == std::string::npos) continue;
    const auto after = at + open.size();
    if (after < text.size() && !std::isspace(static_cast<unsigned char>(text[after])) && text[after] != '>' &&
        text[after] != '/') {
      continue;  // "<scripts>", another name
    }
    if (text.find("</" + std::string(name), after) == std::string::npos) return true;
  }
  return false;
}

// Such raw HTML becomes text: it shows as written, as the author meant it.
void raw_hiding_html_as_text(cmark_node* root) {
  std::vector<cmark_node*> found;
  std::unique_ptr<cmark_iter, decltype(&cmark_iter_free)> it(cmark_iter_new(root), &cmark_iter_free);
  for (auto ev = cmark_iter_next(it.get()); ev != CMARK_EVENT_DONE; ev = cmark_iter_next(it.get())) {
    cmark_node* n = cmark_iter_get_node(it.get());
    const auto type = cmark_node_get_type(n);
    if (ev != CMARK_EVENT_ENTER || (type != CMARK_NODE_HTML_INLINE && type != CMARK_NODE_HTML_BLOCK)) continue;
    const char* literal = cmark_node_get_literal(n);
    if (literal && opens_unclosed_hiding_element(literal)) found.push_back(n);
  }
  for (cmark_node* n : found) {
    const bool block = cmark_node_get_type(n) == CMARK_NODE_HTML_BLOCK;
    cmark_node* text = cmark_node_new(CMARK_NODE_TEXT);
    cmark_node_set_literal(text, cmark_node_get_literal(n));
    if (block) {
      cmark_node* paragraph = cmark_node_new(CMARK_NODE_PARAGRAPH);
      cmark_node_append_child(paragraph, text);
      cmark_node_replace(n, paragraph);
    } else {
      cmark_node_replace(n, text);
    }
    cmark_node_free(n);
  }
}

}  // namespace

extracted_text extract_markdown(const std::string& bytes) {
  // CMARK_OPT_UNSAFE keeps raw HTML in the rendering, to be read as HTML rather than as
  // text: without it cmark writes a placeholder comment, and a page's own HTML (a table,
  // a <details>) would be lost.
  const int options = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_UNSAFE;
  std::unique_ptr<cmark_node, decltype(&cmark_node_free)> root(
      cmark_parse_document(bytes.data(), bytes.size(), options), &cmark_node_free);
  if (!root) throw unreadable_document("the Markdown document could not be parsed");
  raw_hiding_html_as_text(root.get());
  std::unique_ptr<char, decltype(&std::free)> html(cmark_render_html(root.get(), options), &std::free);
  if (!html) throw unreadable_document("the Markdown document could not be parsed");
  // The tree (ten times the document) and the rendering go before the page is parsed
  // again: held together, a 12 MiB document passed 512 MiB (a documents review).
  root.reset();
  std::string page(html.get());
  html.reset();
  if (page.find_first_not_of(" \t\r\n") == std::string::npos) return {};
  // The first level-1 heading is the title, never a <title> in the document's raw HTML
  // (it may be hidden; a raw <title> left open is text, above).
  return extract_html(std::move(page), html_encoding::utf8, html_title::first_h1);
}

}  // namespace drover::documents
