#!/usr/bin/env bash
# test.sh - runs every test: C++ unit and integration tests (release and sanitizer
# builds; ctest also runs the apps' tests, among them socket.io-client against drover's
# Socket.IO server), the installed-package example, the Node BullMQ interop suite (on one
# Redis, then again on a Redis Cluster per test file), the end-to-end tests of the whole
# system, a short chaos run (tests/chaos: 5,000 jobs through drover's workers and BullMQ's
# while workers and Redis are killed, and one round with the API in the loop while Redis,
# PostgreSQL and the API are killed), and a few seconds of each fuzz harness (fuzz/).
# The C++ tests start their own redis-server processes; this script starts one more
# for the example and stops everything it started, whatever happens.
#
# Both builds happen here. The sanitizer build starts first, at the lowest priority, and
# takes only the CPU the release build and the tests leave idle (link steps, the Node
# suites waiting on timers); its tests run last, once it is done. On two cores this
# saves about five minutes over building both trees before testing. Once it is done, the
# ThreadSanitizer tree and the fuzz harnesses (clang, a few sources each) build the same
# way, beside its tests. The ASan/UBSan tree holds the library, the apps and every C++
# test; the ThreadSanitizer tree only the test programs whose code runs on more than one
# thread (label `threads`, tests/CMakeLists.txt), as TSan has nothing to say about the
# others. All three trees are unity builds (Makefile, UNITY).
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
asan=${2:-build-asan}
jobs=${3:-$(nproc)}
fuzz=${4:-build-fuzz}
tsan=${5:-build-tsan}
# Seconds of fuzzing per harness, after its committed corpus has run.
fuzz_seconds=${FUZZ_TEST_SECONDS:-5}

