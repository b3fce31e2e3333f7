// dead_letter_queue.cpp - reading a dead-letter queue and sending its entries back.
#include "drover/dead_letter_queue.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <set>

#include "core/add_job.hpp"
#include "core/dead_letter_format.hpp"
#include "core/queue_impl.hpp"
#include "core/scripts/requeue_dead_letter.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover {

namespace {

// Where an entry stays once written: nothing processes a dead-letter queue, but a
// paused one keeps its entries in "paused".
std::vector<std::string> entry_states() { return {"waiting", "paused"}; }

struct dead_letter {
  std::string source_queue;
  std::string name;
  json::value data;
  job_options opts;
  std::string source_id;    // the failed job's id ("" when the entry does not say)
  std::string finished_on;  // when it failed, as its hash says it ("" when not said)
};

// The refusal of an entry whose job ran again since: not_in_state to callers, and told
// apart from a locked entry by requeue_all, which keeps such entries and goes on.
class ran_again : public error {
 public:
  explicit ran_again(const std::string& what) : error(errc::not_in_state, what) {}
};

// The entry's deadLetter field as text, whether a string or a number.
std::string origin_text(const json::object& origin, const char* field) {
  const auto* v = origin.if_contains(field);
  if (!v) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (auto i = v->if_int64()) return std::to_string(*i);
  return {};
}

dead_letter read_entry(const job& e) {
  const json::object* envelope = e.data.if_object();
  const json::value* origin = envelope ? envelope->if_contains(detail::dead_letter_origin_key) : nullptr;
  const json::value* queue_name = origin && origin->is_object() ? origin->get_object().if_contains("queue") : nullptr;
  if (!queue_name || !queue_name->is_string()) {
    throw error(errc::invalid_argument,
                fmt::format("job {} holds no dead letter (no deadLetter.queue in its data)", e.id));
  }
  dead_letter d;
  d.source_queue = std::string(queue_name->get_string());
  d.source_id = origin_text(origin->get_object(), "jobId");
  d.finished_on = origin_text(origin->get_object(), "finishedOn");
  d.name = e.name;
  if (const auto* data = envelope->if_contains(detail::dead_letter_data_key)) d.data = *data;
  if (const auto* o = origin->get_object().if_contains("opts"); o && o->is_object()) {
    // Read as a stored job's options are, leniently: they passed the producer's checks
    // once, and Node accepts some that drover's producer refuses (removeOnComplete: -1).
    d.opts = job_options::from_stored(o->get_object());
    for (const char* dropped : {"deduplication", "jobId", "timestamp", "delay"}) d.opts.extra.erase(dropped);
  }
  // A flow's child: a copy would be a second child of the parent, which would go on
  // waiting for the original. Retrying the original releases the parent as Node does.
  if (d.opts.extra.contains("parent")) {
    const auto* id = origin->get_object().if_contains("jobId");
    throw error(
        errc::invalid_argument,
        fmt::format("dead letter {} is a child of a flow: a copy would leave its parent waiting for the "
                    "original; retry the original instead (job {} of queue {}: drover queue retry)",
                    e.id, id && id->is_string() ? std::string(id->get_string()) : std::string("?"), d.source_queue));
  }
  // A new run of the job: a new id, now, and no deduplication that would swallow it.
  d.opts.job_id.reset();
  d.opts.timestamp.reset();
  d.opts.delay.reset();
  d.opts.deduplication = {};
  return d;
}

}  // namespace

std::string dead_letter_queue::name_for(std::string_view source_queue) { return std::string(source_queue) + "-dlq"; }

dead_letter_queue::dead_letter_queue(net::any_io_executor ex, std::string name, queue_options opts)
    : opts_(opts), dlq_(ex, std::move(name), std::move(opts)) {}

const std::string& dead_letter_queue::name() const { return dlq_.name(); }

void dead_letter_queue::close() { dlq_.close(); }

net::awaitable<std::vector<job>> dead_letter_queue::list(std::int64_t start, std::int64_t end) {
  auto states = entry_states();
  co_return co_await dlq_.get_jobs(std::move(states), start, end, true);
}

