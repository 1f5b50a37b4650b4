#!/usr/bin/env python3
"""A tiny Kubernetes API server on 127.0.0.1 that authenticates like EKS does.

It accepts a bearer token only if it passes the checks aws-iam-authenticator makes before it
replays the URL to STS, and if botocore, given the secret key of the access key in the token,
recomputes the same SigV4 signature for *this server's* cluster name. It shares no code with
eks-kc, so it is an independent judge of the tokens eks-kc mints.

    fake_apiserver.py serve --cluster NAME --region R --keys KEYS.json --dir DIR [--log FILE]
        Generates a CA (DIR/ca.crt) and a certificate it signs for 127.0.0.1, listens on a free port
        over HTTPS and prints "READY <port>" on stdout. Serves enough of the API for
        `kubectl get ns`; anything without a valid token gets 401.
    fake_apiserver.py verify --cluster NAME --region R --keys KEYS.json TOKEN...
        Prints one JSON verdict per token and exits 1 if any is rejected.

KEYS.json maps access key ids to {"secret": ..., "session_token": ..., "arn": ..., "expired": ...}:
the credentials the tests hand to eks-kc, so the server can check signatures the way STS would,
and whose they are ("arn", default arn:aws:iam::111122223333:user/eks-kc-test; a key marked
"expired" is refused as STS refuses expired session credentials).

    serve ... --users USERS.json
        Maps principals the way an EKS cluster's access entries or aws-auth do: USERS.json maps
        the principal ARN (an assumed-role session's role ARN, without path) to
        {"username", "groups"}, or to {"status": 403, "message"} for SelfSubjectReview to refuse.
        A principal it does not list gets 401 on every request, like an unmapped IAM identity.
        Without --users every valid token is kubernetes-admin in system:masters.
        POST /apis/authentication.k8s.io/v1/selfsubjectreviews (`kubectl auth whoami`) answers
        with that user; with impersonation headers (kubectl's `as`, `as-groups`, `as-uid`,
        `as-user-extra`) with the user impersonated, as a server that allows it does. Its
        `extra` names the signing access key and, for a role session, the session name, as EKS
        does. The log records whom a request impersonated ("as").
    serve ... --endless-version
        Answers GET /version with a body that never ends (a hostile server).
"""
import argparse
import base64
import datetime
import json
import os
import ssl
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

from localserver import serve


import botocore.auth
import botocore.credentials
from botocore.awsrequest import AWSRequest

ALLOWED_KEYS = {
    "Action",
    "Version",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
}
PREFIX = "k8s-aws-v1."
MAX_TOKEN_BYTES = 4096
VALID_FOR = datetime.timedelta(minutes=15)
_SIGN_LOCK = threading.Lock()


def sts_hosts(region):
    # The STS hosts aws-iam-authenticator accepts for a region, by partition: the AWS European
    # Sovereign Cloud (aws-eusc) in amazonaws.eu, China in amazonaws.com.cn, the rest here.
    if region.startswith("cn-"):
        suffix = "amazonaws.com.cn"
    elif region.startswith("eusc-"):
        suffix = "amazonaws.eu"
    else:
        suffix = "amazonaws.com"
    hosts = {f"sts.{region}.{suffix}"}
    if not region.startswith("cn-"):
        hosts.add(f"sts-fips.{region}.{suffix}")
    return hosts


