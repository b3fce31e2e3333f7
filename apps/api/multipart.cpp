// multipart.cpp - a small multipart/form-data reader: delimiters, part headers, and
// the name/filename parameters of Content-Disposition.
#include "api/multipart.hpp"

#include <algorithm>
#include <cctype>

#include <drover_app/ascii.hpp>
#include <drover_app/utf8.hpp>

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
    // The first of the two, not each on its own: a search for '=' past every ';' of a
    // line of ';' made the parse quadratic (an 800 KB header held the API for 6 s).
    const auto eq = rest.find_first_of(";=");
    if (eq == std::string_view::npos) return std::nullopt;
    // A parameter without a value ("attachment; creation-date; filename=...") is passed
    // over: the name after it was lost.
    if (rest[eq] == ';') {
      pos += 1 + eq;
      continue;
    }
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

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// RFC 8187's ext-value, charset'language'percent-encoded bytes, when its charset is UTF-8
// (ISO-8859-1 is widened to UTF-8); std::nullopt when it is malformed or another charset.
std::optional<std::string> ext_value(std::string_view v) {
  const auto first = v.find('\'');
  const auto second = first == std::string_view::npos ? first : v.find('\'', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto charset = lower(v.substr(0, first));
  if (charset != "utf-8" && charset != "iso-8859-1") return std::nullopt;
  std::string out;
  for (std::size_t i = second + 1; i < v.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if (c == '%') {
      if (i + 2 >= v.size() || hex_value(v[i + 1]) < 0 || hex_value(v[i + 2]) < 0) return std::nullopt;
      c = static_cast<unsigned char>(hex_value(v[i + 1]) * 16 + hex_value(v[i + 2]));
      i += 2;
    }
    if (charset == "iso-8859-1" && c >= 0x80) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> filename_parameter(std::string_view content_disposition) {
  // filename* (RFC 6266 4.3) wins: it carries the name's own characters, and filename is
  // then a fallback for old clients (a résumé uploaded as "upload").
  if (auto extended = header_parameter(content_disposition, "filename*")) {
    if (auto decoded = ext_value(*extended); decoded && app::is_utf8(*decoded)) return decoded;
  }
  return header_parameter(content_disposition, "filename");
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
        part.filename = filename_parameter(value);
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
