//! End to end: real kubectl, the generic exec user, `eks-kc token`, and a test API server that
//! checks the token independently (botocore recomputes the signature for its own cluster name).

use std::fs;
use std::path::Path;

use crate::fakes::*;
use crate::harness::*;

const REGION: &str = "eu-west-1";

/// kubectl versions on this machine: the one the other tests use (`real_kubectl`: on a fresh
/// machine the only one, the pinned kubectl scripts/test installs), the default one and the
/// oldest and newest of the Google Cloud SDK's set, where present.
fn kubectls() -> Vec<String> {
    let mut found = vec![real_kubectl()];
    let candidates = [
        "/usr/bin/kubectl",
        "/usr/lib/google-cloud-sdk/bin/kubectl.1.27",
        "/usr/lib/google-cloud-sdk/bin/kubectl.1.33",
    ];
    for candidate in candidates {
        if Path::new(candidate).exists() {
            found.push(candidate.to_owned());
        } else {
            eprintln!("SKIPPED for {candidate}: not installed on this machine");
        }
    }
    found.dedup();
    found
}

fn profile_env() -> (TestEnv, std::path::PathBuf) {
    let env = TestEnv::new();
    let (script, counter) = env.counting_credential_process();
    env.write_aws_config(&format!(
        "[profile team]\ncredential_process = {}\n",
        script.display()
    ));
    (env, counter)
}

#[test]
fn kubectl_get_ns_authenticates_through_eks_kc() {
    let (env, counter) = profile_env();
    let server = ApiServer::start(&env, "prod", REGION);
    fs::write(
        &env.kubeconfig,
        generic_kubeconfig(&server, "prod", REGION, "team"),
    )
    .unwrap();
    for kubectl in kubectls() {
        let run = Run::from(env.command(&kubectl).args(["get", "ns"]).output().unwrap());
        assert_eq!(run.code, Some(0), "{kubectl}: {}", run.stderr);
        assert!(
            run.stdout.contains("eks-kc-test"),
            "{kubectl}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("kube-system"),
            "{kubectl}: {}",
            run.stdout
        );
    }
    let decisions = server.decisions();
    assert!(!decisions.is_empty());
    for d in &decisions {
        assert_eq!(d["ok"], true, "{d}");
    }
    // Every kubectl run after the first was served from eks-kc's cache.
    assert_eq!(count_lines(&counter), 1);
}

#[test]
fn a_token_for_another_cluster_is_refused() {
    let (env, _) = profile_env();
    // The server is cluster "prod"; the kubeconfig claims "staging" for the same endpoint.
    let server = ApiServer::start(&env, "prod", REGION);
    let kubeconfig = generic_kubeconfig(&server, "prod", REGION, "team")
        .replace("clusterName: prod", "clusterName: staging");
    fs::write(&env.kubeconfig, kubeconfig).unwrap();
    let run = Run::from(env.command("kubectl").args(["get", "ns"]).output().unwrap());
    assert_ne!(run.code, Some(0));
    assert!(
        run.stderr.contains("Unauthorized") || run.stderr.contains("credentials"),
        "{}",
        run.stderr
    );
    assert!(
        server
            .decisions()
            .iter()
            .all(|d| d["ok"] == false && d["reason"].as_str().unwrap().contains("signature")),
        "{:?}",
        server.decisions()
    );
}
