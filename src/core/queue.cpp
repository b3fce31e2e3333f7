// queue.cpp - adding jobs and reading them back.
#include "drover/queue.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <string_view>

#include "core/add_job.hpp"
#include "core/dependency_reads.hpp"
#include "core/queue_impl.hpp"
#include "drover/queue_events.hpp"
#include "core/replicated_add.hpp"
#include "core/scripts/add_log.hpp"
#include "core/scripts/get_counts.hpp"
#include "core/scripts/get_jobs.hpp"
#include "core/scripts/get_ranges.hpp"
#include "core/scripts/get_state.hpp"
#include "core/scripts/raise_id_counter.hpp"
#include "core/scripts/update_data.hpp"
#include "core/scripts/update_progress.hpp"
#include "core/tracing/job_spans.hpp"
#include "drover/error.hpp"
#include "drover/json.hpp"

namespace json = boost::json;
namespace net = boost::asio;

namespace drover {

namespace scripts = detail::scripts;

queue::queue(net::any_io_executor ex, std::string name, queue_options opts) {
  detail::check_queue_name(name);
  impl_ = std::make_unique<impl>(std::move(ex), std::move(name), std::move(opts));
}
queue::~queue() {
  if (impl_) close();
}
queue::queue(queue&&) noexcept = default;
queue& queue::operator=(queue&&) noexcept = default;

const std::string& queue::name() const { return impl_->keys.queue(); }
const std::string& queue::prefix() const { return impl_->keys.prefix(); }
void queue::close() {
  impl_->conn->close();
  impl_->lanes.close();
  impl_->waits->closed = true;
  for (auto* waiting : impl_->waits->readers) waiting->close();
}

using detail::prepare_add;
using detail::prepared_add;
using detail::take_id;

net::awaitable<job> queue::add(std::string name, json::value data, job_options opts) {
  std::vector<new_job> one;
  one.push_back(new_job{std::move(name), std::move(data), std::move(opts)});
  auto added = co_await add_bulk(std::move(one));
  co_return std::move(added.front());
}

// Node's Queue writes meta.version ("bullmq:6.7.0") when it is made; getVersion() and
// dashboards read it, and a queue only drover added to had none. drover writes the
// version of the layout it keeps, once per queue object, before its first add, schedule,
// pause or limit (each may be the first thing done to a queue). Like
// Node, it goes on when the write is refused (an ACL): the version is information.
net::awaitable<void> detail::write_version_once(queue::impl& q) {
  if (q.version_written) co_return;
  redis::command set{"HSET", q.keys.meta, "version", std::string(detail::bullmq_layout_version)};
  auto r = co_await q.conn->exec(std::move(set));
  if (r.is_error()) spdlog::debug("queue {}: meta.version not written: {}", q.keys.queue(), r.as_string());
  q.version_written = true;
}

namespace {

// A job id BullMQ's counter gave, as a number; 0 for any other. The counter's ids are
// canonical decimals, which a custom id cannot be (BullMQ refuses one that reads back as
// an integer); one with a leading zero can ("09223372036854775807" raised the counter to
// its end, and every add after failed on INCR's overflow).
std::int64_t numeric_id(std::string_view id) {
  if (id.empty() || (id.front() == '0' && id.size() > 1)) return 0;
  std::int64_t n = 0;
  const auto* end = id.data() + id.size();
  auto [at, ec] = std::from_chars(id.data(), end, n);
  return (ec == std::errc() && at == end && n > 0) ? n : 0;
}

// raiseIdCounter's reply: the adds behind it have run whatever it said, so a refusal is
// only reported; a raise means Redis lost ids, which an operator wants to hear of.
void note_id_counter_raise(const std::string& queue, const scripts::raise_id_counter& call, const redis::reply& r) {
  const auto floor = call.floor;
  try {
    if (auto before = call.parse(r)) {
      spdlog::warn(
          "queue {}: Redis's job id counter was {}, below {}, the highest id this queue gave or was told of: "
          "raised to it, so that no id names two jobs (did Redis lose its data?)",
          queue, *before, floor);
    }
  } catch (const std::exception& e) {
    spdlog::error("queue {}: the job id counter could not be raised to {}: {}; an id may be given again", queue, floor,
                  e.what());
  }
}

}  // namespace

void queue::keep_ids_above(const std::vector<std::string>& ids) {
  auto floor = impl_->id_floor.value_or(0);
  for (const auto& id : ids) floor = std::max(floor, numeric_id(id));
  impl_->id_floor = floor;
}

net::awaitable<std::vector<job>> queue::add_bulk(std::vector<new_job> jobs) {
  co_await detail::write_version_once(*impl_);
  std::vector<prepared_add> prepared;
  prepared.reserve(jobs.size());
  std::vector<span> traced;  // one add span per job, as Node's addBulk links each job
  replication_options wanted;
  for (auto& nj : jobs) {
    traced.push_back(detail::start_add_span(impl_->tracing.get(), impl_->keys.queue(), nj.name, nj.opts));
    detail::require(wanted, nj.opts.replication);
    prepared.push_back(prepare_add(impl_->keys, std::move(nj), detail::scripts::standard_add::lean));
  }
  std::vector<std::pair<const detail::lua::script*, detail::script_args>> calls;
  calls.reserve(prepared.size() + 1);
  // In front, in the same pipeline: a reconnect between the raise and the adds would
  // otherwise let them meet a counter that went back.
  std::optional<scripts::raise_id_counter> raise;
  if (impl_->id_floor) {
    raise = scripts::raise_id_counter::of(impl_->keys, *impl_->id_floor);
    auto packed = scripts::raise_id_counter(*raise).pack();
    calls.emplace_back(packed.script, std::move(packed.args));
  }
  for (auto& p : prepared) calls.emplace_back(p.call.script, std::move(p.call.args));
  // An add that WAITs for replicas holds a lane of its own until the WAIT answers.
  std::optional<detail::replication_lanes::lease> lane;
  if (wanted.min_replicas > 0) {
    auto take = impl_->lanes.take();  // named: GCC 12 and temporaries in co_await
    auto held = co_await std::move(take);
    lane.emplace(std::move(held));
  }
  auto send = detail::send_adds(lane ? lane->connection() : *impl_->conn, std::move(calls), wanted);
  auto sent = co_await std::move(send);
  if (raise) {
    note_id_counter_raise(impl_->keys.queue(), *raise, sent.adds.front());
    sent.adds.erase(sent.adds.begin());
  }
  // Each add's reply on its own: Redis may refuse some of a pipeline's scripts and run the
  // others (maxmemory is checked script by script).
  std::vector<std::optional<job>> added(prepared.size());
  std::vector<std::optional<error>> refused(prepared.size());
  std::optional<error> first_refusal;
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    try {
      take_id(prepared[i], sent.adds[i]);
    } catch (const error& e) {
      refused[i] = e;
      if (!first_refusal) first_refusal = e;
      continue;
    }
    traced[i].set_attribute("bullmq.job.id", prepared[i].j.id);
    if (impl_->id_floor) impl_->id_floor = std::max(*impl_->id_floor, numeric_id(prepared[i].j.id));
    ids.push_back(prepared[i].j.id);
    added[i] = std::move(prepared[i].j);
  }
  if (first_refusal && ids.empty()) throw *first_refusal;
  // A cut call's jobs that went in are no more confirmed than an uncut call's: too few
  // replicas is not_replicated for the whole call (each may still run), as without a cut.
  detail::check_replicated(sent.waits, wanted, detail::describe_jobs(impl_->keys.queue(), ids));
  if (first_refusal) throw bulk_add_error(*first_refusal, std::move(added), std::move(refused));
  std::vector<job> out;
  out.reserve(added.size());
  for (auto& j : added) out.push_back(std::move(*j));
  co_return out;
}

