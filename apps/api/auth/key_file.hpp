// key_file.hpp - reads a small key file (PEM or JWKS) with the stamp that tells when it changed.
#pragma once

#include <cstdint>
#include <string>

namespace drover::api::auth {

// What identifies one version of a file without reading it: a rewrite in place changes
// the mtime (and usually the size), an atomic rename changes the inode.
struct file_stamp {
  std::int64_t mtime_ns = 0;
  std::int64_t size = -1;
  std::uint64_t inode = 0;
  bool operator==(const file_stamp&) const = default;
};

struct key_file {
  std::string text;
  file_stamp stamp;  // of the bytes in `text`: taken from the open file, not the path
};

// Key files are a few KiB; anything far larger is a wrong path, not a key.
inline constexpr std::int64_t max_key_file_bytes = 1 << 20;

// The file's current stamp; a default stamp (size -1) when it cannot be stat'ed.
file_stamp stamp_of(const std::string& path);

// Reads the whole file. Throws std::runtime_error naming the path and the reason
// (missing, unreadable, larger than max_key_file_bytes); the message never holds contents.
key_file read_key_file(const std::string& path);

}  // namespace drover::api::auth
