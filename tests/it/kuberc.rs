//! kubectl's credential plugin policy (kuberc, kubectl >= 1.35) against the real kubectl 1.35:
//! for each policy, what kubectl does with the context `eks-kc sync` wrote, and what `eks-kc
//! doctor` says of it, which must agree; the entry doctor prints admits eks-kc when added.

use std::fs;
use std::path::PathBuf;

use crate::fakes::*;
use crate::harness::*;
use serde_json::{Value, json};

const REGION: &str = "eu-west-1";
const CONTEXT: &str = "prod.eu-west-1.team";
const ROLE: &str = "arn:aws:iam::111122223333:role/Admin";

/// kubectl 1.35 (the first with the policy): EKS_KC_TEST_KUBECTL_135, else the one
/// scripts/install-pinned-tools.py puts in .clients/.
fn kubectl_135() -> PathBuf {
    std::env::var_os("EKS_KC_TEST_KUBECTL_135")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".clients/kubectl-1.35.2/kubectl")
        })
}

struct Setup {
    env: TestEnv,
    _sts: FakeSts,
    _eks: FakeEks,
    _api: ApiServer,
}

/// Profile `team` (role Admin through fake STS), cluster `prod` served by the token-checking
/// API server, the kubeconfig written by `eks-kc sync -p team` (an absolute exec command).
fn setup() -> Setup {
    let mut env = TestEnv::new();
    env.write_aws_credentials(&format!(
        "[base]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"
    ));
    env.write_aws_config(&format!(
        "[profile team]\nrole_arn = {ROLE}\nsource_profile = base\nregion = {REGION}\n"
    ));
    let sts = FakeSts::start(&env);
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    let users = json!({ ROLE: {"username": "admin", "groups": ["system:authenticated"]} });
    let api = ApiServer::builder(&env, "prod", REGION)
        .users(&users)
        .start();
    let cluster = json!({"name": "prod", "endpoint": api.url(), "ca": api.ca_data()});
    let eks = FakeEks::start(&env, &json!({ REGION: [cluster] }));
    env.set("AWS_ENDPOINT_URL_EKS", eks.url());
    env.set("EKS_KC_TIMEOUT", "5s");
    let run = env.run(&["sync", "-p", "team"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    Setup {
        env,
        _sts: sts,
        _eks: eks,
        _api: api,
    }
}

impl Setup {
    fn kuberc(&self, body: &str) {
        fs::write(
            self.env.home.join(".kube/kuberc"),
            format!("apiVersion: kubectl.config.k8s.io/v1beta1\nkind: Preference\n{body}"),
        )
        .unwrap();
    }

    /// `kubectl get ns` with kubectl 1.35: its exit code and stderr.
    fn kubectl(&self) -> Run {
        Run::from(
            self.env
                .command(kubectl_135())
                .args(["get", "ns", "--request-timeout=10s"])
                .output()
                .unwrap(),
        )
    }

    fn doctor(&self) -> Value {
        self.env.run(&["doctor", CONTEXT, "-o", "json"]).json()
    }

    /// The exec command sync wrote for the context's user.
    fn exec_command(&self) -> String {
        kubectl_view(&self.env, &self.env.kubeconfig)["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == "eks-kc")
            .and_then(|u| u["user"]["exec"]["command"].as_str())
            .unwrap()
            .to_owned()
    }
}

fn policy_link(report: &Value) -> Option<&Value> {
    report["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "plugin-policy")
}

// Issue 35: kubectl 1.35 refuses eks-kc under a kuberc policy that does not admit it, and
// doctor said nothing of it (it blamed nothing or the credentials).
#[test]
fn doctor_agrees_with_kubectl_1_35_on_every_policy() {
    assert!(
        kubectl_135().exists(),
        "no kubectl 1.35 at {} (scripts/install-pinned-tools.py installs it)",
        kubectl_135().display()
    );
    let s = setup();
    let command = s.exec_command();
    assert!(
        command.starts_with('/'),
        "sync writes an absolute path: {command}"
    );

    // No kuberc: no link, kubectl runs eks-kc.
    let run = s.kubectl();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(policy_link(&s.doctor()).is_none());

    for (body, kubectl_says, admitted) in [
        ("credentialPluginPolicy: AllowAll\n", "", true),
        (
            "credentialPluginPolicy: DenyAll\n",
            "not allowed: policy set to \"DenyAll\"",
            false,
        ),
        (
            "credentialPluginPolicy: Allowlist\ncredentialPluginAllowlist:\n- name: aws\n",
            "is not permitted by the credential plugin allowlist",
            false,
        ),
        (
            "credentialPluginPolicy: Allowlist\ncredentialPluginAllowlist:\n- name: eks-kc\n",
            "",
            true,
        ),
        (
            "credentialPluginPolicy: Allowlist\ncredentialPluginAllowlist:\n- command: eks-kc\n",
            "empty allowlist entry",
            false,
        ),
    ] {
        s.kuberc(body);
        let run = s.kubectl();
        assert_eq!(
            run.code == Some(0),
            admitted,
            "{body}: kubectl said {}",
            run.stderr
        );
        assert!(run.stderr.contains(kubectl_says), "{body}: {}", run.stderr);
        let report = s.doctor();
        let link = policy_link(&report).expect("a kuberc: the plugin-policy link");
        assert_eq!(link, &report["links"][0], "the first link");
        let status = if admitted { "ok" } else { "failed" };
        assert_eq!(link["status"], status, "{body}: {link:#}");
        if !admitted {
            assert_eq!(
                report["verdict"]["failedLink"], "plugin-policy",
                "{report:#}"
            );
            let snippet = report["verdict"]["snippet"].as_str().unwrap();
            assert!(snippet.contains(&format!("- name: {command}")), "{snippet}");
            assert!(report["verdict"]["commands"].as_array().unwrap().is_empty());
        }
        if body.contains("command:") {
            let summary = link["summary"].as_str().unwrap();
            assert!(summary.contains("kubectl 1.36's spelling"), "{summary}");
        }
    }

    // The entry doctor prints, added to the refusing allowlist, admits eks-kc in kubectl.
    s.kuberc(&format!(
        "credentialPluginPolicy: Allowlist\ncredentialPluginAllowlist:\n- name: aws\n- name: {command}\n"
    ));
    let run = s.kubectl();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(policy_link(&s.doctor()).unwrap()["status"], "ok");

    // KUBERC=off: kubectl reads none, and neither does doctor.
    s.kuberc("credentialPluginPolicy: DenyAll\n");
    let mut doctor = s.env.eks_kc(&["doctor", CONTEXT, "-o", "json"]);
    let off = Run::from(doctor.env("KUBERC", "off").output().unwrap());
    assert!(policy_link(&off.json()).is_none());

    // sync says it once when the contexts it writes would be refused.
    let run = s.env.run(&["sync", "-p", "team"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let said: Vec<&str> = run
        .stderr_lines()
        .into_iter()
        .filter(|l| l.contains("kubectl would refuse to run"))
        .collect();
    assert_eq!(said.len(), 1, "{}", run.stderr);
    assert!(said[0].contains("eks-kc doctor"), "{}", said[0]);
}

// Issue 35: adopt turned AWS CLI contexts that kubectl's allowlist admitted into eks-kc ones
// it refuses, silently.
#[test]
fn adopt_warns_when_the_allowlist_admits_the_aws_cli_but_not_eks_kc() {
    let (env, api) = crate::adopt::static_ops();
    fs::write(
        &env.kubeconfig,
        crate::adopt::aws_cli_kubeconfig(&api, "prod", "cli", ""),
    )
    .unwrap();
    fs::write(
        env.home.join(".kube/kuberc"),
        "apiVersion: kubectl.config.k8s.io/v1beta1\nkind: Preference\n\
         credentialPluginPolicy: Allowlist\ncredentialPluginAllowlist:\n- name: aws\n",
    )
    .unwrap();
    let kubectl = || {
        Run::from(
            env.command(kubectl_135())
                .args(["get", "ns", "--request-timeout=20s"])
                .output()
                .unwrap(),
        )
    };
    let run = kubectl();
    assert_eq!(run.code, Some(0), "the AWS CLI is admitted: {}", run.stderr);

    let dry = env.run(&["adopt", "prod", "--dry-run"]);
    assert_eq!(dry.code, Some(0), "{}", dry.stderr);
    assert!(
        dry.stderr.contains("kubectl would refuse to run")
            && dry.stderr.contains("it admits `aws`")
            && dry.stderr.contains("would make them stop working"),
        "{}",
        dry.stderr
    );
    let run = env.run(&["adopt", "prod"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("it admits `aws`"), "{}", run.stderr);
    // As said: kubectl 1.35 now refuses the context, and doctor names the policy.
    let run = kubectl();
    assert_ne!(run.code, Some(0));
    assert!(
        run.stderr
            .contains("not permitted by the credential plugin allowlist"),
        "{}",
        run.stderr
    );
    let report = env.run(&["doctor", "prod", "-o", "json"]).json();
    assert_eq!(
        report["verdict"]["failedLink"], "plugin-policy",
        "{report:#}"
    );
}
