#!/usr/bin/env python3
"""Lets moto answer presigned STS requests, for `eks-kc verify --online` tests.

moto's server picks the service for a request from its Authorization header (or its body); a
presigned GetCallerIdentity URL has neither, so moto would route it to S3. This shim, on
127.0.0.1, receives the presigned GET exactly as eks-kc sends it to STS, copies the SigV4
credential scope from the query into an Authorization header, and forwards it to moto, which
then answers as STS for that access key (moto checks no signature either way).

    presign_shim.py --upstream http://127.0.0.1:PORT     # prints "READY <port>"
"""
import argparse
import sys
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler

from localserver import serve



def main():
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    args = p.parse_args()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):  # noqa: N802
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            headers = {
                "Authorization": "AWS4-HMAC-SHA256 Credential={}, SignedHeaders={}, Signature={}".format(
                    query.get("X-Amz-Credential", ""),
                    query.get("X-Amz-SignedHeaders", ""),
                    query.get("X-Amz-Signature", ""),
                ),
                "x-k8s-aws-id": self.headers.get("x-k8s-aws-id", ""),
            }
            if "X-Amz-Security-Token" in query:
                headers["X-Amz-Security-Token"] = query["X-Amz-Security-Token"]
            req = urllib.request.Request(args.upstream + self.path, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    status, body = resp.status, resp.read()
            except urllib.error.HTTPError as e:
                status, body = e.code, e.read()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    serve(Handler)


if __name__ == "__main__":
    sys.exit(main())
