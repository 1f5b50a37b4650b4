//! The second-level credential cache and the credential sources, against a fake STS that issues
//! known credentials (so the token-checking API server can verify every token) and counts calls.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::fakes::*;
use crate::harness::*;
use chrono::{DateTime, Duration, Utc};

const REGION: &str = "eu-west-1";

/// Profile `ops` assumes a role (source_profile `base`, static keys) through the fake STS.
fn assume_role_env(sts: &FakeSts, env: &mut TestEnv) {
    env.write_static_profile("base");
    env.write_aws_config(
        "[profile ops]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111122223333:role/eks-admin\nsource_profile = base\n",
    );
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
}

fn token_for(env: &TestEnv, cluster: &str, profile: &str) -> Run {
    Run::from(
        env.eks_kc(&["token"])
            .env("KUBERNETES_EXEC_INFO", exec_info(cluster, REGION, profile))
            .output()
            .unwrap(),
    )
}

#[test]
fn five_clusters_of_one_identity_cost_one_assume_role_then_one_more_at_refresh() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    assume_role_env(&sts, &mut env);
    let mut tokens = vec![];
    for cluster in ["c1", "c2", "c3", "c4", "c5"] {
        let run = token_for(&env, cluster, "ops");
        tokens.push((cluster, run.ok().token()));
    }
    assert_eq!(
        sts.calls("AssumeRole").len(),
        1,
        "one AssumeRole for five clusters"
    );
    for (cluster, token) in &tokens {
        assert_tokens_accepted(
            cluster,
            REGION,
            &env.keys_file(),
            std::slice::from_ref(token),
        );
    }
    // Past the credentials' refresh point (60-minute credentials, 61-minute margin): one more.
    env.set("EKS_KC_CREDENTIAL_REFRESH_MARGIN", "61m");
    let run = token_for(&env, "c6", "ops");
    assert_tokens_accepted("c6", REGION, &env.keys_file(), &[run.ok().token()]);
    assert_eq!(
        sts.calls("AssumeRole").len(),
        2,
        "exactly one more AssumeRole"
    );

    // Both levels show in `cache status`; `cache clear` empties both.
    let status = env.run(&["cache", "status", "-o", "json"]).ok().json();
    assert_eq!(status["entries"].as_array().unwrap().len(), 6);
    let creds = status["credentials"].as_array().unwrap();
    assert_eq!(creds.len(), 1);
    assert_eq!(creds[0]["key"]["profile"], "ops");
    assert_eq!(creds[0]["store"], "file");
    let text = fs::read_to_string(
        env.cache_files()
            .into_iter()
            .find(|f| f.extension().is_some_and(|e| e == "stub"))
            .unwrap(),
    )
    .unwrap();
    assert!(!text.contains("secret") && !text.contains("FQoG"), "{text}");
    env.run(&["cache", "clear"]).ok();
    let empty = env.run(&["cache", "status", "-o", "json"]).ok().json();
    assert!(empty["entries"].as_array().unwrap().is_empty());
    assert!(empty["credentials"].as_array().unwrap().is_empty());
    env.set("EKS_KC_CREDENTIAL_REFRESH_MARGIN", "15m");
    token_for(&env, "c1", "ops").ok();
    assert_eq!(
        sts.calls("AssumeRole").len(),
        3,
        "cleared credentials are fetched again"
    );
}

#[test]
fn parallel_cold_tokens_for_many_clusters_assume_the_role_once() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    assume_role_env(&sts, &mut env);
    let children: Vec<_> = (0..16)
        .map(|i| {
            env.eks_kc(&["token"])
                .env(
                    "KUBERNETES_EXEC_INFO",
                    exec_info(&format!("c{i}"), REGION, "ops"),
                )
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        Run::from(c.wait_with_output().unwrap()).ok();
    }
    assert_eq!(sts.calls("AssumeRole").len(), 1);
}

