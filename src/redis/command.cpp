// command.cpp - RESP encoding of a command: an array of bulk strings.
//
// Written out here rather than through hiredis's redisFormatCommandArgv, which formats
// every length with sprintf and mallocs a buffer per command: on a worker's hot path
// (a 23-argument moveToFinished per job) that was a tenth of its CPU.
#include "redis/command.hpp"

#include <charconv>

namespace drover::redis {

namespace {

void append_header(char kind, std::size_t n, std::string& out) {
  char buf[24];
  buf[0] = kind;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n);
  (void)ec;  // 20 digits always fit
  *end++ = '\r';
  *end++ = '\n';
  out.append(buf, static_cast<std::size_t>(end - buf));
}

}  // namespace

void encode(const command& cmd, std::string& out) {
  const auto& args = cmd.args();
  std::size_t size = 16;
  for (const auto& a : args) size += a.size() + 16;
  out.reserve(out.size() + size);
  append_header('*', args.size(), out);
  for (const auto& a : args) {
    append_header('$', a.size(), out);
    out.append(a);
    out.append("\r\n", 2);
  }
}

}  // namespace drover::redis