net::awaitable<std::int64_t> dead_letter_queue::count() {
  auto states = entry_states();
  auto counts = co_await dlq_.get_job_counts(std::move(states));
  std::int64_t n = 0;
  for (const auto& [state, c] : counts) n += c;
  co_return n;
}

net::awaitable<std::optional<job>> dead_letter_queue::get(std::string id) {
  co_return co_await dlq_.get_job(std::move(id));
}

net::awaitable<job> dead_letter_queue::requeue(std::string id) {
  auto entry = co_await dlq_.get_job(id);
  if (!entry) throw error(errc::job_not_found, fmt::format("no dead letter {} in {}", id, dlq_.name()));
  auto d = read_entry(*entry);
  const detail::queue_keys source_keys(opts_.prefix, d.source_queue);
  auto add = detail::prepare_add(source_keys, {std::move(d.name), std::move(d.data), std::move(d.opts)});
  auto call = detail::scripts::requeue_dead_letter::of(std::move(add.call), dlq_.impl_->keys, id);
  // The failed job retried since (drover queue retry, Node's job.retry()) ran again: a
  // copy would run it a second time (an operator answered every message twice). The
  // script compares its finishedOn in the same call; a job that failed since has another
  // finishedOn, and another entry of its own.
  call.failed_job_key = source_keys.job(d.source_id);
  if (!d.source_id.empty()) {
    call.failed_finished_on = d.finished_on;
    // The copy takes the failure over: the failed job goes too (in the same call, only
    // while it holds that failure), or a retry of it later ran the job twice (an operator
    // requeued the dead letters, then retried the failed jobs: every message answered twice).
    auto original = detail::scripts::remove_job::of(source_keys, d.source_id);
    original.remove_children = false;
    call.failed_job_removal = std::move(original);
    call.requeued_key = source_keys.key("drover:requeued");
  }
  using outcome = detail::scripts::requeue_dead_letter::outcome;
  auto requeued = co_await detail::scripts::run(*dlq_.impl_->conn, std::move(call));
  switch (requeued.what) {
    case outcome::added:
      break;
    case outcome::no_entry:  // requeued by someone else since it was read: it is in its queue once, by them
      throw error(errc::job_not_found, fmt::format("no dead letter {} in {}", id, dlq_.name()));
    case outcome::requeued_already:
      throw ran_again(fmt::format(
          "dead letter {}: job {} of queue {} was requeued already, from this or another of its dead letters; "
          "requeueing it again would run the job twice",
          id, d.source_id, d.source_queue));
    case outcome::job_running_again:
    case outcome::job_finished_again:
      throw ran_again(fmt::format(
          "dead letter {}: job {} of queue {} ran again after this failure ({}); requeueing it would run the job "
          "twice",
          id, d.source_id, d.source_queue,
          requeued.what == outcome::job_running_again ? "it has not finished since" : "it finished again since"));
  }
  add.j.id = std::move(requeued.id);
  co_return std::move(add.j);
}

net::awaitable<std::vector<job>> dead_letter_queue::requeue_all() {
  std::vector<job> added;
  // Oldest first, in pages, until none is left but the entries that stay, each said in the
  // log: the flows' children (retrying their original is the way back), jobs that ran
  // again, and jobs that hold no dead letter (another program's, on a queue of this name:
  // one stopped the run, and every entry after it stayed). Redis's failures stop the run.
  std::set<std::string> kept;  // by id: others may requeue or remove entries meanwhile
  for (;;) {
    auto page = co_await list(0, static_cast<std::int64_t>(kept.size()) + 99);
    std::erase_if(page, [&kept](const job& e) { return kept.contains(e.id); });
    if (page.empty()) break;
    for (auto& e : page) {
      std::optional<error> refused;
      try {
        auto j = co_await requeue(e.id);
        added.push_back(std::move(j));
      } catch (const ran_again& ex) {
        refused = ex;  // kept, and said in the log
      } catch (const error& ex) {
        // Requeued by someone else meanwhile: nothing to do for it here.
        if (ex.is(errc::job_not_found)) continue;
        if (!ex.is(errc::invalid_argument)) throw;
        refused = ex;
      }
      if (refused) {
        spdlog::warn("{}: {}", dlq_.name(), refused->what());
        kept.insert(e.id);
      }
    }
  }
  co_return added;
}

}  // namespace drover
