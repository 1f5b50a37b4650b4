#!/usr/bin/env python3
"""Print the presigned STS URLs that `aws eks get-token` builds, at a frozen clock, as JSON.

This is the reference for eks-kc's token format: it drives awscli's own STSClientFactory and
TokenGenerator (the code behind `aws eks get-token`) with fixed credentials and a frozen clock,
so the URLs it prints are exactly what the AWS CLI would hand to a cluster.

    python3 tests/support/botocore_presign.py > tests/fixtures/botocore_presign.json

tests/it/botocore_equivalence.rs runs this script and compares its output with the committed
fixture; src/aws/sign.rs compares its own output with the fixture.
"""
import base64
import datetime
import json
import os
import sys

# No real credentials, config or network may leak into the reference.
for var in list(os.environ):
    if var.startswith("AWS_"):
        del os.environ[var]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

import botocore.auth  # noqa: E402
import botocore.session  # noqa: E402
from awscli.customizations.eks.get_token import STSClientFactory, TokenGenerator  # noqa: E402

FROZEN = datetime.datetime(2026, 11, 22, 19, 47, 17)
botocore.auth.get_current_datetime = lambda *a, **k: FROZEN

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = (
    "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+example/token=="
)

CASES = []
for region in ["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1", "eusc-de-east-1"]:
    for session_token in [None, SESSION_TOKEN]:
        CASES.append({"region": region, "cluster": "prod-eu_1", "session_token": session_token, "fips": False})
for region in ["us-east-1", "us-gov-west-1"]:
    CASES.append({"region": region, "cluster": "fips-cluster", "session_token": None, "fips": True})

out = []
for case in CASES:
    if case["fips"]:
        os.environ["AWS_USE_FIPS_ENDPOINT"] = "true"
    else:
        os.environ.pop("AWS_USE_FIPS_ENDPOINT", None)
    session = botocore.session.get_session()
    session.set_credentials(ACCESS_KEY, SECRET_KEY, case["session_token"])
    sts = STSClientFactory(session).get_sts_client(region_name=case["region"])
    token = TokenGenerator(sts).get_token(case["cluster"])
    encoded = token[len("k8s-aws-v1."):]
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    out.append(
        {
            "region": case["region"],
            "cluster": case["cluster"],
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            "session_token": case["session_token"],
            "fips": case["fips"],
            "signed_at": FROZEN.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "url": url,
            "token": token,
        }
    )

json.dump(out, sys.stdout, indent=2)
sys.stdout.write("\n")