work=$(mktemp -d /tmp/drover-test-XXXXXX)
redis_pid=""
declare -A background=()  # the builds in the background: name -> process group
cleanup() {
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  for pid in "${background[@]}"; do kill -- -"$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

failed=()
steps=0
timings=()  # "seconds name" per step, for the summary at the end
# Runs one step; its output also goes to a log, so that the recap at the end can name
# each failed step's failing tests (CI may keep only the end of a long run's output).
step() {
  local name=$1; shift
  steps=$((steps + 1))
  local log="$work/step-$steps.log" out tee_pid rc=0 started=$SECONDS
  echo
  echo "==> $name"
  # Not a pipeline: a step runs in this shell (wait_build waits for this shell's child).
  exec {out}> >(tee "$log")
  tee_pid=$!
  "$@" >&"$out" 2>&1 || rc=$?
  exec {out}>&-
  # tee ends once every writer has closed the pipe, so that the log is whole and its
  # lines come before the verdict; a process a step left running may hold the pipe
  # open, so wait a few seconds at most.
  for _ in $(seq 50); do
    kill -0 "$tee_pid" 2>/dev/null || break
    sleep 0.1
  done
  local took=$((SECONDS - started))
  timings+=("$(printf '%5d s  %s' "$took" "${name%% (*}")")
  if [ "$rc" -eq 0 ]; then
    echo "==> $name: ok ($took s)"
  else
    echo "==> $name: FAILED ($took s)"
    failed+=("$name")
    failed_logs+=("$log")
    return 1
  fi
}
failed_logs=()

# The failing tests a step's log names: ctest's list, node --test's failures (TAP: its
# output goes to a pipe), a fuzz harness's verdict.
recap() {
  local log=$1
  grep -E '^[[:space:]]+[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception|Child aborted)\)' "$log"
  # A shard (the sanitizer trees, tests/CMakeLists.txt) names its failing tests in gtest's words.
  grep -E '^\[  FAILED  \] [A-Za-z0-9_./]+' "$log" | grep -v ' tests\?, listed below' | sort -u
  grep -E '^[[:space:]]*not ok ' "$log" | sort -u
  grep -E '^[a-z_]+ +FAILED \(log' "$log"
} 2>/dev/null

# What node --test said of its first failing tests (the YAML block under each `not ok`,
# where a failed assertion's diff is): CI may keep only the end of the output, and a
# flaky failure cannot be run again to see it.
failure_details() {
  awk '/^[[:space:]]*not ok / { if (++shown > 2) exit; n = 0; on = 1 }
       on { print; if (++n >= 80 || /^[[:space:]]*\.\.\.$/) on = 0 }' "$1"
} 2>/dev/null

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

example() {
  local port
  port=$(free_port)
  # Its output away from the step's log pipe, which it would hold open until stopped.
  redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --save "" --appendonly no --daemonize no \
    --logfile "$work/redis.log" >/dev/null 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  local pc_flags
  # Both ways a project finds the installed package: find_package, and pkg-config (the
  # same program built by one compiler line, the way the README shows).
  cmake --install "$build" --prefix "$work/prefix" >/dev/null &&
    cmake -S examples/consumer -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null &&
    cmake --build "$work/consumer" -j 2 >/dev/null &&
    REDIS_URL="redis://127.0.0.1:$port" "$work/consumer/consumer" | tee "$work/consumer.out" &&
    grep -q '"greeting":"hello, drover"' "$work/consumer.out" &&
    pc_flags=$(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs drover) &&
    echo "pkg-config --cflags --libs drover: $pc_flags" &&
    # shellcheck disable=SC2086 # the flags are words
    # With warnings as errors: what the library's headers ask of a program must not warn.
    "${CXX:-g++}" -std=c++20 -O1 -Wall -Wextra -Werror examples/consumer/main.cpp -o "$work/consumer-pc" $pc_flags &&
    REDIS_URL="redis://127.0.0.1:$port" "$work/consumer-pc" | tee "$work/consumer-pc.out" &&
    grep -q '"greeting":"hello, drover"' "$work/consumer-pc.out"
}

# Starts `cmake --build <args>` at the lowest priority in the background, as build <name>
# (its log: $work/<name>-build.log). In a process group of its own, so that cleanup stops
# the compilers too; not in a session of its own (setsid), which would put it in its own
# scheduler autogroup where nice has no effect against the release build. perl is part of
# every Debian system.
start_build() {
  local name=$1; shift
  nice -n 19 perl -e 'setpgrp(0, 0); exec @ARGV or die "exec $ARGV[0]: $!"' \
    cmake --build "$@" >"$work/$name-build.log" 2>&1 &
  background[$name]=$!
}

# Waits for build <name>; shows the end of its log when it failed.
wait_build() {
  local name=$1 rc=0
  wait "${background[$name]}" || rc=$?
  unset "background[$name]"
  [ "$rc" -eq 0 ] || tail -n 60 "$work/$name-build.log"
  return "$rc"
}

start_build asan "$asan" -j "$jobs"

step "format (clang-format as .clang-format says)" scripts/check-format.sh

echo "==> release build"
started=$SECONDS
if ! cmake --build "$build" -j "$jobs"; then
  echo "==> release build: FAILED"
  exit 1
fi
timings+=("$(printf '%5d s  %s' $((SECONDS - started)) "release build")")

export DROVER_BIN="$PWD/$build/apps/cli/drover"
# Twice as many tests as CPUs: most of them wait on their redis-servers and timers
# (measured: about half the CPU idle at -j 2, 30 % less wall time at -j 4, the same CPU).
step "C++ tests" ctest --test-dir "$build" --output-on-failure -j $((2 * jobs)) --timeout 180
step "installed package example" example
step "BullMQ interop (Node bullmq@6.7.0 and drover on one Redis)" \
  node --test --test-concurrency=1 tests/interop/
step "BullMQ interop on a Redis Cluster (the same suite, 3 masters per file: Node's BullMQ over ioredis's Cluster, drover over redis+cluster://)" \
  env INTEROP_REDIS=cluster node --test --test-concurrency=1 tests/interop/
step "the system end to end (API, workers, Redis, SQLite and PostgreSQL, Chromium)" \
  node --test --test-concurrency=1 tests/e2e/
step "chaos checker (catches lost, stuck and double-completed jobs)" node --test tests/chaos/
step "chaos, short form (5,000 jobs each through drover and BullMQ; drover must lose, strand or complete twice none)" \
  node tests/chaos/chaos.mjs --jobs 5000 --peer both
step "chaos with the API in the loop, short form (chat sends while Redis, PostgreSQL and the API are killed: fast 503s, every accepted send answered with a final job_logs row)" \
  node tests/chaos/chaos.mjs --api --rounds 1
asan_ok=0
step "sanitizer build (AddressSanitizer and UBSan)" wait_build asan && asan_ok=1
# These start once the ASan build is done, so that they never slow it, and take the CPU
# its tests leave idle.
start_build tsan "$tsan" -j "$jobs" --target drover_thread_checked_tests
start_build fuzz "$fuzz" -j "$jobs"
# Both sanitizer trees run each test program as shards of about ten tests rather than a
# process per test (DROVER_TEST_SHARDS, tests/CMakeLists.txt): a sanitized process costs
# about 0.2 s of CPU to start and end. Neither runs the cluster.* repeats of the engine's
# suites (the release run has them): on a cluster the same code runs, only its connection
# differs, and that connection's own tests (integration.cluster_*) run in both. TSan slows
# each test 5 to 15 times; the repeats are a fifth of these tests' time in the release
# run, beside a six-node cluster they keep busy.
if [ "$asan_ok" -eq 1 ]; then
  step "C++ tests under AddressSanitizer and UBSan" \
    env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$asan" -E '^cluster\.' --output-on-failure -j 2
fi
tsan_ok=0
step "ThreadSanitizer build" wait_build tsan && tsan_ok=1
if [ "$tsan_ok" -eq 1 ]; then
  step "C++ tests under ThreadSanitizer (those whose code runs on more than one thread)" \
    env TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp" \
    ctest --test-dir "$tsan" -L threads -E '^cluster\.' --output-on-failure -j 2
fi
if step "fuzz build (clang-15, libFuzzer)" wait_build fuzz; then
  step "fuzz harnesses: each committed corpus, then ${fuzz_seconds} s of fuzzing each" \
    env FUZZ_JOBS="$jobs" FUZZ_CORPUS="$work/fuzz-corpus" fuzz/run.sh "$fuzz" "$fuzz_seconds"
fi

# Where the time went: a step that waits for a background build counts only the wait.
echo
echo "==> time per step (whole run: $SECONDS s)"
printf '%s\n' "${timings[@]}"
echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "all test steps passed"
  exit 0
fi
for i in "${!failed[@]}"; do
  echo "==> failed: ${failed[$i]}"
  recap "${failed_logs[$i]}" | head -n 40
  failure_details "${failed_logs[$i]}"
done
echo "failed steps: ${failed[*]}"
exit 1
