#!/bin/bash
# sharded_cpu.sh - each master's CPU for one queue and for a queue sharded over every master.
# Starts a cluster of 3 masters (no replicas) in a temp dir; for each case Node's BullMQ adds
# JOBS jobs (produce.mjs) and `drover worker` (noop, concurrency 48) drains them; prints the
# CPU seconds (INFO cpu, user + sys) each master used meanwhile, and the wall time.
#   bench/cluster/sharded_cpu.sh [JOBS]     (after `make build`; DROVER_BIN to override)
set -euo pipefail
jobs=${1:-30000}
here=$(cd "$(dirname "$0")" && pwd)
D=${DROVER_BIN:-$here/../../build/apps/cli/drover}
dir=$(mktemp -d)
P=()
base=$((31000 + RANDOM % 2000))
for i in 0 1 2; do
  p=$((base + i)); P+=($p); mkdir -p "$dir/$p"
  redis-server --port $p --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file nodes.conf --dir "$dir/$p" \
    --logfile "$dir/$p.log" \
    --save "" --appendonly no --daemonize yes --pidfile "$dir/$p.pid" >/dev/null
done
trap 'for p in "${P[@]}"; do redis-cli -p $p shutdown nosave >/dev/null 2>&1 || true; done; rm -rf "$dir"' EXIT
for p in "${P[@]}"; do
  for _ in $(seq 50); do redis-cli -p $p ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p $p ping >/dev/null 2>&1 || { echo "redis-server on $p did not start:"; tail -3 "$dir/$p.log"; exit 1; }
done
redis-cli --cluster create "${P[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >/dev/null
until redis-cli -p "${P[0]}" cluster info | grep -q cluster_state:ok; do sleep 0.2; done
URL="redis+cluster://127.0.0.1:${P[0]},127.0.0.1:${P[1]},127.0.0.1:${P[2]}"

cpu() { for p in "${P[@]}"; do redis-cli -p $p info cpu | awk -F: '/used_cpu_(user|sys):/{s+=$2} END{printf "%s ", s}'; done; }
left_in() {  # waiting + active over the queues
  local n total=0
  for n in "$@"; do
    total=$((total + $("$D" counts -q "$n" --redis "$URL" | node -e \
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const c=JSON.parse(s);console.log(c.waiting+c.active)})')))
  done
  echo $total
}

measure() {  # LABEL SHARDS
  local label=$1 shards=$2 name="bench-$1-$RANDOM" names wflags
  if [ "$shards" -gt 1 ]; then
    names=$("$D" counts -q "$name" --shards "$shards" --redis "$URL" --json | node -e \
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).shards.map(x=>x.queue).join(" ")))')
    wflags=(-q "$name" --shards "$shards")
  else
    names="{$name}"; wflags=(-q "{$name}")
  fi
  local before=($(cpu)) t0=$(date +%s.%N)
  node "$here/produce.mjs" "$(IFS=,; echo "${P[*]}")" "$jobs" $names
  "$D" worker "${wflags[@]}" --redis "$URL" --processor noop --concurrency 48 --drain-delay 200 2>/dev/null &
  local wpid=$!
  while [ "$(left_in $names)" -gt 0 ]; do sleep 0.5; done
  local t1=$(date +%s.%N) after=($(cpu))
  kill $wpid; wait $wpid 2>/dev/null || true
  printf '%-8s shards=%d jobs=%d wall=%.1fs cpu per master:' "$label" "$shards" "$jobs" "$(echo "$t1 - $t0" | bc)"
  for i in 0 1 2; do printf ' %.2fs' "$(echo "${after[$i]} - ${before[$i]}" | bc)"; done
  echo
}

measure plain 1
measure sharded 3
