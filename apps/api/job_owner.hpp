// job_owner.hpp - who a job belongs to: the user its data names.
#pragma once

#include <boost/json/value.hpp>

#include <string>

namespace drover::api {

// The `userId` of a job's data (a string, or an integer as the seed's clients send it),
// or "" when it names none. Read from the job itself, so jobs a Node producer added are
// owned the same way as the API's.
inline std::string user_of_job_data(const boost::json::value& data) {
  const auto* o = data.if_object();
  if (!o) return {};
  const auto* v = o->if_contains("userId");
  if (!v) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return {};
}

}  // namespace drover::api
