// alert_evaluator.hpp - evaluates the alert rules every few seconds and tells a
// Slack-compatible webhook once when an incident opens and once when it resolves.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <drover/queue.hpp>
#include <drover/queue_events.hpp>
#include <drover/redis_client.hpp>
#include <drover_app/app_job_id.hpp>
#include <drover_app/app_queue.hpp>
#include <drover_app/queue_shards.hpp>

#include "workers/alerts/alert_rules.hpp"

namespace drover::workers {

// Each interval, while this process holds the evaluators' lock (one evaluating process
// per Redis and prefix, so that a fleet of Workers apps alerts once):
//  1. reads each rule's queue: BullMQ's completed/failed totals (failure_rate), the
//     waiting count (waiting), the stalled events seen (stalled), the dead-letter
//     queue's size (dead_letter_growing), the connected workers (no_worker). A rule on
//     a queue this app shards reads every shard (queue_shards::queues_of) and judges them
//     as one queue: totals, counts, stalls and sizes summed; no_worker when any shard has
//     none. A rule on one shard's name reads that shard;
//  2. opens an incident when a rule is breached (for its `for_duration`, where it has
//     one), logs it and queues {"text": "[FIRING] ..."} on webhook-delivery; resolves it,
//     with a "[RESOLVED] ..." message, when the rule no longer holds. The delivery's job
//     id names the incident, so one incident is posted once whatever happens;
//  3. writes the open incidents to Redis (app::alert_state_key) for the API and the
//     dashboard, and again for a week (app::alert_incidents_key): a process that takes
//     the lock over, after a stop of any length, adopts the incidents found there
//     without posting them again, and resolves those whose rule is no longer configured.
// Without ALERT_WEBHOOK_URL, incidents are logged and stored but not posted.
// Lifecycle: start(), stop(). Thread safety: one executor (the app's).
class alert_evaluator {
 public:
  // `shards`: the app queues' shards, as the app's workers have them.
  alert_evaluator(boost::asio::any_io_executor ex, alert_settings settings, queue_options qo, app::queue_shards shards,
                  app::app_queue& webhooks, std::string owner);
  ~alert_evaluator();
  void start();
  void stop();

  struct incident {
    incident() = default;
    std::string id;          // "<rule slug>-<since>", part of the delivery jobs' ids
    std::int64_t since = 0;  // epoch ms
    std::string message;
    double value = 0;
  };

 private:
  struct sample {
    std::chrono::steady_clock::time_point at;
    double a = 0, b = 0;
  };
  struct rule_state {
    rule_state() = default;
    std::vector<app::queue_shard> queues;  // what the rule reads: its queue, or its shards
    std::vector<sample> samples;           // failure_rate: totals; dead_letter_growing: size
    std::optional<std::chrono::steady_clock::time_point> breached_since;
    std::optional<incident> open;
  };
  struct reading {
    reading() = default;
    bool breached = false;
    // False while a rule has not watched long enough to say the breach is over: its window
    // not yet covered since this process started, or a breach not yet held for forSeconds.
    // An incident adopted at a restart or a takeover stays open meanwhile (it was resolved
    // and fired again as a new one: an operator's drill).
    bool conclusive = true;
    double value = 0;
    std::string detail;
  };
  struct stall_watch {
    stall_watch(boost::asio::any_io_executor ex, app::queue_shard where, queue_events_options o)
        : where(std::move(where)), events(ex, this->where.queue_name(), std::move(o)) {}
    app::queue_shard where;
    queue_events events;
    // Stalled jobs by the ids the apps hand out ("<shard>-<id>" on a shard), oldest first.
    std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> seen;
    // Set once the first read (the stalls of the window before the start) is in `seen`:
    // until then a stalled rule has no reading, rather than an empty one that resolves it.
    bool primed = false;
    std::int64_t started_ms = 0;  // this process's clock when the watch began
  };
  struct run_state;

  boost::asio::awaitable<void> loop(std::shared_ptr<run_state> s);
  boost::asio::awaitable<void> watch_stalls(std::shared_ptr<stall_watch> w, std::shared_ptr<run_state> s);
  boost::asio::awaitable<bool> hold_lock();
  boost::asio::awaitable<void> adopt_stored_incidents();
  // Posts the RESOLVED of a stored incident whose rule is gone.
  boost::asio::awaitable<void> resolve_removed(const boost::json::object& stored);
  boost::asio::awaitable<void> evaluate();
  boost::asio::awaitable<reading> read(const alert_rule& r, rule_state& st);
  boost::asio::awaitable<void> post(const alert_rule& r, const incident& i, bool firing, std::string text);
  boost::asio::awaitable<void> save();
  queue& queue_for(const std::string& name);

  boost::asio::any_io_executor ex_;
  alert_settings settings_;
  queue_options qo_;
  app::app_queue& webhooks_;
  std::string owner_;
  redis_client redis_;
  std::vector<rule_state> states_;
  std::map<std::string, std::unique_ptr<queue>> queues_;
  std::map<std::string, std::shared_ptr<stall_watch>> stalls_;
  std::shared_ptr<run_state> run_;
  bool leader_ = false;
  // The open incidents' ids as last written to the incidents key, and when: the key is
  // written again only when they change or its week's expiry comes near.
  std::optional<std::string> incidents_written_;
  std::chrono::steady_clock::time_point incidents_written_at_;
};

}  // namespace drover::workers
