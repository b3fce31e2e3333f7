// reply.hpp - one Redis reply (RESP2), and the hiredis reader that builds it straight from
// the bytes read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover::redis {

struct reply {
  enum class kind { nil, integer, string, status, error, array };

  kind type = kind::nil;
  std::int64_t integer = 0;
  std::string str;  // string, status and error replies
  std::vector<reply> elements;

  bool is_nil() const { return type == kind::nil; }
  bool is_error() const { return type == kind::error; }
  bool is_array() const { return type == kind::array; }
  bool is_integer() const { return type == kind::integer; }
  bool is_string() const { return type == kind::string || type == kind::status; }

  // The value as an integer: integer replies, and strings holding a number.
  // Returns std::nullopt for anything else.
  std::optional<std::int64_t> as_int() const;
  // The value as text: strings as they are, integers printed; empty for nil.
  std::string as_string() const;
};

// Throws drover::error(redis_error, "<what>: <Redis's message>") when `r` is an error
// reply (NOAUTH, READONLY, WRONGTYPE...), so that a refused read or write is an error the
// caller sees, never a value read as "nothing there"; redis_unavailable for a refusal
// that passes (is_passing_refusal).
void expect_no_error(const reply& r, std::string_view what);

// Whether Redis's error `message` refuses the command for a while only, as an outage
// does: OOM (writes refused at maxmemory until memory is freed), LOADING (a restart
// reading its data), BUSY (a long script), MASTERDOWN (a replica that lost its master),
// CLUSTERDOWN and TRYAGAIN (a cluster's failover or slot migration; a cluster connection
// waits these out itself when nothing of a pipeline ran, so they reach a caller only in a
// pipeline part of which ran).
// Callers that wait out an outage wait these out too, rather than failing what they do
// for good (a job's attempt, an answer already paid for).
bool is_passing_refusal(std::string_view message);

// Whether Redis's error `message` is its refusal of a new connection at maxclients, which
// it answers before it closes the connection.
bool is_maxclients_refusal(std::string_view message);

// When Redis's error `message` says that the connection is not authenticated (NOAUTH,
// "unauthenticated" protocol errors) or that the password was refused (WRONGPASS), what to
// tell the user: that Redis needs a password and where it goes. std::nullopt otherwise.
// An operator review met "script getCounts failed: ERR Protocol error: unauthenticated
// multibulk length" from `drover counts` with the password left out. Likewise a MOVED
// reply (a plain connection to one node of a Redis Cluster): use a cluster URL.
std::optional<std::string> explain_refusal(std::string_view message);
// The error `message` with explain_refusal's explanation when it has one.
std::string explained(std::string_view message);

// The most elements an array reply may announce. hiredis allocates an array's element
// table when its header arrives, before any element does, so without a limit the 14
// bytes "*2000000000\r\n" make it ask for 16 GB (found by fuzzing, issue 13). 2^24
// elements (128 MiB of replies) is far above any reply drover asks for.
inline constexpr std::size_t max_reply_elements = std::size_t{1} << 24;

// A hiredis reader (a redisReader*; free it with redisReaderFree) whose replies are
// drover's `reply` objects, built in place as hiredis parses (no tree of hiredis's own
// to copy and free: two allocations per element fewer on the worker's hot path). It
// refuses an array header over max_reply_elements: the reader then fails, with hiredis's
// "Out of memory" as its error text.
void* create_reader();

// The reply redisReaderGetReply gave (non-null) from a reader of create_reader(); frees it.
reply take_reply(void* raw);

}  // namespace drover::redis
