#!/usr/bin/env bash
# run.sh - runs the libFuzzer harnesses of a fuzz build, each for a bounded time.
# usage: fuzz/run.sh <build-fuzz dir> <seconds per target> [target...]   (default: all)
# env:   FUZZ_JOBS     harnesses run at once (default: the number of CPUs)
#        FUZZ_CORPUS   where each target's new inputs go, <dir>/<target> (default:
#                      <build dir>/corpus; the committed seeds in fuzz/corpus are only read)
#
# Each harness first runs every committed input of its corpus (so a crash found once
# stays a regression check), then fuzzes until its time is up. A crash, sanitizer report,
# leak, timeout (10 s on one input) or out-of-memory fails the run; the input that did it
# is written to <build dir>/artifacts/ and the end of the log is printed.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: fuzz/run.sh <build dir> <seconds> [target...]}
seconds=${2:?usage: fuzz/run.sh <build dir> <seconds> [target...]}
shift 2
jobs=${FUZZ_JOBS:-$(nproc)}
corpus=${FUZZ_CORPUS:-$build/corpus}

if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < "$build/targets.txt"; fi
mkdir -p "$build/artifacts" "$build/logs"
# Reports name functions and lines only with a symbolizer; llvm-15's, else Debian's default.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
  ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer-15 || command -v llvm-symbolizer || true)
  export ASAN_SYMBOLIZER_PATH
fi

run_one() {
  local t=$1 work="$corpus/$1" log="$build/logs/$1.log"
  mkdir -p "$work"
  # The wall-clock bound covers a harness that hangs outside libFuzzer's own timers.
  if timeout -k 10 $((seconds + 120)) "$build/${t}_fuzz" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
      "$work" "fuzz/corpus/$t" >"$log" 2>&1; then
    local runs
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    printf '%-16s ok   %8s runs in %s s, %s inputs in its corpus\n' "$t" "${runs:-?}" "$seconds" \
      "$(find "$work" "fuzz/corpus/$t" -type f | wc -l)"
  else
    printf '%-16s FAILED (log: %s)\n' "$t" "$log"
    tail -n 40 "$log"
    return 1
  fi
}
export -f run_one
export build seconds corpus

printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'
