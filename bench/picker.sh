#!/usr/bin/env bash
# Benchmarks the first screen of `eks-kc use`'s picker on 10,000 contexts (issue 26; on demand,
# reported, never asserted): from spawning `eks-kc use` on a pseudo-terminal of 120x40 until
# the first context name is drawn (then Ctrl-C ends it, status 130), beside `kubectl config
# get-contexts` on the same file and kubectx's fzf picker timed the same way. Two kubeconfigs: the one sync writes for 10 regions x 1,000
# clusters (as bench/switch.sh builds it, ten cached tokens) and 10,000 plain contexts none of
# them eks-kc's (one cluster, one user with a static token). Goal: at least 10x faster than
# kubectl. Table in bench/out/picker.md. EKS_KC_BENCH_SCALE=N runs N tenths of the runs (at
# least 2 each; say 2 to check the script quickly with a debug build).
source "$(dirname "$0")/lib.sh"

export HOME=$work/home AWS_EC2_METADATA_DISABLED=true EKS_KC_CACHE_DIR=$work/cache
export EKS_KC_STATE_DIR=$work/state XDG_CACHE_HOME=$work/xdg-cache TERM=xterm-256color
mkdir -p "$HOME" "$XDG_CACHE_HOME"
export AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
printf '[profile one]\nregion = us-east-1\n' > "$AWS_CONFIG_FILE"
printf '[one]\naws_access_key_id = AKIAEKSKCBENCH000001\naws_secret_access_key = s1\n' > "$AWS_SHARED_CREDENTIALS_FILE"
scale=${EKS_KC_BENCH_SCALE:-10}
runs=$(( 30 * scale / 10 > 2 ? 30 * scale / 10 : 2 ))
kruns=$(( 5 * scale / 10 > 2 ? 5 * scale / 10 : 2 ))

# A real kubectl, not gcloud's dispatcher (which runs exec plugins even for `config view`).
kubectl=$(command -v kubectl)
[ -x /usr/lib/google-cloud-sdk/bin/kubectl.1.32 ] && kubectl=/usr/lib/google-cloud-sdk/bin/kubectl.1.32

# The file sync writes: 10 regions x 1,000 clusters from the fake EKS endpoint.
regions=(us-east-1 us-west-2 eu-west-1 eu-central-1 ap-south-1 eu-west-2 eu-west-3 eu-north-1 ap-northeast-1 ca-central-1)
start_fake_eks 10:1000 0
export AWS_ENDPOINT_URL_EKS=$eks_url
synced=$work/synced.yaml plain=$work/plain.yaml
targets=()
for r in "${regions[@]}"; do targets+=(-r "$r"); done
KUBECONFIG=$synced "$bin" sync -p one "${targets[@]}" 2>/dev/null
KUBECONFIG=$synced "$bin" use c0001.eu-west-1.one >/dev/null
for i in 0 1 2 3 4 5 6 7 8 9; do
  KUBERNETES_EXEC_INFO="{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"spec\":{\"cluster\":{\"config\":{\"clusterName\":\"c000$i\",\"region\":\"eu-west-1\",\"profile\":\"one\"}}}}" \
    "$bin" token >/dev/null
done
# 10,000 plain contexts, as a hand-kept or generated kubeconfig has them.
python3 - "$plain" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://c.example'}\n")
    f.write("users:\n- name: u\n  user: {token: not-a-secret}\ncontexts:\n")
    for i in range(10000):
        f.write(f"- name: ctx-{i:05d}\n  context: {{cluster: c, user: u, namespace: ns-{i % 50}}}\n")
    f.write("current-context: ctx-00000\n")
PY
# Digests vouch for files by their stamps once these settled 2 s before they were read.
sleep 2.5
for f in "$synced" "$plain"; do KUBECONFIG=$f "$bin" list >/dev/null 2>&1 || true; done

