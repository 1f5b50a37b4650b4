#!/usr/bin/env bash
# Benchmarks `eks-kc sync` against a fake EKS endpoint with injected latency (on demand).
#
#   bench/sync.sh      # prints a Markdown report, keeps raw data in bench/out/
#
# 1. 2 profiles x 17 regions x 10 clusters (340 clusters), 50 ms per request: eks-kc sync
#    wall time (hyperfine, fresh kubeconfig each run) at the default concurrency.
# 2. The AWS CLI doing the same job (`aws eks list-clusters` + `aws eks update-kubeconfig` per
#    cluster), timed on a subset (1 profile x 1 region x 10 clusters) and extrapolated to 340.
# 3. 5,000 clusters (2 profiles x 25 regions x 100) at 10 ms: wall time and peak RSS.
# Results are reported, never asserted.
source "$(dirname "$0")/lib.sh"
command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli

REGIONS17=(us-east-1 us-east-2 us-west-1 us-west-2 eu-west-1 eu-west-2 eu-west-3 eu-central-1
  eu-north-1 ap-south-1 ap-northeast-1 ap-northeast-2 ap-northeast-3 ap-southeast-1
  ap-southeast-2 ca-central-1 sa-east-1)
REGIONS25=("${REGIONS17[@]}" af-south-1 ap-east-1 ap-south-2 ap-southeast-3 eu-central-2
  eu-south-1 eu-south-2 me-central-1)

export HOME=$work/home AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME"
export AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
printf '[profile one]\nregion = us-east-1\n[profile two]\nregion = us-east-1\n' > "$AWS_CONFIG_FILE"
printf '[one]\naws_access_key_id = AKIAEKSKCBENCH000001\naws_secret_access_key = s1\n[two]\naws_access_key_id = AKIAEKSKCBENCH000002\naws_secret_access_key = s2\n' \
  > "$AWS_SHARED_CREDENTIALS_FILE"

region_flags() { for r in "$@"; do printf -- '-r %s ' "$r"; done; }

# 1. 340 clusters at 50 ms.
start_fake_eks 17:10 50
export AWS_ENDPOINT_URL_EKS=$eks_url
flags="-p one -p two $(region_flags "${REGIONS17[@]}")"
hyperfine -N --warmup 1 --runs 10 --export-json "$out/sync-340.json" \
  --prepare "rm -f $work/kube340" \
  -n "eks-kc sync (340 clusters, 50 ms latency)" \
  "$bin sync --kubeconfig $work/kube340 $flags" >/dev/null
contexts=$(( ($(grep -c 'managedBy: eks-kc' "$work/kube340") - 1) / 2 ))

# 2. The AWS CLI on a subset: one region's listing plus update-kubeconfig for its 10 clusters.
export AWS_PROFILE=one AWS_REGION=us-east-1
cli_start=$(date +%s.%N)
names=$(aws eks list-clusters --query 'clusters[]' --output text)
for n in $names; do
  aws eks update-kubeconfig --name "$n" --kubeconfig "$work/kube-cli" >/dev/null
done
cli_end=$(date +%s.%N)
unset AWS_PROFILE AWS_REGION
cli_subset=$(python3 -c "print($cli_end - $cli_start)")

# 3. 5,000 clusters at 10 ms.
start_fake_eks 25:100 10
export AWS_ENDPOINT_URL_EKS=$eks_url
flags5k="-p one -p two $(region_flags "${REGIONS25[@]}")"
measure5k() { # NAME: one sync into $work/kube5k, recording wall time and peak RSS
  /usr/bin/time -v "$bin" sync --kubeconfig "$work/kube5k" $flags5k 2> "$out/sync-5000-$1.time" >/dev/null
  awk -F'): ' '/Elapsed \(wall clock\)/ {printf "%s ", $2}' "$out/sync-5000-$1.time"
  awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$out/sync-5000-$1.time"
}
read -r wall5k rss5k < <(measure5k first)
n5k=$(( ($(grep -c 'managedBy: eks-kc' "$work/kube5k") - 1) / 2 ))
read -r wall5k_again rss5k_again < <(measure5k again)

python3 - "$out/sync-340.json" "$cli_subset" "$wall5k" "$rss5k" "$contexts" "$n5k" "$wall5k_again" "$rss5k_again" <<'PY' | tee "$out/sync.md"
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
cli_subset = float(sys.argv[2])
wall5k, rss5k, contexts, n5k = sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
wall_again, rss_again = sys.argv[7], int(sys.argv[8])
# The CLI job for 340 clusters: 34 list-clusters calls + 340 update-kubeconfig calls. The
# subset timed 1 list + 10 updates; scale each part by its count.
per_call = cli_subset / 11
cli_full = per_call * (34 + 340)
med = r["median"]
print("| scenario | result |")
print("|---|---|")
print(f"| eks-kc sync, 340 clusters (2 profiles × 17 regions × 10), 50 ms/request | median {med:.3f} s (mean {r['mean']:.3f} ± {r['stddev']:.3f} s, {len(r['times'])} runs); {contexts} contexts |")
print(f"| AWS CLI, subset of 1 list + 10 update-kubeconfig | {cli_subset:.1f} s ({per_call:.2f} s per call) |")
print(f"| AWS CLI, extrapolated to 34 lists + 340 updates | ≈ {cli_full:.0f} s → eks-kc is ≈ {cli_full / med:.0f}× faster |")
print(f"| eks-kc sync, 5,000 clusters (2 × 25 regions × 100), 10 ms/request, new kubeconfig | {wall5k} wall, peak RSS {rss5k / 1024:.1f} MiB, {n5k} contexts |")
print(f"| the same again, re-reading that 5,000-cluster kubeconfig | {wall_again} wall, peak RSS {rss_again / 1024:.1f} MiB |")
PY
