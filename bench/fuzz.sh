#!/usr/bin/env bash
# Runs the property tests of tests/it/properties.rs with many more cases than `cargo test` does,
# for a bounded time per property (on demand). Usage: bench/fuzz.sh [CASES] [SECONDS]
# A failure prints the minimal input and proptest records it under proptest-regressions/, which
# is committed so the case is replayed by every later `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-20000}
seconds=${2:-120}
PROPTEST_CASES=$cases timeout "$((seconds * 8))" \
  cargo test --release --locked --test it -- properties:: --test-threads 2
