#!/usr/bin/env python3
"""A fake Amazon EKS API (ListClusters, DescribeCluster) on 127.0.0.1, for tests and benchmarks.

    fake_eks.py --clusters FILE [--latency-ms N] [--log FILE]
    fake_eks.py --generate REGIONS:CLUSTERS [--endpoint URL] [--latency-ms N]

FILE maps region -> list of {"name", "endpoint", "ca"} (what DescribeCluster returns).
--generate makes CLUSTERS clusters named c0000... in each of REGIONS regions answered by any
region name. The region of a request is read from its SigV4 credential scope, as AWS routes
it. Prints "READY <port>" on stdout once listening. Signatures are not checked.
"""
import argparse
import json
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

from localserver import serve


SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/eks/aws4_request")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--clusters")
    p.add_argument("--generate")
    p.add_argument("--endpoint", default="https://127.0.0.1:6443")
    p.add_argument("--latency-ms", type=float, default=0)
    p.add_argument("--log")
    args = p.parse_args()

    if args.clusters:
        with open(args.clusters) as f:
            by_region = json.load(f)

        def clusters_in(region):
            return by_region.get(region, [])
    else:
        _regions, per_region = (int(x) for x in args.generate.split(":"))
        cache = {}

        def clusters_in(region):
            if region not in cache:
                cache[region] = [
                    {"name": f"c{i:04d}", "endpoint": args.endpoint, "ca": "Q0E="}
                    for i in range(per_region)
                ]
            return cache[region]

    log_lock = threading.Lock()
    latency = args.latency_ms / 1000.0

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, code, obj):
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if code >= 400:
                self.send_header("x-amzn-ErrorType", obj.get("__type", "ServerException"))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            if latency:
                time.sleep(latency)
            m = SCOPE.search(self.headers.get("Authorization", ""))
            if not m:
                self.reply(403, {"__type": "MissingAuthenticationTokenException",
                                 "message": "Missing Authentication Token"})
                return
            region = m.group(1)
            url = urllib.parse.urlsplit(self.path)
            if args.log:
                with log_lock, open(args.log, "a") as f:
                    f.write(json.dumps({"region": region, "path": url.path}) + "\n")
            clusters = clusters_in(region)
            if url.path == "/clusters":
                q = dict(urllib.parse.parse_qsl(url.query))
                start = int(q.get("nextToken", "0") or 0)
                size = int(q.get("maxResults", "100"))
                page = clusters[start:start + size]
                body = {"clusters": [c["name"] for c in page]}
                if start + size < len(clusters):
                    body["nextToken"] = str(start + size)
                self.reply(200, body)
                return
            name = urllib.parse.unquote(url.path[len("/clusters/"):]) if url.path.startswith("/clusters/") else ""
            for c in clusters:
                if c["name"] == name:
                    self.reply(200, {"cluster": {
                        "name": name,
                        "arn": f"arn:aws:eks:{region}:111122223333:cluster/{name}",
                        "endpoint": c["endpoint"],
                        "certificateAuthority": {"data": c["ca"]},
                        "status": "ACTIVE",
                        "version": "1.32",
                    }})
                    return
            self.reply(404, {"__type": "ResourceNotFoundException",
                             "message": f"No cluster found for name: {name}."})

    serve(Handler)


if __name__ == "__main__":
    sys.exit(main())
