//! `eks-kc adopt` and `doctor` on contexts eks-kc did not write: kubeconfigs written by the
//! real AWS CLI (`aws eks update-kubeconfig` against fake EKS), hand-written
//! aws-iam-authenticator stanzas; kubectl round trips through the token-checking API server
//! before adopt (the AWS CLI signs), after (eks-kc signs, the AWS CLI is never run) and after
//! the undo, read back with the real kubectl.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::fakes::*;
use crate::harness::*;
use serde_json::{Value, json};

const REGION: &str = "eu-west-1";
const ROLE: &str = "arn:aws:iam::111122223333:role/Admin";
const ARN: &str = "arn:aws:eks:eu-west-1:111122223333:cluster/prod";
const ADMIN: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

struct Setup {
    env: TestEnv,
    _sts: Option<FakeSts>,
    _eks: FakeEks,
    api: ApiServer,
}

/// Profile `team` assumes role Admin with the fixture keys of `base`; cluster `prod` is served
/// by the API server and described by fake EKS with `spec`'s extra fields.
fn setup(spec: Value) -> Setup {
    setup_mapping(spec, mapped())
}

/// The role's session, as the API server maps it (see `ApiServerBuilder::users`).
fn mapped() -> Value {
    json!({ ROLE: {"username": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
                   "groups": ["system:authenticated"]} })
}

/// [`setup`], the API server mapping `users`.
fn setup_mapping(spec: Value, users: Value) -> Setup {
    let mut env = TestEnv::new();
    env.write_aws_credentials(&format!(
        "[base]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"
    ));
    env.write_aws_config(&format!(
        "[profile team]\nrole_arn = {ROLE}\nsource_profile = base\nrole_session_name = alice\n\
         region = {REGION}\n"
    ));
    let sts = FakeSts::start(&env);
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    let api = ApiServer::builder(&env, "prod", REGION)
        .users(&users)
        .start();
    let mut cluster = json!({"name": "prod", "endpoint": api.url(), "ca": api.ca_data()});
    if let (Some(c), Some(extra)) = (cluster.as_object_mut(), spec.as_object()) {
        c.extend(extra.clone());
    }
    let eks = FakeEks::start(&env, &json!({ REGION: [cluster] }));
    env.set("AWS_ENDPOINT_URL_EKS", eks.url());
    env.set("EKS_KC_TIMEOUT", "5s");
    // awscli v1 signs for the global STS host unless told otherwise; clusters want the regional.
    env.set("AWS_STS_REGIONAL_ENDPOINTS", "regional");
    Setup {
        env,
        _sts: Some(sts),
        _eks: eks,
        api,
    }
}

impl Setup {
    /// The real AWS CLI writes the kubeconfig.
    fn update_kubeconfig(&self, extra: &[&str]) {
        let out = self
            .env
            .command("aws")
            .args([
                "eks",
                "update-kubeconfig",
                "--name",
                "prod",
                "--region",
                REGION,
            ])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "aws eks update-kubeconfig: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn kubectl_get_ns(&self, context: &str, path: &str) -> Run {
        Run::from(
            self.env
                .command(real_kubectl())
                .env("PATH", path)
                .args(["--context", context, "get", "ns"])
                .output()
                .unwrap(),
        )
    }

    /// A PATH whose `aws` fails loudly: proof the AWS CLI is not run.
    fn path_without_aws(&self) -> String {
        let dir = self.env.path("no-aws");
        fs::create_dir_all(&dir).unwrap();
        let aws = dir.join("aws");
        fs::write(&aws, "#!/bin/sh\necho 'the AWS CLI was run' >&2\nexit 99\n").unwrap();
        fs::set_permissions(&aws, fs::Permissions::from_mode(0o755)).unwrap();
        format!("{}:{}", dir.display(), child_path())
    }
}

