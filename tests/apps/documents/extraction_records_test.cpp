// extraction_records_test.cpp - the record stream between drover-extract and the
// Workers: a result read back whole however the bytes are split, progress as it comes,
// unreadable reasons, and garbage refused.
#include <gtest/gtest.h>

#include <stdexcept>
#include <utility>
#include <vector>

#include "documents/extraction_records.hpp"

namespace drover::documents {
namespace {

TEST(extraction_records, a_result_reads_back_whole_in_pieces_of_any_size) {
  extracted_text in;
  in.title = "Guide";
  in.page_count = 2;
  in.text = "first\n\nsecond with\nnewlines, a 'X 3\\n' lookalike and \0 bytes";
  in.text.push_back('\0');
  auto bytes = progress_record(1, 2) + progress_record(2, 2) + result_records(in);
  for (std::size_t piece : {std::size_t{1}, std::size_t{3}, bytes.size()}) {
    std::vector<std::pair<int, int>> seen;
    record_reader r([&](int done, int total) { seen.emplace_back(done, total); });
    for (std::size_t at = 0; at < bytes.size(); at += piece) r.feed(std::string_view(bytes).substr(at, piece));
    auto out = r.result();
    ASSERT_TRUE(out) << piece;
    EXPECT_EQ(out->title, in.title);
    EXPECT_EQ(out->page_count, 2);
    EXPECT_EQ(out->text, in.text);
    EXPECT_EQ(seen, (std::vector<std::pair<int, int>>{{1, 2}, {2, 2}}));
  }
}

TEST(extraction_records, a_stream_cut_short_has_no_result) {
  extracted_text in;
  in.text = "all of it";
  auto bytes = result_records(in);
  record_reader r(nullptr);
  r.feed(std::string_view(bytes).substr(0, bytes.size() - 1));
  EXPECT_FALSE(r.result());
}

TEST(extraction_records, an_unreadable_reason_is_kept) {
  std::string bytes;
  append_record(bytes, record_tag::unreadable, "the PDF is encrypted");
  record_reader r(nullptr);
  r.feed(bytes);
  EXPECT_EQ(r.unreadable(), "the PDF is encrypted");
  EXPECT_FALSE(r.result());
}

TEST(extraction_records, garbage_is_refused) {
  record_reader a(nullptr);
  EXPECT_THROW(a.feed("hello world\n"), std::runtime_error);
  record_reader b(nullptr);
  EXPECT_THROW(b.feed(std::string(100, '7')), std::runtime_error);  // a header that never ends
  record_reader c(nullptr);
  EXPECT_THROW(c.feed("P 3\n1x2"), std::runtime_error);
}

// fuzz/extraction_records_fuzz.cpp: a 31-digit length was refused when the stream came
// in small pieces (the header outgrew the limit before its newline) and waited for when
// it came at once.
TEST(extraction_records, issue13_an_overlong_header_is_refused_however_it_arrives) {
  const std::string stream = "P 0000000000009305165037557514226\n1 999999";
  record_reader whole(nullptr);
  EXPECT_THROW(whole.feed(stream), std::runtime_error);
  record_reader pieces(nullptr);
  EXPECT_THROW(
      {
        for (std::size_t at = 0; at < stream.size(); at += 4) pieces.feed(std::string_view(stream).substr(at, 4));
      },
      std::runtime_error);
}

}  // namespace
}  // namespace drover::documents
