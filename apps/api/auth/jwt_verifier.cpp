// jwt_verifier.cpp - the order of a token's checks: shape, header, key, signature, claims.
#include "api/auth/jwt_verifier.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <stdexcept>

#include <drover_app/ascii.hpp>
#include <drover_app/base64.hpp>
#include <drover_app/utf8.hpp>
#include "api/auth/jwks_file.hpp"
#include "api/auth/jwt_key.hpp"
#include "api/auth/key_file.hpp"

namespace drover::api::auth {

namespace {

using app::iequals;
using app::trim_ows;

namespace json = boost::json;

constexpr std::int64_t max_leeway_s = 86400;

verification refused(const char* why) { return {std::nullopt, why}; }

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// A value used exactly as written, as app::env_exact reads one (which this unit, compiled
// without the engine's headers, cannot include).
std::string exact_env(const char* name) {
  std::string v = env(name);
  if (auto why = app::surrounding_space_refusal(name, v); !why.empty()) throw std::invalid_argument(why);
  return v;
}

// A base64url part that must decode to a JSON object.
std::optional<json::object> json_part(std::string_view part) {
  auto text = drover::app::base64url_decode(part);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  auto v = json::parse(*text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

// RFC 7519 section 2, NumericDate: seconds since the epoch, possibly fractional.
std::optional<double> numeric_date(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  return std::nullopt;
}

// `exp` (seconds since the epoch) and the leeway as a time, the end of time for one past
// what the clock can hold (tokens that claim to last for ever are accepted as such).
std::chrono::system_clock::time_point valid_until(double exp_s, std::chrono::seconds leeway) {
  using clock = std::chrono::system_clock;
  const double end_s = exp_s + static_cast<double>(leeway.count());
  const double last_s = std::chrono::duration<double>(clock::time_point::max().time_since_epoch()).count();
  if (!(end_s < last_s / 2)) return clock::time_point::max();
  return clock::time_point(std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(end_s)));
}

bool acceptable_type(std::string_view typ) {
  if (typ.size() > 12 && iequals(typ.substr(0, 12), "application/")) typ.remove_prefix(12);
  return iequals(typ, "JWT") || iequals(typ, "at+jwt");
}

// Why `sub` cannot name a user, or nullptr when it can.
const char* subject_refusal(const json::value* sub) {
  if (sub == nullptr || !sub->is_string() || sub->get_string().empty()) return "missing or invalid subject";
  const auto& s = sub->get_string();
  if (s.size() > jwt_verifier::max_subject_bytes) return "subject longer than 256 bytes";
  // A user's name is shown (logs, the dashboard, job data): nothing in it may hide or
  // reorder what follows it (U+202E, a right-to-left override; C1's U+0085).
  const std::string_view text(s.data(), s.size());
  app::shown_code_points seen;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = app::utf8_sequence(text, i);
    if (n == 0) return "subject is not UTF-8";
    // Joiners and variation selectors stay where they build an emoji or a variant.
    if (!seen.shows(app::utf8_code_point(text, i, n))) return "subject with a control or invisible character";
    i += n;
  }
  return nullptr;
}

bool audience_holds(const json::value* aud, std::string_view want) {
  if (aud == nullptr) return false;
  if (aud->is_string()) return aud->get_string() == want;
  if (!aud->is_array()) return false;
  const auto& all = aud->get_array();
  return std::any_of(all.begin(), all.end(),
                     [&](const json::value& a) { return a.is_string() && a.get_string() == want; });
}

// The claims checks of step 4 in the class comment; nullptr when they all pass.
const char* claims_refusal(const json::object& claims, const jwt_settings& s, std::int64_t now_s) {
  const double now = static_cast<double>(now_s);
  const double leeway = static_cast<double>(s.leeway.count());
  const auto* exp = claims.if_contains("exp");
  if (exp == nullptr) return "token has no expiry";
  auto exp_at = numeric_date(*exp);
  if (!exp_at) return "malformed exp claim";
  if (now >= *exp_at + leeway) return "token expired";
  if (const auto* nbf = claims.if_contains("nbf")) {
    auto at = numeric_date(*nbf);
    if (!at) return "malformed nbf claim";
    if (*at > now + leeway) return "token not yet valid";
  }
  if (const auto* iat = claims.if_contains("iat")) {
    auto at = numeric_date(*iat);
    if (!at) return "malformed iat claim";
    if (*at > now + leeway) return "token issued in the future";
  }
  if (!s.issuer.empty()) {
    const auto* iss = claims.if_contains("iss");
    if (iss == nullptr || !iss->is_string() || iss->get_string() != s.issuer) return "wrong issuer";
  }
  if (!s.audience.empty() && !audience_holds(claims.if_contains("aud"), s.audience)) return "wrong audience";
  return subject_refusal(claims.if_contains("sub"));
}

}  // namespace

jwt_settings jwt_settings::from_env() {
  jwt_settings s;
  s.hs256_secret = env("AUTH_JWT_SECRET");
  s.public_key_file = env("AUTH_JWT_PUBLIC_KEY_FILE");
  s.jwks_file = env("AUTH_JWKS_FILE");
  s.issuer = exact_env("AUTH_JWT_ISSUER");
  s.audience = exact_env("AUTH_JWT_AUDIENCE");
  const auto leeway = env("AUTH_JWT_LEEWAY_S");
  if (const auto text = trim_ows(leeway); !text.empty()) {
    std::int64_t v = -1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v < 0 || v > max_leeway_s) {
      throw std::invalid_argument("AUTH_JWT_LEEWAY_S must be a whole number of seconds from 0 to 86400, not '" +
                                  leeway + "'");
    }
    s.leeway = std::chrono::seconds(v);
  }
  return s;
}

