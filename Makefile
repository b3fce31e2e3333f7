# The two commands a person needs: `make run` and `make test`. Both set up a fresh
# Debian 12 machine first (as root), so they work on a bare checkout.
BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
TSAN_DIR  ?= build-tsan
FUZZ_DIR  ?= build-fuzz
JOBS      ?= $(shell nproc)
# Seconds each fuzz harness runs in `make fuzz` (make test gives each a few).
FUZZ_SECONDS ?= 60

.PHONY: all deps build build-asan build-tsan build-fuzz run test fuzz chaos bench bench-cluster bench-micro clean

all: build

deps:
	@scripts/install-deps.sh $(DEPS_FOR)
	@scripts/npm-deps.sh

# Debug information is line tables only (-g1): backtraces, perf and sanitizer reports keep
# their function names and file:line, and the build takes about 40% less time than with
# full variable information (-g), which Asio's and Beast's templates make enormous.
#
# Unity builds (UNITY=ON, the default): CMake compiles the sources of each target sixteen
# at a time as one unit, so that Asio's, Beast's and Boost.JSON's templates are instantiated
# once per sixteen files instead of once per file; about a third less CPU for every tree
# than one unit per file, and 12 % less than eight a unit (docs/contributing.md, "Build
# times"). UNITY=OFF gives one unit per file, which rebuilds a single changed file faster.
UNITY ?= ON
CMAKE_UNITY = -DCMAKE_UNITY_BUILD=$(UNITY) -DCMAKE_UNITY_BUILD_BATCH_SIZE=16

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" $(CMAKE_UNITY)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

# AddressSanitizer and UBSan: the library, the apps and every C++ test.
$(ASAN_DIR)/CMakeCache.txt:
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g1" -DDROVER_SANITIZE=ON -DDROVER_TEST_SHARDS=ON $(CMAKE_UNITY)

build-asan: deps $(ASAN_DIR)/CMakeCache.txt
	cmake --build $(ASAN_DIR) -j $(JOBS)

# ThreadSanitizer: the test programs whose code runs on more than one thread (label
# `threads`; run them with `ctest --test-dir build-tsan -L threads`): blocking processors
# on the worker's pool, blocking_queue's I/O thread, workers on threads of their own; the
# apps' database calls on a thread pool, handed back to the event loop; the HTTP server
# read from another thread. TSan has nothing to say about single-threaded code, and
# building the rest would take 40 % more. -O1: TSan slows code 5 to 15 times, and
# unoptimized code twice more.
$(TSAN_DIR)/CMakeCache.txt:
	cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DDROVER_SANITIZE=thread -DDROVER_TEST_SHARDS=ON $(CMAKE_UNITY)

build-tsan: deps $(TSAN_DIR)/CMakeCache.txt
	cmake --build $(TSAN_DIR) -j $(JOBS) --target drover_thread_checked_tests

# The libFuzzer harnesses (fuzz/): a project of their own, built by clang-15.
$(FUZZ_DIR)/CMakeCache.txt:
	cmake -S fuzz -B $(FUZZ_DIR) -DCMAKE_CXX_COMPILER=clang++-15

build-fuzz: DEPS_FOR = test
build-fuzz: deps $(FUZZ_DIR)/CMakeCache.txt
	cmake --build $(FUZZ_DIR) -j $(JOBS)

run: build
	@scripts/run.sh $(BUILD_DIR)

# test.sh builds both trees itself: the sanitizer build runs at the lowest priority
# beside the release build and the tests, on the CPU they leave idle.
test: DEPS_FOR = test
test: deps $(BUILD_DIR)/CMakeCache.txt $(ASAN_DIR)/CMakeCache.txt $(FUZZ_DIR)/CMakeCache.txt $(TSAN_DIR)/CMakeCache.txt
	@scripts/test.sh $(BUILD_DIR) $(ASAN_DIR) $(JOBS) $(FUZZ_DIR) $(TSAN_DIR)

# Every fuzz harness for FUZZ_SECONDS, FUZZ_JOBS at once (default: all CPUs); new inputs
# collect in $(FUZZ_DIR)/corpus, crashes in $(FUZZ_DIR)/artifacts. One target:
# `make fuzz FUZZ_TARGETS=multipart`. docs/contributing.md says how to keep what they find.
fuzz: build-fuzz
	@fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The chaos suite (tests/chaos, docs/reliability.md): CHAOS_JOBS jobs through drover's
# workers, then BullMQ's, while workers and Redis are killed and connections broken; fails
# when drover loses, leaves stuck or completes twice any job. Results in
# $(BUILD_DIR)/chaos.json. Then CHAOS_API_ROUNDS rounds with the API in the loop (chat
# sends while Redis, PostgreSQL and the API are killed), results in $(BUILD_DIR)/chaos-api.json.
# `make test` runs a short form of each (5,000 jobs; one round).
CHAOS_JOBS ?= 100000
CHAOS_API_ROUNDS ?= 10
chaos: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target drover_cli
	DROVER_BIN=$(BUILD_DIR)/apps/cli/drover node tests/chaos/chaos.mjs --jobs $(CHAOS_JOBS) --peer both \
	  --json $(BUILD_DIR)/chaos.json
	DROVER_BIN=$(BUILD_DIR)/apps/cli/drover node tests/chaos/chaos.mjs --api --rounds $(CHAOS_API_ROUNDS) \
	  --json $(BUILD_DIR)/chaos-api.json

# The side-by-side benchmark against BullMQ and bee-queue (docs/benchmarks.md); not a
# test. BENCH_ARGS passes options, e.g. `make bench BENCH_ARGS=--quick`. The pieces of
# the hot path alone: `make bench-micro`.
bench: build
	cmake --build $(BUILD_DIR) -j $(JOBS) --target drover_bench
	BUILD_DIR=$(BUILD_DIR) node bench/run.mjs $(BENCH_ARGS)

# drover on a Redis Cluster of CLUSTER_MASTERS masters it starts (bench/cluster.mjs): one
# queue against the same jobs sharded over one queue per master, jobs/s and each master's
# CPU per job; results in bench/results/cluster-<date>.json (docs/benchmarks.md).
CLUSTER_MASTERS ?= 3
bench-cluster: build
	cmake --build $(BUILD_DIR) -j $(JOBS) --target drover_bench drover_cli
	BUILD_DIR=$(BUILD_DIR) node bench/cluster.mjs --masters $(CLUSTER_MASTERS) $(BENCH_ARGS)

# Google Benchmark micro-benchmarks of the hot path's pieces (bench/micro/): packing,
# encoding, reply parsing, JSON. Not a test either; needs only the library. 3 repetitions:
# their mean, median and spread on the console, each one in bench/results/micro-<date>.json
# (docs/benchmarks.md quotes the median CPU time). MICRO_ARGS passes
# options, e.g. `make bench-micro MICRO_ARGS=--benchmark_filter=json`.
bench-micro: deps $(BUILD_DIR)/CMakeCache.txt
	cmake -S . -B $(BUILD_DIR) >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS) --target drover_micro_bench
	@out=bench/results/micro-$$(date -u +%Y-%m-%dT%H%M).json; \
	$(BUILD_DIR)/bench/drover_micro_bench --benchmark_repetitions=3 --benchmark_display_aggregates_only=true \
	  --benchmark_out=$$out --benchmark_out_format=json $(MICRO_ARGS) && echo "bench-micro: results in $$out"

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR)
