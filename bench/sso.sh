#!/usr/bin/env bash
# Benchmarks `eks-kc sync --sso-session` against tests/support/fake_sso.py (on demand).
#
#   bench/sso.sh       # prints a Markdown report, keeps raw data in bench/out/sso-*
#
# The world: 200 accounts with 2 roles each (Admin, ReadOnly) and 10 clusters in eu-west-1;
# the 17 opt-in regions are not enabled (answered as AWS does), so `--all-regions` asks 34
# regions of which 17 are enabled. Every request takes 50 ms; the portal answers at most 20
# GetRoleCredentials a second, so the floor is (accounts x roles) / 20 s. The throttle is a
# token bucket holding one second of calls (20), as AWS API throttles are buckets with burst
# capacity; the floor ignores the burst. A third run uses a bucket of one call (no burst): there
# a call that arrives a hair before the next token is refused and the token is then wasted
# until the next call, so what any client gets through depends on timing jitter, not only on
# the client (reported, not judged).
# 1. `--sso-role ReadOnly`: 200 GetRoleCredentials, floor 10 s. Target: within 1.3x the floor
#    and at most 150 MiB peak RSS.
# 2. Every role (2 per account): 400 GetRoleCredentials, floor 20 s.
# Reported: wall time, peak RSS, the fake's request counts (and 429s), the floor and the ratio.
# Results are reported, never asserted. When the binary says IAM Identity Center discovery is
# not built yet, the script checks the fake server alone, says so and exits 0.
source "$(dirname "$0")/lib.sh"

ACCOUNTS=200 ROLES=2 CLUSTERS=10 LATENCY_MS=50 RPS=20
TOKEN=aoaFAKEbench-access-token

export HOME=$work/home AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME/.aws/sso/cache"
export AWS_CONFIG_FILE=$HOME/.aws/config AWS_SHARED_CREDENTIALS_FILE=$HOME/.aws/credentials
: > "$AWS_SHARED_CREDENTIALS_FILE"
printf '[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n' \
  > "$AWS_CONFIG_FILE"