#[test]
fn cached_credentials_are_private_and_static_keys_are_never_cached() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    assume_role_env(&sts, &mut env);
    token_for(&env, "c1", "ops").ok();
    let creds: Vec<_> = env
        .cache_files()
        .into_iter()
        .filter(|f| {
            f.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("creds-")
        })
        .collect();
    assert!(!creds.is_empty());
    for f in &creds {
        let mode = fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }
    // Static keys of profile `base`: tokens yes, credential entries no.
    let static_env = {
        let e = TestEnv::new();
        e.write_static_profile("base");
        e
    };
    token_for(&static_env, "c1", "base").ok();
    let status = static_env
        .run(&["cache", "status", "-o", "json"])
        .ok()
        .json();
    assert!(status["credentials"].as_array().unwrap().is_empty());
}

#[test]
fn short_lived_session_credentials_cap_the_token() {
    let mut env = TestEnv::new();
    let sts = FakeSts::builder(&env).duration_minutes(15).start();
    assume_role_env(&sts, &mut env);
    env.set("EKS_KC_CREDENTIAL_REFRESH_MARGIN", "1m");
    let run = token_for(&env, "c1", "ops");
    let expiry: DateTime<Utc> = run.ok().json()["status"]["expirationTimestamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Credentials live 15 minutes: the token at most 14 (credential expiry minus one minute).
    assert!(expiry <= Utc::now() + Duration::minutes(14), "{expiry}");
    assert!(expiry > Utc::now() + Duration::minutes(13), "{expiry}");
}

#[test]
fn web_identity_credentials_sign_accepted_tokens() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    let token_file = env.path("web-identity-token");
    fs::write(&token_file, "eyJhbGciOi.test-oidc-token.sig").unwrap();
    env.set(
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        token_file.display().to_string(),
    );
    env.set("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/ci");
    env.set("AWS_ROLE_SESSION_NAME", "ci-job");
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    let run = env.run(&["token", "-c", "prod", "--region", REGION, "-o", "token"]);
    assert_tokens_accepted("prod", REGION, &env.keys_file(), &[run.bare_token()]);
    let calls = sts.calls("AssumeRoleWithWebIdentity");
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0]["WebIdentityToken"],
        "eyJhbGciOi.test-oidc-token.sig"
    );
    assert_eq!(calls[0]["RoleArn"], "arn:aws:iam::111122223333:role/ci");
}

#[test]
fn container_credentials_send_the_authorization_token_file() {
    let mut env = TestEnv::new();
    let sts = FakeSts::builder(&env)
        .container_token("pod-identity-secret-token")
        .start();
    let auth_file = env.path("eks-pod-identity-token");
    fs::write(&auth_file, "pod-identity-secret-token").unwrap();
    env.set(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        format!("{}/container-credentials", sts.url()),
    );
    env.set(
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        auth_file.display().to_string(),
    );
    let run = env.run(&["token", "-c", "prod", "--region", REGION, "-o", "token"]);
    assert_tokens_accepted("prod", REGION, &env.keys_file(), &[run.bare_token()]);
    let calls = sts.calls("ContainerCredentials");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["authorization_ok"], true);
    // The stored token never shows on stderr.
    assert!(!run.stderr.contains("pod-identity-secret-token"));
}

#[test]
fn without_a_keyring_credentials_fall_back_to_files_and_warn_once() {
    let _keyring = real_keyring();
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    assume_role_env(&sts, &mut env);
    let mut first = env.eks_kc(&["token"]);
    first
        .env_remove("EKS_KC_KEYRING")
        .env("KUBERNETES_EXEC_INFO", exec_info("c1", REGION, "ops"));
    let first = Run::from(first.output().unwrap());
    first.ok();
    let status = env.run(&["cache", "status", "-o", "json"]).ok().json();
    let store = status["credentials"][0]["store"]
        .as_str()
        .unwrap()
        .to_owned();
    if store == "keyring" {
        eprintln!("keyring available here: credentials went to the OS keyring");
        assert!(first.stderr.is_empty(), "{}", first.stderr);
        assert!(!env.cache_files().iter().any(|f| {
            f.extension().is_some_and(|e| e == "json")
                && f.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("creds-")
        }));
        // Leave nothing behind in the real keyring.
        env.run(&["cache", "clear"]).ok();
        return;
    }
    eprintln!(
        "SKIPPED keyring store check: no usable OS keyring on this machine (file fallback tested)"
    );
    assert_eq!(store, "file");
    let warnings: Vec<&str> = first.stderr_lines();
    assert_eq!(warnings.len(), 1, "{}", first.stderr);
    assert!(warnings[0].contains("keyring"), "{}", warnings[0]);
    let mut second = env.eks_kc(&["token"]);
    second
        .env_remove("EKS_KC_KEYRING")
        .env("KUBERNETES_EXEC_INFO", exec_info("c2", REGION, "ops"));
    let second = Run::from(second.output().unwrap());
    assert!(
        second.ok().stderr.is_empty(),
        "warned again: {}",
        second.stderr
    );
    assert_eq!(sts.calls("AssumeRole").len(), 1);
}

