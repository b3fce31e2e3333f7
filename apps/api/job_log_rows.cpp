// job_log_rows.cpp - see job_log_rows.hpp.
#include "api/job_log_rows.hpp"

#include <drover/json.hpp>

#include "api/job_owner.hpp"

namespace drover::api {

app::job_log_update pending_job_log(const std::string& queue, const std::string& app_id, const job& j) {
  app::job_log_update u;
  u.queue = queue;
  u.job_id = app_id;
  u.status = "pending";
  u.job_type = j.name;
  u.user_id = user_of_job_data(j.data);
  boost::json::value payload = j.data;
  if (payload.is_object()) payload.as_object().erase("context");
  u.payload_json = drover::serialize_json(payload);
  return u;
}

}  // namespace drover::api
