// text_extractors_fuzz.cpp - libFuzzer harness of the HTML, Markdown and plain-text
// extractors, the media-type sniffing and chunking (apps/documents/). PDFs have their
// own harness (pdf_text_fuzz.cpp).
//
// Input: one byte choosing the format (HTML, Markdown, plain text), whether the upload
// goes through extract_text (its byte order mark decoding and checks) or the extractor
// alone, and the chunk sizes, then the upload's bytes. Properties: the text_checks.hpp promises; chunks are never
// empty, never longer than max_chars, and valid UTF-8 like the text they come from.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "documents/chunking.hpp"
#include "documents/extracted_text.hpp"
#include "text_checks.hpp"

namespace docs = drover::documents;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned choice = data[0];
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);

  (void)docs::readable_media_type("", "upload", bytes);
  (void)docs::readable_media_type(bytes.substr(0, 64), "", "");

  docs::extracted_text out;
  static const char* const media_types[] = {"text/html", "text/markdown", "text/plain"};
  try {
    if (choice & 0x40) {
      out = docs::extract_text(media_types[choice % 3], bytes, {});
    } else {
      switch (choice % 3) {
        case 0:
          out = docs::extract_html(bytes);
          break;
        case 1:
          out = docs::extract_markdown(bytes);
          break;
        default:
          out = docs::extract_plain_text(bytes);
          break;
      }
    }
  } catch (const docs::unreadable_document&) {
    return 0;
  }
  drover::fuzz::check_extracted(out);

  // Small chunks reach the sentence and word splitting that real sizes rarely need.
  docs::chunking_options opts;
  if (choice & 0x80) opts = {.target_chars = 40, .max_chars = 60, .overlap_chars = 10};
  for (const auto& chunk : docs::split_into_chunks(out.text, opts)) {
    if (chunk.empty() || chunk.size() > opts.max_chars || !drover::fuzz::valid_utf8(chunk)) std::abort();
  }
  return 0;
}
