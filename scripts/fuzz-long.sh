#!/usr/bin/env bash
# The long fuzz pass: every decoder's fuzz target with many more mutations than CI's short
# pass (FUZZ_ITERATIONS, default 20000 per target). Failing inputs land in test-artifacts/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_ITERATIONS="${FUZZ_ITERATIONS:-20000}" npx vitest run test/fuzz --testTimeout=7200000 "$@"
