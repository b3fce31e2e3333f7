// job_scheduler_scripts.cpp - add_job_scheduler.hpp and update_job_scheduler.hpp.
#include <fmt/format.h>

#include "core/msgpack.hpp"
#include "core/script_errors.hpp"
#include "core/scripts/add_job_scheduler.hpp"
#include "core/scripts/update_job_scheduler.hpp"
#include "drover/error.hpp"

namespace drover::detail::scripts {

namespace {

std::string packed(const boost::json::object& o) {
  msgpack_writer w;
  w.json(o);
  return w.take();
}

std::string millis(const std::optional<std::int64_t>& m) { return m ? std::to_string(*m) : std::string(); }

}  // namespace

add_job_scheduler add_job_scheduler::of(const queue_keys& k, const scheduler_request& req, const scheduler_plan& plan) {
  return {scheduler_keys::of(k),
          k.active,
          plan.next_millis,
          packed(plan.scheduler_opts),
          req.id,
          req.data,
          packed(req.opts),
          packed(plan.job_opts),
          plan.job_opts.at("timestamp").as_int64(),
          k.base(),
          ""};
}

script_call add_job_scheduler::pack() && {
  script_call call{&lua::add_job_scheduler, {}};
  std::move(scheduler).append_to(call.args);
  call.args.insert(call.args.end(), {std::move(active), millis(next_millis), std::move(scheduler_opts), scheduler_id,
                                     std::move(data), std::move(template_opts), std::move(job_opts),
                                     std::to_string(timestamp), std::move(prefix), std::move(producer_key)});
  return call;
}

add_job_scheduler::result add_job_scheduler::parse(const redis::reply& r) const {
  if (r.is_integer()) throw script_code_error(r.as_int().value_or(0), "repeat:" + scheduler_id, "addJobScheduler");
  if (!r.is_array() || r.elements.size() < 2) {
    throw error(errc::protocol_error,
                fmt::format("addJobScheduler for scheduler {} answered an unexpected reply", scheduler_id));
  }
  return {r.elements[0].as_string(), r.elements[1].as_int().value_or(0)};
}

update_job_scheduler update_job_scheduler::of(const queue_keys& k, const scheduler_request& req,
                                              const scheduler_plan& plan, const std::string& producer_id) {
  return {scheduler_keys::of(k),
          k.job(producer_id),
          k.active,
          plan.next_millis,
          req.id,
          req.data,
          packed(plan.job_opts),
          plan.job_opts.at("timestamp").as_int64(),
          k.base(),
          producer_id};
}

script_call update_job_scheduler::pack() && {
  script_call call{&lua::update_job_scheduler, {}};
  std::move(scheduler).append_to(call.args);
  call.args.insert(call.args.end(),
                   {std::move(producer_key), std::move(active), millis(next_millis), std::move(scheduler_id),
                    std::move(data), std::move(job_opts), std::to_string(timestamp), std::move(prefix), producer_id});
  return call;
}

update_job_scheduler::result update_job_scheduler::parse(const redis::reply& r) const {
  if (r.is_integer()) throw script_code_error(r.as_int().value_or(0), producer_id, "updateJobScheduler");
  if (r.is_nil() || r.as_string().empty()) return std::nullopt;
  return r.as_string();
}

}  // namespace drover::detail::scripts
