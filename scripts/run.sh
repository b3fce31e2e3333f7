#!/usr/bin/env bash
# run.sh - `make run`: starts Redis (unless REDIS_URL points elsewhere), migrates the
# database (SQLite under ./var unless DATABASE_URL is set), runs the API and the Workers
# app, prints the URLs, and stops it all cleanly on Ctrl-C (or SIGTERM): the apps first,
# then Redis.
#
#   scripts/run.sh [BUILD_DIR]    the build tree, relative to the repository or absolute (build)
#   DROVER_VAR_DIR                Redis's data, the SQLite database and the logs (./var)
#   RUN_START_TIMEOUT             seconds the apps get to answer /healthz (30)
# Exits 0 after a requested stop; non-zero when something failed to start or an app ended
# on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
drover=$build/apps/cli/drover
var_shown=${DROVER_VAR_DIR:-var}
var=$var_shown
case $var in /*) ;; *) var=$PWD/$var ;; esac
if [ ! -x "$drover" ]; then
  echo "run: $drover is missing; build first (make build)" >&2
  exit 1
fi
mkdir -p "$var/redis" "$var/log"

# A terminal's Ctrl-C goes to its whole foreground process group. If the apps were in it
# they would get the terminal's SIGINT and then this script's signal, and an app takes a
# second signal to mean "stop at once" (running jobs stay active until the stalled check);
# Redis would die while they still need it to hand their jobs back. So Redis and the apps
# each get a process group of their own, out of the terminal's reach, and this script is
# the one that signals them, in order. setpgrp rather than setsid: a new session would also
# be a scheduler autogroup of its own, where nice has no effect.
# shellcheck disable=SC2016 # perl's variables, not the shell's
in_own_group=(perl -e 'setpgrp(0, 0); exec @ARGV or die "exec $ARGV[0]: $!\n"' --)

names=() pids=()  # the apps
tees=()           # their log copiers
redis_pid=""
signals=0         # stop requests received
stop_status=0     # 128 + the signal, for a stop before the apps are up
terms_sent=0      # SIGTERMs sent to the apps: the second one stops them at once

signal_apps() {
  terms_sent=$((terms_sent + 1))
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
}

on_signal() {
  signals=$((signals + 1))
  stop_status=$((128 + $(kill -l "$1")))
  # Before the apps run, there is nothing to wait for: the EXIT trap stops Redis.
  if [ "${#pids[@]}" -eq 0 ]; then exit "$stop_status"; fi
  echo
  if [ "$terms_sent" -eq 0 ]; then
    echo "stopping... (the apps finish or hand back their running jobs, for up to their grace period; a second Ctrl-C stops them at once)"
  else
    echo "stopping at once..."
  fi
  signal_apps
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# Until child $1 has ended; a signal interrupts `wait`, whose trap then runs.
wait_for() {
  while kill -0 "$1" 2>/dev/null; do wait "$1" 2>/dev/null || true; done
}

on_exit() {
  local status=$? i st
  set +e
  if [ "${#pids[@]}" -gt 0 ] && [ "$terms_sent" -eq 0 ]; then signal_apps; fi
  for i in "${!pids[@]}"; do
    wait_for "${pids[$i]}"
    wait "${pids[$i]}" 2>/dev/null
    st=$?
    # 127: no status left to report (it was reported already).
    if [ "$st" -ne 0 ] && [ "$st" -ne 127 ] && [ "$status" -eq 0 ]; then
      echo "run: drover ${names[$i]} exited with status $st while stopping" >&2
      status=1
    fi
  done
  # Last: the apps hand their running jobs back through Redis as they stop.
  if [ -n "$redis_pid" ]; then
    kill -TERM "$redis_pid" 2>/dev/null
    wait_for "$redis_pid"
  fi
  for i in "${tees[@]}"; do wait_for "$i"; done
  exit "$status"
}
trap on_exit EXIT

# Whether something accepts connections at $1:$2. A listener that never answers still
# completes the handshake; `timeout` covers one whose backlog is full (not refused either).
listening() {
  local rc=0
  # shellcheck disable=SC2016 # the inner shell's arguments
  timeout 2 bash -c ': <>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null || rc=$?
  [ "$rc" -ne 1 ]
}
# How to reach from here a listener bound to $1.
local_address() {
  case $1 in '' | 0.0.0.0) echo 127.0.0.1 ;; :: | '[::]') echo ::1 ;; *) echo "$1" ;; esac
}
url_host() { case $1 in *:*) echo "[$1]" ;; *) echo "$1" ;; esac; }
# Up to the last '@', as drover reads a URL (a password may hold an unencoded '@'), and
# the passwords a query may give (?sentinel_password=): an ACL review saw the rest of one.
hide_password() { sed -E -e 's#^([a-z+]+://[^:/@]*):.*@#\1:***@#' -e 's#([?&][a-z_]*password=)[^&]*#\1***#g'; }

port=${PORT:-5000}
workers_port=${WORKERS_PORT:-5001}
api_host=$(local_address "${BIND:-}")
workers_host=$(local_address "${WORKERS_BIND:-}")
# Taken ports are found before anything starts: an app that cannot listen exits, but only
# after Redis is up and the other app is running.
taken=()
if [ -z "${REDIS_URL:-}" ]; then
  redis_port=${REDIS_PORT:-6379}
  if listening 127.0.0.1 "$redis_port"; then
    taken+=("port $redis_port (REDIS_PORT, for Redis) is in use: stop what listens there, set REDIS_PORT to another port, or set REDIS_URL to use a Redis that runs already")
  fi
fi
if listening "$api_host" "$port"; then
  taken+=("port $port (PORT, for the API) is in use: stop what listens there, or set PORT to another port")
fi
if listening "$workers_host" "$workers_port"; then
  taken+=("port $workers_port (WORKERS_PORT, for the Workers app's /healthz and /metrics) is in use: stop what listens there, or set WORKERS_PORT to another port")
fi
if [ "${#taken[@]}" -gt 0 ]; then
  for t in "${taken[@]}"; do echo "run: $t" >&2; done
  exit 1
fi

if [ -z "${REDIS_URL:-}" ]; then
  # Output before the log file is open (a bad option) goes to the same file.
  # shellcheck disable=SC2094 # redis-server reads no file here
  "${in_own_group[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$var/redis" --appendonly yes \
    --appendfsync everysec --save "" --daemonize no --logfile "$var/log/redis.log" \
    </dev/null >>"$var/log/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do
    redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && break
    kill -0 "$redis_pid" 2>/dev/null || break
    sleep 0.05
  done
  if ! redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
    echo "run: redis-server did not start on port $redis_port; the end of $var_shown/log/redis.log:" >&2
    tail -n 5 "$var/log/redis.log" >&2
    exit 1
  fi
  export REDIS_URL="redis://127.0.0.1:$redis_port"
  echo "redis:   $REDIS_URL (data in $var_shown/redis, log in $var_shown/log/redis.log)"
else
  echo "redis:   $(hide_password <<<"$REDIS_URL")"
fi
redis_shown=$(hide_password <<<"$REDIS_URL")

export DATABASE_URL="${DATABASE_URL:-sqlite://$var/drover.db}"
"$drover" migrate >/dev/null
echo "database: ${DATABASE_URL%%\?*}" | hide_password

# `make run` is the development mode, and says so: no authentication on the chat API
# (every caller is one development user). A production start (`drover api` alone) wants a
# JWT key and refuses the development webhook secret; see docs/security.md.
export AUTH_MODE="${AUTH_MODE:-none}"
# Both apps share a webhook secret; make up a random one unless one is given.
if [ -z "${WEBHOOK_SECRET:-}" ]; then
  WEBHOOK_SECRET="whsec_$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
  export WEBHOOK_SECRET
fi

# The dashboard needs credentials; for local use make one up (printed below, never logged).
if [ -z "${DASHBOARD_TOKEN:-}" ] && [ -z "${DASHBOARD_USERS:-}" ]; then
  DASHBOARD_TOKEN=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
  export DASHBOARD_TOKEN
  dashboard_url_token="#token=$DASHBOARD_TOKEN"
fi

# Starts `drover <command>` as app <name>, its output on stderr and in var/log/<name>.log.
# The copier (tee) is in this script's process group, so it ignores the terminal's Ctrl-C:
# it must outlive the app to carry its shutdown lines.
start_app() {
  local name=$1 log
  shift
  # A stop asked for while the first app started: the second is not started at all.
  if [ "$signals" -gt 0 ]; then exit "$stop_status"; fi
  exec {log}> >(trap '' INT TERM HUP; exec tee -a "$var/log/$name.log" >&2)
  tees+=($!)
  "${in_own_group[@]}" "$drover" "$@" </dev/null >&"$log" 2>&1 &
  pids+=($!)
  names+=("$name")
  exec {log}>&-
}

# Until the app answers $2 (/healthz); exits when it or the other app ends, when stopped,
# or after RUN_START_TIMEOUT.
wait_healthy() {
  local i st
  until curl -fs --max-time 2 -o /dev/null "$2" 2>/dev/null; do
    if [ "$signals" -gt 0 ]; then exit "$stop_status"; fi
    for i in "${!pids[@]}"; do
      if ! kill -0 "${pids[$i]}" 2>/dev/null; then
        st=0
        wait "${pids[$i]}" 2>/dev/null || st=$?
        echo "run: drover ${names[$i]} exited while starting (status $st): see its output above" \
          "($var_shown/log/${names[$i]}.log); stopping the rest" >&2
        exit 1
      fi
    done
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "run: drover $1 does not answer $2 after ${RUN_START_TIMEOUT:-30} s; stopping" >&2
      exit 1
    fi
    sleep 0.2
  done
}

start_app api api
start_app workers workers
deadline=$((SECONDS + ${RUN_START_TIMEOUT:-30}))
wait_healthy api "http://$(url_host "$api_host"):$port/healthz"
wait_healthy workers "http://$(url_host "$workers_host"):$workers_port/healthz"

AUTH_MODE_NOTE=""
if [ "$AUTH_MODE" = "none" ]; then
  AUTH_MODE_NOTE=" in DEVELOPMENT MODE (AUTH_MODE=none: no authentication; listening on ${BIND:-127.0.0.1}; never expose this port)"
fi
cli=${drover#"$PWD"/}
cat <<EOT

drover is running${AUTH_MODE_NOTE}:
  chat page:  http://localhost:$port/
  API:        curl -X POST http://localhost:$port/api/chat/send -H 'Content-Type: application/json' \\
                -d '{"conversationId":"c1","userId":"u1","message":"Hello"}'
              curl http://localhost:$port/api/chat/job/1
  documents:  curl -X POST 'http://localhost:$port/api/documents?conversationId=c1&filename=README.md' \\
                -H 'Content-Type: text/markdown' --data-binary @README.md
              curl http://localhost:$port/api/documents/<documentId>
  queue:      redis-cli -u $redis_shown LLEN bull:ai-processing:wait
  CLI:        export REDIS_URL=$redis_shown; $cli queue counts --queue ai-processing
  dashboard:  http://localhost:$port/dashboard${dashboard_url_token:-}
  workers:    http://localhost:$workers_port/healthz, /readyz, /metrics (WORKERS_PORT)
  AI model:   ${AI_BASE_URL:-the built-in echo provider (set AI_BASE_URL, AI_API_KEY, AI_MODEL for a real one)}
  logs:       $var_shown/log/

Ctrl-C stops everything.
EOT

while :; do
  # An app that ended while this script ran a command (the last health check, the banner)
  # was reaped by bash then, and `wait -n` would not report it: look first.
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "run: drover ${names[$i]} exited; stopping the rest" >&2
      exit 1
    fi
  done
  ended=""
  st=0
  wait -n -p ended "${pids[@]}" || st=$?
  # Interrupted by a stop request: the EXIT trap waits for the apps, then stops Redis.
  if [ "$signals" -gt 0 ]; then exit 0; fi
  if [ -n "${ended:-}" ]; then
    for i in "${!pids[@]}"; do
      if [ "${pids[$i]}" = "$ended" ]; then
        echo "run: drover ${names[$i]} exited (status $st); stopping the rest" >&2
      fi
    done
    exit 1
  fi
done
