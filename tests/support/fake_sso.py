#!/usr/bin/env python3
"""A fake AWS IAM Identity Center on 127.0.0.1: the access portal (service `sso`), its OIDC
service (`sso-oidc`) and Amazon EKS for every account of the portal, in one process routed by
path. Point the SDKs and the AWS CLI at it with AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL_SSO_OIDC
and AWS_ENDPOINT_URL_EKS = http://127.0.0.1:PORT. Prints "READY <port>" on stdout once listening.

    fake_sso.py (--world FILE | --generate ACCOUNTS:ROLES:REGION:CLUSTERS) [options]

The world (--world FILE, JSON):
    {"accounts": [{"id": "111122223333", "name": "prod", "email": "prod@example.com",
                   "roles": ["Admin", "ReadOnly"],
                   "clusters": {"eu-west-1": ["a", {"name": "b", "endpoint": URL, "ca": BASE64}]},
                   "fail": "ListAccountRoles" | "GetRoleCredentials" | "ListClusters",
                   "fail_status": 403 | 500}]}
  A cluster is a name (endpoint --endpoint, CA --ca) or an object overriding either. "fail"
  makes that operation fail for the account: 403 ForbiddenException (the portal) or
  AccessDeniedException (EKS), or with "fail_status": 500 an InternalServerException /
  ServerException (which the SDKs retry, then give up).
--generate A:R:REGION:C makes A accounts 100000000000, 100000000001, ... named acct-000,
  acct-001, ..., each with R roles (Admin, ReadOnly, then Role2, Role3, ...) and C clusters
  c00 ... in REGION.

The portal (restJson1; header x-amz-sso_bearer_token must be a valid access token, else 401
UnauthorizedException):
    GET /assignment/accounts?max_result=&next_token=            ListAccounts
    GET /assignment/roles?account_id=&max_result=&next_token=   ListAccountRoles
    GET /federation/credentials?account_id=&role_name=          GetRoleCredentials
  Pages hold at most --page-size accounts (default 3) and --roles-page-size roles (default 1),
  whatever max_result asks, so paging is always exercised. A role the account does not assign
  (or an unknown account) is 403 ForbiddenException "No access", as the real portal answers.
  GetRoleCredentials is deterministic per (account, role): access key "ASIA" + the 12-digit
  account + the role's 4-digit index, a secret and an "FQoG..." session token derived from
  --seed, expiring --creds-ttl seconds from now (epoch milliseconds, as the portal sends).

OIDC (restJson1, unsigned):
    POST /client/register        RegisterClient: a new clientId/clientSecret (90 days). With
                                 grantTypes holding authorization_code, redirectUris and
                                 issuerUrl are required (400 InvalidRequestException otherwise)
    GET  /authorize              The browser sign-in (authorization code with PKCE): checks
                                 response_type=code, a client registered for authorization_code,
                                 redirect_uri (a registered one; a registered http://127.0.0.1
                                 URI without a port matches any port, RFC 8252), scopes within
                                 the registered ones, code_challenge_method=S256, a
                                 code_challenge and a state; anything wrong: a 400 page, no
                                 redirect. Otherwise a consent page with two links, "allow"
                                 (a[id=allow]) and "deny" (a[id=deny]), which redirect (302) to
                                 redirect_uri with code and state, or with
                                 error=access_denied, error_description and state.
    POST /device_authorization   StartDeviceAuthorization: deviceCode, userCode, verificationUri
                                 (https://device.sso.REGION.amazonaws.com/), ...Complete,
                                 expiresIn 600, interval 1
    POST /token                  CreateToken:
      grant urn:ietf:params:oauth:grant-type:device_code: AuthorizationPendingException (400)
        for the first --pending-polls polls (default 1) of a device code, then (auto-approve) an
        access token valid --token-ttl seconds, with a refresh token when the client registered
        with scopes (as IAM Identity Center does); --deny-device answers AccessDeniedException
        instead. A device code is used once.
      grant authorization_code: the code /authorize issued, once, to the same client, with
        the same redirectUri, and a codeVerifier whose S256 is the code_challenge (else 400
        InvalidGrantException): an access token and a refresh token, as for a device code.
      grant refresh_token: for a refresh token this server issued or was given (--refresh-token)
        and the client that holds it: a new access token and a new refresh token. The old
        refresh token is revoked (InvalidGrantException if used again); the old access token
        stays valid until it expires, as IAM Identity Center's do. An unknown or revoked refresh
        token: 400 InvalidGrantException; an unknown client or wrong secret: 400
        InvalidClientException.
  Clients known before any registration: --client ID:SECRET (repeatable).

EKS (restJson1, signatures not checked): GET /clusters (ListClusters, pages of at most
--eks-page-size, default 5) and GET /clusters/NAME (DescribeCluster), for the account and
region of the SigV4 credential scope `Credential=AKID/DATE/REGION/eks/aws4_request`: the
account is the one whose GetRoleCredentials key signed. An unknown key: 403
UnrecognizedClientException. A region in --disabled-regions (comma-separated; "opt-in" stands
for the 17 opt-in regions) answers UnrecognizedClientException, as a region an account has not
enabled does.

Throttling: a token bucket of --throttle-rps per second (bucket size --throttle-burst, default
1: no burst, so N calls take at least N / rps seconds) on GetRoleCredentials, answered 429
TooManyRequestsException; --throttle-list-rps does the same for ListAccounts and
ListAccountRoles together, --throttle-eks-rps for EKS (429 ThrottlingException). --latency-ms N
sleeps N ms in every request (before the throttle decides).

Access tokens: --token VALUE (repeatable) is valid forever; the ones CreateToken issues last
--token-ttl seconds (default 3600). --keys-out FILE merges, at start-up, the credentials of every
(account, role) into FILE as fake_apiserver.py's --keys reads them ({akid: {"secret",
"session_token", "arn": "arn:aws:sts::ACCOUNT:assumed-role/AWSReservedSSO_ROLE_.../user"}}).

Observation: GET /_stats answers JSON: "calls" (operation -> count, throttled ones included),
"throttled" (operation -> 429s), "failed" (operation -> other 4xx/5xx), "refreshes" (refresh
grants that issued a token), "device_polls", "registrations", "registered_grants" (the
grantTypes of the last RegisterClient), "authorizations" (consent pages shown),
"code_verifiers" (every codeVerifier CreateToken received: a test checks that none leaked), "role_credentials"
("ACCOUNT/ROLE" -> GetRoleCredentials answered 200), "max_in_flight" (peak concurrent requests
of any operation), "eks_by_account" (account -> EKS calls). --log FILE appends one JSON line per
request: {"t", "operation", "status", "account"?, "role"?, "region"?}.
"""
import argparse
import base64
import hashlib
import json
import re
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

