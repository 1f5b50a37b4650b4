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

    fn path_without_aws(&self) -> String {
        path_without_aws(&self.env)
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

/// A PATH whose `aws` fails loudly: proof the AWS CLI is not run.
fn path_without_aws(env: &TestEnv) -> String {
    let dir = env.path("no-aws");
    fs::create_dir_all(&dir).unwrap();
    let aws = dir.join("aws");
    fs::write(&aws, "#!/bin/sh\necho 'the AWS CLI was run' >&2\nexit 99\n").unwrap();
    fs::set_permissions(&aws, fs::Permissions::from_mode(0o755)).unwrap();
    format!("{}:{}", dir.display(), child_path())
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

/// The second identity's keys (profile `readonly` and `default` of the team's own files).
const TEAM_AKID: &str = "AKIAEKSKCTESTKEY0002";
const TEAM_SECRET: &str = "eks-kc/test+SECRET/key0002example";
const HOME_ARN: &str = "arn:aws:iam::111122223333:user/home-admin";
const TEAM_ARN: &str = "arn:aws:iam::111122223333:user/team-readonly";

/// `kubectl auth whoami` for `context` with `PATH` set to `path`: the user the API server
/// says the request is (the user impersonated, when the context's user impersonates).
fn whoami(env: &TestEnv, context: &str, path: &str) -> Value {
    let run = Run::from(
        env.command(real_kubectl())
            .env("PATH", path)
            .args(["--context", context, "auth", "whoami", "-o", "json"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, Some(0), "whoami {context}: {}", run.stderr);
    run.json()["status"]["userInfo"].clone()
}

/// The users of kubectl's view, by name: each body without what adopt owns (`exec`, the
/// extensions), and the exec's `env` but AWS_PROFILE (which adopt makes eks-kc's profile).
fn users_but_exec(view: &Value) -> Vec<(String, Value, Value)> {
    view["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let mut body = u["user"].clone();
            let mut env = body["exec"]["env"].clone();
            if let Some(list) = env.as_array_mut() {
                list.retain(|e| e["name"] != "AWS_PROFILE");
            }
            let map = body.as_object_mut().unwrap();
            map.remove("exec");
            map.remove("extensions");
            (u["name"].as_str().unwrap().to_owned(), body, env)
        })
        .collect()
}

// Regression (issue 32): the AWS CLI stanza's env was dropped (`kubectl auth whoami` said
// user/team-readonly before adopt and user/home-admin after), and so was impersonation.
#[test]
fn an_adopted_context_signs_as_the_same_identity_and_keeps_its_impersonation() {
    let mut env = TestEnv::new();
    // Home: the default files (home-admin). The team's own files: team-readonly, as the
    // profiles `default` and `readonly`.
    env.write_static_profile("default");
    let team_creds = env.path("team-credentials");
    let team_config = env.path("team-config");
    fs::write(
        &team_creds,
        format!(
            "[default]\naws_access_key_id = {TEAM_AKID}\naws_secret_access_key = {TEAM_SECRET}\n\
             [readonly]\naws_access_key_id = {TEAM_AKID}\naws_secret_access_key = {TEAM_SECRET}\n"
        ),
    )
    .unwrap();
    fs::write(
        &team_config,
        format!("[profile readonly]\nregion = {REGION}\n"),
    )
    .unwrap();
    fs::write(
        env.path("keys.json"),
        json!({AKID: {"secret": SECRET, "arn": HOME_ARN},
               TEAM_AKID: {"secret": TEAM_SECRET, "arn": TEAM_ARN}})
        .to_string(),
    )
    .unwrap();
    env.set("AWS_STS_REGIONAL_ENDPOINTS", "regional");
    let users = json!({HOME_ARN: {"username": "home-admin", "groups": ["admins"]},
                       TEAM_ARN: {"username": "team-readonly", "groups": ["readers"]}});
    let api = ApiServer::builder(&env, "prod", REGION)
        .users(&users)
        .start();
    let cli = |extra: &str| {
        format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n\
             {extra}"
        )
    };
    let args = format!(
        "      args: [--region, {REGION}, eks, get-token, --cluster-name, prod, --output, json]\n"
    );
    fs::write(
        &env.kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: {}\n    certificate-authority-data: {}\n\
             contexts:\n- {{name: home, context: {{cluster: prod, user: home}}}}\n\
             - {{name: team, context: {{cluster: prod, user: team}}}}\n\
             - {{name: team-as, context: {{cluster: prod, user: team-as}}}}\n\
             current-context: home\nusers:\n\
             - name: home\n  user:\n{}\
             - name: team\n  user:\n{}      env:\n      - {{name: AWS_SHARED_CREDENTIALS_FILE, value: '{}'}}\n\
             - name: team-as\n  user:\n    as: view-only\n    as-groups: [viewers]\n    as-uid: '1234'\n    as-user-extra: {{reason: [audit]}}\n\
             {}      env:\n      - {{name: AWS_SHARED_CREDENTIALS_FILE, value: '{}'}}\n      - {{name: AWS_CONFIG_FILE, value: '{}'}}\n\
             \x20     - {{name: AWS_PROFILE, value: readonly}}\n      - {{name: AWS_REGION, value: {REGION}}}\n",
            api.url(),
            api.ca_data(),
            cli(&args),
            cli(&args),
            team_creds.display(),
            // The region comes from the env and the team's config file here.
            cli("      args: [eks, get-token, --cluster-name, prod]\n"),
            team_creds.display(),
            team_config.display(),
        ),
    )
    .unwrap();
    let before = kubectl_view(&env, &env.kubeconfig);
    let with_aws = child_path();
    let contexts = ["home", "team", "team-as", "team"];
    let who: Vec<Value> = contexts
        .iter()
        .map(|c| whoami(&env, c, &with_aws))
        .collect();
    assert_eq!(who[0]["username"], "home-admin", "{who:#?}");
    assert_eq!(who[1]["username"], "team-readonly", "{who:#?}");
    assert_eq!(who[1]["extra"]["accessKeyId"][0], TEAM_AKID, "{who:#?}");
    assert_eq!(
        who[2],
        json!({"username": "view-only", "uid": "1234", "groups": ["viewers", "system:authenticated"],
               "extra": {"reason": ["audit"]}}),
        "{who:#?}"
    );
    let signers = |api: &ApiServer| -> Vec<(Value, Value)> {
        api.decisions()
            .iter()
            .map(|d| (d["access_key"].clone(), d["as"].clone()))
            .collect()
    };
    let by_cli = signers(&api);
    assert!(
        by_cli.contains(&(json!(TEAM_AKID), json!("view-only"))),
        "{by_cli:?}"
    );

    let run = env.run(&["adopt", "--all"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 3, "{}", run.stderr);
    // The env reaches eks-kc's stanza; no secret of it reaches the report.
    assert!(
        run.stderr.contains(&format!(
            "AWS_SHARED_CREDENTIALS_FILE={}",
            team_creds.display()
        )),
        "{}",
        run.stderr
    );
    let after = kubectl_view(&env, &env.kubeconfig);
    assert_eq!(users_but_exec(&after), users_but_exec(&before));
    assert!(
        after["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["user"]["exec"]["command"]
                .as_str()
                .unwrap()
                .ends_with("eks-kc")),
        "{after:#}"
    );
    // Signed by eks-kc now (the AWS CLI fails if run), through its token cache the second
    // time: the same answers, the same access keys, in any order.
    let no_aws = path_without_aws(&env);
    for round in 0..2 {
        let now: Vec<Value> = contexts.iter().map(|c| whoami(&env, c, &no_aws)).collect();
        assert_eq!(now, who, "round {round}");
    }
    let by_eks_kc = signers(&api)[by_cli.len()..].to_vec();
    assert!(!by_eks_kc.is_empty());
    for s in &by_eks_kc {
        assert!(
            by_cli.contains(s),
            "{s:?} was not a signer before adopt: {by_cli:?}"
        );
    }

    env.run(&["adopt", "--undo", "--all"]).ok();
    assert_eq!(kubectl_view(&env, &env.kubeconfig), before);
}

/// A kubeconfig written as `aws eks update-kubeconfig --alias NAME` writes one: cluster `prod`
/// of `api`, context `context`, user `user` running the AWS CLI with profile `ops` (static
/// keys, see [`static_ops`]). `extra` is put at the end of the users list.
pub(crate) fn aws_cli_kubeconfig(
    api: &ApiServer,
    context: &str,
    user: &str,
    extra: &str,
) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: {}\n    certificate-authority-data: {}\n\
         contexts:\n- name: \"{context}\"\n  context: {{cluster: prod, user: {user}}}\n\
         current-context: \"{context}\"\nusers:\n- name: {user}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n\
         \x20     command: aws\n      args: [--region, {REGION}, eks, get-token, --cluster-name, prod, --output, json]\n\
         \x20     env: [{{name: AWS_PROFILE, value: ops}}]\n{extra}",
        api.url(),
        api.ca_data()
    )
}

