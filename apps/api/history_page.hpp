// history_page.hpp - one page of a conversation's history, bounded in messages and in bytes.
#pragma once

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <drover_app/db/database.hpp>

namespace drover::api {

// GET /api/conversations/:id/messages answers the newest messages (before ?before=,
// a message id, when given), oldest first: at most ?limit= of them and at most
// max_bytes of JSON, so that one reply stays small whatever the messages hold (a
// 32 KiB message of control characters is 192 KiB of JSON). The oldest message left
// out is reached with the page's nextBefore.
struct history_limits {
  static constexpr std::size_t default_count = 100;
  static constexpr std::size_t max_count = 200;
  static constexpr std::size_t max_bytes = 1024 * 1024;
};

struct history_query {
  std::size_t count = history_limits::default_count;
  std::optional<std::int64_t> before;  // only messages whose id is below this
};

// The query from ?limit= (1..max_count) and ?before= (a message id); throws http_error 400.
history_query history_query_of(const std::optional<std::string>& limit, const std::optional<std::string>& before);

// A message as the API shows it: {id, role, content, jobId, createdAt}.
boost::json::object message_json(const app::message& m);

// The reply {conversationId, messages, hasMore, nextBefore} from `newest`: the newest
// count + 1 messages the query asks for, oldest first (the one beyond `count` only
// says that there are more). Messages are taken newest first until the next would
// pass `max_bytes` (the newest always goes in, so that paging moves on); hasMore then
// says that older ones remain, and nextBefore is the ?before= that reads them (null
// when none remain).
boost::json::object history_page(const std::string& conversation_id, std::vector<app::message> newest,
                                 std::size_t count, std::size_t max_bytes = history_limits::max_bytes);

}  // namespace drover::api
