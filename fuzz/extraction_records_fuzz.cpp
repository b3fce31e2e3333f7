// extraction_records_fuzz.cpp - libFuzzer harness of the record stream drover-extract
// writes and the Workers read (apps/documents/extraction_records.cpp): the child parsed
// an untrusted upload, so its output is read as untrusted too.
//
// Input: the first byte chooses the piece size the stream is fed in (1 to 256 bytes);
// the rest is the stream. Properties: the reader only ever throws std::runtime_error;
// feeding in pieces gives what feeding at once gives; and the rest read as a text,
// written as records and read back, comes back unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "documents/extraction_records.hpp"

namespace {

using drover::documents::extracted_text;
using drover::documents::record_reader;

struct outcome {
  bool threw = false;
  std::optional<extracted_text> result;
  std::optional<std::string> unreadable;
  int progress_calls = 0;
};

outcome read(std::string_view stream, std::size_t piece) {
  outcome o;
  record_reader r([&o](int, int) { ++o.progress_calls; });
  try {
    for (std::size_t at = 0; at < stream.size(); at += piece) r.feed(stream.substr(at, piece));
  } catch (const std::runtime_error&) {
    o.threw = true;
    return o;
  }
  o.result = r.result();
  o.unreadable = r.unreadable();
  return o;
}

bool same(const std::optional<extracted_text>& a, const std::optional<extracted_text>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->title == b->title && a->page_count == b->page_count && a->text == b->text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = std::size_t{data[0]} + 1;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto whole = read(stream, stream.size() + 1);
  auto pieces = read(stream, piece);
  if (whole.threw != pieces.threw) std::abort();
  if (!whole.threw) {
    if (!same(whole.result, pieces.result) || whole.unreadable != pieces.unreadable) std::abort();
    if (whole.progress_calls != pieces.progress_calls) std::abort();
  }

  extracted_text text;
  text.text = std::string(stream);
  if (stream.size() % 2) text.title = std::string(stream.substr(0, stream.size() / 2));
  if (stream.size() % 3 == 0) text.page_count = static_cast<int>(stream.size());
  auto back = read(drover::documents::result_records(text), piece);
  if (back.threw || !same(back.result, text)) std::abort();
  return 0;
}
