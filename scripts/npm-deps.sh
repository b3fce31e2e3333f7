#!/usr/bin/env bash
# npm-deps.sh - installs the npm packages pinned in package-lock.json (BullMQ's scripts
# for the build, the Node peers for the interop tests) when they are missing or stale.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.drover-lock-stamp
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
