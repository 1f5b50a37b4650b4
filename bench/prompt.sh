#!/usr/bin/env bash
# Benchmarks `eks-kc prompt` beside `kubectl config current-context` (on demand; reported, never
# asserted). Target: prompt ≤ 2 ms whole process, on a 500-context kubeconfig written by sync
# and on a 3-context hand-written one, for the kubeconfig and for a shell with a context (and
# namespace) of its own.
source "$(dirname "$0")/lib.sh"

export HOME=$work/home AWS_EC2_METADATA_DISABLED=true EKS_KC_CACHE_DIR=$work/cache
export EKS_KC_STATE_DIR=$work/state
mkdir -p "$HOME"
export AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
printf '[profile one]\nregion = us-east-1\n' > "$AWS_CONFIG_FILE"
printf '[one]\naws_access_key_id = AKIAEKSKCBENCH000001\naws_secret_access_key = s1\n' > "$AWS_SHARED_CREDENTIALS_FILE"

# A real kubectl, not gcloud's dispatcher (which starts a second process).
kubectl=kubectl
[ -x /usr/lib/google-cloud-sdk/bin/kubectl.1.32 ] && kubectl=/usr/lib/google-cloud-sdk/bin/kubectl.1.32

# 500 clusters: 5 regions x 100, synced from the fake EKS endpoint.
start_fake_eks 5:100 0
export AWS_ENDPOINT_URL_EKS=$eks_url
big=$work/kubeconfig
KUBECONFIG=$big "$bin" sync -p one -r us-east-1 -r us-west-2 -r eu-west-1 -r eu-central-1 -r ap-south-1 2>/dev/null
KUBECONFIG=$big "$bin" use c0001.eu-west-1.one -n team >/dev/null

small=$work/small
cat > "$small" <<'YAML'
apiVersion: v1
kind: Config
clusters:
- {name: c1, cluster: {server: 'https://one.example'}}
users:
- {name: u, user: {token: x}}
contexts:
- {name: alpha, context: {cluster: c1, user: u, namespace: web}}
- {name: beta, context: {cluster: c1, user: u}}
- {name: gamma, context: {cluster: c1, user: u}}
current-context: alpha
YAML

# A shell with its own context and namespace, as `eks-kc use --shell` leaves it (the shell
# function is not needed to read it: its KUBECONFIG is set here as that function would).
shell_dir=$EKS_KC_STATE_DIR/shells/shell-$$-0
mkdir -p "$shell_dir" && chmod 700 "$EKS_KC_STATE_DIR" "$EKS_KC_STATE_DIR/shells" "$shell_dir"
printf 'current-context: c0002.eu-west-1.one\ncontexts:\n- name: c0002.eu-west-1.one\n  context: {cluster: c0002.eu-west-1.one, user: eks-kc, namespace: mine}\n' \
  > "$shell_dir/kubeconfig"
chmod 600 "$shell_dir/kubeconfig"
in_shell=$shell_dir/kubeconfig:$big

# Digests are kept only for files that settled 2 s before they were read.
sleep 2.5
for k in "$big" "$small" "$in_shell"; do KUBECONFIG=$k "$bin" prompt >/dev/null; done
echo "prompts: $(KUBECONFIG=$big "$bin" prompt) | $(KUBECONFIG=$small "$bin" prompt) | $(KUBECONFIG=$in_shell "$bin" prompt)" >&2

# hyperfine -N runs each command without a shell, so KUBECONFIG is set per group of runs.
run() { # NAME-SUFFIX KUBECONFIG
  KUBECONFIG=$2 hyperfine -N --warmup 20 --runs 300 --export-json "$work/prompt-$1.json" \
    -n "eks-kc prompt ($1)" "$bin prompt" \
    -n "kubectl config current-context ($1)" "$kubectl config current-context" >/dev/null
}
run "500 contexts" "$big"
run "3 contexts" "$small"
run "shell of its own, 500 contexts" "$in_shell"
hyperfine -N --warmup 20 --runs 300 --export-json "$work/prompt-cat.json" \
  -n "cat (3-context kubeconfig)" "cat $small" >/dev/null
python3 -c 'import json,sys; print(json.dumps({"results": [r for f in sys.argv[1:] for r in json.load(open(f))["results"]]}))' \
  "$work"/prompt-*.json > "$out/prompt.json"

python3 - "$out/prompt.json" <<'PY' | tee "$out/prompt.md"
import json, sys
print("| command | median ms | mean ± σ ms |")
print("|---|---:|---:|")
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"| {r['command']} | {r['median']*1000:.2f} | {r['mean']*1000:.2f} ± {r['stddev']*1000:.2f} |")
PY
