// html_text.cpp - text of an HTML page through libxml2's HTML parser (the forgiving
// one browsers' error recovery inspired): visible text only, blocks as paragraphs.
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <memory>
#include <string_view>

#include <fmt/format.h>

#include "documents/extracted_text.hpp"
#include "documents/skipped_elements.hpp"
#include "documents/text_cleanup.hpp"

namespace drover::documents {

namespace {

constexpr std::size_t max_html_attributes = 1000;

// Elements that start a new paragraph.
constexpr std::array blocks = {"p",      "div",     "section", "article",    "header", "footer",   "nav",     "h1",
                               "h2",     "h3",      "h4",      "h5",         "h6",     "li",       "ul",      "ol",
                               "dl",     "dt",      "dd",      "blockquote", "pre",    "tr",       "table",   "hr",
                               "main",   "aside",   "figure",  "figcaption", "form",   "fieldset", "address", "body",
                               "option", "caption", "details", "summary",    "legend"};
// Elements whose text is a word of its own: table cells ("ProductPrice" was one word, and
// a search for the product found nothing).
constexpr std::array cells = {"td", "th"};
// Elements whose content is no part of the page's text wherever they are: a <title> in
// an inline icon is not the page's.
constexpr std::array foreign = {"svg", "math"};

bool named(const xmlNode* n, const char* name) {
  return n->name && std::strcmp(reinterpret_cast<const char*>(n->name), name) == 0;
}

template <std::size_t N>
bool in(const xmlNode* n, const std::array<const char*, N>& names) {
  return std::any_of(names.begin(), names.end(), [n](const char* name) { return named(n, name); });
}

std::string node_text(xmlNode* n) {
  std::unique_ptr<xmlChar, decltype(xmlFree)> s(xmlNodeGetContent(n), xmlFree);
  return s ? std::string(reinterpret_cast<const char*>(s.get())) : std::string();
}

// Calls enter(n) for each node from `first` on (its siblings included) in document
// order, and leave(n) once its children are done, for each node enter() returned true
// for: its children are walked only then. A loop over the parent links, not recursion:
// with HTML_PARSE_HUGE a page may nest as deep as it likes (unclosed <font> tags nest
// one level per line), and the stack must not grow with it.
template <class Enter, class Leave>
void walk_tree(xmlNode* first, Enter enter, Leave leave) {
  if (!first) return;
  xmlNode* const top = first->parent;
  xmlNode* n = first;
  for (;;) {
    if (enter(n)) {
      if (n->children) {
        n = n->children;
        continue;
      }
      leave(n);
    }
    while (!n->next) {
      n = n->parent;
      if (n == top) return;
      leave(n);
    }
    n = n->next;
  }
}

struct walker {
  std::string text;  // since the last edge of a <pre>: cleaned as one piece there
  std::string done;  // the cleaned pieces before it, paragraphs apart
  std::optional<std::string> first_h1;
  int pre_depth = 0;

  // The page's text: each <pre> cleaned keeping its lines' spaces, the rest as running text.
  std::string finish() {
    close_piece(clean_block(text));
    return std::move(done);
  }

  void close_piece(std::string cleaned) {
    text.clear();
    if (cleaned.empty()) return;
    if (!done.empty()) done += "\n\n";
    done += cleaned;
  }

  void walk(xmlNode* first) {
    walk_tree(
        first, [this](xmlNode* n) { return enter(n); }, [this](xmlNode* n) { leave(n); });
  }

  // Whether n's children are text to walk.
  bool enter(xmlNode* n) {
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
      append(reinterpret_cast<const char*>(n->content));
      return false;
    }
    if (n->type != XML_ELEMENT_NODE || in(n, skipped_elements) || hidden(n)) return false;
    if (in(n, cells) && !text.empty() && text.back() != ' ' && text.back() != '\n') text += ' ';
    if (named(n, "br")) {
      text += '\n';
      return false;
    }
    if (in(n, blocks)) text += "\n\n";
    if (!first_h1 && named(n, "h1")) first_h1 = clean_inline(node_text(n));
    if (named(n, "pre") && pre_depth++ == 0) close_piece(clean_block(text));
    return true;
  }

