//! EKS local clusters on AWS Outposts: DescribeCluster has an `outpostConfig`, and the
//! cluster's authenticator expects its cluster id, not its name, in the token (the AWS CLI
//! writes `aws eks get-token --cluster-id`). `sync` records the id; tokens are signed for it
//! and accepted by the token-checking API server, which here knows the cluster by its id;
//! `doctor` explains it.

use std::fs;

use crate::fakes::*;
use crate::harness::*;
use serde_json::json;

const REGION: &str = "eu-west-1";
const ID: &str = "0123abcd-4567-89ef-0123-456789abcdef";

/// Profile `team` (the fixture keys) discovering, through a fake EKS, one local cluster `edge`
/// with id [`ID`] whose API server accepts only tokens signed for the id.
fn outpost_env() -> (TestEnv, FakeEks, ApiServer) {
    let mut env = TestEnv::new();
    let api = ApiServer::start(&env, ID, REGION);
    let eks = env.team_with_fake_eks(&json!({ REGION: [
        {"name": "edge", "endpoint": api.url(), "ca": api.ca_data(), "outpostId": ID},
    ]}));
    (env, eks, api)
}

#[test]
fn sync_records_the_id_and_kubectl_authenticates_with_it() {
    for style in ["shared", "per-context"] {
        let (env, _eks, _api) = outpost_env();
        env.run(&["sync", "-p", "team", "-r", REGION, "--exec-style", style])
            .ok();
        let text = fs::read_to_string(&env.kubeconfig).unwrap();
        assert!(
            text.contains(ID),
            "{style}: the id is not recorded:\n{text}"
        );
        let run = Run::from(
            env.command(real_kubectl())
                .args(["get", "ns"])
                .output()
                .unwrap(),
        );
        assert_eq!(run.code, Some(0), "{style}: {}", run.stderr);
        assert!(
            run.stdout.contains("eks-kc-test"),
            "{style}: {}",
            run.stdout
        );
    }
}

#[test]
fn a_token_for_the_name_is_refused_and_one_for_the_id_accepted() {
    let env = TestEnv::new();
    env.write_static_profile("team");
    let by_name = env.run(&[
        "token",
        "-c",
        "edge",
        "--region",
        REGION,
        "--profile",
        "team",
        "-o",
        "token",
    ]);
    let by_id = env.run(&[
        "token",
        "-c",
        "edge",
        "--cluster-id",
        ID,
        "--region",
        REGION,
        "--profile",
        "team",
        "-o",
        "token",
    ]);
    let keys = env.keys_file();
    assert!(token_rejected(ID, REGION, &keys, &by_name.bare_token()));
    assert_tokens_accepted(ID, REGION, &keys, &[by_id.bare_token()]);
}

#[test]
fn doctor_says_tokens_are_signed_for_the_id() {
    let (env, _eks, _api) = outpost_env();
    env.run(&["sync", "-p", "team", "-r", REGION]).ok();
    let run = env.run(&["doctor", "-o", "json"]);
    let report = run.json();
    let notes = report["verdict"]["notes"].to_string();
    assert!(
        notes.contains("Outposts") && notes.contains(ID),
        "{}",
        serde_json::to_string_pretty(&report).unwrap()
    );
    assert_eq!(report["cluster"], "edge");
}