def verify(token, cluster, region, keys, now=None):
    """Returns (ok, reason, details)."""
    now = now or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    if len(token) > MAX_TOKEN_BYTES:
        return False, "token too long", {}
    if not token.startswith(PREFIX):
        return False, "missing k8s-aws-v1. prefix", {}
    body = token[len(PREFIX):]
    if "=" in body:
        return False, "padded base64", {}
    try:
        url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except Exception as e:  # noqa: BLE001
        return False, f"not base64url: {e}", {}
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "https":
        return False, "scheme is not https", {}
    if parsed.hostname not in sts_hosts(region) or parsed.port is not None:
        return False, f"unexpected host {parsed.netloc}", {}
    if parsed.path != "/":
        return False, f"unexpected path {parsed.path!r}", {}
    pairs = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
    query = {}
    for k, v in pairs:
        if k not in ALLOWED_KEYS:
            return False, f"unexpected query key {k}", {}
        if k in query:
            return False, f"duplicate query key {k}", {}
        query[k] = v
    if query.get("Action") != "GetCallerIdentity":
        return False, "Action is not GetCallerIdentity", {}
    if query.get("Version") != "2011-06-15":
        return False, "unexpected Version", {}
    try:
        expires = int(query.get("X-Amz-Expires", ""))
    except ValueError:
        return False, "X-Amz-Expires is not a number", {}
    if not 0 <= expires <= 900:
        return False, "X-Amz-Expires out of range", {}
    signed_headers = query.get("X-Amz-SignedHeaders", "").split(";")
    if "x-k8s-aws-id" not in signed_headers:
        return False, "x-k8s-aws-id is not signed", {}
    try:
        date = datetime.datetime.strptime(query.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ")
    except ValueError:
        return False, "bad X-Amz-Date", {}
    if now > date + VALID_FOR:
        return False, "token expired", {}
    if date > now + datetime.timedelta(minutes=5):
        return False, "token dated in the future", {}
    credential = query.get("X-Amz-Credential", "").split("/")
    if len(credential) != 5 or credential[3] != "sts" or credential[4] != "aws4_request":
        return False, "bad X-Amz-Credential", {}
    access_key, _day, cred_region = credential[0], credential[1], credential[2]
    if cred_region != region:
        return False, f"signed for region {cred_region}", {}
    key = keys.get(access_key)
    if key is None:
        return False, f"unknown access key {access_key}", {}
    if (key.get("session_token") or None) != (query.get("X-Amz-Security-Token") or None):
        return False, "session token does not match the access key", {}
    if key.get("expired"):
        return False, "ExpiredToken: the security token included in the request is expired", {}

    # Recompute the signature as STS would: the same request, with this server's cluster name.
    base = f"https://{parsed.hostname}/?Action=GetCallerIdentity&Version=2011-06-15"
    creds = botocore.credentials.Credentials(access_key, key["secret"], key.get("session_token"))
    request = AWSRequest(method="GET", url=base, headers={"x-k8s-aws-id": cluster})
    auth = botocore.auth.SigV4QueryAuth(creds, "sts", region, expires=expires)
    with _SIGN_LOCK:
        saved = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = lambda *a, **k: date
        try:
            auth.add_auth(request)
        finally:
            botocore.auth.get_current_datetime = saved
    expected = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.url).query))
    if expected.get("X-Amz-Signature") != query.get("X-Amz-Signature"):
        return False, "signature mismatch (wrong cluster, key or tampering)", {}
    return True, "ok", {"access_key": access_key, "signed_at": date.isoformat() + "Z"}


def load_keys(path):
    with open(path) as f:
        return json.load(f)


