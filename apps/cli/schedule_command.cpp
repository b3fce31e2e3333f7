// schedule_command.cpp - `drover schedule upsert|remove|get`: one job scheduler
// (repeatable job). Exit codes: 0 done, 3 no such scheduler, 1 an error.
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <iostream>

#include <drover/json.hpp>
#include <drover/error.hpp>
#include <drover/queue.hpp>

#include "cli_support.hpp"
#include "commands.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::cli {

namespace {

struct schedule_flags {
  common_options common;
  std::string action;  // upsert, remove, get
  std::string id;
  std::string repeat = "{}";  // BullMQ's repeat options as JSON
  std::string name;           // the jobs' name; default: the id
  std::string data = "{}";
  std::string opts = "{}";
  bool json = true;  // JSON is the only output; --json is accepted for uniform scripts
};

// An upsert needs a schedule: "pattern" or "every" in --repeat. Said as a usage error,
// naming the flag; text that is not a JSON object is left to the upsert's own message.
void check_upsert_repeat(const schedule_flags& f, const CLI::Option& repeat) {
  if (f.action != "upsert") return;
  if (!repeat.count()) {
    throw CLI::RequiredError(R"(--repeat is required for schedule upsert: {"pattern": "<cron>"} or {"every": <ms>})",
                             CLI::ExitCodes::RequiredError);
  }
  boost::system::error_code ec;
  const auto v = drover::parse_json(f.repeat, ec);
  if (ec || !v.is_object()) return;
  const auto& o = v.get_object();
  const auto* pattern = o.if_contains("pattern");
  const bool has_pattern = pattern && !(pattern->is_string() && pattern->get_string().empty());
  if (!has_pattern && !o.contains("every")) {
    throw CLI::ValidationError("--repeat",
                               R"(needs "pattern" (a cron expression) or "every" (ms), e.g. {"every": 60000})");
  }
}

void add_schedule_options(CLI::App& s, schedule_flags& f) {
  s.add_option("action", f.action, "upsert, remove, get")->required()->check(one_of({"upsert", "remove", "get"}));
  add_common(&s, f.common);
  s.add_option("--id", f.id, "the scheduler's id")->required()->check(non_empty());
  auto* repeat = s.add_option("--repeat", f.repeat,
                              "upsert: JSON {pattern | every, tz, startDate, endDate, limit, immediately, offset}");
  auto* name = s.add_option("--name", f.name, "upsert: the jobs' name (default: the id)");
  auto* data = s.add_option("--data", f.data, "upsert: the jobs' data, JSON")->capture_default_str();
  auto* opts = s.add_option("--opts", f.opts, "upsert: the jobs' options, JSON")->capture_default_str();
  add_json_flag(&s, f.json);
  s.callback([&f, repeat, name, data, opts] {
    check_upsert_repeat(f, *repeat);
    // A flag that does nothing is a mistake in the command line (exit 2), as elsewhere:
    // `get --repeat ...` read as if it had changed something.
    if (f.action == "upsert") return;
    for (const auto* o : {repeat, name, data, opts}) {
      if (o->count()) throw CLI::ValidationError(o->get_name(), "applies to schedule upsert only, not " + f.action);
    }
  });
}

int run_schedule(const schedule_flags& c) {
  if (c.id.empty()) throw error(errc::invalid_argument, "schedule needs --id");
  net::io_context io;
  queue q(io.get_executor(), c.common.queue, queue_opts(c.common));
  int rc = 0;
  run_to_end(io, [&]() -> net::awaitable<void> {
    if (c.action == "upsert") {
      auto repeat = repeat_options::from_json(parse_json(c.repeat, "--repeat"));
      job_template t;
      if (!c.name.empty()) t.name = c.name;
      t.data = parse_json(c.data, "--data");
      t.opts = job_options::from_json(parse_json(c.opts, "--opts"));
      auto next = co_await q.upsert_job_scheduler(c.id, std::move(repeat), std::move(t));
      std::cout << (next ? drover::serialize_json(next->to_json()) : std::string("null")) << std::endl;
      if (!next) {
        // As Node's upsertJobScheduler, nothing is written then; said, and not exit 0 (a
        // schedules review took the old scheduler, still running, for replaced).
        std::cerr << fmt::format(
                         "drover: error: job scheduler {} has no next run (its limit, endDate or pattern leaves "
                         "none): nothing was written; a scheduler of that id already there runs on as it was "
                         "(drover schedule remove --queue {} --id {} removes it)",
                         c.id, c.common.queue, c.id)
                  << std::endl;
        rc = exit_code::failed;
      }
    } else if (c.action == "remove") {
      auto removed = co_await q.remove_job_scheduler(c.id);
      std::cout << (removed ? "true" : "false") << std::endl;
      if (!removed) rc = not_found_in_queue("job scheduler " + c.id, c.common.queue);
    } else {
      // As `drover job`: a missing one prints nothing on stdout, only the exit code and why.
      auto s = co_await q.get_job_scheduler(c.id);
      if (s) std::cout << drover::serialize_json(s->to_json()) << std::endl;
      if (!s) rc = not_found_in_queue("job scheduler " + c.id, c.common.queue);
    }
  });
  return rc;
}

}  // namespace

command schedule_command() {
  return make_command<schedule_flags>("schedule", "create, replace, show or remove a job scheduler (repeatable job)",
                                      add_schedule_options, run_schedule);
}

}  // namespace drover::cli
