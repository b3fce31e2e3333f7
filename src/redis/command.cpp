// command.cpp - RESP encoding through hiredis, so that no hand-written encoder exists.
#include "redis/command.hpp"

#include <hiredis/hiredis.h>

#include <new>

namespace drover::redis {

void encode(const command& cmd, std::string& out) {
  const auto& args = cmd.args();
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* buf = nullptr;
  int n = redisFormatCommandArgv(&buf, static_cast<int>(argv.size()), argv.data(), lens.data());
  if (n < 0 || buf == nullptr) throw std::bad_alloc();
  out.append(buf, static_cast<size_t>(n));
  redisFreeCommand(buf);
}

}  // namespace drover::redis
