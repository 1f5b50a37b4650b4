//! Caches that follow identity changes (issue 10): a cached token or credential is used only
//! while the configuration that produced it is unchanged. Each test edits the AWS files the way
//! a person would and checks which identity signs the next token: the access key in the token
//! (issued by tests/support/fake_sts.py, which logs the key of each call), the verifier
//! (botocore, tests/support/fake_apiserver.py) and fake_sts's call counts.

use std::fs;

use crate::fakes::*;
use crate::harness::*;
use chrono::{Duration, Utc};

const REGION: &str = "eu-west-1";
const READ_ONLY: &str = "arn:aws:iam::111122223333:role/ReadOnly";
const ADMIN: &str = "arn:aws:iam::111122223333:role/Admin";

/// Profile `ops` assumes `role` on top of profile `base` (static keys) through the fake STS.
fn ops_config(role: &str, extra: &str) -> String {
    format!(
        "[profile ops]\nregion = eu-west-1\nrole_arn = {role}\nsource_profile = base\n\n\
         [profile unrelated]\nregion = us-east-1\n{extra}"
    )
}

fn token_for(env: &TestEnv, cluster: &str, profile: &str) -> Run {
    Run::from(
        env.eks_kc(&["token"])
            .env("KUBERNETES_EXEC_INFO", exec_info(cluster, REGION, profile))
            .output()
            .unwrap(),
    )
}

/// The access key fake_sts issued for the last call of `action`.
fn last_issued(sts: &FakeSts, action: &str) -> String {
    sts.calls(action).last().expect("a call")["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Rewrites `path` and makes sure its stamp changes even on a filesystem with coarse times.
fn edit(path: &std::path::Path, text: &str) {
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(path, text).unwrap();
}

// Issue 10: profile ops went from role/ReadOnly to role/Admin and eks-kc kept signing with the
// ReadOnly session for as long as it lived.
#[test]
fn a_role_changed_in_the_config_signs_the_next_token_with_the_new_role() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    env.write_static_profile("base");
    env.write_aws_config(&ops_config(READ_ONLY, ""));
    env.set("AWS_ENDPOINT_URL_STS", sts.url());

    let before = token_for(&env, "c1", "ops").ok().token();
    assert_eq!(signer(&before), last_issued(&sts, "AssumeRole"));
    assert_eq!(sts.calls("AssumeRole").len(), 1);

    edit(&env.aws_config, &ops_config(ADMIN, ""));
    let after = token_for(&env, "c1", "ops").ok().token();
    let calls = sts.calls("AssumeRole");
    assert_eq!(calls.len(), 2, "a new AssumeRole for the new role");
    assert_eq!(calls[1]["RoleArn"], ADMIN);
    assert_eq!(signer(&after), last_issued(&sts, "AssumeRole"));
    assert_ne!(signer(&after), signer(&before));
    assert_tokens_accepted("c1", REGION, &env.keys_file(), &[after]);

    // Another cluster of the same identity reuses the Admin session: no further AssumeRole.
    let other = token_for(&env, "c2", "ops").ok().token();
    assert_eq!(sts.calls("AssumeRole").len(), 2);
    assert_eq!(signer(&other), last_issued(&sts, "AssumeRole"));
}

// Issue 10: an edit to another profile must not cost an STS call or a new signature.
#[test]
fn an_edit_to_an_unrelated_profile_keeps_both_caches() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    env.write_static_profile("base");
    env.write_aws_config(&ops_config(READ_ONLY, ""));
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    let first = token_for(&env, "c1", "ops").ok().token();

    edit(
        &env.aws_config,
        &ops_config(
            READ_ONLY,
            "role_arn = arn:aws:iam::1:role/X\nsource_profile = base\n",
        ),
    );
    edit(
        &env.aws_credentials,
        &format!(
            "{}\n[someone-else]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = x\n",
            fs::read_to_string(&env.aws_credentials).unwrap()
        ),
    );
    for _ in 0..3 {
        let again = token_for(&env, "c1", "ops");
        assert_eq!(
            again.ok().token(),
            first,
            "served from the cache, not re-signed"
        );
        assert!(again.stderr.is_empty(), "{}", again.stderr);
    }
    token_for(&env, "c2", "ops").ok();
    assert_eq!(
        sts.calls("AssumeRole").len(),
        1,
        "no STS call for an unrelated edit"
    );
}

