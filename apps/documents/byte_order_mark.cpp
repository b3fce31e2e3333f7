// byte_order_mark.cpp - UTF-16 to UTF-8 through glibc's iconv, with U+FFFD for what it
// cannot convert.
#include "documents/byte_order_mark.hpp"

#include <iconv.h>

#include <cerrno>
#include <memory>
#include <stdexcept>

namespace drover::documents {

namespace {

constexpr std::string_view utf8_mark = "\xEF\xBB\xBF";
constexpr std::string_view utf16le_mark = "\xFF\xFE";
constexpr std::string_view utf16be_mark = "\xFE\xFF";
constexpr std::string_view replacement = "\xEF\xBF\xBD";

struct iconv_closer {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};

std::string utf8_from_utf16(std::string_view in, const char* encoding) {
  iconv_t opened = iconv_open("UTF-8", encoding);
  if (opened == reinterpret_cast<iconv_t>(-1)) throw std::runtime_error(std::string("iconv cannot read ") + encoding);
  const std::unique_ptr<void, iconv_closer> cd(opened);
  std::string out;
  out.reserve(in.size() * 3 / 2 + 16);
  char* src = const_cast<char*>(in.data());  // iconv's signature; it does not write the input
  std::size_t src_left = in.size();
  char buffer[4096];
  while (src_left > 0) {
    char* dst = buffer;
    std::size_t dst_left = sizeof buffer;
    const std::size_t r = iconv(cd.get(), &src, &src_left, &dst, &dst_left);
    const int why = errno;  // before the append, which may change it
    out.append(buffer, static_cast<std::size_t>(dst - buffer));
    if (r != static_cast<std::size_t>(-1) || why == E2BIG) continue;
    // EILSEQ (a lone surrogate) or EINVAL (a truncated unit at the end): one code unit
    // becomes U+FFFD, and the rest is read on.
    out += replacement;
    const std::size_t skipped = std::min<std::size_t>(2, src_left);
    src += skipped;
    src_left -= skipped;
  }
  return out;
}

}  // namespace

std::optional<std::string> utf8_from_byte_order_mark(std::string_view bytes) {
  if (bytes.starts_with(utf8_mark)) return std::string(bytes.substr(utf8_mark.size()));
  if (bytes.starts_with(utf16le_mark)) return utf8_from_utf16(bytes.substr(utf16le_mark.size()), "UTF-16LE");
  if (bytes.starts_with(utf16be_mark)) return utf8_from_utf16(bytes.substr(utf16be_mark.size()), "UTF-16BE");
  return std::nullopt;
}

bool has_byte_order_mark(std::string_view bytes) {
  return bytes.starts_with(utf8_mark) || bytes.starts_with(utf16le_mark) || bytes.starts_with(utf16be_mark);
}

}  // namespace drover::documents
