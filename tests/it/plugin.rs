//! The kubectl plugin form: the binary installed as `kubectl-eks_kc` (what krew installs) is
//! found by the real kubectl's plugin lookup on PATH, and `kubectl eks-kc ...` behaves exactly
//! like `eks-kc ...`, with `kubectl eks-kc` as the name in help and usage.

use std::fs;
use std::os::unix::fs::symlink;

use crate::harness::*;

/// One managed context (`demo.eu-west-1.team`) in the test's kubeconfig, nothing else.
fn one_managed_context(env: &TestEnv) {
    let marker = "{managedBy: eks-kc, clusterName: demo, region: eu-west-1, profile: team}";
    fs::write(
        &env.kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: demo.eu-west-1.team\nclusters:\n\
             - name: demo.eu-west-1.team\n  cluster:\n    server: https://demo.example\n    \
             extensions:\n    - name: eks-kc\n      extension: {marker}\ncontexts:\n\
             - name: demo.eu-west-1.team\n  context:\n    cluster: demo.eu-west-1.team\n    \
             user: eks-kc\n    extensions:\n    - name: eks-kc\n      extension: {marker}\n\
             users:\n- name: eks-kc\n  user:\n    exec:\n      apiVersion: \
             client.authentication.k8s.io/v1beta1\n      command: eks-kc\n      args: [token]\n"
        ),
    )
    .unwrap();
}

/// A PATH whose first directory holds only `kubectl-eks_kc`, a link to the binary under test
/// (no `eks-kc` there, so nothing but the plugin lookup can find it).
fn plugin_path(env: &TestEnv) -> String {
    let dir = env.path("krew-bin");
    fs::create_dir_all(&dir).unwrap();
    symlink(bin(), dir.join("kubectl-eks_kc")).unwrap();
    let rest = std::env::var("PATH").unwrap_or_default();
    format!("{}:{rest}", dir.display())
}

#[test]
fn kubectl_eks_kc_list_runs_the_plugin_through_kubectls_lookup() {
    let env = TestEnv::new();
    one_managed_context(&env);
    let path = plugin_path(&env);
    for kubectl in [real_kubectl(), "kubectl".to_owned()] {
        let out = env
            .command(&kubectl)
            .env("PATH", &path)
            .args(["eks-kc", "list", "-o", "json"])
            .output()
            .unwrap();
        let run = Run::from(out);
        assert_eq!(run.code, Some(0), "{kubectl} eks-kc list: {}", run.stderr);
        let direct = env.run(&["list", "-o", "json"]).ok().json();
        assert_eq!(
            run.json(),
            direct,
            "{kubectl}: the plugin lists what eks-kc lists"
        );
        assert!(
            run.stdout.contains("demo.eu-west-1.team"),
            "{kubectl}: {}",
            run.stdout
        );
    }
}

/// `kubectl eks-kc ARGS` with `path` as PATH (where `kubectl-eks_kc` is found).
fn kubectl_eks_kc(env: &TestEnv, path: &str, args: &[&str]) -> Run {
    Run::from(
        env.command(real_kubectl())
            .env("PATH", path)
            .arg("eks-kc")
            .args(args)
            .output()
            .unwrap(),
    )
}

#[test]
fn help_and_usage_name_kubectl_eks_kc_and_version_is_the_same() {
    let env = TestEnv::new();
    let path = plugin_path(&env);
    let kubectl = |args: &[&str]| kubectl_eks_kc(&env, &path, args);
    let help = kubectl(&["sync", "--help"]);
    assert_eq!(help.code, Some(0), "{}", help.stderr);
    assert!(
        help.stdout.contains("Usage: kubectl eks-kc sync"),
        "{}",
        help.stdout
    );
    let bad = kubectl(&["list", "--no-such-flag"]);
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert!(
        bad.stderr.contains("Usage: kubectl eks-kc list"),
        "{}",
        bad.stderr
    );
    let version = kubectl(&["--version"]);
    assert_eq!(version.code, Some(0), "{}", version.stderr);
    assert_eq!(version.stdout, env.run(&["--version"]).ok().stdout);
    assert!(
        version
            .stdout
            .starts_with(concat!("eks-kc ", env!("CARGO_PKG_VERSION"), " (commit ")),
        "{}",
        version.stdout
    );
}

// Issue 33: in the plugin form, advice named `eks-kc sync`, `eks-kc use`..., commands a krew
// user may not have; it names `kubectl eks-kc ...` there, and `eks-kc ...` when run as eks-kc.
#[test]
fn advice_names_kubectl_eks_kc_in_the_plugin_form() {
    let env = TestEnv::new();
    let path = plugin_path(&env);
    let kubectl = |args: &[&str]| kubectl_eks_kc(&env, &path, args);
    // No kubeconfig yet: list's note and use's error name sync; doctor's names use.
    let list = kubectl(&["list"]);
    assert_eq!(list.code, Some(0), "{}", list.stderr);
    assert!(
        list.stderr.contains("run `kubectl eks-kc sync`"),
        "{}",
        list.stderr
    );
    let direct = env.run(&["list"]);
    assert!(
        direct.stderr.contains("run `eks-kc sync`") && !direct.stderr.contains("kubectl eks-kc"),
        "{}",
        direct.stderr
    );
    one_managed_context(&env);
    let back = kubectl(&["use", "-"]);
    assert_eq!(back.code, Some(1), "{}", back.stderr);
    assert!(
        back.stderr
            .contains("(`kubectl eks-kc use -` works after one `kubectl eks-kc use`)"),
        "{}",
        back.stderr
    );
    assert!(!back.stderr.contains(" `eks-kc "), "{}", back.stderr);
    let cache = kubectl(&["cache", "clear", "--context", "nope"]);
    assert_eq!(cache.code, Some(1), "{}", cache.stderr);
    assert!(
        cache.stderr.contains("`kubectl eks-kc list`"),
        "{}",
        cache.stderr
    );
}