// Issue 10: static keys rotated in ~/.aws/credentials: tokens signed with the old key were
// served for up to 9 more minutes.
#[test]
fn a_rotated_static_key_signs_the_next_token() {
    let env = TestEnv::new();
    env.write_static_profile("team");
    env.write_aws_config("[profile team]\nregion = eu-west-1\n");
    let before = token_for(&env, "c1", "team").ok().token();
    assert_eq!(signer(&before), AKID);

    let (new_id, new_secret) = ("AKIAEKSKCROTATED0002", "rotated/secret/key0002");
    let mut keys: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(env.keys_file()).unwrap()).unwrap();
    keys[new_id] = serde_json::json!({ "secret": new_secret });
    fs::write(env.keys_file(), keys.to_string()).unwrap();
    edit(
        &env.aws_credentials,
        &format!("[team]\naws_access_key_id = {new_id}\naws_secret_access_key = {new_secret}\n"),
    );
    let after = token_for(&env, "c1", "team").ok().token();
    assert_eq!(signer(&after), new_id);
    assert_tokens_accepted("c1", REGION, &env.keys_file(), &[after]);
}

// Issue 10: a profile turned from static keys into an assume-role profile kept serving the old
// static-key token.
#[test]
fn a_static_profile_turned_into_a_role_signs_with_the_role() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    env.write_static_profile("team");
    env.write_aws_config("[profile team]\nregion = eu-west-1\n");
    let before = token_for(&env, "c1", "team").ok().token();
    assert_eq!(signer(&before), AKID);

    env.write_static_profile("root");
    edit(
        &env.aws_config,
        &format!(
            "[profile team]\nregion = eu-west-1\nrole_arn = {ADMIN}\nsource_profile = root\n\n\
             [profile root]\nregion = eu-west-1\n"
        ),
    );
    let after = token_for(&env, "c1", "team").ok().token();
    let calls = sts.calls("AssumeRole");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["RoleArn"], ADMIN);
    assert_eq!(signer(&after), last_issued(&sts, "AssumeRole"));
    assert_tokens_accepted("c1", REGION, &env.keys_file(), &[after]);
}

/// An SSO profile (session `corp`) whose cached login token, as `aws sso login` leaves it, is
/// valid for hours; returns the token file.
fn sso_env(sts: &FakeSts, env: &mut TestEnv, account: &str) -> std::path::PathBuf {
    env.write_aws_config(&sso_config(account));
    let cache = env.home.join(".aws/sso/cache");
    fs::create_dir_all(&cache).unwrap();
    // The AWS CLI names the file after the SHA-1 of the session name ("corp").
    let file = cache.join("ee0bfd2552fbd840c02cc48b6e823320543c450f.json");
    fs::write(
        &file,
        serde_json::json!({
            "accessToken": "sso-access-token",
            "expiresAt": (Utc::now() + Duration::hours(4)).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "region": "eu-west-1",
            "startUrl": "https://corp.awsapps.com/start",
        })
        .to_string(),
    )
    .unwrap();
    env.set("AWS_ENDPOINT_URL_SSO", sts.url());
    file
}

fn sso_config(account: &str) -> String {
    format!(
        "[profile sso]\nsso_session = corp\nsso_account_id = {account}\n\
         sso_role_name = EksAdmin\nregion = eu-west-1\n\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n"
    )
}

// Issue 10: after `aws sso logout` (which removes the cached login), tokens were still minted
// from the cached role credentials, for cached and for new clusters.
#[test]
fn an_sso_logout_stops_tokens_from_cached_role_credentials() {
    let mut env = TestEnv::new();
    let sts = FakeSts::builder(&env).sso_token("sso-access-token").start();
    let login = sso_env(&sts, &mut env, "111122223333");
    token_for(&env, "c1", "sso").ok();
    assert_eq!(sts.calls("GetRoleCredentials").len(), 1);

    fs::remove_file(&login).unwrap();
    for cluster in ["c1", "c2"] {
        let run = token_for(&env, cluster, "sso");
        assert_eq!(run.code, Some(1), "{cluster}: {}{}", run.stdout, run.stderr);
        assert!(run.stdout.is_empty());
        assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
        assert!(run.stderr.contains("aws sso login"), "{}", run.stderr);
    }
    assert_eq!(sts.calls("GetRoleCredentials").len(), 1);
}

// Issue 10: a changed sso_account_id kept minting tokens from the old account's credentials.
#[test]
fn a_changed_sso_account_fetches_credentials_for_the_new_account() {
    let mut env = TestEnv::new();
    let sts = FakeSts::builder(&env).sso_token("sso-access-token").start();
    sso_env(&sts, &mut env, "111122223333");
    let before = token_for(&env, "c1", "sso").ok().token();

    edit(&env.aws_config, &sso_config("444455556666"));
    for cluster in ["c1", "c2"] {
        let token = token_for(&env, cluster, "sso").ok().token();
        assert_eq!(signer(&token), last_issued(&sts, "GetRoleCredentials"));
        assert_ne!(signer(&token), signer(&before));
        assert_tokens_accepted(cluster, REGION, &env.keys_file(), &[token]);
    }
    let calls = sts.calls("GetRoleCredentials");
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[1]["account_id"], "444455556666");
}
