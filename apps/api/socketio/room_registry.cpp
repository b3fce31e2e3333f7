// room_registry.cpp - room membership.
#include "api/socketio/room_registry.hpp"

namespace drover::api::socketio {

void room_registry::join(const client_id& client, const std::string& room, std::int64_t joined_at_ms) {
  rooms_[room].insert_or_assign(client, joined_at_ms);
  memberships_[client].insert(room);
}

void room_registry::leave(const client_id& client, const std::string& room) {
  if (auto it = rooms_.find(room); it != rooms_.end()) {
    it->second.erase(client);
    if (it->second.empty()) rooms_.erase(it);
  }
  if (auto it = memberships_.find(client); it != memberships_.end()) {
    it->second.erase(room);
    if (it->second.empty()) memberships_.erase(it);
  }
}

void room_registry::leave_all(const client_id& client) {
  auto it = memberships_.find(client);
  if (it == memberships_.end()) return;
  for (const auto& room : it->second) {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) continue;
    r->second.erase(client);
    if (r->second.empty()) rooms_.erase(r);
  }
  memberships_.erase(it);
}

std::vector<client_id> room_registry::members(const std::string& room) const {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return {};
  std::vector<client_id> out;
  out.reserve(it->second.size());
  for (const auto& [client, joined] : it->second) out.push_back(client);
  return out;
}

std::vector<std::string> room_registry::rooms_of(const client_id& client) const {
  auto it = memberships_.find(client);
  if (it == memberships_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::size_t room_registry::room_count_of(const client_id& client) const {
  auto it = memberships_.find(client);
  return it == memberships_.end() ? 0 : it->second.size();
}

bool room_registry::contains(const client_id& client, const std::string& room) const {
  auto it = memberships_.find(client);
  return it != memberships_.end() && it->second.contains(room);
}

std::optional<std::int64_t> room_registry::joined_at(const client_id& client, const std::string& room) const {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return std::nullopt;
  auto member = it->second.find(client);
  if (member == it->second.end()) return std::nullopt;
  return member->second;
}

}  // namespace drover::api::socketio