from localserver import serve


SCOPE = re.compile(r"Credential=([A-Z0-9]+)/\d{8}/([a-z0-9-]+)/eks/aws4_request")
OPT_IN = ["af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
          "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2",
          "eu-south-1", "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1"]
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")


def redirect_allowed(uri, registered):
    """`uri` is a registered redirect URI, or one on 127.0.0.1 whose registered form has no
    port (RFC 8252 7.3: any port of the loopback interface)."""
    if uri in registered:
        return True
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme != "http" or parts.hostname != "127.0.0.1" or parts.port is None:
        return False
    bare = urllib.parse.urlunsplit((parts.scheme, "127.0.0.1", parts.path, parts.query, ""))
    return bare in registered


class Bucket:
    """A token bucket: `rate` tokens a second, at most `size` saved up."""

    def __init__(self, rate, size):
        self.rate, self.size = rate, size
        self.tokens = size
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.size, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


def load_world(args):
    if args.world:
        with open(args.world) as f:
            accounts = json.load(f)["accounts"]
    else:
        count, roles, region, clusters = args.generate.split(":")
        count, roles, clusters = int(count), int(roles), int(clusters)
        names = ["Admin", "ReadOnly"] + [f"Role{i}" for i in range(2, roles)]
        accounts = [{"id": str(100000000000 + i), "name": f"acct-{i:03d}",
                     "roles": names[:roles],
                     "clusters": {region: [f"c{j:02d}" for j in range(clusters)]}}
                    for i in range(count)]
    for a in accounts:
        a["id"] = str(a["id"])
        a.setdefault("email", f"{a['name']}@example.com")
        a.setdefault("roles", [])
        a.setdefault("clusters", {})
    return accounts


