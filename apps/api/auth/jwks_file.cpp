// jwks_file.cpp - parsing a JWKS file into keys, and reloading it when it changes.
#include "api/auth/jwks_file.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>

#include <stdexcept>

namespace drover::api::auth {

jwks_file::jwks_file(std::string path, std::chrono::milliseconds check_interval)
    : path_(std::move(path)), check_interval_(check_interval), last_check_(std::chrono::steady_clock::now()) {
  try {
    auto v = load(path_, stamp_);
    if (v.named.empty()) throw std::runtime_error("'" + path_ + "' holds no key ('keys' names none)");
    if (v.usable->empty()) throw std::runtime_error("'" + path_ + "' holds no usable RSA or EC P-256 signing key");
    keys_ = std::move(v.usable);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("AUTH_JWKS_FILE: ") + e.what());
  }
}

std::shared_ptr<const jwks_file::key_map> jwks_file::keys() {
  std::lock_guard lock(mutex_);
  reload_if_changed();
  return keys_;
}

void jwks_file::reload_if_changed() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < check_interval_) return;
  last_check_ = now;
  if (stamp_of(path_) == stamp_) return;
  file_stamp tried;
  try {
    auto v = load(path_, tried);
    if (v.usable->empty()) {
      keep_named(v);
    } else {
      keys_ = std::move(v.usable);
      spdlog::info("AUTH_JWKS_FILE '{}' reloaded: {} key(s)", path_, keys_->size());
    }
  } catch (const std::exception& e) {
    spdlog::warn("AUTH_JWKS_FILE: keeping the previous keys: {}", e.what());
    // Remember the failed version so that it is warned about once; a vanished file
    // leaves the empty stamp, which matches until the file is back.
  }
  stamp_ = tried;
}

void jwks_file::keep_named(const version& v) {
  auto kept = std::make_shared<key_map>();
  std::string dropped;
  for (const auto& [id, key] : *keys_) {
    if (v.named.contains(id)) {
      kept->emplace(id, key);
    } else {
      dropped += (dropped.empty() ? "'" : ", '") + id + "'";
    }
  }
  keys_ = std::move(kept);
  if (v.named.empty()) {
    spdlog::warn("AUTH_JWKS_FILE '{}' reloaded with no keys: every token is refused until keys are added", path_);
  } else if (keys_->empty()) {
    spdlog::warn(
        "AUTH_JWKS_FILE '{}' holds no usable signing key and none of the previous ones: every token is "
        "refused until a usable key is added",
        path_);
  } else {
    spdlog::warn(
        "AUTH_JWKS_FILE '{}' holds no usable signing key: keeping the previous version of the {} key(s) it "
        "still names; revoked those it no longer names{}",
        path_, keys_->size(), dropped.empty() ? std::string(" (none)") : ": " + dropped);
  }
}

jwks_file::version jwks_file::load(const std::string& path, file_stamp& stamp) {
  auto file = read_key_file(path);
  stamp = file.stamp;
  boost::system::error_code ec;
  auto doc = boost::json::parse(file.text, ec);
  const auto* keys = !ec && doc.is_object() ? doc.get_object().if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) {
    throw std::runtime_error("'" + path + "' is not a JWKS document (a JSON object with a 'keys' array)");
  }
  version out{{}, std::make_shared<key_map>()};
  std::size_t index = 0;
  for (const auto& entry : keys->get_array()) {
    ++index;
    const auto* jwk = entry.if_object();
    const auto* kid = jwk ? jwk->if_contains("kid") : nullptr;
    if (kid == nullptr || !kid->is_string() || kid->get_string().empty()) {
      spdlog::warn("AUTH_JWKS_FILE '{}': skipping key {}: no 'kid'", path, index);
      continue;
    }
    std::string id(kid->get_string());
    if (!out.named.insert(id).second) {
      spdlog::warn("AUTH_JWKS_FILE '{}': skipping key {}: duplicate kid '{}'", path, index, id);
      continue;
    }
    try {
      out.usable->emplace(id, jwt_key::from_jwk(*jwk));
    } catch (const std::invalid_argument& e) {
      spdlog::warn("AUTH_JWKS_FILE '{}': skipping key '{}': {}", path, id, e.what());
    }
  }
  return out;
}

}  // namespace drover::api::auth
