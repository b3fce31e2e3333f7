#!/usr/bin/env bash
# run.sh - `make run`: starts Redis (unless REDIS_URL points elsewhere), migrates the
# database (SQLite under ./var unless DATABASE_URL is set), runs the API and the Workers
# app, prints the URLs, and stops it all cleanly on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
drover="$PWD/$build/apps/cli/drover"
mkdir -p var/redis var/log

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all INT TERM EXIT

if [ -z "${REDIS_URL:-}" ]; then
  port=${REDIS_PORT:-6379}
  if redis-cli -p "$port" ping >/dev/null 2>&1; then
    echo "run: something already answers on port $port; stop it, or set REDIS_URL to use it" >&2
    exit 1
  fi
  redis-server --port "$port" --bind 127.0.0.1 --dir "$PWD/var/redis" --appendonly yes --appendfsync everysec \
    --save "" --daemonize no --logfile "$PWD/var/log/redis.log" &
  pids+=($!)
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  export REDIS_URL="redis://127.0.0.1:$port"
  echo "redis:   $REDIS_URL (data in var/redis, log in var/log/redis.log)"
else
  echo "redis:   $REDIS_URL"
fi

export DATABASE_URL="${DATABASE_URL:-sqlite://$PWD/var/drover.db}"
"$drover" migrate >/dev/null
echo "database: ${DATABASE_URL%%\?*}" | sed -E 's#(postgres(ql)?://[^:/@]*):[^@]*@#\1:***@#'

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

"$drover" api 2> >(tee -a var/log/api.log >&2) &
pids+=($!)
"$drover" workers 2> >(tee -a var/log/workers.log >&2) &
pids+=($!)
port=${PORT:-5000}
AUTH_MODE_NOTE=""
if [ "$AUTH_MODE" = "none" ]; then
  AUTH_MODE_NOTE=" in DEVELOPMENT MODE (AUTH_MODE=none: no authentication; listening on ${BIND:-127.0.0.1}; never expose this port)"
fi
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

cat <<EOT

drover is running${AUTH_MODE_NOTE}:
  chat page:  http://localhost:$port/
  API:        curl -X POST http://localhost:$port/api/chat/send -H 'Content-Type: application/json' \\
                -d '{"conversationId":"c1","userId":"u1","message":"Hello"}'
              curl http://localhost:$port/api/chat/job/1
  documents:  curl -X POST 'http://localhost:$port/api/documents?conversationId=c1&filename=README.md' \\
                -H 'Content-Type: text/markdown' --data-binary @README.md
              curl http://localhost:$port/api/documents/<documentId>
  queue:      redis-cli -u $REDIS_URL LLEN bull:ai-processing:wait
  dashboard:  http://localhost:$port/dashboard${dashboard_url_token:-}
  AI model:   ${AI_BASE_URL:-the built-in echo provider (set AI_BASE_URL, AI_API_KEY, AI_MODEL for a real one)}
  logs:       var/log/

Ctrl-C stops everything.
EOT
wait -n "${pids[@]}" || true