#[test]
fn aws_cli_contexts_round_trip_through_adopt_and_undo() {
    let s = setup(
        json!({"accessEntries": [{"principalArn": ROLE, "policies": [
        {"policyArn": ADMIN, "accessScope": {"type": "cluster"}}]}]}),
    );
    s.update_kubeconfig(&["--profile", "team"]);
    s.update_kubeconfig(&["--profile", "team", "--alias", "prod"]);
    let before = kubectl_view(&s.env, &s.env.kubeconfig);
    // (kubectl through the AWS CLI's own tokens: `kubectl_is_served_by_the_aws_cli_then_eks_kc_then_the_aws_cli_again`.)
    // doctor judges the AWS CLI's context with its own identity, and says which command.
    let run = s.env.run(&["doctor", ARN, "-o", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let r = run.json();
    assert!(
        r["command"].as_str().unwrap().contains("eks get-token"),
        "{r:#}"
    );
    assert_eq!(r["profile"], "team", "{r:#}");
    let dry = s.env.run(&["adopt", "--all", "--dry-run"]);
    dry.ok();
    assert_eq!(kubectl_view(&s.env, &s.env.kubeconfig), before);

    s.env.run(&["adopt", "--all"]).ok();
    let no_aws = s.path_without_aws();
    for ctx in [ARN, "prod"] {
        let run = s.kubectl_get_ns(ctx, &no_aws);
        assert_eq!(run.code, Some(0), "after adopt, {ctx}: {}", run.stderr);
        assert!(!run.stderr.contains("AWS CLI was run"), "{}", run.stderr);
    }
    let list = s.env.run(&["list", "-o", "json"]).json();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|r| r["adopted"] == true)
            && list[0]["profile"] == "team",
        "{list:#}"
    );
    // A sync of the same cluster updates the adopted contexts, adds no duplicate.
    s.env.run(&["sync", "-p", "team"]).ok();
    let after_sync = kubectl_view(&s.env, &s.env.kubeconfig);
    assert_eq!(
        after_sync["contexts"].as_array().unwrap().len(),
        2,
        "{after_sync:#}"
    );

    s.env.run(&["adopt", "--undo", "--all"]).ok();
    assert_eq!(kubectl_view(&s.env, &s.env.kubeconfig), before);
    assert!(!s.api.decisions().is_empty());
}

#[test]
fn forget_restores_an_adopted_context_instead_of_deleting_it() {
    let s = setup(json!({}));
    s.update_kubeconfig(&["--profile", "team", "--role-arn", ROLE]);
    let before = kubectl_view(&s.env, &s.env.kubeconfig);
    s.env
        .run(&["adopt", ARN, "--exec-style", "per-context"])
        .ok();
    assert_ne!(kubectl_view(&s.env, &s.env.kubeconfig), before);
    s.env.run(&["forget"]).ok();
    assert_eq!(kubectl_view(&s.env, &s.env.kubeconfig), before);
}

