// pdf_text.cpp - text of a PDF through poppler-cpp, page by page.
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include <fmt/format.h>

#include <climits>
#include <memory>
#include <mutex>

#include "documents/extracted_text.hpp"
#include "documents/text_cleanup.hpp"

namespace drover::documents {

namespace {

std::string utf8(const poppler::ustring& s) {
  auto bytes = s.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

// Poppler prints its complaints about damaged files to stderr; the reason the job
// fails is what matters, and it is reported through the job instead.
void quiet_poppler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
}

}  // namespace

extracted_text extract_pdf(const std::string& bytes, const page_progress& progress) {
  quiet_poppler();
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) throw unreadable_document("the PDF is too large to read");
  // load_from_raw_data reads `bytes` in place; it outlives the document below.
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  if (!doc) throw unreadable_document("the PDF is damaged or not a PDF: poppler could not read its structure");
  if (doc->is_locked()) throw unreadable_document("the PDF is encrypted with a password; upload it unencrypted");

  extracted_text out;
  const int pages = doc->pages();
  if (pages <= 0) throw unreadable_document("the PDF has no pages");
  out.page_count = pages;
  if (auto title = clean_inline(utf8(doc->get_title())); !title.empty()) out.title = title;
  const auto add = [&out](const std::string& text) {
    if (text.empty()) return;
    if (!out.text.empty()) out.text += "\n\n";
    out.text += text;
  };
  // A page the page tree names but cannot give (a missing object, a /Count above the
  // pages there are: common faults of PDF tools) is said where it stood, a run of them in
  // one line (a /Count of thousands must not become thousands of lines); the readable
  // pages are kept (they were all lost with it).
  int damaged = 0;
  int run_from = 0;  // the first page of the current run of damaged pages, 1-based; 0: none
  const auto end_run = [&](int last) {
    if (run_from == 0) return;
    add(run_from == last
            ? fmt::format("[page {} of the PDF is damaged and could not be read]", last)
            : fmt::format("[pages {} to {} of the PDF are damaged and could not be read]", run_from, last));
    run_from = 0;
  };
  for (int i = 0; i < pages; ++i) {
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (page) {
      end_run(i);
      add(clean_block(utf8(page->text(poppler::rectf(), poppler::page::non_raw_non_physical_layout))));
    } else {
      ++damaged;
      if (run_from == 0) run_from = i + 1;
    }
    if (progress) progress(i + 1, pages);
  }
  end_run(pages);
  if (damaged == pages) {
    throw unreadable_document(pages == 1 ? std::string("the PDF's only page is damaged")
                                         : fmt::format("all {} pages of the PDF are damaged", pages));
  }
  return out;
}

}  // namespace drover::documents
