// json.cpp - see drover/json.hpp. Boost.JSON's basic_parser does the parsing; the
// handler below builds the value as Boost's own parser would, except that it reads each
// double again from its text with std::from_chars (correctly rounded). Writing is our
// own, after ECMAScript's Number::toString and JSON.stringify's QuoteJSONString.
#include "drover/json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value_stack.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json_string.hpp"
#include "drover/error.hpp"

namespace json = boost::json;
using boost::system::error_code;

namespace drover {

namespace {

class value_builder {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack stack;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t n, error_code&) {
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t n, error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, error_code&) {
    stack.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, error_code&) {
    stack.push_string(s);
    return true;
  }
  // A number split across writes arrives in parts; parse_json writes the text once, so
  // this only matters for a number Boost hands over in pieces all the same.
  bool on_number_part(json::string_view s, error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, error_code&) {
    number_.clear();
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, error_code&) {
    number_.clear();
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double boost_value, json::string_view s, error_code&) {
    number_.append(s.data(), s.size());
    double exact = boost_value;
    // Out of range (1e400): from_chars leaves exact alone, and Boost's infinity stays,
    // as JSON.parse gives Infinity.
    std::from_chars(number_.data(), number_.data() + number_.size(), exact);
    number_.clear();
    stack.push_double(exact);
    return true;
  }
  bool on_bool(bool b, error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }

 private:
  std::string number_;
};

json::value parse_once(std::string_view text, error_code& ec, std::size_t max_depth) {
  json::parse_options opts;
  opts.max_depth = max_depth;
  // Invalid UTF-8 stays refused, as Boost does: JSON.stringify never writes it, and text
  // that holds it (an HTTP body) must get its 400, not reach a database that refuses it.
  json::basic_parser<value_builder> p(opts);
  p.handler().stack.reset();
  const std::size_t used = p.write_some(false, text.data(), text.size(), ec);
  if (ec) return nullptr;
  if (used < text.size()) {
    ec = json::error::extra_data;
    return nullptr;
  }
  return p.handler().stack.release();
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The code unit of a "\uXXXX" escape starting at text[i], if there is one.
std::optional<unsigned> escape_at(std::string_view text, std::size_t i) {
  if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return std::nullopt;
  unsigned unit = 0;
  for (std::size_t k = i + 2; k < i + 6; ++k) {
    if (!is_hex(text[k])) return std::nullopt;
    unit = unit * 16 + static_cast<unsigned>(text[k] <= '9' ? text[k] - '0' : (text[k] | 0x20) - 'a' + 10);
  }
  return unit;
}

bool is_high(unsigned u) { return u >= 0xD800 && u <= 0xDBFF; }
bool is_low(unsigned u) { return u >= 0xDC00 && u <= 0xDFFF; }

// The text with each escaped surrogate that is not half of a pair written as \ufffd.
// Walks strings escape by escape, so that "\\ud83d" (a backslash, then letters) stays.
std::string without_lone_surrogates(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (!in_string) {
      in_string = c == '"';
      out += c;
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = false;
      out += c;
      ++i;
      continue;
    }
    if (c != '\\' || i + 1 >= text.size()) {
      out += c;
      ++i;
      continue;
    }
    const auto unit = escape_at(text, i);
    if (!unit) {  // \" \\ \n ...: two characters, the second never ends the string
      out.append(text.substr(i, 2));
      i += 2;
      continue;
    }
    if (is_high(*unit)) {
      const auto next = escape_at(text, i + 6);
      if (next && is_low(*next)) {
        out.append(text.substr(i, 12));
        i += 12;
        continue;
      }
    }
    out.append(is_high(*unit) || is_low(*unit) ? std::string_view("\\ufffd") : text.substr(i, 6));
    i += 6;
  }
  return out;
}

// Whether the text holds an escaped surrogate anywhere (Boost 1.81 reports a lone one as
// a plain syntax error, so the error alone does not tell).
bool has_surrogate_escape(std::string_view text) {
  for (auto i = text.find("\\u"); i != std::string_view::npos; i = text.find("\\u", i + 2)) {
    const auto unit = escape_at(text, i);
    if (unit && (is_high(*unit) || is_low(*unit))) return true;
  }
  return false;
}

}  // namespace

json::value parse_json(std::string_view text, error_code& ec, std::size_t max_depth) {
  ec.clear();
  auto v = parse_once(text, ec, max_depth);
  if (ec && has_surrogate_escape(text)) {
    ec.clear();
    v = parse_once(without_lone_surrogates(text), ec, max_depth);
  }
  return v;
}

json::value parse_json(std::string_view text) {
  error_code ec;
  auto v = parse_json(text, ec);
  if (ec) throw boost::system::system_error(ec, "parse_json");
  return v;
}

}  // namespace drover

namespace drover {

namespace {

// ECMAScript's Number::toString for a finite double: the shortest digits that read back
// as x (std::to_chars gives them, as d.ddde±x), placed as JavaScript places them.
void write_double(std::string& out, double x) {
  if (x == 0) {  // -0 too
    out += '0';
    return;
  }
  if (x < 0) {
    out += '-';
    x = -x;
  }
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific).ptr;
  const std::string_view text(buf, static_cast<std::size_t>(end - buf));
  const auto e = text.find('e');
  std::string digits(text.substr(0, e));
  if (digits.size() > 1) digits.erase(1, 1);  // the '.'
  int exponent = 0;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+' ? 1 : 0), text.data() + text.size(), exponent);
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;  // x = 0.digits × 10^n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<std::size_t>(n));
    out += '.';
    out.append(digits, static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += n - 1 < 0 ? "e-" : "e+";
    out += std::to_string(n - 1 < 0 ? 1 - n : n - 1);
  }
}

}  // namespace

