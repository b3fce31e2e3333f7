// multipart.cpp - a small multipart/form-data reader: delimiters, part headers, and
// the name/filename parameters of Content-Disposition.
#include "api/multipart.hpp"

#include <algorithm>
#include <cctype>

#include <drover_app/ascii.hpp>

namespace drover::api {

namespace {

using app::trim_ows;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

std::optional<std::string> header_parameter(std::string_view header, std::string_view name) {
  std::size_t pos = header.find(';');
  while (pos != std::string_view::npos) {
    auto rest = header.substr(pos + 1);
    auto eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    auto key = lower(trim_ows(rest.substr(0, eq)));
    auto value = rest.substr(eq + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    std::string v;
    std::size_t consumed = 0;
    if (!value.empty() && value.front() == '"') {
      std::size_t i = 1;
      for (; i < value.size() && value[i] != '"'; ++i) {
        // A backslash quotes only '"' and itself: browsers send a Windows path's
        // backslashes as they are (C:\Users\me\report.txt), and the last of them is
        // where the file's own name starts.
        if (value[i] == '\\' && i + 1 < value.size() && (value[i + 1] == '"' || value[i + 1] == '\\')) ++i;
        v += value[i];
      }
      consumed = i + 1;
    } else {
      consumed = std::min(value.find(';'), value.size());
      v = std::string(trim_ows(value.substr(0, consumed)));
    }
    if (key == name) return v;
    auto next = value.find(';', std::min(consumed, value.size()));
    if (next == std::string_view::npos) return std::nullopt;
    pos = static_cast<std::size_t>(value.data() - header.data()) + next;
  }
  return std::nullopt;
}

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  auto type = lower(trim_ows(content_type.substr(0, content_type.find(';'))));
  if (type != "multipart/form-data") return std::nullopt;
  auto b = header_parameter(content_type, "boundary");
  if (!b || b->empty() || b->size() > 70)
    throw multipart_error("multipart/form-data needs a boundary of 1 to 70 characters");
  return b;
}

std::vector<multipart_part> parse_multipart(std::string_view body, std::string_view boundary) {
  const std::string delimiter = "--" + std::string(boundary);
  const std::string next_delimiter = "\r\n" + delimiter;
  std::vector<multipart_part> parts;
  // The first delimiter may follow a preamble.
  std::size_t pos = body.starts_with(delimiter) ? 0 : body.find(next_delimiter);
  if (pos == std::string_view::npos) throw multipart_error("the multipart body has no delimiter with its boundary");
  pos += body.starts_with(delimiter) ? delimiter.size() : next_delimiter.size();
  for (;;) {
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    // Transport padding, then the line break that ends the delimiter line.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") throw multipart_error("a multipart delimiter is not followed by a line break");
    pos += 2;
    auto headers_end = body.find("\r\n\r\n", pos);
    std::string_view headers;
    if (body.substr(pos, 2) == "\r\n") {  // a part without headers
      headers_end = pos;
      pos += 2;
    } else {
      if (headers_end == std::string_view::npos) throw multipart_error("a multipart part has no end of its headers");
      headers = body.substr(pos, headers_end - pos);
      pos = headers_end + 4;
    }
    auto end = body.find(next_delimiter, pos);
    if (end == std::string_view::npos) throw multipart_error("the multipart body has no closing delimiter");
    multipart_part part;
    part.body = body.substr(pos, end - pos);
    while (!headers.empty()) {
      auto eol = headers.find("\r\n");
      auto line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
      auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      auto name = lower(trim_ows(line.substr(0, colon)));
      auto value = trim_ows(line.substr(colon + 1));
      if (name == "content-disposition") {
        part.name = header_parameter(value, "name").value_or("");
        part.filename = header_parameter(value, "filename");
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    if (part.name.empty()) throw multipart_error("a multipart part has no Content-Disposition name");
    parts.push_back(std::move(part));
    pos = end + next_delimiter.size();
  }
}

}  // namespace drover::api
