// pdf_text_fuzz.cpp - libFuzzer harness of the PDF extractor (apps/documents/pdf_text.cpp) on poppler-cpp.
//
// Input: the bytes of an upload. poppler is Debian's build, not instrumented: coverage
// guides the fuzzer only through drover's side, but a crash or memory error inside
// poppler still shows (see issue 13: extraction is to move to a child process).
// Properties: the text_checks.hpp promises, and progress reported once per page, in order.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "documents/extracted_text.hpp"
#include "text_checks.hpp"

namespace docs = drover::documents;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  int seen = 0;
  docs::extracted_text out;
  try {
    out = docs::extract_pdf(bytes, [&seen](int done, int total) {
      if (done != seen + 1 || done > total) std::abort();
      seen = done;
    });
  } catch (const docs::unreadable_document&) {
    return 0;
  }
  if (!out.page_count || *out.page_count != seen) std::abort();
  drover::fuzz::check_extracted(out);
  return 0;
}
