// redis_refusal.hpp - why Redis refused a write outright, in words a user may read and
// an operator can act on.
#pragma once

#include <drover/error.hpp>

#include <optional>
#include <string_view>

namespace drover::app {

// A refusal comes at a script's first write or before it runs, so nothing of the call
// was stored: memory at maxmemory, a disk Redis cannot persist to (MISCONF), an ACL
// without the command (NOPERM), a replica reached instead of the master (READONLY), each
// lasting until the operator acts; and a call never written, for want of a connection.
// Each names no host, unlike drover's error texts. The API tells a send's caller (503),
// the Workers app a failed job's user.
// std::nullopt for any other error, which may have written something.
std::optional<std::string_view> redis_refusal(const drover::error& e);

// Whether the refusal `e` passes without anyone acting: no connection could be made, Redis
// at maxclients, a cluster slot moving. The others (memory, disk, ACL, a replica, a login,
// a TLS refusal) last until the operator mends them, and "try again shortly" would mislead.
bool refusal_passes(const drover::error& e);

}  // namespace drover::app
