#!/usr/bin/env python3
"""A fake AWS STS on 127.0.0.1 that issues known temporary credentials and counts its calls.

    fake_sts.py --keys KEYS.json --log CALLS.jsonl [--duration-minutes N]

Answers AssumeRole and AssumeRoleWithWebIdentity (form-encoded POST, as the SDKs send them)
with fresh ASIA... credentials valid for N minutes, and GetCallerIdentity (a POST, or a presigned
GET as `eks-kc verify --online` sends it). Every issued key is
added to KEYS.json with the assumed-role ARN it stands for, so fake_apiserver.py can check the
signatures of tokens made with them and know whose they are. GetCallerIdentity answers from
KEYS.json too: the key's "arn" (default arn:aws:iam::111122223333:user/eks-kc-test),
ExpiredToken for a key marked "expired": true, InvalidClientTokenId for an unknown key.
An AssumeRole with the MFA code 000000 is refused (AccessDenied: a wrong code).
Each call is appended to CALLS.jsonl, with the access key id it issued. Prints "READY <port>" once listening.
"""
import argparse
import datetime
import json
import re
import secrets
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

from localserver import serve


NS = "https://sts.amazonaws.com/doc/2011-06-15/"
DEFAULT_ARN = "arn:aws:iam::111122223333:user/eks-kc-test"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--keys", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--duration-minutes", type=float, default=60)
    p.add_argument("--container-token", help="serve container credentials at GET /container-credentials to this Authorization value")
    p.add_argument("--sso-token", help="answer SSO GetRoleCredentials for this bearer token")
    args = p.parse_args()
    lock = threading.Lock()

    def issue(arn=None):
        """New temporary credentials, registered in KEYS.json."""
        akid = "ASIA" + secrets.token_hex(8).upper()
        secret = secrets.token_urlsafe(30)
        token = "FQoG" + secrets.token_urlsafe(60)
        with lock:
            with open(args.keys) as f:
                keys = json.load(f)
            keys[akid] = {"secret": secret, "session_token": token}
            if arn:
                keys[akid]["arn"] = arn
            with open(args.keys, "w") as f:
                json.dump(keys, f)
        return akid, secret, token

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, code, body):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            if self.path.startswith("/federation/credentials"):
                return self.sso_role_credentials()
            # A presigned GetCallerIdentity, as `eks-kc verify --online` replays a token.
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            if query.get("Action") == "GetCallerIdentity":
                return self.caller_identity(query.get("X-Amz-Credential", "").split("/")[0])
            # ECS / EKS Pod Identity container credentials.
            if self.path != "/container-credentials" or not args.container_token:
                self.reply(404, "not found")
                return
            auth = self.headers.get("Authorization", "")
            with lock:
                with open(args.log, "a") as f:
                    f.write(json.dumps({"action": "ContainerCredentials", "authorization_ok": auth == args.container_token}) + "\n")
            if auth != args.container_token:
                self.reply(401, "bad authorization")
                return
            akid, secret, token = issue()
            expiry = (datetime.datetime.now(datetime.timezone.utc)
                      + datetime.timedelta(minutes=args.duration_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
            body = json.dumps({"AccessKeyId": akid, "SecretAccessKey": secret, "Token": token,
                               "Expiration": expiry, "RoleArn": "arn:aws:iam::111122223333:role/pod"})
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def sso_role_credentials(self):
            """IAM Identity Center's GetRoleCredentials, for a valid --sso-token."""
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            bearer = self.headers.get("x-amz-sso_bearer_token", "")
            ok = bool(args.sso_token) and bearer == args.sso_token
            issued = {}
            if ok:
                akid, secret, token = issue()
                issued = {"AccessKeyId": akid}
            with lock:
                with open(args.log, "a") as f:
                    f.write(json.dumps({"action": "GetRoleCredentials", "bearer_ok": bearer == args.sso_token,
                                        **issued, **query}) + "\n")
            if not ok:
                data = b'{"message":"Session token not found or invalid"}'
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("x-amzn-ErrorType", "UnauthorizedException")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            expiry_ms = int((datetime.datetime.now(datetime.timezone.utc)
                             + datetime.timedelta(minutes=args.duration_minutes)).timestamp() * 1000)
            data = json.dumps({"roleCredentials": {"accessKeyId": akid, "secretAccessKey": secret,
                                                   "sessionToken": token, "expiration": expiry_ms}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            action = form.get("Action", "")
            issued = {}
            if action == "GetCallerIdentity":
                return self.caller_identity()
            if action == "AssumeRole" and form.get("TokenCode") == "000000":
                with lock:
                    with open(args.log, "a") as f:
                        f.write(json.dumps({"action": action, "refused": True,
                                            "TokenCode": "000000"}) + "\n")
                return self.reply(403, f"""<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type>
<Code>AccessDenied</Code><Message>MultiFactorAuthentication failed with invalid MFA one time pass code.</Message></Error></ErrorResponse>""")
            if action in ("AssumeRole", "AssumeRoleWithWebIdentity"):
                role = form.get("RoleArn", "arn:aws:iam::111122223333:role/unknown")
                assumed = "arn:aws:sts::{}:assumed-role/{}/{}".format(
                    role.split(":")[4], role.split("/")[-1], form.get("RoleSessionName", "session"))
                akid, secret, token = issue(assumed)
                issued = {"AccessKeyId": akid}
            with lock:
                with open(args.log, "a") as f:
                    f.write(json.dumps({"action": action, **issued,
                                        **{k: v for k, v in form.items()
                                           if k in ("RoleArn", "RoleSessionName",
                                                    "WebIdentityToken", "SerialNumber",
                                                    "TokenCode")}}) + "\n")
            if action in ("AssumeRole", "AssumeRoleWithWebIdentity"):
                role = form.get("RoleArn", "arn:aws:iam::111122223333:role/unknown")
                session = form.get("RoleSessionName", "session")
                account = role.split(":")[4]
                expiry = (datetime.datetime.now(datetime.timezone.utc)
                          + datetime.timedelta(minutes=args.duration_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
                name = role.split("/")[-1]
                self.reply(200, f"""<{action}Response xmlns="{NS}"><{action}Result>
<Credentials><AccessKeyId>{akid}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>
<SessionToken>{token}</SessionToken><Expiration>{expiry}</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::{account}:assumed-role/{name}/{session}</Arn>
<AssumedRoleId>AROA:{session}</AssumedRoleId></AssumedRoleUser>
</{action}Result><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></{action}Response>""")
            else:
                self.reply(400, f"""<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type>
<Code>InvalidAction</Code><Message>fake_sts does not do {action}</Message></Error></ErrorResponse>""")

        def caller_identity(self, akid=None):
            if akid is None:
                m = re.search(r"Credential=([A-Z0-9]+)/", self.headers.get("Authorization", ""))
                akid = m.group(1) if m else ""
            with lock:
                with open(args.keys) as f:
                    key = json.load(f).get(akid)
                with open(args.log, "a") as f:
                    f.write(json.dumps({"action": "GetCallerIdentity", "AccessKeyId": akid}) + "\n")
            if key is None or key.get("expired"):
                code, message = (("InvalidClientTokenId", "The security token included in the request is invalid.")
                                 if key is None else
                                 ("ExpiredToken", "The security token included in the request is expired"))
                self.reply(403, f"""<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type>
<Code>{code}</Code><Message>{message}</Message></Error><RequestId>1</RequestId></ErrorResponse>""")
                return
            arn = key.get("arn", DEFAULT_ARN)
            self.reply(200, f"""<GetCallerIdentityResponse xmlns="{NS}"><GetCallerIdentityResult>
<Arn>{arn}</Arn><UserId>AIDA{akid[4:]}</UserId><Account>{arn.split(":")[4]}</Account>
</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>""")

    serve(Handler)


if __name__ == "__main__":
    sys.exit(main())
