// queue.cpp - adding jobs and reading them back.
#include "drover/queue.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <chrono>

#include "core/add_job.hpp"
#include "core/queue_impl.hpp"
#include "core/script_errors.hpp"
#include "drover/error.hpp"

namespace json = boost::json;
namespace net = boost::asio;

namespace drover {

using detail::script_args;
namespace lua = detail::lua;

net::awaitable<std::int64_t> queue::impl::run_for_code(const lua::script& s, script_args args,
                                                      std::string_view job_id, std::string_view state) {
  auto r = co_await detail::run_script(*conn, s, std::move(args));
  auto code = r.as_int();
  if (!code) throw error(errc::protocol_error, fmt::format("{} answered '{}', expected a number", s.name, r.as_string()));
  if (*code < 0) throw detail::script_code_error(*code, job_id, s.name, state);
  co_return *code;
}

queue::queue(net::any_io_executor ex, std::string name, queue_options opts) {
  detail::check_queue_name(name);
  impl_ = std::make_unique<impl>(std::move(ex), std::move(name), std::move(opts));
}
queue::~queue() {
  if (impl_) impl_->conn->close();
}
queue::queue(queue&&) noexcept = default;
queue& queue::operator=(queue&&) noexcept = default;

const std::string& queue::name() const { return impl_->keys.queue(); }
const std::string& queue::prefix() const { return impl_->keys.prefix(); }
void queue::close() { impl_->conn->close(); }

using detail::prepare_add;
using detail::take_id;
using detail::prepared_add;

net::awaitable<job> queue::add(std::string name, json::value data, job_options opts) {
  auto p = prepare_add(impl_->keys, new_job{std::move(name), std::move(data), std::move(opts)});
  auto r = co_await detail::run_script(*impl_->conn, *p.script, std::move(p.args));
  take_id(p, r);
  co_return std::move(p.j);
}

net::awaitable<std::vector<job>> queue::add_bulk(std::vector<new_job> jobs) {
  std::vector<prepared_add> prepared;
  prepared.reserve(jobs.size());
  for (auto& nj : jobs) prepared.push_back(prepare_add(impl_->keys, std::move(nj)));
  std::vector<std::pair<const lua::script*, script_args>> calls;
  calls.reserve(prepared.size());
  for (auto& p : prepared) calls.emplace_back(p.script, std::move(p.args));
  auto replies = co_await detail::run_scripts(*impl_->conn, std::move(calls));
  std::vector<job> out;
  out.reserve(prepared.size());
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    take_id(prepared[i], replies[i]);
    out.push_back(std::move(prepared[i].j));
  }
  co_return out;
}

net::awaitable<std::optional<job>> queue::get_job(std::string id) {
  redis::command r_cmd{"HGETALL", impl_->keys.job(id)};
  auto r = co_await impl_->conn->exec(std::move(r_cmd));
  if (r.is_error()) throw error(errc::redis_error, "HGETALL " + impl_->keys.job(id) + ": " + r.str);
  if (r.elements.empty()) co_return std::nullopt;
  std::vector<std::string> fv;
  fv.reserve(r.elements.size());
  for (auto& e : r.elements) fv.push_back(std::move(e.str));
  co_return job::from_hash(std::move(id), fv);
}

net::awaitable<std::string> queue::get_job_state(std::string id) {
  const auto& k = impl_->keys;
  detail::script_args args1{k.completed, k.failed, k.delayed, k.active, k.wait, k.paused, k.waiting_children, k.prioritized, id};
  auto r = co_await detail::run_script(
      *impl_->conn, lua::get_state_v2,
      std::move(args1));
  co_return r.as_string();
}

net::awaitable<std::map<std::string, std::int64_t>> queue::get_job_counts(std::vector<std::string> types) {
  if (types.empty()) types = {"active", "completed", "delayed", "failed", "prioritized", "waiting", "waiting-children"};
  script_args args{impl_->keys.base()};
  for (const auto& t : types) args.push_back(t == "waiting" ? "wait" : t);
  auto r = co_await detail::run_script(*impl_->conn, lua::get_counts, std::move(args));
  std::map<std::string, std::int64_t> counts;
  for (std::size_t i = 0; i < types.size(); ++i) {
    counts[types[i]] = i < r.elements.size() ? r.elements[i].as_int().value_or(0) : 0;
  }
  co_return counts;
}

net::awaitable<std::vector<job>> queue::get_jobs(std::vector<std::string> types, std::int64_t start,
                                                 std::int64_t end, bool asc) {
  if (types.empty()) types = {"active", "completed", "delayed", "failed", "prioritized", "waiting", "waiting-children"};
  script_args args{impl_->keys.base(), std::to_string(start), std::to_string(end), asc ? "1" : "0", "5"};
  std::vector<std::string> seen_types;
  for (const auto& t : types) {
    auto name = t == "waiting" ? std::string("wait") : t;
    if (std::find(seen_types.begin(), seen_types.end(), name) == seen_types.end()) seen_types.push_back(name);
  }
  args.insert(args.end(), seen_types.begin(), seen_types.end());
  auto r = co_await detail::run_script(*impl_->conn, lua::get_jobs, std::move(args));
  std::vector<job> out;
  std::vector<std::string> ids;
  for (auto& per_type : r.elements) {
    for (auto& entry : per_type.elements) {
      if (entry.elements.size() < 2) continue;
      auto id = entry.elements[0].as_string();
      if (std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
      ids.push_back(id);
      std::vector<std::string> fv;
      for (auto& e : entry.elements[1].elements) fv.push_back(std::move(e.str));
      out.push_back(job::from_hash(std::move(id), fv));
    }
  }
  co_return out;
}

net::awaitable<std::pair<std::vector<std::string>, std::int64_t>> queue::get_job_logs(std::string id,
                                                                                     std::int64_t start,
                                                                                     std::int64_t end) {
  auto key = impl_->keys.logs(id);
  std::vector<redis::command> cmds;
  cmds.push_back(redis::command{"LRANGE", key}.push(start).push(end));
  cmds.push_back(redis::command{"LLEN", key});
  auto r = co_await impl_->conn->exec(std::move(cmds));
  std::vector<std::string> lines;
  for (auto& e : r[0].elements) lines.push_back(std::move(e.str));
  co_return std::make_pair(std::move(lines), r[1].as_int().value_or(0));
}

net::awaitable<void> queue::update_progress(std::string id, json::value progress) {
  const auto& k = impl_->keys;
  detail::script_args args2{k.job(id), k.events, k.meta, id, json::serialize(progress)};
  co_await impl_->run_for_code(lua::update_progress, std::move(args2), id);
}

net::awaitable<std::int64_t> queue::add_log(std::string id, std::string line) {
  const auto& k = impl_->keys;
  detail::script_args args3{k.job(id), k.logs(id), id, std::move(line), ""};
  co_return co_await impl_->run_for_code(lua::add_log, std::move(args3), id);
}

net::awaitable<void> queue::update_data(std::string id, json::value data) {
  const auto& k = impl_->keys;
  detail::script_args args4{k.job(id), json::serialize(data)};
  co_await impl_->run_for_code(lua::update_data, std::move(args4), id);
}

}  // namespace drover