  // The hidden attribute, or an inline style of display: none: text no reader sees (a
  // page's hidden "ignore previous instructions" reached the model's prompt).
  static bool hidden(xmlNode* n) {
    if (xmlHasProp(n, reinterpret_cast<const xmlChar*>("hidden"))) return true;
    std::unique_ptr<xmlChar, decltype(xmlFree)> style(xmlGetProp(n, reinterpret_cast<const xmlChar*>("style")),
                                                      xmlFree);
    if (!style) return false;
    std::string css;
    for (const xmlChar* c = style.get(); *c; ++c) {
      if (!std::isspace(*c)) css += static_cast<char>(std::tolower(*c));
    }
    return css.find("display:none") != std::string::npos;
  }

  void leave(xmlNode* n) {
    if (named(n, "pre") && --pre_depth == 0) close_piece(clean_preformatted(text));
    if (in(n, blocks)) text += "\n\n";
  }

  // Inside <pre> spaces and line breaks are kept; elsewhere whitespace collapses as
  // browsers do.
  void append(const char* s) {
    if (!s) return;
    if (pre_depth > 0) {
      text += s;
      return;
    }
    for (; *s; ++s) {
      unsigned char c = static_cast<unsigned char>(*s);
      if (std::isspace(c)) {
        if (!text.empty() && text.back() != ' ' && text.back() != '\n') text += ' ';
      } else {
        text += static_cast<char>(c);
      }
    }
  }
};

// The page's <title>: the first outside what no reader sees (hidden, <noscript>, <svg>;
// <head> holds it). One inside a hidden <div> became the title, and the title goes into
// the model's prompt with every chunk (a documents review).
xmlNode* find_title(xmlNode* first) {
  xmlNode* found = nullptr;
  walk_tree(
      first,
      [&](xmlNode* n) {
        if (found || n->type != XML_ELEMENT_NODE) return false;
        if (named(n, "title")) {
          found = n;
          return false;
        }
        if (in(n, foreign) || walker::hidden(n)) return false;
        return named(n, "head") || !in(n, skipped_elements);
      },
      [](xmlNode*) {});
  return found;
}

// Drops an XHTML page's internal DTD subset (<!DOCTYPE html [ <!ENTITY ...> ]>), which the HTML
// parser does not read: its declarations became body text, and the page's <title> with
// them. Entities are never expanded either way (no XXE, no "billion laughs").
// Only a DOCTYPE that is the page's first markup, after a byte order mark, white space,
// an XML declaration and comments: one inside a comment or a script is no DTD.
void drop_internal_subset(std::string& bytes) {
  std::size_t i = bytes.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  for (;;) {
    i = bytes.find_first_not_of(" \t\r\n", i);
    if (i == std::string::npos) return;
    std::string_view end;
    if (bytes.compare(i, 5, "<?xml") == 0) {
      end = "?>";
    } else if (bytes.compare(i, 4, "<!--") == 0) {
      end = "-->";
    } else {
      break;
    }
    i = bytes.find(end, i);
    if (i == std::string::npos) return;
    i += end.size();
  }
  if (ascii_lower(bytes.substr(i, 9)) != "<!doctype") return;
  const auto doctype = i;
  const auto open = bytes.find_first_of("[>", doctype);
  if (open == std::string::npos || bytes[open] != '[') return;
  for (auto close = bytes.find(']', open); close != std::string::npos; close = bytes.find(']', close + 1)) {
    const auto after = bytes.find_first_not_of(" \t\r\n", close + 1);
    if (after != std::string::npos && bytes[after] == '>') {
      bytes.erase(open, close + 1 - open);
      return;
    }
  }
  return;
}

// libxml2 assumes ISO-8859-1 when a page names no charset; uploads are UTF-8 unless
// they say otherwise.
const char* assumed_encoding(const std::string& bytes) {
  return ascii_lower(bytes.substr(0, 2048)).find("charset") == std::string::npos ? "UTF-8" : nullptr;
}

// The most attributes one start tag has, counted as words outside quotes (an attribute
// written "a = b" counts twice; a bound needs no more). The text of <script> and <style>
// is no markup and is skipped.
std::size_t most_attributes_in_a_tag(std::string_view page) {
  const auto lower_equals = [](std::string_view s, std::string_view word) {
    return s.size() == word.size() && std::equal(s.begin(), s.end(), word.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == b;
           });
  };
  std::size_t most = 0;
  for (std::size_t i = page.find('<'); i != std::string_view::npos; i = page.find('<', i)) {
    ++i;
    if (i >= page.size() || !std::isalpha(static_cast<unsigned char>(page[i]))) continue;
    const auto name_start = i;
    while (i < page.size() && !std::isspace(static_cast<unsigned char>(page[i])) && page[i] != '>' && page[i] != '/')
      ++i;
    const auto name = page.substr(name_start, i - name_start);
    std::size_t attributes = 0;
    char quote = 0;
    bool in_word = false;
    for (; i < page.size(); ++i) {
      const char c = page[i];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        break;
      } else if (std::isspace(static_cast<unsigned char>(c)) || c == '/') {
        in_word = false;
      } else if (c == '=') {
        in_word = true;  // the value that follows is no attribute of its own
      } else if (!in_word) {
        ++attributes;
        in_word = true;
      }
    }
    most = std::max(most, attributes);
    for (std::string_view raw : {"script", "style"}) {
      if (!lower_equals(name, raw)) continue;
      // To its end tag: "</script", whatever its case.
      auto end = page.find("</", i);
      while (end != std::string_view::npos && !lower_equals(page.substr(end + 2, raw.size()), raw)) {
        end = page.find("</", end + 2);
      }
      i = end == std::string_view::npos ? page.size() : end;
    }
  }
  return most;
}