/// An IAM Identity Center (SSO) profile whose cached login token (as `aws sso login` leaves it
/// under ~/.aws/sso/cache) expires at `expires_at`.
fn sso_env(sts: &FakeSts, env: &mut TestEnv, expires_at: DateTime<Utc>) {
    env.write_aws_config(
        "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\n\
         sso_role_name = EksAdmin\nregion = eu-west-1\n\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n",
    );
    let cache = env.home.join(".aws/sso/cache");
    fs::create_dir_all(&cache).unwrap();
    // The SDK names the file after the SHA-1 of the session name.
    let name = {
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                "import hashlib;print(hashlib.sha1(b'corp').hexdigest())",
            ])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    fs::write(
        cache.join(format!("{name}.json")),
        serde_json::json!({
            "accessToken": "sso-access-token",
            "expiresAt": expires_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "region": "eu-west-1",
            "startUrl": "https://corp.awsapps.com/start",
        })
        .to_string(),
    )
    .unwrap();
    env.set("AWS_ENDPOINT_URL_SSO", sts.url());
}

#[test]
fn sso_with_a_valid_cached_login_signs_accepted_tokens() {
    let mut env = TestEnv::new();
    let sts = FakeSts::builder(&env).sso_token("sso-access-token").start();
    sso_env(&sts, &mut env, Utc::now() + Duration::hours(4));
    for cluster in ["a", "b"] {
        let run = token_for(&env, cluster, "sso");
        assert_tokens_accepted(cluster, REGION, &env.keys_file(), &[run.ok().token()]);
    }
    let calls = sts.calls("GetRoleCredentials");
    assert_eq!(calls.len(), 1, "one SSO exchange for two clusters");
    assert_eq!(calls[0]["bearer_ok"], true);
    assert_eq!(calls[0]["role_name"], "EksAdmin");
    assert_eq!(calls[0]["account_id"], "111122223333");
}

#[test]
fn an_expired_sso_login_fails_fast_naming_the_fix() {
    let mut env = TestEnv::new();
    let sts = FakeSts::builder(&env).sso_token("sso-access-token").start();
    sso_env(&sts, &mut env, Utc::now() - Duration::hours(1));
    let started = std::time::Instant::now();
    let run = token_for(&env, "a", "sso");
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
    assert!(started.elapsed() < bound(std::time::Duration::from_secs(3)));
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("aws sso login --profile sso"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("sso-access-token"));
}

/// Profile `mfa` assumes a role with MFA on top of `base` (static keys).
fn mfa_env(sts: &FakeSts, env: &mut TestEnv) {
    env.write_static_profile("base");
    env.write_aws_config(
        "[profile mfa]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111122223333:role/eks-admin\n\
         source_profile = base\nmfa_serial = arn:aws:iam::111122223333:mfa/alice\n",
    );
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
}

