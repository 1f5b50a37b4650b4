#!/usr/bin/env bash
# Benchmarks `eks-kc adopt --all` over 500 contexts in the form `aws eks update-kubeconfig`
# writes (context, cluster and user named by the ARN, `aws --region R eks get-token
# --cluster-name N --output json` with AWS_PROFILE in env), 5 regions x 100 clusters (on demand;
# reported, never asserted). No network: adopt reads and writes the kubeconfig only.
#
#   bench/adopt.sh      # prints a Markdown report, keeps raw data in bench/out/
#
# Wall time and peak RSS (/usr/bin/time -v) of RUNS adopts, each on a fresh copy of the file,
# plus one --dry-run and one --undo --all, checked to give back what kubectl read before.
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5}
COUNT=500

export HOME=$work/home AWS_EC2_METADATA_DISABLED=true EKS_KC_CACHE_DIR=$work/cache
mkdir -p "$HOME"
export AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
printf '[profile one]\nregion = us-east-1\n' > "$AWS_CONFIG_FILE"
: > "$AWS_SHARED_CREDENTIALS_FILE"

# The kubeconfig, as 500 runs of `aws eks update-kubeconfig --profile one` leave it.
python3 - "$work/aws-cli.kubeconfig" "$COUNT" <<'PY'
import base64, sys
path, count = sys.argv[1], int(sys.argv[2])
regions = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1"]
ca = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n" + b"A" * 1000 + b"\n-----END CERTIFICATE-----\n").decode()
clusters, contexts, users = [], [], []
for i in range(count):
    region = regions[i % len(regions)]
    name = f"c{i:04d}"
    arn = f"arn:aws:eks:{region}:111122223333:cluster/{name}"
    clusters.append(f"- cluster:\n    certificate-authority-data: {ca}\n"
                    f"    server: https://{i:032X}.gr7.{region}.eks.amazonaws.com\n  name: {arn}\n")
    contexts.append(f"- context:\n    cluster: {arn}\n    user: {arn}\n  name: {arn}\n")
    users.append(f"- name: {arn}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
                 f"      args:\n      - --region\n      - {region}\n      - eks\n      - get-token\n"
                 f"      - --cluster-name\n      - {name}\n      - --output\n      - json\n"
                 f"      command: aws\n      env:\n      - name: AWS_PROFILE\n        value: one\n")
with open(path, "w") as f:
    f.write("apiVersion: v1\nclusters:\n" + "".join(clusters) + "contexts:\n" + "".join(contexts)
            + f"current-context: arn:aws:eks:us-east-1:111122223333:cluster/c0000\nkind: Config\n"
            + "preferences: {}\nusers:\n" + "".join(users))
PY
export KUBECONFIG=$work/kubeconfig
size=$(wc -c < "$work/aws-cli.kubeconfig")

# measure NAME ARGS...: one run on a fresh copy; prints "wall_seconds peak_rss_kib".
measure() {
  local name=$1
  shift
  cp "$work/aws-cli.kubeconfig" "$KUBECONFIG"
  /usr/bin/time -v "$bin" "$@" > "$out/adopt-$name.stdout" 2> "$out/adopt-$name.time"
  awk -F'): ' '/Elapsed \(wall clock\)/ {
      n = split($2, t, ":"); s = t[n] + (n > 1 ? t[n-1] * 60 : 0); printf "%.3f ", s }' "$out/adopt-$name.time"
  awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print $2}' "$out/adopt-$name.time"
}

walls=() rsss=()
for i in $(seq 1 "$RUNS"); do
  read -r wall rss < <(measure "all-$i" adopt --all)
  walls+=("$wall") rsss+=("$rss")
done
adopted=$(wc -l < "$out/adopt-all-1.stdout")
[ "$adopted" -eq "$COUNT" ] || { echo "adopt --all adopted $adopted of $COUNT contexts" >&2; exit 1; }
read -r dry_wall dry_rss < <(measure dry-run adopt --all --dry-run)
cmp -s "$work/aws-cli.kubeconfig" "$KUBECONFIG" || { echo "--dry-run wrote the kubeconfig" >&2; exit 1; }

# The undo, on an adopted file; what kubectl reads afterwards is what it read before.
cp "$work/aws-cli.kubeconfig" "$KUBECONFIG"
"$bin" adopt --all >/dev/null 2>&1
cp "$KUBECONFIG" "$work/adopted.kubeconfig"
/usr/bin/time -v "$bin" adopt --undo --all > /dev/null 2> "$out/adopt-undo.time"
undo_wall=$(awk -F'): ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); printf "%.3f", t[n] + (n > 1 ? t[n-1] * 60 : 0) }' "$out/adopt-undo.time")
undo_rss=$(awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print $2}' "$out/adopt-undo.time")
if command -v kubectl >/dev/null 2>&1; then
  view() { KUBECONFIG=$1 kubectl config view --raw -o json; }
  [ "$(view "$KUBECONFIG")" = "$(view "$work/aws-cli.kubeconfig")" ] \
    || { echo "the undo did not give back kubectl's view" >&2; exit 1; }
fi

python3 - "$RUNS" "$size" "$adopted" "${walls[*]}" "${rsss[*]}" "$dry_wall" "$dry_rss" \
  "$undo_wall" "$undo_rss" "$(stat -c %s "$work/adopted.kubeconfig")" "$built" <<'PY' | tee "$out/adopt.md"
import statistics, sys
runs, size, adopted, walls, rsss, dry_w, dry_r, undo_w, undo_r, adopted_size, binary = sys.argv[1:]
walls = [float(w) for w in walls.split()]
rsss = [int(r) for r in rsss.split()]
print(f"`eks-kc adopt` over {adopted} AWS CLI contexts ({int(size) / 1024:.0f} KiB kubeconfig, "
      f"{int(adopted_size) / 1024:.0f} KiB adopted), binary {binary}:\n")
print("| command | wall s (median of runs) | peak RSS MiB |")
print("|---|---:|---:|")
print(f"| adopt --all ({runs} runs, min {min(walls):.3f} s) | {statistics.median(walls):.3f} | {max(rsss) / 1024:.1f} |")
print(f"| adopt --all --dry-run | {float(dry_w):.3f} | {int(dry_r) / 1024:.1f} |")
print(f"| adopt --undo --all | {float(undo_w):.3f} | {int(undo_r) / 1024:.1f} |")
PY
