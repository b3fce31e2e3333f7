// pdf_writer.hpp - writes small, valid PDFs for the tests: one Helvetica text line per
// entry, pages as given, an optional title in the document information. Our own
// minimal writer (objects, a cross-reference table with exact offsets, a trailer).
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace drover::test {

inline std::string pdf_string(const std::string& s) {
  std::string out = "(";
  for (char c : s) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += c;
  }
  return out + ")";
}

// pages[i] holds the lines of page i+1 (ASCII).
inline std::string make_pdf(const std::vector<std::vector<std::string>>& pages,
                            const std::optional<std::string>& title = std::nullopt) {
  std::vector<std::string> objects;  // objects[k] is object k+1
  const int n = static_cast<int>(pages.size());
  const int font = 3 + 2 * n;
  const int info = font + 1;
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  std::string kids;
  for (int i = 0; i < n; ++i) kids += std::to_string(3 + 2 * i) + " 0 R ";
  objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(n) + " >>");
  for (int i = 0; i < n; ++i) {
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents " + std::to_string(4 + 2 * i) +
                      " 0 R /Resources << /Font << /F1 " + std::to_string(font) + " 0 R >> >> >>");
    std::string content = "BT /F1 12 Tf 16 TL 72 740 Td\n";
    for (const auto& line : pages[i]) content += pdf_string(line) + " Tj T*\n";
    content += "ET\n";
    objects.push_back("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "endstream");
  }
  objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  objects.push_back(title ? "<< /Title " + pdf_string(*title) + " >>" : "<< >>");

  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<std::size_t> offsets;
  for (std::size_t k = 0; k < objects.size(); ++k) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(k + 1) + " 0 obj\n" + objects[k] + "\nendobj\n";
  }
  std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (auto off : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
    pdf += line;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R /Info " + std::to_string(info) +
         " 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

}  // namespace drover::test
