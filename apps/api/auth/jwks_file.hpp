// jwks_file.hpp - the signing keys of a JWKS document file by key id, reloaded when the file changes.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "api/auth/jwt_key.hpp"
#include "api/auth/key_file.hpp"

namespace drover::api::auth {

// A JWKS file (RFC 7517 section 5: {"keys": [...]}) as a map from `kid` to key.
//
// Lifecycle:
//   1. The constructor loads the file; a file that cannot be read or parsed, or that holds
//      no usable key, throws, so that a wrong setting stops the API at start.
//   2. keys() looks at the file's stamp (mtime, size, inode) at most once per
//      check_interval and, when it changed, loads the file again.
//   3. A new version that cannot be read or parsed (say an editor caught mid-write)
//      leaves the previous keys in place and logs one warning; the next change of the
//      file is tried again. A new version that parses is the list of valid key ids: a key
//      it no longer names is revoked even when none of its keys can be used (a typo in
//      the key that stays kept a removed key valid, in a security review); a key it names
//      but cannot use keeps its previous version, said in the warning.
// Keys without a `kid`, with a duplicate `kid`, of another type (oct, OKP, other curves),
// or meant for encryption are skipped with a warning: identity providers publish such keys
// beside their signing keys.
//
// Thread safety: keys() may be called from any number of threads; the check and the swap
// happen under a mutex, and each caller keeps the key set it got alive for as long as it
// holds the pointer. A reload parses the file while holding the mutex, so the other callers
// wait for that one load (a few KiB, once per change).
class jwks_file {
 public:
  using key_map = std::map<std::string, jwt_key, std::less<>>;

  // Throws std::invalid_argument naming AUTH_JWKS_FILE, the path and the reason.
  jwks_file(std::string path, std::chrono::milliseconds check_interval);

  // The current keys (never null; empty once the file revokes every key).
  std::shared_ptr<const key_map> keys();

 private:
  // One version of the file: the keys it names (by kid, usable or not) and those usable.
  struct version {
    std::set<std::string, std::less<>> named;
    std::shared_ptr<key_map> usable;
  };
  // Throws std::runtime_error with the reason when the file cannot be read or is not a
  // JWKS document.
  static version load(const std::string& path, file_stamp& stamp);
  // REQUIRES: mutex_ is held. `v` holds no usable key: keeps the previous keys it names.
  void keep_named(const version& v);
  // REQUIRES: mutex_ is held.
  void reload_if_changed();

  const std::string path_;
  const std::chrono::milliseconds check_interval_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_check_;  // guarded by mutex_
  file_stamp stamp_;                                  // guarded by mutex_: the version last tried
  std::shared_ptr<const key_map> keys_;               // guarded by mutex_
};

}  // namespace drover::api::auth
