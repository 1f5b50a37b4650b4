#!/usr/bin/env bash
# Benchmarks `eks-kc list` and `eks-kc use` on a 500-context kubeconfig written by sync
# (on demand; reported, never asserted). Target: list ≤ 10 ms whole process.
source "$(dirname "$0")/lib.sh"

export HOME=$work/home AWS_EC2_METADATA_DISABLED=true EKS_KC_CACHE_DIR=$work/cache
mkdir -p "$HOME"
export AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
printf '[profile one]\nregion = us-east-1\n' > "$AWS_CONFIG_FILE"
printf '[one]\naws_access_key_id = AKIAEKSKCBENCH000001\naws_secret_access_key = s1\n' > "$AWS_SHARED_CREDENTIALS_FILE"

# 500 clusters: 5 regions x 100, synced from the fake EKS endpoint.
start_fake_eks 5:100 0
export AWS_ENDPOINT_URL_EKS=$eks_url
export KUBECONFIG=$work/kubeconfig
"$bin" sync -p one -r us-east-1 -r us-west-2 -r eu-west-1 -r eu-central-1 -r ap-south-1 2>/dev/null
"$bin" use c0001.eu-west-1.one >/dev/null
# Warm ten tokens so list has cache state to report.
for i in 0 1 2 3 4 5 6 7 8 9; do
  KUBERNETES_EXEC_INFO="{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"spec\":{\"cluster\":{\"config\":{\"clusterName\":\"c000$i\",\"region\":\"eu-west-1\",\"profile\":\"one\"}}}}" \
    "$bin" token >/dev/null
done
contexts=$("$bin" list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')

hyperfine -N --warmup 10 --runs 100 --export-json "$out/list.json" \
  -n "eks-kc list ($contexts contexts)" "$bin list" \
  -n "eks-kc list -o json" "$bin list -o json" \
  -n "eks-kc use (prefix)" "$bin use c0002.eu-west-1" \
  -n "kubectl config get-contexts" "kubectl config get-contexts" >/dev/null

python3 - "$out/list.json" <<'PY' | tee "$out/list.md"
import json, sys
print("| command | median ms | mean ± σ ms |")
print("|---|---:|---:|")
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"| {r['command']} | {r['median']*1000:.2f} | {r['mean']*1000:.2f} ± {r['stddev']*1000:.2f} |")
PY
