#!/usr/bin/env python3
"""A fake Amazon EKS API (ListClusters, DescribeCluster) on 127.0.0.1, for tests and benchmarks.

    fake_eks.py --clusters FILE [--latency-ms N] [--log FILE]
    fake_eks.py --generate REGIONS:CLUSTERS [--endpoint URL] [--latency-ms N]

FILE maps region -> list of {"name", "endpoint", "ca"} (what DescribeCluster returns), and
optionally, per cluster, what `eks-kc doctor` asks about:
    "status" (ACTIVE), "authenticationMode" (API_AND_CONFIG_MAP), "endpointPublicAccess" (true),
    "endpointPrivateAccess" (false), "publicAccessCidrs" (["0.0.0.0/0"]),
    "accessEntries": [{"principalArn", "type" (STANDARD), "kubernetesGroups", "username",
                       "policies": [{"policyArn", "accessScope": {"type", "namespaces"}}]}],
    "deny": operation names answered 403 AccessDeniedException (e.g. "ListAccessEntries"),
    "outpostId": makes it an EKS local cluster on Outposts with this cluster id.
A top-level "__rejects__" maps a region to an error code every request there gets (403), e.g.
{"us-east-1": "UnrecognizedClientException"}: an unknown key, or an opt-in region not enabled.
ListAccessEntries, DescribeAccessEntry and ListAssociatedAccessPolicies answer from
"accessEntries"; on a CONFIG_MAP cluster they answer InvalidRequestException, as EKS does.
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
            rejects = by_region.get("__rejects__", {}) if args.clusters else {}
            if region in rejects:
                self.reply(403, {"__type": rejects[region],
                                 "message": "The security token included in the request is invalid."})
                return
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
            # /clusters/NAME[/access-entries[/PRINCIPAL[/access-policies]]], labels %-encoded.
            parts = [urllib.parse.unquote(p) for p in url.path.split("/")[1:]]
            if len(parts) < 2 or parts[0] != "clusters":
                self.reply(404, {"__type": "ResourceNotFoundException", "message": "no such path"})
                return
            name = parts[1]
            c = next((c for c in clusters if c["name"] == name), None)
            if c is None:
                self.reply(404, {"__type": "ResourceNotFoundException",
                                 "message": f"No cluster found for name: {name}."})
                return
            arn = f"arn:aws:eks:{region}:111122223333:cluster/{name}"
            rest = parts[2:]
            if not rest:
                operation = "DescribeCluster"
            elif rest == ["access-entries"]:
                operation = "ListAccessEntries"
            elif len(rest) == 2 and rest[0] == "access-entries":
                operation = "DescribeAccessEntry"
            elif len(rest) == 3 and rest[0] == "access-entries" and rest[2] == "access-policies":
                operation = "ListAssociatedAccessPolicies"
            else:
                self.reply(404, {"__type": "ResourceNotFoundException", "message": "no such path"})
                return
            if operation in c.get("deny", []):
                self.reply(403, {"__type": "AccessDeniedException",
                                 "message": f"User: arn:aws:sts::111122223333:assumed-role/x/y is not "
                                            f"authorized to perform: eks:{operation} on resource: {arn}"})
                return
            mode = c.get("authenticationMode", "API_AND_CONFIG_MAP")
            if operation == "DescribeCluster":
                cluster = {
                    "name": name,
                    "arn": arn,
                    "endpoint": c["endpoint"],
                    "certificateAuthority": {"data": c["ca"]},
                    "status": c.get("status", "ACTIVE"),
                    "version": "1.32",
                    "resourcesVpcConfig": {
                        "endpointPublicAccess": c.get("endpointPublicAccess", True),
                        "endpointPrivateAccess": c.get("endpointPrivateAccess", False),
                        "publicAccessCidrs": c.get("publicAccessCidrs", ["0.0.0.0/0"]),
                    },
                    "accessConfig": {"authenticationMode": mode,
                                     "bootstrapClusterCreatorAdminPermissions": True},
                }
                if "outpostId" in c:
                    # An EKS local cluster on AWS Outposts: its id is what its authenticator
                    # expects in tokens.
                    cluster["id"] = c["outpostId"]
                    cluster["outpostConfig"] = {
                        "outpostArns": [f"arn:aws:outposts:{region}:111122223333:outpost/op-0123456789abcdef0"],
                        "controlPlaneInstanceType": "m5d.large",
                    }
                self.reply(200, {"cluster": cluster})
                return
            if mode == "CONFIG_MAP":
                self.reply(400, {"__type": "InvalidRequestException",
                                 "message": "The cluster's authentication mode must be set to one of "
                                            "[API, API_AND_CONFIG_MAP] to perform this operation."})
                return
            entries = c.get("accessEntries", [])
            if operation == "ListAccessEntries":
                self.reply(200, {"accessEntries": [e["principalArn"] for e in entries]})
                return
            principal = rest[1]
            entry = next((e for e in entries if e["principalArn"] == principal), None)
            if entry is None:
                self.reply(404, {"__type": "ResourceNotFoundException",
                                 "message": "The specified principalArn could not be found. You can "
                                            "view your available access entries with 'list-access-entries'."})
                return
            if operation == "DescribeAccessEntry":
                self.reply(200, {"accessEntry": {
                    "clusterName": name,
                    "principalArn": principal,
                    "kubernetesGroups": entry.get("kubernetesGroups", []),
                    "accessEntryArn": f"arn:aws:eks:{region}:111122223333:access-entry/{name}/x",
                    "username": entry.get("username", principal),
                    "type": entry.get("type", "STANDARD"),
                }})
                return
            self.reply(200, {
                "clusterName": name,
                "principalArn": principal,
                "associatedAccessPolicies": [
                    {"policyArn": p["policyArn"], "accessScope": p.get("accessScope", {"type": "cluster"})}
                    for p in entry.get("policies", [])
                ],
            })

    serve(Handler)


if __name__ == "__main__":
    sys.exit(main())
