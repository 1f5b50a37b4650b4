# Shared set-up for the bench/*.sh scripts (sourced, not run): tools, the release binary (or
# $EKS_KC_BENCH_BIN), a scratch directory removed on exit, and helper processes killed on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v hyperfine >/dev/null 2>&1 || {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq hyperfine
}

# EKS_KC_BENCH_BIN=FILE benchmarks that binary instead of building the release one (to check a
# script quickly with a debug build; its figures are not the release binary's).
if [ -n "${EKS_KC_BENCH_BIN:-}" ]; then
  built=$EKS_KC_BENCH_BIN
else
  cargo build --release --locked --quiet
  built=target/release/eks-kc
fi
out=$PWD/bench/out
mkdir -p "$out"
work=$(mktemp -d)
# The binary as an install puts it (`cargo install`, a package manager: one sequential write),
# not the linker's output file: on this machine exec'ing the linker's file costs about 0.1-0.2 ms
# more per run (its page-cache pages are small; a file written in one go gets large folios, so
# fewer page faults at start-up), which is most of what separates `eks-kc token` from `cat`.
mkdir -p "$work/bin"
install -m 0755 "$built" "$work/bin/eks-kc"
bin=$work/bin/eks-kc
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start_fake_eks REGIONS:CLUSTERS LATENCY_MS: a fake EKS API; sets $eks_url.
start_fake_eks() {
  local fifo=$work/ready.$RANDOM
  mkfifo "$fifo"
  python3 tests/support/fake_eks.py --generate "$1" --latency-ms "$2" > "$fifo" &
  pids+=($!)
  local line
  read -r line < "$fifo"
  eks_url="http://127.0.0.1:${line#READY }"
}
