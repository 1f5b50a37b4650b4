//! Role session names, read back from the fake STS (each AssumeRole's RoleSessionName, and the
//! assumed-role ARN it registers for the key it issues, which the token-checking API server
//! and `doctor` report): `eks-kc-<local user>` for `--role-arn` and for profile roles without a
//! `role_session_name`, the profile's own name when it sets one, `--role-session-name` on token
//! and sync, and `role-session-name` in the config file.

use std::fs;

use crate::fakes::*;
use crate::harness::*;
use serde_json::{Value, json};

const REGION: &str = "eu-west-1";
const DEPLOY: &str = "arn:aws:iam::111122223333:role/Deploy";

/// Static keys in profile `base`; `ops` assumes Admin from it without a session name, `named`
/// assumes Admin with `role_session_name = from-profile`. The local user is alice.
fn roles_env(sts: &FakeSts, env: &mut TestEnv) {
    env.write_static_profile("base");
    env.write_aws_config(&format!(
        "[profile base]\nregion = {REGION}\n\
         [profile ops]\nregion = {REGION}\nrole_arn = arn:aws:iam::111122223333:role/Admin\n\
         source_profile = base\n\
         [profile named]\nregion = {REGION}\nrole_arn = arn:aws:iam::111122223333:role/Admin\n\
         source_profile = base\nrole_session_name = from-profile\n"
    ));
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    env.set("USER", "alice");
}

