// command.hpp - a Redis command as a list of arguments, and its RESP encoding.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace drover::redis {

class command {
 public:
  command() = default;
  command(std::initializer_list<std::string_view> args) {
    for (auto a : args) push(a);
  }

  command& reserve(std::size_t n) {
    args_.reserve(n);
    return *this;
  }
  command& push(std::string_view arg) {
    args_.emplace_back(arg);
    return *this;
  }
  command& push(std::string&& arg) {
    args_.push_back(std::move(arg));
    return *this;
  }
  command& push(const char* arg) { return push(std::string_view(arg)); }
  command& push(std::int64_t v) { return push(std::to_string(v)); }
  command& push(int v) { return push(std::to_string(v)); }

  const std::vector<std::string>& args() const { return args_; }
  std::string_view name() const { return args_.empty() ? std::string_view() : args_.front(); }

 private:
  std::vector<std::string> args_;
};

// Appends the RESP encoding of cmd (made by hiredis) to out.
void encode(const command& cmd, std::string& out);

}  // namespace drover::redis
