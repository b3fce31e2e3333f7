// chunking.hpp - splitting extracted text into overlapping chunks for full-text search
// and for the model's prompt. A pure function: no I/O, deterministic.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace drover::documents {

struct chunking_options {
  std::size_t target_chars = 1200;  // a chunk grows to about this size, never past max_chars
  std::size_t max_chars = 1600;     // hard cap; only a single longer sentence is cut
  std::size_t overlap_chars = 200;  // about this much of a chunk's end starts the next one
};

// Splits `text` (paragraphs separated by blank lines, as the extractors write it) into
// chunks of whole paragraphs when they fit, else of whole sentences, else (a sentence
// longer than max_chars) of whole words, else of bytes at UTF-8 character boundaries.
// Consecutive chunks overlap: the next chunk starts with the last whole sentences
// (at most overlap_chars) of the previous one, so that a passage cut at a boundary is
// still found whole in one of them. Each chunk is at most max_chars bytes; the
// concatenation of the chunks without their overlaps is the text's units in order.
// Empty text gives no chunks. Throws std::invalid_argument when the options are
// inconsistent (target 0, max < target, overlap >= target).
std::vector<std::string> split_into_chunks(std::string_view text, const chunking_options& opts = {});

}  // namespace drover::documents