/// The RoleSessionName of every AssumeRole so far.
fn session_names(sts: &FakeSts) -> Vec<String> {
    sts.calls("AssumeRole")
        .iter()
        .map(|c| c["RoleSessionName"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The ARN the fake peers hold for the key that signed `token` (what the cluster maps).
fn signed_as(env: &TestEnv, token: &str) -> String {
    let keys: Value = serde_json::from_str(&fs::read_to_string(env.keys_file()).unwrap()).unwrap();
    keys[signer(token)]["arn"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn token(env: &TestEnv, args: &[&str]) -> String {
    let all = [
        &["token", "-c", "prod", "--region", REGION, "-o", "token"],
        args,
    ]
    .concat();
    env.run(&all).bare_token()
}

#[test]
fn role_sessions_are_named_for_the_person_unless_the_profile_names_them() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    roles_env(&sts, &mut env);
    // --role-arn on top of a static profile.
    let t = token(&env, &["--profile", "base", "--role-arn", DEPLOY]);
    assert_eq!(
        signed_as(&env, &t),
        "arn:aws:sts::111122223333:assumed-role/Deploy/eks-kc-alice"
    );
    // A profile role chain without role_session_name (the SDK alone: assume-role-from-profile-…).
    let t = token(&env, &["--profile", "ops"]);
    assert_eq!(
        signed_as(&env, &t),
        "arn:aws:sts::111122223333:assumed-role/Admin/eks-kc-alice"
    );
    assert_tokens_accepted("prod", REGION, &env.keys_file(), &[t]);
    // The profile's own name wins.
    token(&env, &["--profile", "named"]);
    // Both: the profile chain's role, then --role-arn on top.
    token(&env, &["--profile", "ops", "--role-arn", DEPLOY]);
    assert_eq!(
        session_names(&sts),
        [
            "eks-kc-alice",
            "eks-kc-alice",
            "from-profile",
            "eks-kc-alice",
            "eks-kc-alice"
        ]
    );
    // The AWS config was not touched to get there.
    assert!(
        !fs::read_to_string(&env.aws_config)
            .unwrap()
            .contains("eks-kc")
    );
}

#[test]
fn the_local_user_comes_from_logname_too_and_is_cut_to_sts_rules() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    roles_env(&sts, &mut env);
    env.env.remove("USER");
    env.set("LOGNAME", "bob");
    token(&env, &["--profile", "ops"]);
    env.set("USER", "CORP\\jo smith");
    token(&env, &["--profile", "base", "--role-arn", DEPLOY]);
    assert_eq!(session_names(&sts), ["eks-kc-bob", "eks-kc-CORP-jo-smith"]);
}

#[test]
fn the_flag_names_the_sessions_and_keeps_their_tokens_apart() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    roles_env(&sts, &mut env);
    let a = token(
        &env,
        &["--profile", "ops", "--role-session-name", "ci-run-7"],
    );
    let b = token(
        &env,
        &[
            "--profile",
            "base",
            "--role-arn",
            DEPLOY,
            "--role-session-name",
            "ci-run-7",
        ],
    );
    assert!(signed_as(&env, &a).ends_with("assumed-role/Admin/ci-run-7"));
    assert!(signed_as(&env, &b).ends_with("assumed-role/Deploy/ci-run-7"));
    // The profile's own name still wins over the flag.
    token(
        &env,
        &["--profile", "named", "--role-session-name", "ci-run-7"],
    );
    // Another name is another identity: not served the first name's cached token.
    let c = token(
        &env,
        &["--profile", "ops", "--role-session-name", "ci-run-8"],
    );
    assert_ne!(a, c);
    assert!(signed_as(&env, &c).ends_with("/ci-run-8"));
    assert_eq!(
        session_names(&sts),
        ["ci-run-7", "ci-run-7", "from-profile", "ci-run-8"]
    );
    // A name STS would refuse is refused before any call.
    let run = env.run(&[
        "token",
        "-c",
        "prod",
        "--profile",
        "ops",
        "--role-session-name",
        "a b",
    ]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("STS refuses"), "{}", run.stderr);
}

/// Fake EKS with cluster `prod` (served by `api`), for sync and doctor.
fn eks_env(env: &mut TestEnv, api: &ApiServer, role: &str) -> FakeEks {
    let entry = json!({"principalArn": role, "policies": [{"policyArn":
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        "accessScope": {"type": "cluster"}}]});
    let eks = FakeEks::start(
        env,
        &json!({ REGION: [{"name": "prod", "endpoint": api.url(), "ca": api.ca_data(),
                           "accessEntries": [entry]}] }),
    );
    env.set("AWS_ENDPOINT_URL_EKS", eks.url());
    env.set("EKS_KC_TIMEOUT", "5s");
    eks
}

#[test]
fn sync_keeps_the_flag_in_each_context_and_doctor_shows_what_the_cluster_sees() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    roles_env(&sts, &mut env);
    let admin = "arn:aws:iam::111122223333:role/Admin";
    let users = json!({ admin: {"username": "admin-user", "groups": ["system:authenticated"]} });
    let api = ApiServer::builder(&env, "prod", REGION)
        .users(&users)
        .start();
    let _eks = eks_env(&mut env, &api, admin);
    env.run(&[
        "sync",
        "-p",
        "ops",
        "--role-session-name",
        "laptop-7",
        "--exec-style",
        "per-context",
    ])
    .ok();
    assert_eq!(session_names(&sts), ["laptop-7"], "discovery used the name");
    let kubeconfig = fs::read_to_string(&env.kubeconfig).unwrap();
    assert!(
        kubeconfig.contains("roleSessionName: laptop-7"),
        "{kubeconfig}"
    );
    assert!(kubeconfig.contains("--role-session-name"), "{kubeconfig}");

    // doctor signs as the context does (credential cache: no second AssumeRole) and says so.
    let run = env.run(&["doctor", "prod.eu-west-1.ops"]);
    run.ok();
    assert!(
        run.stdout
            .contains("role session name laptop-7: what the cluster"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("assumed-role/Admin/laptop-7"),
        "{}",
        run.stdout
    );
    // The API server saw the session too.
    let decisions = api.decisions();
    assert!(!decisions.is_empty());
    assert_eq!(session_names(&sts), ["laptop-7"]);
}

#[test]
fn the_config_file_key_names_the_sessions_of_a_bare_sync() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    roles_env(&sts, &mut env);
    let api = ApiServer::start(&env, "prod", REGION);
    let _eks = eks_env(&mut env, &api, "arn:aws:iam::111122223333:role/Admin");
    let config = env.path("eks-kc.yaml");
    fs::write(
        &config,
        "sync:\n  profiles: [ops]\n  role-session-name: from-config\n",
    )
    .unwrap();
    env.set("EKS_KC_CONFIG", config.to_str().unwrap());
    env.run(&["sync"]).ok();
    let kubeconfig = fs::read_to_string(&env.kubeconfig).unwrap();
    assert!(
        kubeconfig.contains("roleSessionName: from-config"),
        "{kubeconfig}"
    );
    // The context's token (as kubectl asks for it) signs in the named session.
    env.run(&["cache", "clear"]).ok();
    let info = json!({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
        "spec": {"interactive": false, "cluster": {"config": {"clusterName": "prod",
        "region": REGION, "profile": "ops", "roleSessionName": "from-config"}}}});
    let run = Run::from(
        env.eks_kc(&["token"])
            .env("KUBERNETES_EXEC_INFO", info.to_string())
            .output()
            .unwrap(),
    );
    assert!(signed_as(&env, &run.ok().token()).ends_with("assumed-role/Admin/from-config"));
    assert_eq!(session_names(&sts), ["from-config", "from-config"]);
    // A name STS refuses is a config error naming the line.
    fs::write(
        &config,
        "sync:\n  profiles: [ops]\n  role-session-name: 'a b'\n",
    )
    .unwrap();
    let run = env.run(&["sync"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains(":3: 'sync.role-session-name'"),
        "{}",
        run.stderr
    );
}
