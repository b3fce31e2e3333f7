// room_registry.hpp - which clients are in which rooms, both ways round.
//
// Rooms exist while they have members: the last leave deletes the room, so a
// server that saw a million job ids does not keep a million empty rooms.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "api/socketio/client_id.hpp"

namespace drover::api::socketio {

class room_registry {
 public:
  // `joined_at_ms`: when the client joined (wall clock, ms); a second join moves it on.
  void join(const client_id& client, const std::string& room, std::int64_t joined_at_ms = 0);
  void leave(const client_id& client, const std::string& room);
  // Removes the client from every room; called when it disconnects.
  void leave_all(const client_id& client);

  // Returns a copy of the members, so the caller may join, leave or disconnect
  // clients while it walks them. Empty for an unknown room.
  std::vector<client_id> members(const std::string& room) const;
  // Returns the rooms of a client, empty for an unknown one.
  std::vector<std::string> rooms_of(const client_id& client) const;
  std::size_t room_count() const { return rooms_.size(); }
  // How many rooms the client is in; limits are checked by the server, not here.
  std::size_t room_count_of(const client_id& client) const;
  bool contains(const client_id& client, const std::string& room) const;
  // When the client last joined the room; nullopt when it is not in it.
  std::optional<std::int64_t> joined_at(const client_id& client, const std::string& room) const;

 private:
  std::unordered_map<std::string, std::unordered_map<client_id, std::int64_t>> rooms_;  // member -> joined at
  std::unordered_map<client_id, std::unordered_set<std::string>> memberships_;
};

}  // namespace drover::api::socketio
