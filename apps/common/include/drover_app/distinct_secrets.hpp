// distinct_secrets.hpp - one secret per purpose: the check both apps make at their start
// that no two of their settings hold the same key, in any of the forms it may be written.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace drover::app {

// A setting and the forms its secret may take: compared in every form, so that neither
// the same text, another encoding of one key, nor a key HMAC uses alike passes.
struct named_secret {
  std::string name;
  std::vector<std::string> forms;
};

// A secret used as it is written (a token, a password, an HS256 key): its text, and the
// key HMAC-SHA256 makes of it (hmac_key_identity).
named_secret plain_secret(std::string name, std::string_view value);
// A webhook secret: also the key it stands for (webhook_key: a whsec_ secret is its
// decoded bytes) and that key as HMAC uses it.
named_secret webhook_secret(std::string name, std::string_view value);

// "A and B are the same secret: ..." for the first two of `secrets` that share a form
// (compared trimmed: a secret mounted from a file ends in a newline), or "".
std::string shared_secret_among(const std::vector<named_secret>& secrets);

}  // namespace drover::app
