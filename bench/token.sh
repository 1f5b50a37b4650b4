#!/usr/bin/env bash
# Benchmarks `eks-kc token` against its alternatives, whole process, on this machine.
#
#   bench/token.sh            # builds --release, prints a Markdown table, keeps raw data in bench/out/
#
# Compared side by side in one hyperfine run (medians):
#   - eks-kc cache hit                       (the path every kubectl call takes)
#   - cat of the cache file                  (the floor: exec + read one small file)
#   - eks-kc cold sign, static env keys      (--no-cache)
#   - eks-kc cold sign, keys in a profile    (--no-cache --profile: loads aws-config)
#   - gke-gcloud-auth-plugin cache hit       (a Go exec plugin answering from its file cache)
#   - aws eks get-token                      (what EKS kubeconfigs run today)
# and peak RSS of each with /usr/bin/time -v. Installs hyperfine from Debian when missing.
# Results are reported, never asserted: targets live in the README.
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-300}
SLOW_RUNS=${SLOW_RUNS:-15}
GKE_PLUGIN=${GKE_PLUGIN:-/usr/lib/google-cloud-sdk/bin/gke-gcloud-auth-plugin}
command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli

# An isolated environment: static keys, no config files, no network, a private cache.
export HOME=$work/home AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=AKIAEKSKCBENCH000001
export AWS_SECRET_ACCESS_KEY=benchmark/secret/key AWS_REGION=eu-west-1
export EKS_KC_CACHE_DIR=$work/cache
mkdir -p "$HOME"
printf '[bench]\naws_access_key_id = AKIAEKSKCBENCH000002\naws_secret_access_key = benchmark/secret/key2\n' \
  > "$work/credentials"
export KUBERNETES_EXEC_INFO='{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":false,"cluster":{"server":"https://127.0.0.1","config":{"clusterName":"bench","region":"eu-west-1"}}}}'

"$bin" token >/dev/null # warm the cache
cache_file=$(ls "$EKS_KC_CACHE_DIR"/token-*.json)

# gke-gcloud-auth-plugin answers from gke_gcloud_auth_plugin_cache beside the kubeconfig.
mkdir -p "$work/gke"
cat > "$work/gke/config" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: gke, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: gke, context: {cluster: gke, user: gke}}]
current-context: gke
users: [{name: gke, user: {}}]
YAML
printf '{"current_context":"gke","access_token":"ya29.cached","token_expiry":"%s"}' \
  "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" > "$work/gke/gke_gcloud_auth_plugin_cache"
gke="KUBECONFIG=$work/gke/config $GKE_PLUGIN"

hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$out/token-fast.json" \
  -n "eks-kc token (cache hit)" "$bin token" \
  -n "cat cache file" "cat $cache_file" \
  -n "eks-kc token --no-cache (static keys)" "$bin token --no-cache" \
  -n "eks-kc token --no-cache (profile)" "env AWS_SHARED_CREDENTIALS_FILE=$work/credentials $bin token --no-cache --profile bench" \
  -n "gke-gcloud-auth-plugin (cache hit)" "env $gke" >/dev/null

hyperfine -N --warmup 2 --runs "$SLOW_RUNS" --export-json "$out/token-awscli.json" \
  -n "aws eks get-token" "aws eks get-token --cluster-name bench --region eu-west-1" >/dev/null

rss() { # peak RSS in KiB of one run
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}'
}
declare -A peak
peak["eks-kc token (cache hit)"]=$(rss "$bin" token)
peak["cat cache file"]=$(rss cat "$cache_file")
peak["eks-kc token --no-cache (static keys)"]=$(rss "$bin" token --no-cache)
peak["eks-kc token --no-cache (profile)"]=$(AWS_SHARED_CREDENTIALS_FILE=$work/credentials rss "$bin" token --no-cache --profile bench)
peak["gke-gcloud-auth-plugin (cache hit)"]=$(KUBECONFIG=$work/gke/config rss "$GKE_PLUGIN")
peak["aws eks get-token"]=$(rss aws eks get-token --cluster-name bench --region eu-west-1)

PEAKS=$(for k in "${!peak[@]}"; do printf '%s\t%s\n' "$k" "${peak[$k]}"; done)
export PEAKS
python3 - "$out/token-fast.json" "$out/token-awscli.json" <<'PY' > "$out/token.md"
import json, sys, os
rows = []
for path in sys.argv[1:]:
    rows += json.load(open(path))["results"]
peak = dict(line.split("\t") for line in os.environ["PEAKS"].strip().splitlines())
med = {r["command"]: r["median"] * 1000 for r in rows}
hit = med["eks-kc token (cache hit)"]
print("| command | median ms | mean ± σ ms | peak RSS MiB | vs cache hit |")
print("|---|---:|---:|---:|---:|")
for r in rows:
    name = r["command"]
    print(f"| {name} | {r['median']*1000:.2f} | {r['mean']*1000:.2f} ± {r['stddev']*1000:.2f} "
          f"| {int(peak[name])/1024:.1f} | {r['median']*1000/hit:.1f}× |")
print()
print(f"- hit / cat: {hit / med['cat cache file']:.2f} (target ≤ 1.5)")
print(f"- GKE plugin hit / eks-kc hit: {med['gke-gcloud-auth-plugin (cache hit)'] / hit:.1f}× (target ≥ 2.5×)")
print(f"- aws eks get-token / eks-kc hit: {med['aws eks get-token'] / hit:.0f}× (target ≥ 300×)")
print(f"- cold sign, static keys: {med['eks-kc token --no-cache (static keys)']:.2f} ms (target ≤ 15 ms); "
      f"through a profile file: {med['eks-kc token --no-cache (profile)']:.2f} ms")
print(f"- hit peak RSS: {int(peak['eks-kc token (cache hit)'])/1024:.1f} MiB (target ≤ 6 MiB)")
PY
cat "$out/token.md"
