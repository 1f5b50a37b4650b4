#!/usr/bin/env bash
# Benchmarks switching among 10,000 contexts (issue 26.4; on demand, reported, never asserted):
# `eks-kc list`, `use NAME`, `prompt` and completion of `use`, each beside the kubectl command
# that does the same job (`config get-contexts`, `config use-context`, `config current-context`,
# `__complete config use-context`, what kubectl's own completion runs) and kubectx, on one
# kubeconfig written by sync (10 regions x 1,000 clusters). Goal: every eks-kc figure at least
# 10x faster than kubectl's, and `prompt` under 2 ms. Table in bench/out/switch.md.
#
# kubectx is Debian's package (a bash script over kubectl): installed here when missing and
# this runs as root, else its rows are skipped with a note. EKS_KC_BENCH_SCALE=N runs N tenths
# of the runs (at least 2 each; say 2 to check the script quickly with a debug build).
source "$(dirname "$0")/lib.sh"

export HOME=$work/home AWS_EC2_METADATA_DISABLED=true EKS_KC_CACHE_DIR=$work/cache
export EKS_KC_STATE_DIR=$work/state XDG_CACHE_HOME=$work/xdg-cache
mkdir -p "$HOME" "$XDG_CACHE_HOME"
export AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
printf '[profile one]\nregion = us-east-1\n' > "$AWS_CONFIG_FILE"
printf '[one]\naws_access_key_id = AKIAEKSKCBENCH000001\naws_secret_access_key = s1\n' > "$AWS_SHARED_CREDENTIALS_FILE"
scale=${EKS_KC_BENCH_SCALE:-10}

# A real kubectl, not gcloud's dispatcher (which runs exec plugins even for `config view`),
# also for kubectx (KUBECTL, and first in PATH).
kubectl=$(command -v kubectl)
[ -x /usr/lib/google-cloud-sdk/bin/kubectl.1.32 ] && kubectl=/usr/lib/google-cloud-sdk/bin/kubectl.1.32
mkdir -p "$work/path" && ln -s "$kubectl" "$work/path/kubectl"
export KUBECTL=$kubectl PATH=$work/path:$PATH

kubectx=$(command -v kubectx || true)
if [ -z "$kubectx" ] && [ "$(id -u)" = 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubectx >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubectx >/dev/null 2>&1; } || true
  kubectx=$(command -v kubectx || true)
fi
[ -n "$kubectx" ] || echo "bench/switch.sh: note: kubectx is not installed (Debian: apt-get install kubectx, as root); its rows are skipped" >&2