# The login `aws sso login --sso-session corp` leaves, valid for 8 hours.
python3 - "$HOME/.aws/sso/cache" "$TOKEN" <<'PY'
import datetime, hashlib, json, os, sys
cache, token = sys.argv[1:]
expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)
path = os.path.join(cache, hashlib.sha1(b"corp").hexdigest() + ".json")
with open(path, "w") as f:
    json.dump({"startUrl": "https://example.awsapps.com/start", "region": "us-east-1",
               "accessToken": token, "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}, f)
os.chmod(path, 0o600)
PY

# start_fake_sso: a fresh fake (fresh counters); sets $sso_url and $sso_pid.
start_fake_sso() {
  local burst=${1:-$RPS}
  local fifo=$work/ready.$RANDOM
  mkfifo "$fifo"
  python3 tests/support/fake_sso.py --generate "$ACCOUNTS:$ROLES:eu-west-1:$CLUSTERS" \
    --latency-ms "$LATENCY_MS" --throttle-rps "$RPS" --throttle-burst "$burst" \
    --token "$TOKEN" --disabled-regions opt-in \
    --page-size 20 --roles-page-size 20 --eks-page-size 100 > "$fifo" &
  sso_pid=$!
  pids+=("$sso_pid")
  local line
  read -r line < "$fifo"
  sso_url="http://127.0.0.1:${line#READY }"
  export AWS_ENDPOINT_URL_SSO=$sso_url AWS_ENDPOINT_URL_SSO_OIDC=$sso_url AWS_ENDPOINT_URL_EKS=$sso_url
}
stop_fake_sso() { kill "$sso_pid" 2>/dev/null || true; wait "$sso_pid" 2>/dev/null || true; }
stats() { python3 -c 'import sys,urllib.request;print(urllib.request.urlopen(sys.argv[1]+"/_stats").read().decode())' "$sso_url"; }

# The fake on its own: every account listed (all pages), and the throttle bites.
start_fake_sso
python3 - "$sso_url" "$TOKEN" "$ACCOUNTS" <<'PY'
import json, sys, urllib.error, urllib.request
url, token, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
def get(path):
    req = urllib.request.Request(url + path, headers={"x-amz-sso_bearer_token": token})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
accounts, nxt = [], ""
while True:
    status, body = get("/assignment/accounts?max_result=100" + (f"&next_token={nxt}" if nxt else ""))
    assert status == 200, body
    accounts += body["accountList"]
    nxt = body.get("nextToken")
    if not nxt:
        break
assert len(accounts) == want, len(accounts)
codes = [get(f"/federation/credentials?account_id={a['accountId']}&role_name=Admin")[0] for a in accounts[:5]]
assert 200 in codes, codes
print(f"fake_sso.py: {len(accounts)} accounts listed; 5 quick GetRoleCredentials answered {codes}", file=sys.stderr)
PY
stop_fake_sso

# measure NAME BURST ROLE-FLAGS...: one sync into a fresh kubeconfig; writes bench/out/sso-NAME.*
measure() {
  local name=$1 burst=$2; shift 2
  start_fake_sso "$burst"
  local rc=0
  /usr/bin/time -v "$bin" sync --kubeconfig "$work/kube-$name" --sso-session corp "$@" \
    --all-regions -o json > "$out/sso-$name.json" 2> "$out/sso-$name.time" || rc=$?
  stats > "$out/sso-$name.stats.json"
  stop_fake_sso
  if [ "$rc" -ne 0 ] && grep -q 'not built yet' "$out/sso-$name.time"; then
    echo "eks-kc here says: $(grep -m1 'not built yet' "$out/sso-$name.time")"
    echo "bench/sso.sh: the fake IAM Identity Center works; nothing to measure until the binary has SSO discovery."
    exit 0
  fi
  echo "$rc" > "$out/sso-$name.rc"
}
measure one "$RPS" --sso-role ReadOnly
measure all "$RPS"
measure one-noburst 1 --sso-role ReadOnly

python3 - "$out" "$ACCOUNTS" "$ROLES" "$RPS" <<'PY' | tee "$out/sso.md"
import json, re, sys
out, accounts, roles, rps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
print("| scenario | wall | floor | ratio | peak RSS | exit | contexts | requests (429s) | peak in flight |")
print("|---|---|---|---|---|---|---|---|---|")
for name, per_account, label in [
        ("one", 1, "1 role per account (--sso-role ReadOnly)"),
        ("all", roles, f"every role ({roles} per account)"),
        ("one-noburst", 1, "1 role per account, throttle without burst")]:
    text = open(f"{out}/sso-{name}.time").read()
    h, m, s = (["0"] * 3 + re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1).split(":"))[-3:]
    wall = int(h) * 3600 + int(m) * 60 + float(s)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
    rc = open(f"{out}/sso-{name}.rc").read().strip()
    try:
        contexts = len(json.load(open(f"{out}/sso-{name}.json"))["added"])
    except Exception:  # noqa: BLE001
        contexts = "?"
    stats = json.load(open(f"{out}/sso-{name}.stats.json"))
    calls = ", ".join(f"{op} {n}" + (f" ({stats['throttled'][op]})" if stats["throttled"].get(op) else "")
                      for op, n in sorted(stats["calls"].items()))
    floor = accounts * per_account / rps
    verdict = ""
    if name == "one":
        verdict = " ✓" if wall <= 1.3 * floor and rss <= 150 else " ✗ (target ≤ 1.3× and ≤ 150 MiB)"
    print(f"| {accounts} accounts, {label}, --all-regions, 50 ms/request, {rps:g} GetRoleCredentials/s "
          f"| {wall:.1f} s | {floor:.0f} s | {wall / floor:.2f}×{verdict} | {rss:.1f} MiB | {rc} | {contexts} "
          f"| {calls} | {stats['max_in_flight']} |")
PY