# The pty driver: RUNS spawns of COMMAND, each timed until MARKER is drawn, then Ctrl-C (which
# must end it with STATUS, or any status when STATUS is "any"); medians in ms.
first_screen() { # KUBECONFIG MARKER RUNS STATUS COMMAND...
  KUBECONFIG=$1 python3 - "$2" "$3" "$4" "${@:5}" <<'PY'
import fcntl, os, pty, select, statistics, struct, sys, termios, time
marker, runs, expect, argv = sys.argv[1].encode(), int(sys.argv[2]), sys.argv[3], sys.argv[4:]

def once():
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        os.execv(argv[0], argv)
    seen, took = b"", None
    while took is None and time.perf_counter() - start < 20:
        if select.select([fd], [], [], 1)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if marker in seen:
                took = time.perf_counter() - start
    os.write(fd, b"\x03")
    while True:
        try:
            if not os.read(fd, 65536):
                break
        except OSError:
            break
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    code = os.waitstatus_to_exitcode(status)
    if took is None or (expect != "any" and code != int(expect)):
        sys.exit(f"bench/picker.sh: no first screen (status {status}): {seen[-400:]!r}")
    return took * 1000

once()  # warm-up
times = [once() for _ in range(runs)]
print(f"{statistics.median(times):.2f} {min(times):.2f} {max(times):.2f} {len(times)}")
PY
}

kubectl_ms() { # KUBECONFIG
  local file=$work/h.json
  KUBECONFIG=$1 hyperfine -N --warmup 1 --runs "$kruns" --export-json "$file" "$kubectl config get-contexts" >/dev/null
  python3 - "$file" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
ms = [t * 1000 for t in r["times"]]
print(f"{r['median'] * 1000:.2f} {min(ms):.2f} {max(ms):.2f} {len(ms)}")
PY
}

# kubectx with fzf (Debian's packages: kubectx is a bash script over kubectl), when installed:
# its picker draws the names kubectl lists. Installed here when missing and this runs as root.
kubectx=$(command -v kubectx || true)
if { [ -z "$kubectx" ] || ! command -v fzf >/dev/null; } && [ "$(id -u)" = 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubectx fzf >/dev/null 2>&1 || true
  kubectx=$(command -v kubectx || true)
fi
command -v fzf >/dev/null || kubectx=""
[ -n "$kubectx" ] || echo "bench/picker.sh: note: kubectx or fzf is not installed (Debian: apt-get install kubectx fzf); its column is skipped" >&2
mkdir -p "$work/path" && ln -sf "$kubectl" "$work/path/kubectl"

{
  echo "First screen of \`eks-kc use\` (pty 120x40, spawn until a context name is drawn) vs \`kubectl config get-contexts\` and kubectx with fzf (the same on a pty); ms"
  echo
  echo "| kubeconfig | eks-kc median (min-max, runs) | kubectl median (min-max, runs) | kubectx+fzf median (min-max, runs) | kubectl / eks-kc |"
  echo "|---|---:|---:|---:|---:|"
  for pair in "synced:.one" "plain:ctx-"; do
    name=${pair%%:*} marker=${pair#*:}
    file=$work/$name.yaml
    read -r em emin emax en < <(first_screen "$file" "$marker" "$runs" 130 "$bin" use)
    read -r km kmin kmax kn < <(kubectl_ms "$file")
    ctx="-"
    if [ -n "$kubectx" ]; then
      read -r cm cmin cmax cn < <(PATH=$work/path:$PATH KUBECTL=$kubectl first_screen "$file" "$marker" "$kruns" any "$kubectx")
      ctx="$cm ($cmin-$cmax, $cn)"
    fi
    size=$(python3 -c "import os,sys; print(f'{os.path.getsize(sys.argv[1])/1e6:.1f}')" "$file")
    ratio=$(python3 -c "print(f'{$km / $em:.0f}x')")
    echo "| $name, 10,000 contexts, $size MB | $em ($emin-$emax, $en) | $km ($kmin-$kmax, $kn) | $ctx | $ratio |"
  done
} | tee "$out/picker.md"
