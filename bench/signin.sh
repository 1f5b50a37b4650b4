#!/usr/bin/env bash
# Issue 25: an expired IAM Identity Center login under a storm of clients (on demand).
#
#   bench/signin.sh        # prints the counts and timings; raw data in bench/out/signin-*
#
# Against tests/support/fake_sso.py (counting Authorize, CreateToken, RegisterClient) with
# tests/support/fake_browser.py as the browser (counting how often it is started), `eks-kc
# token` for a `sync --sso-session` context run as kubectl runs it (KUBERNETES_EXEC_INFO):
# 1. 50 concurrent non-interactive calls and one interactive call (spec.interactive true, under
#    `script`) with an expired login, the browser approving after 2 s: expected 1 Authorize, 1
#    browser start, 1 CreateToken, 51 successes.
# 2. The same with a browser that never comes back (EKS_KC_SIGN_IN_TIMEOUT=3s): every call ends
#    within the bound with the same line; then 1,000 retries from non-interactive callers
#    during the cool-down: expected 0 further browser starts (and their time each).
# 3. 50 concurrent calls with a revoked refresh token: expected 1 CreateToken, 50 failures.
# Reported, never asserted (tests/signin_storm.rs asserts them, with the real kubectl).
source "$(dirname "$0")/lib.sh"

export HOME=$work/home AWS_EC2_METADATA_DISABLED=true EKS_KC_KEYRING=off
export AWS_CONFIG_FILE=$HOME/.aws/config AWS_SHARED_CREDENTIALS_FILE=$HOME/.aws/credentials
export EKS_KC_CACHE_DIR=$work/cache
mkdir -p "$HOME/.aws/sso/cache"
: > "$AWS_SHARED_CREDENTIALS_FILE"
printf '[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n' \
  > "$AWS_CONFIG_FILE"
echo '{"accounts": [{"id": "111122223333", "name": "prod", "roles": ["ReadOnly"], "clusters": {"eu-west-1": ["a"]}}]}' \
  > "$work/world.json"
export BROWSER="python3 $PWD/tests/support/fake_browser.py" FAKE_BROWSER_OPENS=$work/opens
info() {
  printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":%s,"cluster":{"server":"https://127.0.0.1:1","config":{"clusterName":"a","region":"eu-west-1","ssoSession":"corp","accountId":"111122223333","roleName":"ReadOnly"}}}}' "$1"
}

# start_fake_sso: a fresh fake; sets $sso_url and $sso_pid.
start_fake_sso() {
  local fifo=$work/ready.$RANDOM
  mkfifo "$fifo"
  python3 tests/support/fake_sso.py --world "$work/world.json" --keys-out "$work/keys.json" \
    --log "$work/sso.jsonl" --client fakeclient-known:fakesecret-known-client-secret > "$fifo" &
  sso_pid=$!
  pids+=("$sso_pid")
  local line
  read -r line < "$fifo"
  sso_url="http://127.0.0.1:${line#READY }"
  export AWS_ENDPOINT_URL_SSO=$sso_url AWS_ENDPOINT_URL_SSO_OIDC=$sso_url
}
stop_fake_sso() { kill "$sso_pid" 2>/dev/null || true; wait "$sso_pid" 2>/dev/null || true; }
stat_of() { python3 -c 'import json,sys,urllib.request;s=json.load(urllib.request.urlopen(sys.argv[1]+"/_stats"));print(eval(sys.argv[2]))' "$sso_url" "$1"; }

# expire [REFRESH_TOKEN]: the login expired an hour ago; caches and counters empty.
expire() {
  rm -rf "$EKS_KC_CACHE_DIR" "$FAKE_BROWSER_OPENS"
  python3 - "$HOME/.aws/sso/cache" "${1:-}" <<'PY'
import datetime, hashlib, json, os, sys
cache, refresh = sys.argv[1:]
now = datetime.datetime.now(datetime.timezone.utc)
t = lambda d: (now + d).strftime("%Y-%m-%dT%H:%M:%SZ")
login = {"startUrl": "https://example.awsapps.com/start", "region": "us-east-1",
         "accessToken": "aoaFAKEexpired", "expiresAt": t(datetime.timedelta(hours=-1))}
if refresh:
    login.update(clientId="fakeclient-known", clientSecret="fakesecret-known-client-secret",
                 registrationExpiresAt=t(datetime.timedelta(days=90)), refreshToken=refresh)
with open(os.path.join(cache, hashlib.sha1(b"corp").hexdigest() + ".json"), "w") as f:
    json.dump(login, f)
PY
}

