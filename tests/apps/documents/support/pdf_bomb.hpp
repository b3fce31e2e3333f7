// pdf_bomb.hpp - a decompression bomb for the tests: a one-page PDF whose FlateDecode
// content stream, about a thousandth of its size on disk, inflates to `inflated` bytes
// of one endless string literal. Built fast: one megabyte of text is deflated once with
// a full flush (so that each copy of the block stands alone) and the block repeated;
// the Adler-32 trailer is combined arithmetically for the whole.
#pragma once

#include <zlib.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace drover::test {

namespace detail {

// Deflates `in` into `out` with `flush`.
inline void deflate_into(z_stream& z, const std::string& in, int flush, std::string& out) {
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  char buf[1 << 15];
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    if (deflate(&z, flush) == Z_STREAM_ERROR) throw std::runtime_error("deflate failed");
    out.append(buf, sizeof buf - z.avail_out);
  } while (z.avail_out == 0);
}

}  // namespace detail

inline std::string make_pdf_bomb(std::size_t inflated) {
  const std::string head = "BT /F1 12 Tf 72 712 Td (";
  const std::string block(1 << 20, 'A');
  const std::string tail = ") Tj ET\n";
  const std::size_t copies = inflated / block.size();

  z_stream z{};
  if (deflateInit(&z, Z_BEST_COMPRESSION) != Z_OK) throw std::runtime_error("deflateInit failed");
  std::string stream;
  detail::deflate_into(z, head, Z_FULL_FLUSH, stream);
  std::string one;
  detail::deflate_into(z, block, Z_FULL_FLUSH, one);
  for (std::size_t k = 0; k < copies; ++k) stream += one;
  // The tail through a fresh stream would restart the header; finish this one instead,
  // then replace its checksum (which saw the block once) with the whole stream's.
  std::string end;
  detail::deflate_into(z, tail, Z_FINISH, end);
  deflateEnd(&z);
  end.resize(end.size() - 4);
  uLong sum = adler32(0, nullptr, 0);
  sum = adler32(sum, reinterpret_cast<const Bytef*>(head.data()), static_cast<uInt>(head.size()));
  const uLong block_sum =
      adler32(adler32(0, nullptr, 0), reinterpret_cast<const Bytef*>(block.data()), static_cast<uInt>(block.size()));
  for (std::size_t k = 0; k < copies; ++k) sum = adler32_combine(sum, block_sum, static_cast<z_off_t>(block.size()));
  sum = adler32(sum, reinterpret_cast<const Bytef*>(tail.data()), static_cast<uInt>(tail.size()));
  stream += end;
  for (int shift : {24, 16, 8, 0}) stream += static_cast<char>((sum >> shift) & 0xff);

  const std::string objects[] = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
      "/Resources << /Font << /F1 5 0 R >> >> >>",
      "<< /Length " + std::to_string(stream.size()) + " /Filter /FlateDecode >>\nstream\n" + stream + "\nendstream",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  };
  std::string pdf = "%PDF-1.4\n";
  std::string xref = "xref\n0 6\n0000000000 65535 f \n";
  for (int k = 0; k < 5; ++k) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", pdf.size());
    xref += line;
    pdf += std::to_string(k + 1) + " 0 obj\n" + objects[k] + "\nendobj\n";
  }
  const auto at = pdf.size();
  return pdf + xref + "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n" + std::to_string(at) + "\n%%EOF\n";
}

}  // namespace drover::test