def make_certificate(directory, dns_names=None):
    """A CA (DIR/ca.crt, what the kubeconfig trusts) and a server certificate it signed for
    127.0.0.1 and localhost (or for `dns_names`), as EKS has: strict TLS clients (rustls) refuse
    a CA certificate used as the server's own. Returns the server's (certificate, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eks-kc test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True,
                          crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(n) for n in dns_names] if dns_names else
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path = os.path.join(directory, "ca.crt")
    cert_path = os.path.join(directory, "server.crt")
    key_path = os.path.join(directory, "server.key")
    with open(ca_path, "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_path, key_path


NAMESPACES = {
    "kind": "NamespaceList",
    "apiVersion": "v1",
    "metadata": {"resourceVersion": "1"},
    "items": [
        {
            "metadata": {"name": n, "uid": f"uid-{n}", "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }
        for n in ("default", "kube-system", "eks-kc-test")
    ],
}


def namespace(n):
    """A namespace as a real API server lists it: with managedFields, about 700 bytes."""
    return {
        "metadata": {
            "name": n, "uid": f"uid-{n}", "resourceVersion": "1",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"kubernetes.io/metadata.name": n, "team": "platform"},
            "annotations": {"owner": "platform-team@example.com"},
            "managedFields": [{
                "manager": "kubectl-create", "operation": "Update", "apiVersion": "v1",
                "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:kubernetes.io/metadata.name": {},
                                                          "f:team": {}},
                                            "f:annotations": {".": {}, "f:owner": {}}}},
            }],
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def namespace_page(names, query):
    """A NamespaceList of `names` paged as the API server pages one: `limit` items from the
    offset an opaque `continue` token carries, and the token of the next page while any are left."""
    try:
        limit = int(query.get("limit", ["0"])[0])
        start = int(base64.b64decode(query.get("continue", [""])[0] or "MA==").decode())
    except ValueError:
        return None
    end = len(names) if limit <= 0 else min(len(names), start + limit)
    meta = {"resourceVersion": "1"}
    if end < len(names):
        meta["continue"] = base64.b64encode(str(end).encode()).decode()
        meta["remainingItemCount"] = len(names) - end
    return {"kind": "NamespaceList", "apiVersion": "v1", "metadata": meta,
            "items": [namespace(n) for n in names[start:end]]}


RESOURCES = {
    "kind": "APIResourceList",
    "groupVersion": "v1",
    "resources": [
        {
            "name": "namespaces",
            "singularName": "namespace",
            "namespaced": False,
            "kind": "Namespace",
            "verbs": ["get", "list"],
            "shortNames": ["ns"],
        }
    ],
}


DEFAULT_ARN = "arn:aws:iam::111122223333:user/eks-kc-test"


def principal_of(arn):
    """The ARN EKS maps: an assumed-role session's role, without path (EKS has no path to add)."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        role = parts[5].split("/")[1]
        return f"{parts[0]}:{parts[1]}:iam::{parts[4]}:role/{role}"
    return arn