# 10,000 clusters: 10 regions x 1,000, synced from the fake EKS endpoint.
regions=(us-east-1 us-west-2 eu-west-1 eu-central-1 ap-south-1 eu-west-2 eu-west-3 eu-north-1 ap-northeast-1 ca-central-1)
start_fake_eks 10:1000 0
export AWS_ENDPOINT_URL_EKS=$eks_url
orig=$work/kubeconfig.orig
targets=()
for r in "${regions[@]}"; do targets+=(-r "$r"); done
KUBECONFIG=$orig "$bin" sync -p one "${targets[@]}" 2>/dev/null
a=c0001.eu-west-1.one b=c0002.eu-west-1.one
KUBECONFIG=$orig "$bin" use "$a" >/dev/null
contexts=$(KUBECONFIG=$orig "$bin" list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
size=$(stat -c %s "$orig")
# One copy per tool, so each switches a file in its own writer's form.
ours=$work/eks-kc.yaml theirs=$work/kubectl.yaml ctx=$work/kubectx.yaml
for f in "$ours" "$theirs" "$ctx"; do cp "$orig" "$f"; done
# Ten cached tokens, so list has token state to report.
for i in 0 1 2 3 4 5 6 7 8 9; do
  KUBERNETES_EXEC_INFO="{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"spec\":{\"cluster\":{\"config\":{\"clusterName\":\"c000$i\",\"region\":\"eu-west-1\",\"profile\":\"one\"}}}}" \
    "$bin" token >/dev/null
done
# Digests vouch for files by their stamps once these settled 2 s before they were read.
sleep 2.5
KUBECONFIG=$ours "$bin" list >/dev/null
KUBECONFIG=$ours "$bin" prompt >/dev/null

json=()
bench() { # NAME RUNS [hyperfine options...] COMMAND
  local name=$1 n=$(( $2 * scale / 10 > 2 ? $2 * scale / 10 : 2 )) file=$work/h-${#json[@]}.json
  shift 2
  hyperfine -N --warmup "$(( n > 20 ? 3 : 1 ))" --runs "$n" --export-json "$file" -n "$name" "$@" >/dev/null
  json+=("$file")
}

export KUBECONFIG=$ours
# On a file that settled: the digests' stamps vouch for it.
bench "eks-kc list" 30 "$bin list"
bench "eks-kc list -o json" 30 "$bin list -o json"
bench "eks-kc prompt" 300 "$bin prompt"
# What bash's completion function sets before it runs `eks-kc` (see completions/eks-kc.bash).
export COMPLETE=bash _CLAP_COMPLETE_INDEX=2 _CLAP_COMPLETE_COMP_TYPE=9 _CLAP_COMPLETE_SPACE=true _CLAP_IFS=$'\v'
bench "eks-kc completion: use c01<TAB>" 30 "$bin -- eks-kc use c01"
unset COMPLETE _CLAP_COMPLETE_INDEX _CLAP_COMPLETE_COMP_TYPE _CLAP_COMPLETE_SPACE _CLAP_IFS
# Switching back and forth; and a prompt just after each switch (the file has not settled:
# the digests' fingerprints vouch for it, so the prompt reads the file to compare).
bench "eks-kc use NAME" 30 --prepare "$bin use $a" "$bin use $b"
bench "eks-kc prompt, just after a use" 100 --prepare "$bin use -" "$bin prompt"
# The first switch after another tool rewrote the file: no digest vouches for it, so it is
# parsed and rewritten whole (then the digests are kept again).
bench "eks-kc use NAME, no digest (full rewrite)" 5 --prepare "cp $orig $ours" "$bin use $b"
"$bin" use "$a" >/dev/null

export KUBECONFIG=$theirs
bench "kubectl config get-contexts" 5 "$kubectl config get-contexts"
bench "kubectl config use-context NAME" 3 --prepare "cp $orig $theirs" "$kubectl config use-context $b"
bench "kubectl config current-context" 5 "$kubectl config current-context"
bench "kubectl __complete config use-context c01" 5 "$kubectl __complete config use-context c01"
if [ -n "$kubectx" ]; then
  export KUBECONFIG=$ctx
  bench "kubectx NAME" 3 --prepare "cp $orig $ctx" "$kubectx $b"
  # Not on a terminal (hyperfine's stdout), kubectx lists the names and `-c` prints the current.
  KUBECTX_IGNORE_FZF=1 bench "kubectx (list)" 5 "$kubectx"
  bench "kubectx -c" 5 "$kubectx -c"
fi

# The files stay what kubectl reads: eks-kc's one-line switches and kubectl's own.
KUBECONFIG=$ours "$bin" use "$b" >/dev/null
for f in "$ours" "$theirs"; do
  [ "$("$kubectl" --kubeconfig "$f" config current-context)" = "$b" ] || { echo "bench/switch.sh: $f: wrong current context" >&2; exit 1; }
done

python3 -c 'import json,sys; print(json.dumps({"results": [r for f in sys.argv[1:] for r in json.load(open(f))["results"]]}))' \
  "${json[@]}" > "$out/switch.json"
python3 - "$out/switch.json" "$contexts" "$size" <<'PY' | tee "$out/switch.md"
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
ms = lambda name: results[name]["median"] * 1000 if name in results else None
print(f"{sys.argv[2]} contexts, {int(sys.argv[3]) / 1e6:.1f} MB kubeconfig written by sync; medians\n")
print("| job | eks-kc ms | kubectl ms | kubectx ms | kubectl / eks-kc |")
print("|---|---:|---:|---:|---:|")
jobs = [
    ("list the contexts", "eks-kc list", "kubectl config get-contexts", "kubectx (list)"),
    ("list as JSON", "eks-kc list -o json", "kubectl config get-contexts", None),
    ("switch to a context", "eks-kc use NAME", "kubectl config use-context NAME", "kubectx NAME"),
    ("prompt", "eks-kc prompt", "kubectl config current-context", "kubectx -c"),
    ("prompt, just after a switch", "eks-kc prompt, just after a use", "kubectl config current-context", "kubectx -c"),
    ("complete a context name", "eks-kc completion: use c01<TAB>", "kubectl __complete config use-context c01", None),
    ("switch, first after another tool's write", "eks-kc use NAME, no digest (full rewrite)", "kubectl config use-context NAME", "kubectx NAME"),
]
fmt = lambda v: "-" if v is None else f"{v:.2f}"
for job, ours, theirs, ctx in jobs:
    o, t, c = ms(ours), ms(theirs), ms(ctx) if ctx else None
    ratio = "-" if o is None or t is None else f"{t / o:.0f}x"
    print(f"| {job} | {fmt(o)} | {fmt(t)} | {fmt(c)} | {ratio} |")
PY
