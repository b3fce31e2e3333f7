#!/usr/bin/env bash
# install-deps.sh - installs the Debian 12 packages drover builds, runs and tests with.
# Idempotent and quick when everything is present: it asks dpkg first and calls
# apt-get (update once, then install) only for what is missing.
# usage: install-deps.sh [run|test]   (test adds what only the tests need: a browser, clang)
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates curl
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  # msgpuck for msgpack: Debian 12's libmsgpack-cxx-dev (and libmsgpack-dev, which pulls it in)
  # depends on Boost 1.74, which cannot be installed beside Boost 1.81.
  libhiredis-dev libmsgpuck-dev libpqxx-dev libsqlite3-dev
  libspdlog-dev libfmt-dev libcli11-dev libssl-dev
  # documents: PDF, HTML and Markdown text
  libpoppler-cpp-dev libxml2-dev libcmark-dev
  # time zones for cron schedules (HowardHinnant date, reading the system tzdata)
  libhowardhinnant-date-dev tzdata
  libgtest-dev libgmock-dev
  # zlib, for the tests' decompression bomb (tests/apps/documents/support/pdf_bomb.hpp)
  zlib1g-dev
  # Google Benchmark, for `make bench-micro` only (the build works without it)
  libbenchmark-dev
  # redis-sentinel: the Sentinel tests (tests/integration/redis/sentinel_test.cpp)
  redis-server redis-tools redis-sentinel postgresql-15 sqlite3
)
# Node.js (with npm) may come from elsewhere, e.g. NodeSource, whose nodejs conflicts with
# Debian's npm: only when there is no node at all do we take Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
# The browser is only needed by the browser tests; qpdf encrypts the test PDFs; clang 15
# with libFuzzer builds the fuzz harnesses (fuzz/), and llvm-15 has the symbolizer that
# puts function names and lines in their crash reports; clang-format checks the format
# of the C++ files.
if [ "${1:-run}" = test ]; then packages+=(chromium qpdf clang-15 libfuzzer-15-dev llvm-15 clang-format); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root or install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Package scripts must not start services here: tests and `make run` start their own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
