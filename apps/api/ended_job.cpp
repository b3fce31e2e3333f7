// ended_job.cpp - see ended_job.hpp.
#include "api/ended_job.hpp"

#include <drover/json.hpp>

namespace json = boost::json;

namespace drover::api {

boost::asio::awaitable<std::optional<ended_job>> ended_chat_job(api_context& app, const caller& who,
                                                                const std::string& job_id) {
  auto* db = &app.db;
  auto work = [db, job_id]() { return db->get_job_log("ai-processing", job_id); };
  auto row = co_await app.in_db(work);
  if (!row || !who.owns(row->user_id.value_or(""))) co_return std::nullopt;
  ended_job out;
  out.status = row->status == "pending" ? std::string("waiting") : row->status == "processing" ? "active" : row->status;
  if (row->status == "completed") {
    boost::system::error_code ec;
    json::value result = row->result_json ? drover::parse_json(*row->result_json, ec) : json::value(nullptr);
    out.outcome["result"] = ec ? json::value(nullptr) : std::move(result);
  } else if (row->status == "failed") {
    out.outcome["error"] = row->error_message.value_or("");
  }
  co_return out;
}

}  // namespace drover::api
