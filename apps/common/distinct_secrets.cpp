// distinct_secrets.cpp - see distinct_secrets.hpp.
#include "drover_app/distinct_secrets.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "drover_app/ascii.hpp"
#include "drover_app/webhook_signature.hpp"

namespace drover::app {

named_secret plain_secret(std::string name, std::string_view value) {
  return {std::move(name), {std::string(value), hmac_key_identity(value)}};
}

named_secret webhook_secret(std::string name, std::string_view value) {
  const auto key = webhook_key(value);
  return {std::move(name), {std::string(value), key, hmac_key_identity(key)}};
}

std::string shared_secret_among(const std::vector<named_secret>& secrets) {
  const auto same = [](const named_secret& a, const named_secret& b) {
    return std::any_of(a.forms.begin(), a.forms.end(), [&](const std::string& f) {
      return std::any_of(b.forms.begin(), b.forms.end(),
                         [&](const std::string& g) { return trim_space(f) == trim_space(g); });
    });
  };
  for (std::size_t i = 0; i < secrets.size(); ++i) {
    for (std::size_t j = i + 1; j < secrets.size(); ++j) {
      if (!same(secrets[i], secrets[j])) continue;
      return fmt::format(
          "{} and {} are the same secret: whoever holds one must not hold the other's powers; give each its own",
          secrets[i].name, secrets[j].name);
    }
  }
  return {};
}

}  // namespace drover::app
