#!/usr/bin/env bash
# test.sh - runs every test: C++ unit and integration tests (release and sanitizer
# builds; ctest also runs the apps' tests, among them socket.io-client against drover's
# Socket.IO server), the installed-package example, the Node BullMQ interop suite, the
# end-to-end tests of the whole system, and a few seconds of each fuzz harness (fuzz/).
# The C++ tests start their own redis-server processes; this script starts one more
# for the example and stops everything it started, whatever happens.
#
# Both builds happen here. The sanitizer build starts first, at the lowest priority, and
# takes only the CPU the release build and the tests leave idle (link steps, the Node
# suites waiting on timers); its tests run last, once it is done. On two cores this
# saves about five minutes over building both trees before testing. The fuzz harnesses
# (clang, a few sources each) build the same way, after it.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
asan=${2:-build-asan}
jobs=${3:-$(nproc)}
fuzz=${4:-build-fuzz}
# Seconds of fuzzing per harness, after its committed corpus has run.
fuzz_seconds=${FUZZ_TEST_SECONDS:-5}

work=$(mktemp -d /tmp/drover-test-XXXXXX)
redis_pid=""
asan_pid=""
cleanup() {
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  [ -n "$asan_pid" ] && kill -- -"$asan_pid" 2>/dev/null && wait "$asan_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

failed=()
step() {
  local name=$1; shift
  echo
  echo "==> $name"
  if "$@"; then echo "==> $name: ok"; else echo "==> $name: FAILED"; failed+=("$name"); return 1; fi
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

example() {
  local port
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --save "" --appendonly no --daemonize no \
    --logfile "$work/redis.log" &
  redis_pid=$!
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  cmake --install "$build" --prefix "$work/prefix" >/dev/null &&
    cmake -S examples/consumer -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null &&
    cmake --build "$work/consumer" -j 2 >/dev/null &&
    PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs drover >/dev/null &&
    REDIS_URL="redis://127.0.0.1:$port" "$work/consumer/consumer" | tee "$work/consumer.out" &&
    grep -q '"greeting":"hello, drover"' "$work/consumer.out"
}

# In a process group of its own, so that cleanup stops the compilers too; not in a session
# of its own (setsid), which would put it in its own scheduler autogroup where nice has
# no effect against the release build. perl is part of every Debian system.
# The fuzz build follows in the same job, so that it never slows the sanitizer build; it
# runs while the sanitizer tests do.
nice -n 19 perl -e 'setpgrp(0, 0); exec @ARGV or die "exec $ARGV[0]: $!"' \
  sh -c 'cmake --build "$1" -j "$3" --target drover_tests >"$4/asan-build.log" 2>&1; rc=$?
         echo "$rc" >"$4/asan-build.rc"
         cmake --build "$2" -j "$3" >"$4/fuzz-build.log" 2>&1; echo $? >"$4/fuzz-build.rc"' \
  sh "$asan" "$fuzz" "$jobs" "$work" &
asan_pid=$!

echo "==> release build"
if ! cmake --build "$build" -j "$jobs"; then
  echo "==> release build: FAILED"
  exit 1
fi

# Waits until the job above has written <name>.rc; returns that status.
build_done() {
  local name=$1 rc
  while [ ! -s "$work/$name.rc" ]; do
    if ! kill -0 "$asan_pid" 2>/dev/null && [ ! -s "$work/$name.rc" ]; then return 1; fi
    sleep 1
  done
  rc=$(cat "$work/$name.rc")
  [ "$rc" -eq 0 ] || tail -n 60 "$work/$name.log"
  return "$rc"
}
asan_build() { build_done asan-build; }
fuzz_build() {
  build_done fuzz-build || return 1
  wait "$asan_pid" 2>/dev/null
  asan_pid=""
}

export DROVER_BIN="$PWD/$build/apps/cli/drover"
step "C++ tests" ctest --test-dir "$build" --output-on-failure -j 2 --timeout 180
step "installed package example" example
step "BullMQ interop (Node bullmq@6.7.0 and drover on one Redis)" \
  node --test --test-concurrency=1 tests/interop/
step "the system end to end (API, workers, Redis, SQLite and PostgreSQL, Chromium)" \
  node --test --test-concurrency=1 tests/e2e/
if step "sanitizer build (AddressSanitizer and UBSan)" asan_build; then
  step "C++ tests under AddressSanitizer and UBSan" \
    env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$asan" --output-on-failure -j 2 --timeout 300
fi
if step "fuzz build (clang-15, libFuzzer)" fuzz_build; then
  step "fuzz harnesses: each committed corpus, then ${fuzz_seconds} s of fuzzing each" \
    env FUZZ_JOBS="$jobs" FUZZ_CORPUS="$work/fuzz-corpus" fuzz/run.sh "$fuzz" "$fuzz_seconds"
fi

echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "all test steps passed"
  exit 0
fi
echo "failed steps: ${failed[*]}"
exit 1