#[test]
fn doctor_reads_aws_iam_authenticator_and_unmarked_eks_kc_stanzas() {
    let s = setup(json!({"authenticationMode": "API"}));
    let server = s.api.url();
    let ca = s.api.ca_data();
    fs::write(
        &s.env.kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n    certificate-authority-data: {ca}\n\
             contexts:\n- name: auth\n  context: {{cluster: c, user: auth}}\n- name: mine\n  context: {{cluster: c, user: mine}}\n\
             - name: gke\n  context: {{cluster: c, user: gke}}\n\
             users:\n- name: auth\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws-iam-authenticator\n      args: [token, -i, prod, --region, {REGION}]\n      env: [{{name: AWS_PROFILE, value: team}}]\n\
             - name: mine\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: eks-kc\n      args: [token, --cluster-name, prod, --region, {REGION}, --profile, team]\n\
             - name: gke\n  user:\n    exec: {{apiVersion: client.authentication.k8s.io/v1beta1, command: gke-gcloud-auth-plugin}}\n"
        ),
    )
    .unwrap();
    for ctx in ["auth", "mine"] {
        let run = s.env.run(&["doctor", ctx, "-o", "json"]);
        // No access entry: the verdict names the profile's role.
        assert_eq!(run.code, Some(1), "{ctx}: {}", run.stderr);
        let r = run.json();
        assert_eq!(r["verdict"]["failedLink"], "access", "{ctx}: {r:#}");
        let fix = r["verdict"]["commands"][0].as_str().unwrap();
        assert!(fix.contains(ROLE), "{fix}");
    }
    let run = s.env.run(&["doctor", "gke"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("`gke-gcloud-auth-plugin`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("not managed"), "{}", run.stderr);
}

#[test]
fn a_malformed_exec_info_is_named_as_such() {
    // Regression: garbage KUBERNETES_EXEC_INFO yielded "no default AWS credentials ...".
    let mut env = TestEnv::new();
    env.set("KUBERNETES_EXEC_INFO", "garbage");
    let run = env.run(&["token"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("KUBERNETES_EXEC_INFO is malformed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("cluster is unknown"), "{}", run.stderr);
    assert!(!run.stderr.contains("AWS credentials"), "{}", run.stderr);
}

/// A PATH whose `aws` is the real AWS CLI, counting its runs in the returned file.
fn path_with_counting_aws(env: &TestEnv) -> (String, std::path::PathBuf) {
    let real = std::env::split_paths(&child_path())
        .map(|d| d.join("aws"))
        .find(|p| p.is_file())
        .expect("the AWS CLI on PATH");
    let dir = env.path("counting-aws");
    fs::create_dir_all(&dir).unwrap();
    let counter = env.path("aws-runs");
    let aws = dir.join("aws");
    fs::write(
        &aws,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            counter.display(),
            real.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&aws, fs::Permissions::from_mode(0o755)).unwrap();
    (format!("{}:{}", dir.display(), child_path()), counter)
}

fn runs(counter: &std::path::Path) -> usize {
    fs::read_to_string(counter).map_or(0, |t| t.lines().count())
}

#[test]
fn kubectl_is_served_by_the_aws_cli_then_eks_kc_then_the_aws_cli_again() {
    // Static keys the API server knows, and no STS endpoint override anywhere: the AWS CLI
    // presigns for the canonical https STS host, as it does for a real cluster.
    let mut env = TestEnv::new();
    env.write_static_profile("ops");
    env.write_aws_config(&format!("[profile ops]\nregion = {REGION}\n"));
    env.set("AWS_STS_REGIONAL_ENDPOINTS", "regional");
    let api = ApiServer::start(&env, "prod", REGION);
    let cluster = json!({"name": "prod", "endpoint": api.url(), "ca": api.ca_data()});
    let eks = FakeEks::start(&env, &json!({ REGION: [cluster] }));
    env.set("AWS_ENDPOINT_URL_EKS", eks.url());
    let s = Setup {
        env,
        _sts: None,
        _eks: eks,
        api,
    };
    s.update_kubeconfig(&["--profile", "ops"]);
    s.update_kubeconfig(&["--profile", "ops", "--alias", "prod"]);
    let before = kubectl_view(&s.env, &s.env.kubeconfig);
    let (with_aws, counter) = path_with_counting_aws(&s.env);
    let get_ns_all = |path: &str, when: &str| {
        for ctx in [ARN, "prod"] {
            let run = s.kubectl_get_ns(ctx, path);
            assert_eq!(run.code, Some(0), "{when}, {ctx}: {}", run.stderr);
            assert!(run.stdout.contains("default"), "{when}: {}", run.stdout);
        }
        let d = s.api.decisions();
        assert!(!d.is_empty() && d.iter().all(|d| d["ok"] == true), "{d:#?}");
    };

    get_ns_all(&with_aws, "before adopt");
    let by_cli = runs(&counter);
    assert!(by_cli >= 2, "the AWS CLI signed before adopt");

    s.env.run(&["adopt", "--all"]).ok();
    get_ns_all(&s.path_without_aws(), "after adopt");
    get_ns_all(&with_aws, "after adopt");
    assert_eq!(runs(&counter), by_cli, "the AWS CLI ran after adopt");

    s.env.run(&["adopt", "--undo", "--all"]).ok();
    assert_eq!(kubectl_view(&s.env, &s.env.kubeconfig), before);
    get_ns_all(&with_aws, "after undo");
    assert!(
        runs(&counter) >= by_cli + 2,
        "the AWS CLI signs again after undo"
    );
}

/// `doctor -o json` on the context `aws eks update-kubeconfig [extra]` wrote (named by the
/// ARN), and its text report.
fn doctor_aws_cli_context(s: &Setup, extra: &[&str]) -> (Option<i32>, Value, String) {
    s.update_kubeconfig(extra);
    let json = s.env.run(&["doctor", ARN, "-o", "json"]);
    let text = s.env.run(&["doctor", ARN]);
    assert_eq!(json.code, text.code, "{}", text.stderr);
    let r = json.json();
    assert!(
        r["command"].as_str().unwrap().contains(" aws --region "),
        "doctor evaluated the AWS CLI's command: {r:#}"
    );
    (json.code, r, text.stdout)
}

fn statuses(r: &Value) -> Vec<&str> {
    r["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect()
}

// Regression (issue 21): doctor refused every context the AWS CLI wrote ("not managed").
#[test]
fn doctor_on_an_aws_cli_context_healthy() {
    let s = setup(
        json!({"accessEntries": [{"principalArn": ROLE, "policies": [
        {"policyArn": ADMIN, "accessScope": {"type": "cluster"}}]}]}),
    );
    let (code, r, text) = doctor_aws_cli_context(&s, &["--profile", "team"]);
    assert_eq!(code, Some(0), "{r:#}");
    assert_eq!(statuses(&r), ["ok"; 5], "{r:#}");
    assert_eq!(r["links"][1]["summary"], ROLE, "{r:#}");
    assert!(
        text.contains("command AWS_PROFILE=team aws --region eu-west-1 eks get-token"),
        "{text}"
    );
    assert!(text.contains("verdict: ok"), "{text}");
}

#[test]
fn doctor_on_an_aws_cli_context_with_a_role_and_no_access_entry() {
    // The context's own --role-arn, on the static keys of `base`: the fix names that role.
    let s = setup_mapping(json!({"authenticationMode": "API"}), json!({}));
    let (code, r, _) = doctor_aws_cli_context(&s, &["--profile", "base", "--role-arn", ROLE]);
    assert_eq!(code, Some(1), "{r:#}");
    assert_eq!(
        statuses(&r),
        ["ok", "ok", "ok", "failed", "failed"],
        "{r:#}"
    );
    assert_eq!(r["verdict"]["failedLink"], "access");
    assert_eq!(
        r["verdict"]["commands"][0],
        format!(
            "aws eks create-access-entry --cluster-name prod --region {REGION} \
             --principal-arn {ROLE}"
        ),
        "{r:#}"
    );
    assert!(
        r["command"]
            .as_str()
            .unwrap()
            .contains(&format!("--role {ROLE}")),
        "{r:#}"
    );
}

#[test]
fn doctor_on_an_aws_cli_context_with_a_namespace_scope() {
    let s = setup(
        json!({"accessEntries": [{"principalArn": ROLE, "policies": [{
        "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
        "accessScope": {"type": "namespace", "namespaces": ["team-a"]}}]}]}),
    );
    let (code, r, _) = doctor_aws_cli_context(&s, &["--profile", "team"]);
    assert_eq!(code, Some(0), "{r:#}");
    let note = r["verdict"]["notes"][0].as_str().unwrap();
    assert!(note.contains("limited to the namespaces team-a"), "{note}");
}

#[test]
fn doctor_on_an_aws_cli_context_in_config_map_mode() {
    let s = setup_mapping(json!({"authenticationMode": "CONFIG_MAP"}), json!({}));
    let (code, _, text) = doctor_aws_cli_context(&s, &["--profile", "team"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("4 access entry  skipped"), "{text}");
    assert!(
        text.contains(&format!("mapRoles: |\n    - rolearn: {ROLE}\n")),
        "{text}"
    );
    assert!(
        text.contains("kubectl edit -n kube-system configmap/aws-auth"),
        "{text}"
    );
}

#[test]
fn adopt_all_leaves_a_context_an_earlier_kubeconfig_file_shadows() {
    // Regression: --all also rewrote the second file's copy, which kubectl never reads.
    let mut s = setup(json!({}));
    let second = s.env.path("second");
    s.update_kubeconfig(&["--profile", "team"]);
    s.update_kubeconfig(&[
        "--profile",
        "team",
        "--kubeconfig",
        second.to_str().unwrap(),
    ]);
    let untouched = fs::read(&second).unwrap();
    let both = format!("{}:{}", s.env.kubeconfig.display(), second.display());
    s.env.set("KUBECONFIG", &both);
    let run = s.env.run(&["adopt", "--all"]);
    assert_eq!(
        run.ok().stdout.lines().collect::<Vec<_>>(),
        [ARN],
        "{}",
        run.stderr
    );
    assert_eq!(fs::read(&second).unwrap(), untouched);
    assert!(
        kubectl_view(&s.env, &both)["users"][0]["user"]["exec"]["command"]
            .as_str()
            .unwrap()
            .ends_with("eks-kc")
    );
}