namespace {

// The length of the well-formed UTF-8 sequence at s[i], whose first byte is 0x80 or
// more, or 0 when there is none there (Unicode's table of well-formed byte sequences: no
// overlong form, no surrogate, nothing past U+10FFFF).
std::size_t utf8_sequence_at(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    low = lead == 0xE0 ? 0xA0 : low;
    high = lead == 0xED ? 0x9F : high;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    low = lead == 0xF0 ? 0x90 : low;
    high = lead == 0xF4 ? 0x8F : high;
  }
  if (length == 0 || i + length > s.size()) return 0;
  const auto second = static_cast<unsigned char>(s[i + 1]);
  if (second < low || second > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return length;
}

}  // namespace

void detail::append_json_string(std::string& out, std::string_view s, json_escapes escapes) {
  static constexpr char hex[] = "0123456789abcdef";
  const bool cjson = escapes == json_escapes::cjson;
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 && !cjson) {
      // JSON.stringify writes only UTF-8: a byte that starts no character is U+FFFD, as
      // Node reads it from Redis (a C++ processor's result of raw bytes read back as a
      // string, not the object it was, and its stack trace lost its history).
      const auto length = utf8_sequence_at(s, i);
      if (length == 0) {
        out += "\xEF\xBF\xBD";
      } else {
        out.append(s.substr(i, length));
        i += length - 1;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (cjson && c == '/') {
          out += "\\/";
        } else if (u < 0x20 || (cjson && u == 0x7f)) {
          out += "\\u00";
          out += hex[u >> 4];
          out += hex[u & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

namespace {

void write_string(std::string& out, std::string_view s) {
  detail::append_json_string(out, s, detail::json_escapes::standard);
}

void write_array(std::string& out, const json::array& a, std::size_t depth);
void write_object(std::string& out, const json::object& o, std::size_t depth);

// `depth`: the arrays and objects around `v`. Deeper than max_json_depth is refused:
// the writing recurses (a processor's 50,000-deep result overflowed the worker's stack),
// and parse_json, Node's reader alike, would not read it back.
void write_value(std::string& out, const json::value& v, std::size_t depth) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      break;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case json::kind::int64:
      out += std::to_string(v.get_int64());
      break;
    case json::kind::uint64:
      out += std::to_string(v.get_uint64());
      break;
    case json::kind::double_:
      if (std::isfinite(v.get_double())) {
        write_double(out, v.get_double());
      } else {
        out += "null";  // as JSON.stringify(Infinity)
      }
      break;
    case json::kind::string:
      write_string(out, v.get_string());
      break;
    case json::kind::array:
    case json::kind::object:
      if (depth >= max_json_depth) {
        throw error(errc::invalid_argument,
                    "a JSON value nested deeper than " + std::to_string(max_json_depth) + " levels cannot be written");
      }
      if (v.is_array()) {
        write_array(out, v.get_array(), depth + 1);
      } else {
        write_object(out, v.get_object(), depth + 1);
      }
      break;
  }
}

void write_array(std::string& out, const json::array& a, std::size_t depth) {
  out += '[';
  bool first = true;
  for (const auto& e : a) {
    if (!first) out += ',';
    first = false;
    write_value(out, e, depth);
  }
  out += ']';
}

// The key's value when it is an array index as ECMAScript defines one ("0", "7", "42";
// not "07", "-1" or 2^32 - 1): such keys are an object's first properties in
// JavaScript, in ascending order, whatever order they were written in.
std::optional<std::uint32_t> array_index_of(std::string_view key) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key.front() == '0')) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n >= 4294967295u) return std::nullopt;
  return static_cast<std::uint32_t>(n);
}

void write_member(std::string& out, const json::key_value_pair& kv, bool& first, std::size_t depth) {
  if (!first) out += ',';
  first = false;
  write_string(out, kv.key());
  out += ':';
  write_value(out, kv.value(), depth);
}

void write_object(std::string& out, const json::object& o, std::size_t depth) {
  out += '{';
  bool first = true;
  // JSON.stringify writes the index-like keys first, ascending, then the others in the
  // order they were added (what JSON.parse then Node's add would store). Most objects
  // have none, and pay one look at each key.
  std::vector<std::pair<std::uint32_t, const json::key_value_pair*>> indexed;
  for (const auto& kv : o) {
    if (auto i = array_index_of(kv.key())) indexed.emplace_back(*i, &kv);
  }
  if (!indexed.empty()) {
    std::sort(indexed.begin(), indexed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [index, kv] : indexed) write_member(out, *kv, first, depth);
  }
  for (const auto& kv : o) {
    if (indexed.empty() || !array_index_of(kv.key())) write_member(out, kv, first, depth);
  }
  out += '}';
}

}  // namespace

std::string serialize_json(const json::value& v) {
  std::string out;
  write_value(out, v, 0);
  return out;
}

}  // namespace drover