net::awaitable<std::optional<job>> queue::get_job(std::string id) {
  auto read = detail::read_job(*impl_->conn, impl_->keys, std::move(id));
  co_return co_await std::move(read);
}

net::awaitable<std::optional<job_state>> queue::get_job_state(std::string id) {
  auto call = scripts::get_state::of(impl_->keys, std::move(id));
  co_return co_await scripts::run(*impl_->conn, std::move(call));
}

net::awaitable<std::map<std::string, std::int64_t>> queue::get_job_counts(std::vector<std::string> types) {
  if (types.empty()) types = {"active", "completed", "delayed", "failed", "prioritized", "waiting", "waiting-children"};
  auto call = scripts::get_counts::of(impl_->keys, types);
  auto per_type = co_await scripts::run(*impl_->conn, std::move(call));
  std::map<std::string, std::int64_t> counts;
  for (std::size_t i = 0; i < types.size(); ++i) counts[types[i]] = per_type[i];
  co_return counts;
}

net::awaitable<std::vector<job>> queue::get_jobs(std::vector<std::string> types, std::int64_t start, std::int64_t end,
                                                 bool asc) {
  if (types.empty()) types = {"active", "completed", "delayed", "failed", "prioritized", "waiting", "waiting-children"};
  auto call = scripts::get_jobs::of(impl_->keys, types, start, end, asc);
  co_return co_await scripts::run(*impl_->conn, std::move(call));
}

