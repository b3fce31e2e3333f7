// eviction_policy.hpp - the start-up warning, once per process and Redis server, that
// Redis may evict queue keys (its maxmemory-policy is not noeviction), as BullMQ gives.
#pragma once

#include <string>
#include <string_view>

#include "redis/reply.hpp"

namespace drover::redis::eviction_policy {

// Lifecycle, driven by connection's handshake:
//  1. claim(endpoint) is true for the first connection of the process to a server, which
//     then sends INFO memory with its handshake (no extra round trip);
//  2. report(endpoint, reply) reads the answer and warns when the policy is not
//     noeviction; the server is then done for this process;
//  3. release(endpoint) when the handshake failed before an answer, so that the next
//     connection asks instead.
// Thread safety: all three may be called from any thread (a process-wide table behind a
// mutex).

// True when the caller should ask about the server at `endpoint` (host:port): nobody in
// this process has asked, or is asking now.
bool claim(const std::string& endpoint);

// Gives a claim back unanswered.
void release(const std::string& endpoint);

// Reads the reply to INFO memory: a policy other than noeviction is logged as a
// warning. An error reply (an ACL that refuses INFO) is logged at debug level only:
// the policy is then unknown, and the queues work regardless.
void report(const std::string& endpoint, const reply& info);

// The value of maxmemory_policy in INFO's text, or empty when the field is absent
// (a proxy, or a server that hides it).
std::string_view policy_in(std::string_view info);

}  // namespace drover::redis::eviction_policy