#[test]
fn mfa_prompts_once_on_the_terminal_and_the_code_reaches_sts() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    mfa_env(&sts, &mut env);
    let run = in_pty(
        &env,
        "token -c c1 --region eu-west-1 --profile mfa",
        "123456\n",
    );
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout
            .matches("MFA code for arn:aws:iam::111122223333:mfa/alice")
            .count(),
        1,
        "{}",
        run.stdout
    );
    let calls = sts.calls("AssumeRole");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["TokenCode"], "123456");
    assert_eq!(
        calls[0]["SerialNumber"],
        "arn:aws:iam::111122223333:mfa/alice"
    );
    // Every other cluster of the profile now works without a prompt, even non-interactively.
    for cluster in ["c2", "c3"] {
        let run = token_for(&env, cluster, "mfa");
        assert_tokens_accepted(cluster, REGION, &env.keys_file(), &[run.ok().token()]);
    }
    assert_eq!(sts.calls("AssumeRole").len(), 1);
}

#[test]
fn mfa_without_a_terminal_fails_at_once_naming_the_fix() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    mfa_env(&sts, &mut env);
    let started = std::time::Instant::now();
    let run = token_for(&env, "c1", "mfa"); // spec.interactive: false, stdin not a terminal
    assert!(
        started.elapsed() < bound(std::time::Duration::from_secs(1)),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("eks-kc login --profile mfa"),
        "{}",
        run.stderr
    );
    assert!(sts.calls("AssumeRole").is_empty());
}

#[test]
fn login_asks_once_and_prewarms_the_profiles_contexts() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    mfa_env(&sts, &mut env);
    fs::write(
        &env.kubeconfig,
        managed_kubeconfig("mfa", &["c1", "c2", "c3"]),
    )
    .unwrap();
    let run = in_pty(&env, "login --profile mfa", "654321\n");
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("3 token(s) ready"), "{}", run.stdout);
    let calls = sts.calls("AssumeRole");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["TokenCode"], "654321");
    let rows = env.run(&["list", "-o", "json"]).ok().json();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["token"] == "fresh"),
        "{rows}"
    );
    let run = token_for(&env, "c4", "mfa");
    run.ok();
    assert_eq!(
        sts.calls("AssumeRole").len(),
        1,
        "no further prompt or STS call"
    );
}

/// A kubeconfig whose contexts eks-kc manages (as sync writes them), one per cluster.
fn managed_kubeconfig(profile: &str, clusters: &[&str]) -> String {
    let mut clusters_yaml = String::new();
    let mut contexts_yaml = String::new();
    for c in clusters {
        let name = format!("{c}.{REGION}.{profile}");
        let marker = format!(
            "{{managedBy: eks-kc, profile: {profile}, region: {REGION}, clusterName: {c}}}"
        );
        clusters_yaml.push_str(&format!(
            "- name: {name}\n  cluster:\n    server: https://127.0.0.1:1\n    extensions:\n    \
             - name: client.authentication.k8s.io/exec\n      extension: {{clusterName: {c}, region: {REGION}, profile: {profile}}}\n    \
             - name: eks-kc\n      extension: {marker}\n"
        ));
        contexts_yaml.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: eks-kc\n    extensions:\n    \
             - name: eks-kc\n      extension: {marker}\n"
        ));
    }
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{clusters_yaml}contexts:\n{contexts_yaml}users:\n\
         - name: eks-kc\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      \
         command: eks-kc\n      args: [token]\n      provideClusterInfo: true\n    extensions:\n    \
         - name: eks-kc\n      extension: {{managedBy: eks-kc}}\n"
    )
}

#[test]
fn a_role_arn_chained_on_a_profile_signs_accepted_tokens_and_is_cached_per_chain() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    assume_role_env(&sts, &mut env);
    let role = "arn:aws:iam::111122223333:role/cluster-admin";
    for cluster in ["c1", "c2"] {
        let run = env.run(&[
            "token",
            "-c",
            cluster,
            "--region",
            REGION,
            "--profile",
            "ops",
            "--role-arn",
            role,
            "-o",
            "token",
        ]);
        assert_tokens_accepted(cluster, REGION, &env.keys_file(), &[run.bare_token()]);
    }
    let calls = sts.calls("AssumeRole");
    // ops's own role, then cluster-admin on top of it: once each for both clusters.
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls.iter().any(|c| c["RoleArn"] == role));
    assert!(
        calls
            .iter()
            .any(|c| c["RoleArn"] == "arn:aws:iam::111122223333:role/eks-admin")
    );
}