// libxml2 writes some complaints to stderr whatever the parse options say (a charset it
// cannot convert: "encoding error : input conversion failed"), which reached the Workers
// log as raw lines: the document's outcome says what went wrong. Its handlers are per
// thread.
void ignore_generic_error(void*, const char*, ...) {}
void ignore_structured_error(void*, xmlErrorPtr) {}

void quiet_libxml2() {
  thread_local bool quiet = false;
  if (quiet) return;
  xmlSetGenericErrorFunc(nullptr, &ignore_generic_error);
  xmlSetStructuredErrorFunc(nullptr, &ignore_structured_error);
  quiet = true;
}

}  // namespace

extracted_text extract_html(std::string page, html_encoding encoding, html_title title_from) {
  quiet_libxml2();
  if (page.find_first_not_of(" \t\r\n") == std::string::npos) throw unreadable_document("the HTML document is empty");
  // XML_PARSE_HUGE (which the HTML parser honours too): without it libxml2 stops at 256
  // levels of nesting and keeps what it had, so a page of unclosed tags lost its text
  // past that line with no error. The extraction's memory limit bounds what a deeper page
  // costs. HTML_PARSE_IGNORE_ENC keeps a meta charset from undoing a decoding already done.
  int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET | XML_PARSE_HUGE;
  if (encoding == html_encoding::utf8) options |= HTML_PARSE_IGNORE_ENC;
  drop_internal_subset(page);
  // libxml2 checks each attribute of a tag against the ones before it: 40,000 attributes
  // on one element took 11.5 s, and three such uploads of one user held both document
  // workers for minutes (a documents review). No page has a thousand on one element.
  if (most_attributes_in_a_tag(page) > max_html_attributes) {
    throw unreadable_document(
        fmt::format("an HTML element has more than {} attributes; no page needs that many", max_html_attributes));
  }
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      htmlReadMemory(page.data(), static_cast<int>(page.size()), nullptr,
                     encoding == html_encoding::utf8 ? "UTF-8" : assumed_encoding(page), options),
      &xmlFreeDoc);
  if (!doc) throw unreadable_document("the HTML document could not be parsed");
  // What is held at once bounds the pages that fit in the extraction's memory (a 19 MiB
  // table of cells is a tree 30 times its size): the page goes once parsed, the tree once
  // walked.
  std::string().swap(page);
  xmlNode* root = xmlDocGetRootElement(doc.get());
  extracted_text out;
  walker w;
  w.walk(root);
  if (title_from == html_title::title_element) {
    if (xmlNode* title = find_title(root)) {
      if (auto t = clean_inline(node_text(title)); !t.empty()) out.title = t;
    }
  }
  doc.reset();
  if (!out.title && w.first_h1 && !w.first_h1->empty()) out.title = w.first_h1;
  out.text = w.finish();
  return out;
}

}  // namespace drover::documents