jwt_verifier::jwt_verifier(jwt_settings s) : settings_(std::move(s)) {
  const int kinds = !settings_.hs256_secret.empty() + !settings_.public_key_file.empty() + !settings_.jwks_file.empty();
  if (kinds == 0) {
    throw std::invalid_argument(
        "no JWT key configured: set AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY_FILE or AUTH_JWKS_FILE");
  }
  if (kinds > 1) {
    throw std::invalid_argument("set only one of AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY_FILE and AUTH_JWKS_FILE");
  }
  if (settings_.leeway.count() < 0 || settings_.leeway.count() > max_leeway_s) {
    throw std::invalid_argument("AUTH_JWT_LEEWAY_S must be from 0 to 86400 seconds");
  }
  if (!settings_.hs256_secret.empty()) {
    try {
      key_ = std::make_shared<const jwt_key>(jwt_key::from_secret(settings_.hs256_secret));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("AUTH_JWT_SECRET: ") + e.what());
    }
    settings_.hs256_secret.clear();  // the key holds it; one copy is enough
  } else if (!settings_.public_key_file.empty()) {
    try {
      auto file = read_key_file(settings_.public_key_file);
      key_ = std::make_shared<const jwt_key>(jwt_key::from_pem(file.text));
    } catch (const std::exception& e) {
      throw std::invalid_argument("AUTH_JWT_PUBLIC_KEY_FILE ('" + settings_.public_key_file + "'): " + e.what());
    }
  } else {
    jwks_ = std::make_shared<jwks_file>(settings_.jwks_file, settings_.jwks_check_interval);
  }
}

verification jwt_verifier::verify(std::string_view token) const {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return verify(token, std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

verification jwt_verifier::verify_bearer(std::string_view authorization_header) const {
  auto h = trim_ows(authorization_header);
  constexpr std::string_view scheme = "bearer";
  if (h.empty()) return refused("missing token");
  if (h.size() <= scheme.size() || !iequals(h.substr(0, scheme.size()), scheme) ||
      (h[scheme.size()] != ' ' && h[scheme.size()] != '\t')) {
    return refused("expected a Bearer token");
  }
  return verify(trim_ows(h.substr(scheme.size())));
}

verification jwt_verifier::verify(std::string_view token, std::int64_t now_s) const {
  // 1. Shape, before any decoding.
  if (token.empty()) return refused("missing token");
  if (token.size() > max_token_bytes) return refused("token longer than 8192 bytes");
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return refused("malformed token");
  }

  // 2. Header, and the key it must be checked with.
  auto header = json_part(token.substr(0, dot1));
  if (!header) return refused("malformed token");
  const auto* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string()) return refused("malformed token");
  if (iequals(alg->get_string(), "none")) return refused("unsigned tokens are refused");
  if (const auto* typ = header->if_contains("typ")) {
    if (!typ->is_string() || !acceptable_type(typ->get_string())) return refused("unsupported token type");
  }
  if (header->contains("crit")) return refused("unsupported critical header");
  // A key the token brings or points to is never used (the key is ours, by
  // configuration), and a token that offers one is refused rather than half-trusted.
  for (const char* name : {"jwk", "jku", "x5u", "x5c"}) {
    if (header->contains(name)) return refused("keys embedded in or linked from the header are refused");
  }

  std::shared_ptr<const jwks_file::key_map> keys;  // keeps a JWKS key alive during the check
  const jwt_key* key = key_.get();
  if (jwks_) {
    const auto* kid = header->if_contains("kid");
    if (kid == nullptr || !kid->is_string() || kid->get_string().empty()) return refused("missing key id");
    keys = jwks_->keys();
    auto it = keys->find(std::string_view(kid->get_string()));
    if (it == keys->end()) return refused("unknown key id");
    key = &it->second;
  }
  if (alg->get_string() != to_string(key->alg())) return refused("algorithm not allowed");

  // 3. Signature over the first two parts exactly as sent.
  auto signature = drover::app::base64url_decode(token.substr(dot2 + 1));
  if (!signature) return refused("malformed token");
  if (!key->verify(token.substr(0, dot2), *signature)) return refused("bad signature");

  // 4. Claims, read only once the signature holds.
  auto claims = json_part(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!claims) return refused("malformed token");
  if (const char* why = claims_refusal(*claims, settings_, now_s)) return refused(why);
  identity who;
  who.user = std::string(claims->at("sub").get_string());
  who.valid_until = valid_until(*numeric_date(claims->at("exp")), settings_.leeway);
  who.claims = std::move(*claims);
  return {std::move(who), {}};
}

}  // namespace drover::api::auth
