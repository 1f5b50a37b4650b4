#!/usr/bin/env python3
"""A fake AWS Sign-In service on 127.0.0.1: the token refresh of `aws login` sessions.

    fake_signin.py --keys KEYS.json --log CALLS.jsonl --mode refuse|issue [--arn ARN]
                   [--expires-in SECONDS]

Answers CreateOAuth2Token (POST /v1/token, REST-JSON, as aws-sdk-signin sends it when a cached
`aws login` token is near expiry): with `--mode refuse`, AccessDeniedException with the OAuth2
error TOKEN_EXPIRED (the session is over: `aws login` again); with `--mode issue`, new
credentials (ASIA..., a FQoG session token) valid for SECONDS and a new refresh token. Issued
keys are added to KEYS.json with ARN, so fake_apiserver.py and fake_sts.py accept them and know
whose they are. Every call is appended to CALLS.jsonl (the grant type, the refresh token it
was given, whether a DPoP proof came with it, the key it issued). Prints "READY <port>".
"""
import argparse
import json
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler

from localserver import serve


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--keys", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--mode", choices=["refuse", "issue"], required=True)
    p.add_argument("--arn", default="arn:aws:iam::111122223333:user/alice")
    p.add_argument("--expires-in", type=int, default=900)
    args = p.parse_args()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, code, body, error_type=None):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            if error_type:
                self.send_header("x-amzn-ErrorType", error_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
            # The body is the token input itself (its httpPayload), whatever it is wrapped in.
            token_input = body.get("tokenInput", body)
            call = {
                "path": self.path,
                "grantType": token_input.get("grantType"),
                "clientId": token_input.get("clientId"),
                "refreshToken": token_input.get("refreshToken"),
                "dpop": bool(self.headers.get("DPoP")),
            }
            if self.path != "/v1/token":
                self.log(call)
                return self.reply(404, {"message": "not found"})
            if args.mode == "refuse":
                self.log(call)
                return self.reply(400, {"error": "TOKEN_EXPIRED",
                                        "message": "Your session has expired"},
                                  "AccessDeniedException")
            akid = "ASIA" + secrets.token_hex(8).upper()
            secret = secrets.token_urlsafe(30)
            token = "FQoG" + secrets.token_urlsafe(60)
            refresh = "aorFAKE-signin-" + secrets.token_urlsafe(20)
            with lock:
                with open(args.keys) as f:
                    keys = json.load(f)
                keys[akid] = {"secret": secret, "session_token": token, "arn": args.arn}
                with open(args.keys, "w") as f:
                    json.dump(keys, f)
            self.log({**call, "AccessKeyId": akid, "newRefreshToken": refresh})
            self.reply(200, {
                "accessToken": {"accessKeyId": akid, "secretAccessKey": secret,
                                "sessionToken": token},
                "tokenType": "aws_sigv4",
                "expiresIn": args.expires_in,
                "refreshToken": refresh,
            })

        def log(self, entry):
            with lock:
                with open(args.log, "a") as f:
                    f.write(json.dumps(entry) + "\n")

    serve(Handler)


if __name__ == "__main__":
    sys.exit(main())
