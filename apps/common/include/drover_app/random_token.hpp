// random_token.hpp - unguessable identifiers (document ids, webhook delivery ids) from
// OpenSSL's CSPRNG.
#pragma once

#include <cstddef>
#include <string>

namespace drover::app {

// `bytes` random bytes from RAND_bytes as lower-case hex (2 * bytes characters); 16 bytes
// (128 bits) for an id nobody can guess. Throws std::runtime_error when OpenSSL's
// generator fails (it is not seeded); never falls back to a weaker source.
// Thread safety: any thread (OpenSSL's default generator is thread-safe).
std::string random_hex(std::size_t bytes);

}  // namespace drover::app
