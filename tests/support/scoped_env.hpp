// scoped_env.hpp - environment variables set for one test and unset when it ends, so that
// tests of settings read from the environment leave none behind for the next.
#pragma once

#include <cstdlib>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace drover::test {

class scoped_env {
 public:
  // Sets each name to its value, or unsets it where the value is nullptr.
  scoped_env(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const auto& [name, value] : vars) {
      names_.emplace_back(name);
      if (value) {
        ::setenv(name, value, 1);
      } else {
        ::unsetenv(name);
      }
    }
  }
  ~scoped_env() {
    for (const auto& name : names_) ::unsetenv(name.c_str());
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  std::vector<std::string> names_;
};

}  // namespace drover::test
