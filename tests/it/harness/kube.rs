//! Kubeconfig and token helpers: the kubeconfig a test starts from, what kubectl itself reads
//! from one, kubectl writing beside eks-kc, and the independent verifier (botocore) judging
//! the tokens eks-kc prints.

use std::path::Path;
use std::process::Command;

use base64::Engine;
use serde_json::Value;

use super::{Run, TestEnv, support};
use crate::fakes::ApiServer;

/// KUBERNETES_EXEC_INFO as kubectl sets it (v1beta1, not interactive) for a cluster whose exec
/// extension names `cluster`, `region` and `profile`.
pub fn exec_info(cluster: &str, region: &str, profile: &str) -> String {
    serde_json::json!({
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "spec": {"interactive": false, "cluster": {"config": {
            "clusterName": cluster, "region": region, "profile": profile,
        }}},
    })
    .to_string()
}

/// Runs `kubectl config set-context hand-<i>` `count` times against the env's kubeconfig and
/// returns the names kubectl reported as written. client-go does not wait for a held lock: a
/// run that meets one fails without writing (and says so), which is not a lost update.
pub fn kubectl_set_contexts(env: &TestEnv, count: usize) -> Vec<String> {
    let mut written = vec![];
    for i in 0..count {
        let name = format!("hand-{i}");
        let run = Run::from(
            env.command("kubectl")
                .args([
                    "config",
                    "set-context",
                    &name,
                    "--cluster=onprem",
                    "--user=me",
                ])
                .output()
                .unwrap(),
        );
        if run.code == Some(0) {
            written.push(name);
        } else {
            assert!(run.stderr.contains(".lock"), "{}", run.stderr);
        }
    }
    assert!(!written.is_empty(), "kubectl never got the lock");
    written
}

/// No `<kubeconfig>.lock` is left behind.
pub fn assert_no_kubeconfig_lock(env: &TestEnv) {
    let mut lock = env.kubeconfig.clone().into_os_string();
    lock.push(".lock");
    assert!(!Path::new(&lock).exists(), "lock left behind");
}

/// The presigned URL inside a token.
pub fn token_url(token: &str) -> String {
    let body = token.strip_prefix("k8s-aws-v1.").expect("token prefix");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .expect("base64url");
    String::from_utf8(bytes).unwrap()
}

/// The access key id a token was signed with (from X-Amz-Credential).
pub fn signer(token: &str) -> String {
    let url = token_url(token);
    let credential = url
        .split("X-Amz-Credential=")
        .nth(1)
        .expect("X-Amz-Credential");
    credential.split("%2F").next().unwrap().to_owned()
}

/// Asks the independent verifier (botocore) whether each token is one the cluster `cluster` in
/// `region` would accept with the keys in `keys`. Panics with its verdicts otherwise.
pub fn assert_tokens_accepted(cluster: &str, region: &str, keys: &Path, tokens: &[String]) {
    let out = Command::new("python3")
        .arg(support("fake_apiserver.py"))
        .args(["verify", "--cluster", cluster, "--region", region, "--keys"])
        .arg(keys)
        .args(tokens)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "tokens rejected: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether the verifier rejects `token` for `cluster`.
pub fn token_rejected(cluster: &str, region: &str, keys: &Path, token: &str) -> bool {
    !Command::new("python3")
        .arg(support("fake_apiserver.py"))
        .args(["verify", "--cluster", cluster, "--region", region, "--keys"])
        .arg(keys)
        .arg(token)
        .output()
        .unwrap()
        .status
        .success()
}

/// A kubeconfig with one EKS cluster served by `server`, using the generic eks-kc exec user.
pub fn generic_kubeconfig(
    server: &ApiServer,
    cluster: &str,
    region: &str,
    profile: &str,
) -> String {
    format!(
        r#"apiVersion: v1
kind: Config
clusters:
- name: {cluster}
  cluster:
    server: {url}
    certificate-authority-data: {ca}
    extensions:
    - name: client.authentication.k8s.io/exec
      extension:
        clusterName: {cluster}
        region: {region}
        profile: {profile}
contexts:
- name: {cluster}
  context:
    cluster: {cluster}
    user: eks-kc
current-context: {cluster}
users:
- name: eks-kc
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: eks-kc
      args: [token]
      provideClusterInfo: true
      interactiveMode: IfAvailable
"#,
        url = server.url(),
        ca = server.ca_data(),
    )
}

/// A real kubectl binary, not gcloud's dispatcher at /usr/bin/kubectl (which runs the exec
/// plugin even for `kubectl config view`): the pinned one scripts/test installs
/// (`EKS_KC_TEST_KUBECTL`), else a versioned one of the Google Cloud SDK when present, else
/// `kubectl` from PATH.
pub fn real_kubectl() -> String {
    if let Some(pinned) = std::env::var_os("EKS_KC_TEST_KUBECTL").filter(|p| !p.is_empty()) {
        return pinned.to_string_lossy().into_owned();
    }
    let versioned = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";
    if Path::new(versioned).exists() {
        versioned.to_owned()
    } else {
        "kubectl".to_owned()
    }
}

/// What kubectl reads from `kubeconfig` (a KUBECONFIG value): `kubectl config view --raw -o
/// json`. Panics with kubectl's error when it cannot load the files.
pub fn kubectl_view(env: &TestEnv, kubeconfig: impl AsRef<std::ffi::OsStr>) -> Value {
    let out = env
        .command(real_kubectl())
        .env("KUBECONFIG", kubeconfig)
        .args(["config", "view", "--raw", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl cannot load the kubeconfig: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `view` without the clusters, contexts and users that carry eks-kc's marker extension.
pub fn without_managed(mut view: Value) -> Value {
    for (list, body) in [
        ("clusters", "cluster"),
        ("contexts", "context"),
        ("users", "user"),
    ] {
        if let Some(entries) = view.get_mut(list).and_then(Value::as_array_mut) {
            entries.retain(|e| {
                !e[body]["extensions"]
                    .as_array()
                    .is_some_and(|x| x.iter().any(|x| x["name"] == "eks-kc"))
            });
        }
    }
    view
}