namespace {

// Every field of a job's hash that lists show, or that their rows are made from: all but
// data, returnvalue and stacktrace, which may be megabytes each.
constexpr std::array summary_fields{"name", "timestamp", "delay",    "priority",     "processedOn", "finishedOn", "atm",
                                    "ats",  "stc",       "progress", "failedReason", "opts",        "parentKey",  "rjk",
                                    "defa", "deid",      "pb"};

}  // namespace

net::awaitable<std::vector<job>> queue::get_job_summaries(std::vector<std::string> types, std::int64_t start,
                                                          std::int64_t end, bool asc) {
  if (types.empty()) types = {"active", "completed", "delayed", "failed", "prioritized", "waiting", "waiting-children"};
  auto call = scripts::get_ranges::of(impl_->keys, types, start, end, asc);
  const auto ids = co_await scripts::run(*impl_->conn, std::move(call));
  std::vector<job> out;
  if (ids.empty()) co_return out;
  std::vector<redis::command> reads;
  reads.reserve(ids.size());
  for (const auto& id : ids) {
    redis::command read{"HMGET", impl_->keys.job(id)};
    for (const char* f : summary_fields) read.push(f);
    reads.push_back(std::move(read));
  }
  auto replies = co_await impl_->conn->exec(std::move(reads));
  for (std::size_t i = 0; i < ids.size() && i < replies.size(); ++i) {
    redis::expect_no_error(replies[i], "HMGET " + impl_->keys.job(ids[i]));
    std::vector<std::string> fields_and_values;
    const auto& values = replies[i].elements;
    for (std::size_t f = 0; f < summary_fields.size() && f < values.size(); ++f) {
      if (values[f].is_nil()) continue;
      fields_and_values.emplace_back(summary_fields[f]);
      fields_and_values.push_back(values[f].as_string());
    }
    if (fields_and_values.empty()) continue;  // removed meanwhile
    out.push_back(job::from_hash(ids[i], fields_and_values));
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
  for (const auto& each : r) redis::expect_no_error(each, "reading " + key);
  std::vector<std::string> lines;
  for (auto& e : r[0].elements) lines.push_back(std::move(e.str));
  co_return std::make_pair(std::move(lines), r[1].as_int().value_or(0));
}

net::awaitable<void> queue::update_progress(std::string id, json::value progress) {
  detail::refuse_queue_key(id, "updateProgress");
  auto call = scripts::update_progress::of(impl_->keys, std::move(id), drover::serialize_json(progress));
  co_await scripts::run(*impl_->conn, std::move(call));
}

net::awaitable<std::int64_t> queue::add_log(std::string id, std::string line, std::optional<std::int64_t> keep_logs) {
  detail::refuse_queue_key(id, "addLog");
  auto call = scripts::add_log::of(impl_->keys, std::move(id), std::move(line), keep_logs);
  co_return co_await scripts::run(*impl_->conn, std::move(call));
}

net::awaitable<void> queue::update_data(std::string id, json::value data) {
  detail::refuse_queue_key(id, "updateData");
  auto call = scripts::update_data::of(impl_->keys, std::move(id), drover::serialize_json(data));
  co_await scripts::run(*impl_->conn, std::move(call));
}

}  // namespace drover