def main():
    p = argparse.ArgumentParser(description="A fake IAM Identity Center portal, OIDC and EKS.")
    p.add_argument("--world")
    p.add_argument("--generate", help="ACCOUNTS:ROLES:REGION:CLUSTERS")
    p.add_argument("--token", action="append", default=[], help="an access token valid forever")
    p.add_argument("--refresh-token", action="append", default=[], help="a known refresh token")
    p.add_argument("--client", action="append", default=[], help="a known client, ID:SECRET")
    p.add_argument("--page-size", type=int, default=3)
    p.add_argument("--roles-page-size", type=int, default=1)
    p.add_argument("--eks-page-size", type=int, default=5)
    p.add_argument("--throttle-rps", type=float)
    p.add_argument("--throttle-list-rps", type=float)
    p.add_argument("--throttle-eks-rps", type=float)
    p.add_argument("--throttle-burst", type=float, default=1)
    p.add_argument("--latency-ms", type=float, default=0)
    p.add_argument("--token-ttl", type=float, default=3600)
    p.add_argument("--creds-ttl", type=float, default=3600)
    p.add_argument("--pending-polls", type=int, default=1)
    p.add_argument("--deny-device", action="store_true")
    p.add_argument("--verification-uri", help="what StartDeviceAuthorization sends (a hostile portal)")
    p.add_argument("--endpoint", default="https://127.0.0.1:6443")
    p.add_argument("--ca", help="file whose content, base64, is every cluster's CA data")
    p.add_argument("--disabled-regions", default="")
    p.add_argument("--seed", default="fake-sso")
    p.add_argument("--keys-out")
    p.add_argument("--log")
    args = p.parse_args()
    if bool(args.world) == bool(args.generate):
        p.error("give exactly one of --world and --generate")

    accounts = load_world(args)
    by_id = {a["id"]: a for a in accounts}
    ca_data = "Q0E="
    if args.ca:
        with open(args.ca, "rb") as f:
            ca_data = base64.b64encode(f.read()).decode()
    disabled = set()
    for r in filter(None, args.disabled_regions.split(",")):
        disabled.update(OPT_IN if r == "opt-in" else [r])

    def credentials(account, role_index, role):
        digest = hashlib.sha256(f"{args.seed}|{account}|{role}".encode()).hexdigest()
        session = hashlib.sha256(f"{args.seed}|{account}|{role}|session".encode()).digest()
        return {
            "akid": f"ASIA{account}{role_index:04d}",
            "secret": digest[:40],
            "session_token": "FQoG" + base64.b64encode(session * 3).decode(),
            "arn": f"arn:aws:sts::{account}:assumed-role/AWSReservedSSO_{role}_abcdef0123456789/test-user",
        }

    creds = {}  # (account, role) -> credentials
    by_key = {}  # akid -> (account, role)
    for a in accounts:
        for i, role in enumerate(a["roles"]):
            c = credentials(a["id"], i, role)
            creds[(a["id"], role)] = c
            by_key[c["akid"]] = (a["id"], role)
    if args.keys_out:
        try:
            with open(args.keys_out) as f:
                keys = json.load(f)
        except FileNotFoundError:
            keys = {}
        for c in creds.values():
            keys[c["akid"]] = {"secret": c["secret"], "session_token": c["session_token"], "arn": c["arn"]}
        with open(args.keys_out, "w") as f:
            json.dump(keys, f)

    lock = threading.Lock()
    access_tokens = {t: float("inf") for t in args.token}  # token -> expiry (epoch seconds)
    refresh_tokens = {}  # refresh token -> client id (None: any client)
    for t in args.refresh_token:
        refresh_tokens[t] = None
    clients = {}  # client id -> {"secret", "scopes"}
    for c in args.client:
        cid, _, secret = c.partition(":")
        clients[cid] = {"secret": secret, "scopes": ["sso:account:access"]}
    devices = {}  # device code -> {"client", "polls"}
    consents = {}  # consent id -> the checked /authorize request
    codes = {}  # authorization code -> {"client", "redirect_uri", "challenge"}
    stats = {"calls": {}, "throttled": {}, "failed": {}, "refreshes": 0, "device_polls": 0,
             "registrations": 0, "registered_grants": [], "authorizations": 0,
             "code_verifiers": [], "role_credentials": {}, "max_in_flight": 0,
             "eks_by_account": {}}
    in_flight = [0]
    buckets = {}
    if args.throttle_rps:
        buckets["GetRoleCredentials"] = Bucket(args.throttle_rps, args.throttle_burst)
    if args.throttle_list_rps:
        b = Bucket(args.throttle_list_rps, args.throttle_burst)
        buckets["ListAccounts"] = buckets["ListAccountRoles"] = b
    if args.throttle_eks_rps:
        b = Bucket(args.throttle_eks_rps, args.throttle_burst)
        buckets["ListClusters"] = buckets["DescribeCluster"] = b
    latency = args.latency_ms / 1000.0

    def bump(table, key, n=1):
        table[key] = table.get(key, 0) + n

    def issue_access_token(client, scopes):
        token = "aoaFAKE" + secrets.token_urlsafe(48)
        body = {"accessToken": token, "tokenType": "Bearer", "expiresIn": int(args.token_ttl)}
        with lock:
            access_tokens[token] = time.time() + args.token_ttl
            if scopes:
                refresh = "aorFAKE" + secrets.token_urlsafe(48)
                refresh_tokens[refresh] = client
                body["refreshToken"] = refresh
        return body

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send(self, code, obj, error_type=None):
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if error_type:
                self.send_header("x-amzn-ErrorType", error_type)
            self.end_headers()
            self.wfile.write(data)

        def record(self, operation, status, **fields):
            with lock:
                bump(stats["calls"], operation)
                if status == 429:
                    bump(stats["throttled"], operation)
                elif status >= 400:
                    bump(stats["failed"], operation)
                if args.log:
                    with open(args.log, "a") as f:
                        f.write(json.dumps({"t": round(time.time(), 3), "operation": operation,
                                            "status": status, **fields}) + "\n")

        def error(self, operation, code, error_type, message, oidc=False, **fields):
            self.record(operation, code, **fields)
            if oidc:
                body = {"error": re.sub(r"(?<!^)([A-Z])", r"_\1", error_type.removesuffix("Exception")).lower(),
                        "error_description": message}
            else:
                body = {"message": message}
            self.send(code, body, error_type)

        def throttled(self, operation, **fields):
            bucket = buckets.get(operation)
            if bucket is None or bucket.take():
                return False
            if operation in ("ListClusters", "DescribeCluster"):
                self.error(operation, 429, "ThrottlingException", "Rate exceeded", **fields)
            else:
                self.error(operation, 429, "TooManyRequestsException", "HTTP 429 Unknown Code", **fields)
            return True

        def tracked(self, work):
            with lock:
                in_flight[0] += 1
                stats["max_in_flight"] = max(stats["max_in_flight"], in_flight[0])
            try:
                work()
            finally:
                with lock:
                    in_flight[0] -= 1

        # --- routing -------------------------------------------------------------------------

        def do_GET(self):  # noqa: N802
            self.tracked(self.get)

        def do_POST(self):  # noqa: N802
            self.tracked(self.post)

        def get(self):
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/_stats":
                with lock:
                    body = json.loads(json.dumps(stats))
                self.send(200, body)
                return
            if latency:
                time.sleep(latency)
            if url.path == "/assignment/accounts":
                self.list_accounts(query)
            elif url.path == "/assignment/roles":
                self.list_roles(query)
            elif url.path == "/federation/credentials":
                self.role_credentials(query)
            elif url.path == "/clusters" or url.path.startswith("/clusters/"):
                self.eks(url.path, query)
            elif url.path == "/authorize":
                self.authorize(query)
            elif url.path in ("/authorize/allow", "/authorize/deny"):
                self.consent(url.path.rsplit("/", 1)[1], query)
            else:
                self.send(404, {"message": f"fake_sso.py does not serve GET {url.path}"}, "UnknownOperationException")

        def post(self):
            length = int(self.headers.get("Content-Length", "0") or 0)
            raw = self.rfile.read(length)
            if latency:
                time.sleep(latency)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                self.send(400, {"error": "invalid_request", "error_description": "body is not JSON"},
                          "InvalidRequestException")
                return
            path = urllib.parse.urlsplit(self.path).path
            if path == "/client/register":
                self.register_client(body)
            elif path == "/device_authorization":
                self.start_device(body)
            elif path == "/token":
                self.create_token(body)
            elif path == "/logout":
                self.record("Logout", 200)
                self.send(200, {})
            else:
                self.send(404, {"message": f"fake_sso.py does not serve POST {path}"}, "UnknownOperationException")

        # --- the portal ----------------------------------------------------------------------

        def authorized(self, operation, **fields):
            token = self.headers.get("x-amz-sso_bearer_token", "")
            with lock:
                expiry = access_tokens.get(token)
            if expiry is None or expiry <= time.time():
                self.error(operation, 401, "UnauthorizedException",
                           "Session token not found or invalid", **fields)
                return False
            return True

        def failing(self, world_account, operation, **fields):
            if world_account.get("fail") != operation:
                return False
            if world_account.get("fail_status", 403) >= 500:
                self.error(operation, 500, "InternalServerException",
                           "An internal error occurred (fake_sso.py world)", **fields)
            else:
                self.error(operation, 403, "ForbiddenException", "No access", **fields)
            return True

        def page(self, items, query, cap):
            start = int(query.get("next_token", "0") or 0)
            size = min(int(query.get("max_result", str(cap)) or cap), cap)
            chunk = items[start:start + size]
            token = str(start + size) if start + size < len(items) else None
            return chunk, token

        def list_accounts(self, query):
            op = "ListAccounts"
            if not self.authorized(op) or self.throttled(op):
                return
            chunk, token = self.page(accounts, query, args.page_size)
            body = {"accountList": [{"accountId": a["id"], "accountName": a["name"],
                                     "emailAddress": a["email"]} for a in chunk]}
            if token:
                body["nextToken"] = token
            self.record(op, 200)
            self.send(200, body)

        def list_roles(self, query):
            op = "ListAccountRoles"
            account_id = query.get("account_id", "")
            if not self.authorized(op, account=account_id) or self.throttled(op, account=account_id):
                return
            account = by_id.get(account_id)
            if account is None:
                self.error(op, 403, "ForbiddenException", "No access", account=account_id)
                return
            if self.failing(account, op, account=account_id):
                return
            chunk, token = self.page(account["roles"], query, args.roles_page_size)
            body = {"roleList": [{"roleName": r, "accountId": account_id} for r in chunk]}
            if token:
                body["nextToken"] = token
            self.record(op, 200, account=account_id)
            self.send(200, body)

        def role_credentials(self, query):
            op = "GetRoleCredentials"
            account_id, role = query.get("account_id", ""), query.get("role_name", "")
            fields = {"account": account_id, "role": role}
            if not self.authorized(op, **fields) or self.throttled(op, **fields):
                return
            account = by_id.get(account_id)
            if account is None or role not in account["roles"]:
                self.error(op, 403, "ForbiddenException", "No access", **fields)
                return
            if self.failing(account, op, **fields):
                return
            c = creds[(account_id, role)]
            expiration = int((time.time() + args.creds_ttl) * 1000)
            with lock:
                bump(stats["role_credentials"], f"{account_id}/{role}")
            self.record(op, 200, **fields)
            self.send(200, {"roleCredentials": {"accessKeyId": c["akid"], "secretAccessKey": c["secret"],
                                                "sessionToken": c["session_token"],
                                                "expiration": expiration}})

        # --- OIDC ----------------------------------------------------------------------------

        def register_client(self, body):
            op = "RegisterClient"
            grants = body.get("grantTypes") or []
            if "authorization_code" in grants and not (body.get("redirectUris") and body.get("issuerUrl")):
                self.error(op, 400, "InvalidRequestException",
                           "redirectUris and issuerUrl are required for authorization_code", oidc=True)
                return
            cid = "fakeclient-" + secrets.token_hex(8)
            secret = "fakesecret-" + secrets.token_urlsafe(32)
            now = int(time.time())
            with lock:
                clients[cid] = {"secret": secret, "scopes": body.get("scopes") or [], "grants": grants,
                                "redirects": body.get("redirectUris") or []}
                stats["registrations"] += 1
                stats["registered_grants"] = grants
            self.record(op, 200)
            self.send(200, {"clientId": cid, "clientSecret": secret, "clientIdIssuedAt": now,
                            "clientSecretExpiresAt": now + 90 * 86400})

        def client_ok(self, op, body):
            client = clients.get(body.get("clientId", ""))
            if client is None or client["secret"] != body.get("clientSecret"):
                self.error(op, 400, "InvalidClientException", "Invalid client or client secret", oidc=True)
                return None
            return client

        def page_answer(self, code, text, location=None):
            data = f"<!doctype html><html><body>{text}</body></html>".encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(data)

        def authorize(self, query):
            op = "Authorize"
            client = clients.get(query.get("client_id", ""))
            redirect = query.get("redirect_uri", "")
            scopes = query.get("scopes", "").split()
            problem = None
            if query.get("response_type") != "code":
                problem = "response_type must be code"
            elif client is None or "authorization_code" not in client.get("grants", []):
                problem = "unknown client, or not registered for authorization_code"
            elif not redirect_allowed(redirect, client["redirects"]):
                problem = f"redirect_uri {redirect!r} is not registered"
            elif not scopes or not set(scopes) <= set(client["scopes"]):
                problem = "scopes must be registered ones"
            elif query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                problem = "code_challenge with code_challenge_method=S256 is required"
            elif not query.get("state"):
                problem = "state is required"
            if problem:
                self.record(op, 400)
                self.page_answer(400, f"invalid_request: {problem}")
                return
            consent = secrets.token_urlsafe(16)
            with lock:
                consents[consent] = dict(query)
                stats["authorizations"] += 1
            self.record(op, 200)
            self.page_answer(200, f'Allow eks-kc to access your data? '
                                  f'<a id="allow" href="/authorize/allow?consent={consent}">Allow</a> '
                                  f'<a id="deny" href="/authorize/deny?consent={consent}">Deny</a>')

        def consent(self, answer, query):
            op = "Consent"
            with lock:
                request = consents.pop(query.get("consent", ""), None)
            if request is None:
                self.record(op, 400)
                self.page_answer(400, "unknown or used consent")
                return
            back = request["redirect_uri"]
            if answer == "allow":
                code = "authcodeFAKE" + secrets.token_urlsafe(32)
                with lock:
                    codes[code] = {"client": request["client_id"], "redirect_uri": back,
                                   "challenge": request["code_challenge"]}
                params = {"code": code, "state": request["state"]}
            else:
                params = {"error": "access_denied", "error_description": "The user denied access",
                          "state": request["state"]}
            self.record(op, 302, answer=answer)
            self.page_answer(302, "redirecting", back + "?" + urllib.parse.urlencode(params))

        def start_device(self, body):
            op = "StartDeviceAuthorization"
            if self.client_ok(op, body) is None:
                return
            code = "device-" + secrets.token_urlsafe(24)
            user = secrets.token_hex(2).upper() + "-" + secrets.token_hex(2).upper()
            with lock:
                devices[code] = {"client": body["clientId"], "polls": 0}
            host = "https://device.sso.us-east-1.amazonaws.com/"
            self.record(op, 200)
            complete = args.verification_uri or f"{host}?user_code={user}"
            self.send(200, {"deviceCode": code, "userCode": user,
                            "verificationUri": args.verification_uri or host,
                            "verificationUriComplete": complete,
                            "expiresIn": 600, "interval": 1})

        def create_token(self, body):
            op = "CreateToken"
            client = self.client_ok(op, body)
            if client is None:
                return
            grant = body.get("grantType")
            if grant == DEVICE_GRANT:
                with lock:
                    stats["device_polls"] += 1
                    device = devices.get(body.get("deviceCode", ""))
                    if device is not None:
                        device["polls"] += 1
                if device is None or device["client"] != body["clientId"]:
                    self.error(op, 400, "InvalidGrantException", "Invalid device code provided", oidc=True)
                    return
                if device["polls"] <= args.pending_polls:
                    self.error(op, 400, "AuthorizationPendingException", "Authorization is still pending", oidc=True)
                    return
                with lock:
                    devices.pop(body["deviceCode"], None)
                if args.deny_device:
                    self.error(op, 400, "AccessDeniedException", "The user denied the authorization", oidc=True)
                    return
                self.record(op, 200, grant="device_code")
                self.send(200, issue_access_token(body["clientId"], client["scopes"]))
            elif grant == "authorization_code":
                verifier = body.get("codeVerifier", "")
                with lock:
                    stats["code_verifiers"].append(verifier)
                    issued = codes.pop(body.get("code", ""), None)
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
                if (issued is None or issued["client"] != body["clientId"]
                        or issued["redirect_uri"] != body.get("redirectUri")
                        or not VERIFIER.fullmatch(verifier) or issued["challenge"] != challenge):
                    self.error(op, 400, "InvalidGrantException", "Invalid grant provided", oidc=True)
                    return
                self.record(op, 200, grant="authorization_code")
                self.send(200, issue_access_token(body["clientId"], client["scopes"]))
            elif grant == "refresh_token":
                old = body.get("refreshToken", "")
                with lock:
                    known = old in refresh_tokens and refresh_tokens[old] in (None, body["clientId"])
                    if known:
                        del refresh_tokens[old]
                if not known:
                    self.error(op, 400, "InvalidGrantException", "Invalid refresh token provided", oidc=True)
                    return
                answer = issue_access_token(body["clientId"], ["sso:account:access"])
                with lock:
                    stats["refreshes"] += 1
                self.record(op, 200, grant="refresh_token")
                self.send(200, answer)
            else:
                self.error(op, 400, "UnsupportedGrantTypeException", f"Unsupported grant type: {grant}", oidc=True)

        # --- EKS -----------------------------------------------------------------------------

        def eks(self, path, query):
            m = SCOPE.search(self.headers.get("Authorization", ""))
            parts = [urllib.parse.unquote(x) for x in path.split("/")[1:]]
            op = "ListClusters" if len(parts) == 1 else "DescribeCluster"
            if not m:
                self.error(op, 403, "MissingAuthenticationTokenException", "Missing Authentication Token")
                return
            akid, region = m.groups()
            owner = by_key.get(akid)
            if owner is None:
                self.error(op, 403, "UnrecognizedClientException",
                           "The security token included in the request is invalid.", region=region)
                return
            account_id, role = owner
            fields = {"account": account_id, "role": role, "region": region}
            with lock:
                bump(stats["eks_by_account"], account_id)
            if self.throttled(op, **fields):
                return
            if region in disabled:
                self.error(op, 403, "UnrecognizedClientException",
                           "The security token included in the request is invalid.", **fields)
                return
            account = by_id[account_id]
            if account.get("fail") == "ListClusters":
                if account.get("fail_status", 403) >= 500:
                    self.error(op, 500, "ServerException", "An internal error (fake_sso.py world)", **fields)
                else:
                    self.error(op, 403, "AccessDeniedException",
                               f"User: {creds[owner]['arn']} is not authorized to perform: eks:{op}", **fields)
                return
            clusters = [c if isinstance(c, dict) else {"name": c} for c in account["clusters"].get(region, [])]
            if op == "ListClusters":
                start = int(query.get("nextToken", "0") or 0)
                size = min(int(query.get("maxResults", "100") or 100), args.eks_page_size)
                body = {"clusters": [c["name"] for c in clusters[start:start + size]]}
                if start + size < len(clusters):
                    body["nextToken"] = str(start + size)
                self.record(op, 200, **fields)
                self.send(200, body)
                return
            name = parts[1]
            c = next((c for c in clusters if c["name"] == name), None)
            if c is None or len(parts) != 2:
                self.error(op, 404, "ResourceNotFoundException", f"No cluster found for name: {name}.", **fields)
                return
            self.record(op, 200, cluster=name, **fields)
            self.send(200, {"cluster": {
                "name": name,
                "arn": f"arn:aws:eks:{region}:{account_id}:cluster/{name}",
                "endpoint": c.get("endpoint", args.endpoint),
                "certificateAuthority": {"data": c.get("ca", ca_data)},
                "status": "ACTIVE",
                "version": "1.32",
            }})

    serve(Handler)


if __name__ == "__main__":
    sys.exit(main())