/// Profile `ops` with the fixture keys and an API server for `prod` that maps them: what
/// [`aws_cli_kubeconfig`] needs for `kubectl get ns` through the AWS CLI or eks-kc.
pub(crate) fn static_ops() -> (TestEnv, ApiServer) {
    let mut env = TestEnv::new();
    env.write_static_profile("ops");
    env.set("AWS_STS_REGIONAL_ENDPOINTS", "regional");
    let api = ApiServer::start(&env, "prod", REGION);
    (env, api)
}

// Regression (issue 32): with KUBECONFIG=one:two, `adopt ctx2` rewrote two's user `team`,
// which ctx1 of one also runs: ctx1 then ran `eks-kc token` and failed.
#[test]
fn a_user_a_context_of_another_file_uses_is_never_rewritten() {
    let (mut env, api) = static_ops();
    let one = env.path("one.yaml");
    let two = env.path("two.yaml");
    fs::write(
        &one,
        "apiVersion: v1\nkind: Config\ncontexts:\n- name: ctx1\n  context: {cluster: prod, user: team}\n",
    )
    .unwrap();
    fs::write(&two, aws_cli_kubeconfig(&api, "ctx2", "team", "")).unwrap();
    let both = format!("{}:{}", one.display(), two.display());
    env.set("KUBECONFIG", &both);
    let before = kubectl_view(&env, &both);
    let run = env.run(&["adopt", "ctx2"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("with a user of its own, eks-kc@ctx2"),
        "{}",
        run.stderr
    );
    let after = kubectl_view(&env, &both);
    let user = |v: &Value, name: &str| {
        v["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == name)
            .cloned()
    };
    assert_eq!(user(&after, "team"), user(&before, "team"));
    // ctx1 still runs the AWS CLI; ctx2 runs eks-kc; both reach the cluster.
    let (with_aws, counter) = path_with_counting_aws(&env);
    for ctx in ["ctx1", "ctx2"] {
        let run = Run::from(
            env.command(real_kubectl())
                .env("PATH", &with_aws)
                .args(["--context", ctx, "get", "ns"])
                .output()
                .unwrap(),
        );
        assert_eq!(run.code, Some(0), "{ctx}: {}", run.stderr);
        assert_eq!(runs(&counter), 1, "after {ctx}");
    }
    env.run(&["adopt", "--undo", "--all"]).ok();
    assert_eq!(kubectl_view(&env, &both), before);
}

// Regression (issue 32): after `kubectl config rename-context prod prod-main`, `adopt --undo
// --all` (and `forget`) said "restored" but deleted the user prod-main named.
#[test]
fn undo_and_forget_restore_a_context_renamed_since_adopt() {
    let (env, api) = static_ops();
    // Two contexts of one user (what `update-kubeconfig` with and without --alias gives):
    // adopting only `prod` gives it a user of its own.
    let text = aws_cli_kubeconfig(&api, "prod", "ops-user", "").replace(
        "current-context:",
        "- name: other\n  context: {cluster: prod, user: ops-user}\ncurrent-context:",
    );
    let kubectl = |args: &[&str]| {
        let run = Run::from(env.command(real_kubectl()).args(args).output().unwrap());
        assert_eq!(run.code, Some(0), "kubectl {args:?}: {}", run.stderr);
    };
    for undo in [&["adopt", "--undo", "--all"][..], &["forget"]] {
        fs::write(&env.kubeconfig, &text).unwrap();
        kubectl(&["config", "rename-context", "prod", "prod-main"]);
        let renamed = kubectl_view(&env, &env.kubeconfig);
        fs::write(&env.kubeconfig, &text).unwrap();
        let run = env.run(&["adopt", "prod"]);
        assert!(run.ok().stderr.contains("eks-kc@prod"), "{}", run.stderr);
        kubectl(&["config", "rename-context", "prod", "prod-main"]);
        let run = env.run(undo);
        assert_eq!(run.code, Some(0), "{undo:?}: {}", run.stderr);
        assert!(run.stdout.contains("prod-main"), "{undo:?}: {}", run.stdout);
        assert!(run.stderr.contains("prod-main"), "{undo:?}: {}", run.stderr);
        assert_eq!(kubectl_view(&env, &env.kubeconfig), renamed, "{undo:?}");
        // kubectl finds the user again.
        kubectl(&["--context", "prod-main", "config", "view", "--minify"]);
    }
}

// Regression (issue 32): a file with two users of one name (kubectl refuses it): adopt then
// undo overwrote the second one's static token.
#[test]
fn a_file_kubectl_refuses_is_refused_before_anything_is_written() {
    let (env, api) = static_ops();
    fs::write(
        &env.kubeconfig,
        aws_cli_kubeconfig(&api, "prod", "ops-user", ""),
    )
    .unwrap();
    env.run(&["adopt", "prod"]).ok();
    let dup = "- name: ops-user\n  user: {token: second}\n";
    let text = fs::read_to_string(&env.kubeconfig).unwrap() + dup;
    for text in [text, aws_cli_kubeconfig(&api, "prod", "ops-user", dup)] {
        fs::write(&env.kubeconfig, &text).unwrap();
        // (`forget` writes nothing to a file without eks-kc's entries.)
        let forget = text.contains("eks-kc");
        for args in [
            &["adopt", "--all"][..],
            &["adopt", "prod"],
            &["adopt", "--undo", "--all"],
            &["forget"],
        ] {
            if args == ["forget"] && !forget {
                continue;
            }
            let run = env.run(args);
            assert_eq!(run.code, Some(1), "{args:?}: {}", run.stderr);
            assert!(
                run.stderr.contains("two users named 'ops-user'")
                    && run.stderr.contains("kubectl refuses"),
                "{args:?}: {}",
                run.stderr
            );
            assert_eq!(
                fs::read_to_string(&env.kubeconfig).unwrap(),
                text,
                "{args:?}"
            );
        }
    }
}

// Regression (issue 32): adopt, undo and forget printed kubeconfig names raw: an OSC 52
// clipboard write, a title change or a screen clear in a name reached the terminal.
#[test]
fn adopt_undo_and_forget_print_names_escaped() {
    let (env, api) = static_ops();
    let evil = "ev\\e]52;c;cHduZWQ=\\ail\\e]0;owned\\a\\e[2J";
    fs::write(&env.kubeconfig, aws_cli_kubeconfig(&api, evil, "u", "")).unwrap();
    let runs = [
        env.run(&["adopt", "--all", "--dry-run"]),
        env.run(&["adopt", "--all"]),
        env.run(&["adopt", "--undo", "--all"]),
        env.run(&["adopt", "--all"]),
        env.run(&["forget"]),
    ];
    for run in runs {
        let text = run.stdout.clone() + &run.stderr;
        assert_eq!(run.code, Some(0), "{text}");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "control characters reached the terminal: {text:?}"
        );
        assert!(text.contains("ev\\x1b]52;c;cHduZWQ=\\x07il"), "{text}");
    }
}

// Regression (issue 32): the AWS CLI names the session of the role it assumes for a token
// `EKSGetTokenAuth`; the adopted context named it eks-kc-USER: another username on a cluster
// whose access entry maps the session name.
#[test]
fn an_adopted_context_names_its_role_sessions_as_the_aws_cli_does() {
    let s = setup(json!({}));
    s.update_kubeconfig(&["--profile", "base", "--role-arn", ROLE, "--alias", "prod"]);
    s.env.run(&["adopt", "prod"]).ok();
    let who = whoami(&s.env, "prod", &s.path_without_aws());
    assert_eq!(
        who["extra"]["sessionName"],
        json!(["EKSGetTokenAuth"]),
        "{who:#}"
    );
}
