// markdown_text.cpp - text of a Markdown document through libcmark: parsed to the
// CommonMark tree, then written out as plain text (markup gone, blocks as paragraphs).
#include <cmark.h>

#include <memory>

#include "documents/extracted_text.hpp"
#include "documents/text_cleanup.hpp"

namespace drover::documents {

namespace {

bool is_block(cmark_node_type t) {
  switch (t) {
    case CMARK_NODE_PARAGRAPH:
    case CMARK_NODE_HEADING:
    case CMARK_NODE_ITEM:
    case CMARK_NODE_CODE_BLOCK:
    case CMARK_NODE_BLOCK_QUOTE:
    case CMARK_NODE_HTML_BLOCK:
    case CMARK_NODE_THEMATIC_BREAK:
      return true;
    default:
      return false;
  }
}

}  // namespace

extracted_text extract_markdown(const std::string& bytes) {
  std::unique_ptr<cmark_node, decltype(&cmark_node_free)> root(
      cmark_parse_document(bytes.data(), bytes.size(), CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8), &cmark_node_free);
  if (!root) throw unreadable_document("the Markdown document could not be parsed");
  std::unique_ptr<cmark_iter, decltype(&cmark_iter_free)> it(cmark_iter_new(root.get()), &cmark_iter_free);

  extracted_text out;
  std::string text;
  std::string heading;    // text of the first level-1 heading, while inside it
  int title_heading = 0;  // 1 while inside the first level-1 heading, 2 after it
  for (auto ev = cmark_iter_next(it.get()); ev != CMARK_EVENT_DONE; ev = cmark_iter_next(it.get())) {
    cmark_node* n = cmark_iter_get_node(it.get());
    auto type = cmark_node_get_type(n);
    if (ev == CMARK_EVENT_ENTER && type == CMARK_NODE_HEADING && title_heading == 0 &&
        cmark_node_get_heading_level(n) == 1) {
      title_heading = 1;
    }
    if (is_block(type)) {
      text += "\n\n";
      if (ev == CMARK_EVENT_EXIT && type == CMARK_NODE_HEADING && title_heading == 1) title_heading = 2;
      if (ev == CMARK_EVENT_ENTER && (type == CMARK_NODE_CODE_BLOCK || type == CMARK_NODE_HTML_BLOCK)) {
        if (const char* lit = cmark_node_get_literal(n)) text += lit;
      }
      continue;
    }
    if (ev != CMARK_EVENT_ENTER) continue;
    std::string piece;
    switch (type) {
      case CMARK_NODE_TEXT:
      case CMARK_NODE_CODE:
        if (const char* lit = cmark_node_get_literal(n)) piece = lit;
        break;
      case CMARK_NODE_SOFTBREAK:
        piece = " ";
        break;
      case CMARK_NODE_LINEBREAK:
        piece = "\n";
        break;
      default:
        break;
    }
    text += piece;
    if (title_heading == 1) heading += piece;
  }
  out.text = clean_block(text);
  if (auto t = clean_inline(heading); !t.empty()) out.title = t;
  return out;
}

}  // namespace drover::documents
