#!/usr/bin/env bash
# run.sh - `make run`: starts Redis (unless REDIS_URL points elsewhere) and drover's
# workers for the seed's queues, prints how to use them, and stops it all on Ctrl-C.
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

for queue in ai-processing document-processing webhook-delivery; do
  "$drover" worker --queue "$queue" --processor echo --concurrency 10 --name "run-$queue" \
    2>>"var/log/worker-$queue.log" &
  pids+=($!)
  echo "worker:  $queue (log in var/log/worker-$queue.log)"
done

cat <<EOT

Try it in another terminal:
  $build/apps/cli/drover add --queue ai-processing --name generate-response --data '{"message":"hi"}'
  $build/apps/cli/drover job --queue ai-processing --id 1
  $build/apps/cli/drover events --queue ai-processing
  redis-cli -u $REDIS_URL LLEN bull:ai-processing:wait

Ctrl-C stops everything.
EOT
wait -n "${pids[@]}" || true
