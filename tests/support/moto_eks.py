#!/usr/bin/env python3
"""Creates and deletes EKS clusters in a running moto server, for the sync tests.

    moto_eks.py ENDPOINT create REGION NAME...
    moto_eks.py ENDPOINT create-many REGION PREFIX COUNT
    moto_eks.py ENDPOINT delete REGION NAME...

moto keeps clusters per account (taken from the access key) and region; the tests use the
default moto account unless AWS_ACCESS_KEY_ID says otherwise.
"""
import os
import sys

import boto3

ROLE = "arn:aws:iam::123456789012:role/eks-cluster-role"
VPC = {"subnetIds": ["subnet-1", "subnet-2"]}


def client(endpoint, region):
    return boto3.client(
        "eks",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    )


def main(argv):
    endpoint, action, region, *rest = argv
    eks = client(endpoint, region)
    if action == "create":
        names = rest
    elif action == "create-many":
        prefix, count = rest
        names = [f"{prefix}{i:04d}" for i in range(int(count))]
    elif action == "delete":
        for name in rest:
            eks.delete_cluster(name=name)
        return 0
    else:
        raise SystemExit(f"unknown action {action}")
    for name in names:
        eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=VPC)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