# storm N: one interactive call (under script) and N non-interactive ones, all at once.
storm() {
  local n=$1 start
  start=$(date +%s.%N)
  KUBERNETES_EXEC_INFO=$(info true) script -qec "$bin token" /dev/null \
    > "$work/person.txt" 2>&1 < /dev/null &
  local person=$!
  # The non-interactive ones once the person's call is signing in.
  until grep -qs signing-in "$EKS_KC_CACHE_DIR"/signin-*.lock; do sleep 0.02; done
  local i jobs=()
  for i in $(seq "$n"); do
    (if KUBERNETES_EXEC_INFO=$(info false) "$bin" token > /dev/null 2> "$work/err.$i"; then echo 0; else echo 1; fi > "$work/rc.$i") &
    jobs+=($!)
  done
  wait "$person" || true
  wait "${jobs[@]}" || true
  elapsed=$(python3 -c "import time;print(f'{time.time()-$start:.2f}')")
  ok=$(cat "$work"/rc.* | grep -c '^0$' || true)
  lines=$( (cat "$work"/err.* | grep -h "eks-kc: error" || true) | sort -u | wc -l)
  rm -f "$work"/rc.* "$work"/err.*
}

start_fake_sso
echo "# Sign-in storms (issue 25)"
echo
expire
FAKE_BROWSER=approve FAKE_BROWSER_DELAY=2 storm 50
echo "1. approved after 2 s: ${elapsed}s; non-interactive successes $ok/50;" \
  "Authorize $(stat_of 's["authorizations"]'), browser starts $(wc -l < "$FAKE_BROWSER_OPENS")," \
  "CreateToken $(stat_of 's["calls"].get("CreateToken",0)')"
stop_fake_sso

start_fake_sso
expire
export EKS_KC_SIGN_IN_TIMEOUT=3s EKS_KC_SIGN_IN_COOLDOWN=10m
FAKE_BROWSER=never FAKE_BROWSER_SLEEP=30 storm 50
echo "2. never approved (bound 3s): ${elapsed}s; successes $ok/50; distinct error lines $lines;" \
  "browser starts $(wc -l < "$FAKE_BROWSER_OPENS")"
start=$(date +%s.%N)
export KUBERNETES_EXEC_INFO
KUBERNETES_EXEC_INFO=$(info false)
for _ in $(seq 1000); do "$bin" token > /dev/null 2>> "$out/signin-retries.txt" || true; done
unset KUBERNETES_EXEC_INFO
python3 -c "import time;d=time.time()-$start;print(f'   1000 retries in the cool-down: {d:.2f}s, {d:.2f} ms each')"
echo "   after the retries: browser starts $(wc -l < "$FAKE_BROWSER_OPENS"), Authorize $(stat_of 's["authorizations"]')," \
  "distinct lines $(sort -u "$out/signin-retries.txt" | wc -l)"
rm -f "$out/signin-retries.txt"
unset EKS_KC_SIGN_IN_TIMEOUT EKS_KC_SIGN_IN_COOLDOWN
stop_fake_sso

start_fake_sso
expire aorFAKErevoked
jobs=()
for i in $(seq 50); do
  (if KUBERNETES_EXEC_INFO=$(info false) "$bin" token > /dev/null 2> "$work/err.$i"; then echo 0; else echo 1; fi > "$work/rc.$i") &
  jobs+=($!)
done
wait "${jobs[@]}" || true
echo "3. revoked refresh token, 50 calls: CreateToken $(stat_of 's["calls"].get("CreateToken",0)')," \
  "failures $(cat "$work"/rc.* | grep -vc "^0$" || true), browser starts $(cat "$FAKE_BROWSER_OPENS" 2>/dev/null | wc -l)"
rm -f "$work"/rc.* "$work"/err.*
stop_fake_sso
