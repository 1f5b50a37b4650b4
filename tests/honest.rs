//! Honest answers (issue 20): no directory or file another user controls is trusted, no failure
//! is reported as success, and what eks-kc prints for a person cannot drive their terminal.
//! Each test names the bug it guards.

mod common;

use std::fs;

use common::*;
use serde_json::json;

// A rejected access key was reported as "regions not enabled" and exit 0.
#[test]
fn a_rejected_key_is_a_failed_target_not_a_region_not_enabled() {
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({
        "__rejects__": {
            "us-east-1": "UnrecognizedClientException",
            "eu-west-1": "InvalidClientTokenId",
            "af-south-1": "UnrecognizedClientException",
        },
    }));
    for region in ["us-east-1", "eu-west-1"] {
        let run = env.run(&["sync", "-p", "team", "-r", region]);
        assert_eq!(run.code, Some(1), "{region}: {}", run.stderr);
        assert!(
            run.stderr.contains("AWS rejected the access key")
                && run
                    .stderr
                    .contains("aws sts get-caller-identity --profile team"),
            "{region}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("not enabled"), "{}", run.stderr);
        assert!(!env.kubeconfig.exists(), "nothing is written");
    }
    // In an opt-in region the same refusal is "rejected" only when the home region refuses
    // the key too (here us-east-1 does).
    let run = env.run(&["sync", "-p", "team", "-r", "af-south-1", "-o", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(run.json()["targets"][0]["status"], "failed", "{}", run.stdout);
}

// An opt-in region the account has not enabled is still a skip, not a failure.
#[test]
fn an_opt_in_region_not_enabled_is_skipped_when_the_key_works_elsewhere() {
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({
        "__rejects__": {"af-south-1": "UnrecognizedClientException"},
        "eu-west-1": [{"name": "alpha", "endpoint": "https://127.0.0.1:6443", "ca": "Q0E="}],
    }));
    let run = env.run(&["sync", "-p", "team", "-r", "af-south-1", "-o", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.json()["targets"][0]["status"], "not-enabled", "{}", run.stdout);
    let run = env.run(&["sync", "-p", "team", "-r", "af-south-1", "-r", "eu-west-1"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("not enabled"), "{}", run.stderr);
    assert!(fs::read_to_string(&env.kubeconfig).unwrap().contains("alpha"));
}
