// temp_dir.hpp - a fresh directory under /tmp, removed with everything in it.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace drover::test {

class temp_dir {
 public:
  temp_dir() {
    char tmpl[] = "/tmp/drover-test-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("temp_dir: mkdtemp failed");
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace drover::test