def make_handler(args, keys):
    log_lock = threading.Lock()
    users = None
    if getattr(args, "users", None):
        with open(args.users) as f:
            users = json.load(f)

    def keys_now():
        # fake_sts.py adds the keys it issues to the same file while this server runs.
        try:
            with open(args.keys) as f:
                return json.load(f)
        except (OSError, ValueError):
            return keys

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # keep test output quiet
            pass

        def send_json(self, code, obj):
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def authenticate(self):
            """The user a request's token maps to, or None after answering 401."""
            auth = self.headers.get("Authorization", "")
            token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
            all_keys = keys_now()
            ok, reason, details = verify(token, args.cluster, args.region, all_keys)
            user = None
            if ok:
                arn = all_keys.get(details["access_key"], {}).get("arn", DEFAULT_ARN)
                principal = principal_of(arn)
                details["principal"] = principal
                if users is None:
                    user = {"username": "kubernetes-admin",
                            "groups": ["system:masters", "system:authenticated"]}
                elif principal in users:
                    user = dict(users[principal])
                else:
                    ok, reason = False, f"no mapping for {principal}"
                if user is not None:
                    extra = {"arn": [principal], "accessKeyId": [details["access_key"]]}
                    if arn.split(":", 5)[-1].startswith("assumed-role/"):
                        extra["sessionName"] = [arn.rsplit("/", 1)[-1]]
                    user.setdefault("extra", extra)
                    if "status" not in user:
                        user = self.impersonated(user)
            if self.headers.get("Impersonate-User") is not None:
                details["as"] = self.headers.get("Impersonate-User")
            if args.log:
                with log_lock, open(args.log, "a") as f:
                    f.write(json.dumps({"path": self.path, "ok": ok, "reason": reason, **details}) + "\n")
            if not ok:
                self.send_json(
                    401,
                    {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "status": "Failure",
                        "message": f"Unauthorized: {reason}",
                        "reason": "Unauthorized",
                        "code": 401,
                    },
                )
                return None
            return user

        def impersonated(self, user):
            """The user a request impersonates (Impersonate-User, -Group, -Uid, -Extra-*), as a
            server that allows impersonation answers; else `user`."""
            name = self.headers.get("Impersonate-User")
            if name is None:
                return user
            extra = {}
            for key, value in self.headers.items():
                if key.lower().startswith("impersonate-extra-"):
                    k = urllib.parse.unquote(key[len("impersonate-extra-"):]).lower()
                    extra.setdefault(k, []).append(value)
            groups = self.headers.get_all("Impersonate-Group") or []
            out = {"username": name, "groups": groups + ["system:authenticated"], "extra": extra}
            if self.headers.get("Impersonate-Uid") is not None:
                out["uid"] = self.headers.get("Impersonate-Uid")
            return out

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", "0") or 0)
            self.rfile.read(length)
            user = self.authenticate()
            if user is None:
                return
            path = urllib.parse.urlsplit(self.path).path.rstrip("/")
            versions = {f"/apis/authentication.k8s.io/{v}/selfsubjectreviews": v for v in ("v1", "v1beta1")}
            if path not in versions:
                self.send_json(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                     "message": f"the server could not find {path}",
                                     "reason": "NotFound", "code": 404})
                return
            if "status" in user:
                self.send_json(user["status"], {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                                "message": user.get("message", "forbidden"),
                                                "reason": "Forbidden", "code": user["status"]})
                return
            self.send_json(201, {
                "kind": "SelfSubjectReview",
                "apiVersion": f"authentication.k8s.io/{versions[path]}",
                "metadata": {"creationTimestamp": None},
                "status": {"userInfo": {"username": user["username"],
                                        "uid": user.get("uid", "aws-iam-authenticator:x"),
                                        "groups": user.get("groups", []), "extra": user["extra"]}},
            })

        def do_GET(self):  # noqa: N802
            if self.authenticate() is None:
                return
            # The real API server answers with or without a trailing slash (kr8s asks /version/).
            path = urllib.parse.urlsplit(self.path).path.rstrip("/") or "/"
            if path == "/api":
                self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                     "serverAddressByClientCIDRs": []})
            elif path == "/apis":
                self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
            elif path == "/api/v1":
                self.send_json(200, RESOURCES)
            elif path == "/api/v1/namespaces" and args.namespaces:
                names = [n["metadata"]["name"] for n in NAMESPACES["items"]]
                names += [f"ns-{i:04d}" for i in range(args.namespaces)]
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                page = namespace_page(names, query)
                if page is None:
                    self.send_json(400, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                         "message": "bad limit or continue", "reason": "BadRequest",
                                         "code": 400})
                else:
                    self.send_json(200, page)
            elif path == "/api/v1/namespaces":
                self.send_json(200, NAMESPACES)
            elif path == "/version" and args.endless_version:
                # A hostile server: a body without end (eks-kc must stop reading at its cap).
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"x" * 65536
                try:
                    while True:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                except OSError:
                    return
            elif path == "/version":
                self.send_json(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-eks-kc-test"})
            else:
                self.send_json(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                     "message": f"the server could not find {path}",
                                     "reason": "NotFound", "code": 404})

    return Handler


def serve_api(args):
    keys = load_keys(args.keys)
    cert, key = make_certificate(args.dir)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    serve(make_handler(args, keys), lambda sock: ctx.wrap_socket(sock, server_side=True))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("serve", "verify"):
        p = sub.add_parser(name)
        p.add_argument("--cluster", required=True)
        p.add_argument("--region", required=True)
        p.add_argument("--keys", required=True)
        if name == "serve":
            p.add_argument("--dir", required=True)
            p.add_argument("--log")
            p.add_argument("--users")
            p.add_argument("--endless-version", action="store_true")
            # Lists this many namespaces more (ns-0000, ...), in pages (limit, continue).
            p.add_argument("--namespaces", type=int, default=0)
        else:
            p.add_argument("tokens", nargs="+")
    args = parser.parse_args()
    if args.cmd == "serve":
        serve_api(args)
        return 0
    keys = load_keys(args.keys)
    failed = 0
    for token in args.tokens:
        ok, reason, details = verify(token, args.cluster, args.region, keys)
        print(json.dumps({"ok": ok, "reason": reason, **details}))
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
