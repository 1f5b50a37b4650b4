//! The committed reference URLs (tests/fixtures/botocore_presign.json) are what the installed
//! AWS CLI produces today. src/aws/sign.rs compares eks-kc's output with that fixture; this test
//! keeps the fixture honest by regenerating it with `aws eks get-token`'s own code.

use std::process::Command;

#[test]
fn the_fixture_matches_what_aws_eks_get_token_builds() {
    let out = Command::new("python3")
        .arg(crate::harness::support("botocore_presign.py"))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the generator failed (is awscli installed? .ci/run installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let committed: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/botocore_presign.json")).unwrap();
    assert_eq!(
        fresh, committed,
        "botocore's presigned URLs changed; rerun \
         `python3 tests/support/botocore_presign.py > tests/fixtures/botocore_presign.json` \
         and check the unit test in src/aws/sign.rs"
    );
}
