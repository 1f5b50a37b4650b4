//! Each server rule, broken one at a time on an otherwise valid token.

use super::*;
use crate::aws::sign::{SigningCredentials, presign};
use chrono::TimeZone;

fn signed_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn url(region: &str, session: bool) -> String {
    presign(
        &SigningCredentials {
            access_key_id: "AKIAEXAMPLE",
            secret_access_key: "secret",
            session_token: session.then_some("tok+en/=="),
        },
        region,
        "prod",
        false,
        signed_at().into(),
    )
    .unwrap()
}

fn failed(token_text: &str, now: DateTime<Utc>) -> Vec<&'static str> {
    check(token_text, now)
        .checks
        .into_iter()
        .filter(|c| !c.ok)
        .map(|c| c.rule)
        .collect()
}

fn later(minutes: i64) -> DateTime<Utc> {
    signed_at() + Duration::minutes(minutes)
}

#[test]
fn a_valid_token_passes_every_rule_in_every_partition() {
    for region in ["eu-west-1", "us-east-1", "cn-north-1", "us-gov-west-1"] {
        for session in [false, true] {
            let f = check(&token::encode(&url(region, session)), later(3));
            assert!(f.ok(), "{region}: {:?}", f.checks);
            assert_eq!(f.region.as_deref(), Some(region));
            assert_eq!(f.access_key_id.as_deref(), Some("AKIAEXAMPLE"));
        }
    }
}

#[test]
fn each_tampering_fails_naming_its_rule() {
    let good = url("eu-west-1", true);
    let cases: Vec<(&str, String)> = vec![
        (
            "host",
            good.replace("sts.eu-west-1.amazonaws.com", "sts.evil.example"),
        ),
        (
            "host",
            good.replace("sts.eu-west-1.amazonaws.com", "sts.us-east-1.amazonaws.com"),
        ),
        (
            "host",
            good.replace("amazonaws.com/", "amazonaws.com:8443/"),
        ),
        ("query keys", format!("{good}&X-Extra=1")),
        ("query keys", format!("{good}&Action=GetCallerIdentity")),
        (
            "signed headers",
            good.replace("host%3Bx-k8s-aws-id", "host"),
        ),
        (
            "X-Amz-Expires",
            good.replace("X-Amz-Expires=60", "X-Amz-Expires=901"),
        ),
        (
            "Action",
            good.replace("Action=GetCallerIdentity", "Action=AssumeRole"),
        ),
        (
            "Version",
            good.replace("Version=2011-06-15", "Version=2012-01-01"),
        ),
        ("scheme", good.replace("https://", "http://")),
        ("path", good.replace(".com/?", ".com/x?")),
    ];
    for (rule, tampered) in cases {
        let fails = failed(&token::encode(&tampered), later(1));
        assert_eq!(fails, [rule], "{tampered}");
    }
    // Age: 16 minutes after signing.
    assert_eq!(failed(&token::encode(&good), later(16)), ["age"]);
    // Size: a token over 4096 bytes (a huge session token).
    let big = good.replace("tok%2Ben%2F%3D%3D", &"A".repeat(4000));
    assert_eq!(failed(&token::encode(&big), later(1)), ["size"]);
    // Prefix and encoding.
    assert_eq!(failed("Bearer abc", later(1)), ["prefix"]);
    assert_eq!(failed("k8s-aws-v1.!!!", later(1)), ["base64url"]);
    assert_eq!(
        failed(&format!("{}=", token::encode(&good)), later(1)),
        ["base64url"]
    );
}

#[test]
fn assumed_roles_map_to_their_role_in_every_partition() {
    for (caller, mapped) in [
        (
            "arn:aws:sts::111122223333:assumed-role/eks-admin/eks-kc",
            "arn:aws:iam::111122223333:role/eks-admin",
        ),
        (
            "arn:aws-cn:sts::111122223333:assumed-role/Dev/alice@example.com",
            "arn:aws-cn:iam::111122223333:role/Dev",
        ),
        (
            "arn:aws-us-gov:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/bob",
            "arn:aws-us-gov:iam::111122223333:role/AWSReservedSSO_Admin_0123",
        ),
        // Users (with paths) and the root map to themselves.
        (
            "arn:aws:iam::111122223333:user/ops/carol",
            "arn:aws:iam::111122223333:user/ops/carol",
        ),
        (
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:root",
        ),
        (
            "arn:aws:sts::111122223333:federated-user/dave",
            "arn:aws:sts::111122223333:federated-user/dave",
        ),
    ] {
        assert_eq!(mapped_arn(caller), mapped, "{caller}");
    }
}

#[test]
fn the_session_name_is_read_from_an_assumed_role_caller() {
    assert_eq!(
        session_name("arn:aws:sts::111122223333:assumed-role/Admin/eks-kc-alice"),
        Some("eks-kc-alice")
    );
    assert_eq!(
        session_name("arn:aws-cn:sts::1:assumed-role/Dev/ci@team"),
        Some("ci@team")
    );
    assert_eq!(session_name("arn:aws:iam::111122223333:user/alice"), None);
    assert_eq!(session_name("arn:aws:sts::1:assumed-role/NoSession"), None);
    assert_eq!(session_name("arn:aws:sts::1:federated-user/dave"), None);
}

#[test]
fn reads_fields_from_the_sts_reply() {
    let xml = "<GetCallerIdentityResponse><GetCallerIdentityResult>\
               <Arn>arn:aws:sts::1:assumed-role/R/S</Arn><UserId>AROA:S</UserId>\
               <Account>1</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
    assert_eq!(
        xml_field(xml, "Arn").unwrap(),
        "arn:aws:sts::1:assumed-role/R/S"
    );
    assert_eq!(xml_field(xml, "Account").unwrap(), "1");
    assert_eq!(xml_field(xml, "Code"), None);
}
