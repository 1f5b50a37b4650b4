//! `aws login` sessions (profiles with `login_session`, AWS CLI 2.32): the session file written
//! as the AWS CLI writes it, a fake AWS Sign-In service (tests/support/fake_signin.py) that
//! refuses or renews the session, and every eks-kc path that takes a profile: token, sync
//! (against moto), doctor, the caches and their provenance.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fakes::*;
use crate::harness::*;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

const REGION: &str = "eu-west-1";
const SESSION: &str = "arn:aws:iam::111122223333:user/alice";
/// A throwaway P-256 key (aws-config's own test key): the DPoP key of the session.
const DPOP_KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBMB/RwQERsVoqWRQG4zK8CnaAa5dfrpbm+9tFdBh3z4oAoGCCqGSM49\nAwEHoUQDQgAEWb1VLi1EA2hJaTz4yYuxSELvY+1GAfL+8rUTCAdiFid87Bf6GY+s\n2+1RpqDv0RpZiDIMCrZrsAh+RK9S3QCaGA==\n-----END EC PRIVATE KEY-----\n";

/// Profile `console` signs in with `aws login` (session of alice); profile `admin` assumes a
/// role on top of it.
fn signin_env() -> TestEnv {
    let env = TestEnv::new();
    env.write_aws_config(&format!(
        "[profile console]\nlogin_session = {SESSION}\nregion = {REGION}\n\
         [profile admin]\nrole_arn = arn:aws:iam::111122223333:role/Admin\n\
         source_profile = console\nregion = {REGION}\n"
    ));
    env
}

/// The session's file in the login cache, named as the AWS CLI names it.
fn session_file(env: &TestEnv) -> PathBuf {
    use sha2::Digest;
    let name = sha2::Sha256::digest(SESSION.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    env.home.join(format!(".aws/login/cache/{name}.json"))
}

/// Writes the session file as `aws login` does, with new credentials that expire at
/// `expires_at` (registered with the fake peers as alice's); returns their access key id.
fn write_session(env: &TestEnv, expires_at: DateTime<Utc>) -> String {
    let n = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let akid = format!("ASIALOGIN{:011}", n % 100_000_000_000);
    let secret = format!("login-secret-{n}");
    let token = format!("FQoGlogin{n}");
    let keys_path = env.keys_file();
    let mut keys: Value = serde_json::from_str(&fs::read_to_string(&keys_path).unwrap()).unwrap();
    keys[&akid] = json!({"secret": secret, "session_token": token, "arn": SESSION});
    fs::write(&keys_path, keys.to_string()).unwrap();
    let file = session_file(env);
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    let content = json!({
        "accessToken": {"accessKeyId": akid, "secretAccessKey": secret, "sessionToken": token,
                        "accountId": "111122223333",
                        "expiresAt": expires_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()},
        "tokenType": "aws_sigv4",
        "refreshToken": "aorFAKE-refresh-1",
        "idToken": "id-token",
        "clientId": "arn:aws:signin:::devtools/same-device",
        "dpopKey": DPOP_KEY,
    });
    fs::write(&file, content.to_string()).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    akid
}

/// tests/support/fake_signin.py, refusing or renewing sessions; killed when dropped.
struct FakeSignin {
    child: Child,
    log: PathBuf,
}

impl FakeSignin {
    fn start(env: &mut TestEnv, mode: &str) -> Self {
        let log = env.path(&format!("signin-{mode}.jsonl"));
        let mut child = Command::new("python3")
            .arg(support("fake_signin.py"))
            .arg("--keys")
            .arg(env.keys_file())
            .arg("--log")
            .arg(&log)
            .args(["--mode", mode, "--arn", SESSION])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs fake_signin.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("READY ")
            .expect("fake_signin.py is ready");
        env.set(
            "AWS_ENDPOINT_URL_SIGNIN",
            format!("http://127.0.0.1:{port}"),
        );
        FakeSignin { child, log }
    }

    fn calls(&self) -> Vec<Value> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for FakeSignin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token_for(env: &TestEnv, cluster: &str, profile: &str) -> Run {
    Run::from(
        env.eks_kc(&["token"])
            .env("KUBERNETES_EXEC_INFO", exec_info(cluster, REGION, profile))
            .output()
            .unwrap(),
    )
}

fn in_minutes(m: i64) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::minutes(m)
}

#[test]
fn a_fresh_session_signs_tokens_and_syncs_without_asking_sign_in() {
    let mut env = signin_env();
    let akid = write_session(&env, in_minutes(14));
    let signin = FakeSignin::start(&mut env, "refuse");
    let token = token_for(&env, "prod", "console").ok().token();
    assert_eq!(signer(&token), akid);
    assert_tokens_accepted(
        "prod",
        REGION,
        &env.keys_file(),
        std::slice::from_ref(&token),
    );
    // Served from the cache the second time.
    assert_eq!(token_for(&env, "prod", "console").ok().token(), token);

    let moto = Moto::start();
    moto.create(REGION, &["alpha", "beta"]);
    env.set("AWS_ENDPOINT_URL_EKS", moto.url());
    let run = env
        .run(&["sync", "-p", "console", "-o", "json"])
        .ok()
        .json();
    assert_eq!(run["added"].as_array().unwrap().len(), 2, "{run}");
    let listed = env.run(&["list", "-o", "json"]).ok().json();
    assert!(
        listed.to_string().contains("alpha.eu-west-1.console"),
        "{listed}"
    );
    // `eks-kc login` warms the synced contexts with the session's credentials.
    let run = env.run(&["login", "--profile", "console"]);
    assert!(
        run.ok()
            .stdout
            .contains("console: session credentials valid for"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("2 token(s) ready"), "{}", run.stdout);
    // Fresh credentials (more than 5 minutes left): the SDK never asked Sign-In.
    assert!(signin.calls().is_empty(), "{:?}", signin.calls());
}

#[test]
fn an_ended_session_fails_fast_with_one_line_naming_aws_login() {
    let mut env = signin_env();
    write_session(&env, in_minutes(-30));
    let signin = FakeSignin::start(&mut env, "refuse");
    for (profile, named) in [("console", "console"), ("admin", "console")] {
        let started = Instant::now();
        let run = token_for(&env, "prod", profile);
        assert!(
            started.elapsed() < bound(Duration::from_secs(5)),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        let lines = run.stderr_lines();
        assert_eq!(lines.len(), 1, "{}", run.stderr);
        assert!(
            lines[0].contains(&format!("run `aws login --profile {named}`")),
            "{}",
            lines[0]
        );
        assert!(!lines[0].contains("sso"), "{}", lines[0]);
    }
    assert!(
        !signin.calls().is_empty(),
        "the SDK tried to renew the session"
    );
    assert!(
        signin
            .calls()
            .iter()
            .all(|c| c["grantType"] == "refresh_token" && c["dpop"] == true)
    );

    // Sign-In does not answer (nothing listens): the network is named, not a lost session.
    let mut offline = signin_env();
    write_session(&offline, in_minutes(-30));
    offline.set(
        "AWS_ENDPOINT_URL_SIGNIN",
        format!("http://127.0.0.1:{}", free_port()),
    );
    let started = Instant::now();
    let run = token_for(&offline, "prod", "console");
    assert!(
        started.elapsed() < bound(Duration::from_secs(10)),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("AWS Sign-In did not answer"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("AWS_ENDPOINT_URL_SIGNIN"),
        "{}",
        run.stderr
    );

    // No session file at all (signed out): the same fix, without a network call.
    fs::remove_file(session_file(&env)).unwrap();
    let before = signin.calls().len();
    let run = token_for(&env, "prod", "console");
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("missing on this machine"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("`aws login --profile console`"),
        "{}",
        run.stderr
    );
    assert_eq!(signin.calls().len(), before);

    // sync reports the target with the same fix (and writes nothing).
    let run = env.run(&["sync", "-p", "console", "-o", "json"]);
    assert_ne!(run.code, Some(0));
    assert!(
        run.stdout.contains("aws login --profile console"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_renewed_session_signs_with_the_new_credentials_and_rewrites_the_file() {
    let mut env = signin_env();
    let old = write_session(&env, in_minutes(-1));
    let signin = FakeSignin::start(&mut env, "issue");
    let token = token_for(&env, "prod", "console").ok().token();
    let calls = signin.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["refreshToken"], "aorFAKE-refresh-1");
    let new = calls[0]["AccessKeyId"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(signer(&token), new);
    assert_tokens_accepted(
        "prod",
        REGION,
        &env.keys_file(),
        std::slice::from_ref(&token),
    );

    // The SDK rewrote the session file: new keys and refresh token, the same DPoP key, 0600.
    let file = session_file(&env);
    let saved: Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["accessToken"]["accessKeyId"], new);
    assert_eq!(saved["accessToken"]["accountId"], "111122223333");
    assert_eq!(saved["refreshToken"], calls[0]["newRefreshToken"]);
    assert_eq!(saved["dpopKey"], DPOP_KEY);
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // The renewal left the identity as it was: the next cluster signs from the credential
    // cache, the first from the token cache, no second renewal.
    assert_eq!(token_for(&env, "prod", "console").ok().token(), token);
    assert_eq!(
        signer(&token_for(&env, "stage", "console").ok().token()),
        new
    );
    assert_eq!(signin.calls().len(), 1);
}

#[test]
fn signing_out_drops_cached_tokens_and_a_renewal_by_the_aws_cli_keeps_them() {
    let mut env = signin_env();
    write_session(&env, in_minutes(30));
    let _signin = FakeSignin::start(&mut env, "refuse");
    let token = token_for(&env, "prod", "console").ok().token();
    // The AWS CLI renewed the session (new keys, same person): the cached token still serves.
    std::thread::sleep(Duration::from_millis(20));
    write_session(&env, in_minutes(40));
    assert_eq!(token_for(&env, "prod", "console").ok().token(), token);
    // `aws logout` removes the session: no token from the cache, the fix instead.
    fs::remove_file(session_file(&env)).unwrap();
    let run = token_for(&env, "prod", "console");
    assert_eq!(run.code, Some(1), "a token was served after signing out");
    assert!(
        run.stderr.contains("`aws login --profile console`"),
        "{}",
        run.stderr
    );
}

#[test]
fn doctor_names_the_session_as_the_source_and_aws_login_as_the_fix() {
    let mut env = signin_env();
    write_session(&env, in_minutes(30));
    let _signin = FakeSignin::start(&mut env, "refuse");
    let sts = FakeSts::start(&env);
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    let users = json!({ SESSION: {"username": "alice", "groups": ["system:authenticated"]} });
    let api = ApiServer::builder(&env, "prod", REGION)
        .users(&users)
        .start();
    let entry = json!({"principalArn": SESSION, "policies": [{"policyArn":
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        "accessScope": {"type": "cluster"}}]});
    let eks = FakeEks::start(
        &env,
        &json!({ REGION: [{"name": "prod", "endpoint": api.url(), "ca": api.ca_data(),
                           "accessEntries": [entry]}] }),
    );
    env.set("AWS_ENDPOINT_URL_EKS", eks.url());
    env.set("EKS_KC_TIMEOUT", "5s");
    env.run(&["sync", "-p", "console"]).ok();
    let context = "prod.eu-west-1.console";

    let run = env.run(&["doctor", context]);
    run.ok();
    assert!(
        run.stdout
            .contains(&format!("an `aws login` session of {SESSION}")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("verdict: ok"), "{}", run.stdout);

    // Ended: the first link fails and the fix is `aws login`.
    write_session(&env, in_minutes(-30));
    env.run(&["cache", "clear"]).ok();
    let run = env.run(&["doctor", context, "-o", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["verdict"]["failedLink"], "credentials", "{report}");
    assert_eq!(
        report["verdict"]["commands"][0], "aws login --profile console",
        "{report}"
    );
}

#[test]
fn a_role_chain_on_a_session_assumes_the_role_with_the_session_s_credentials() {
    let mut env = signin_env();
    write_session(&env, in_minutes(30));
    let _signin = FakeSignin::start(&mut env, "refuse");
    let sts = FakeSts::start(&env);
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    env.set("USER", "alice");
    let token = token_for(&env, "prod", "admin").ok().token();
    assert_tokens_accepted(
        "prod",
        REGION,
        &env.keys_file(),
        std::slice::from_ref(&token),
    );
    let calls = sts.calls("AssumeRole");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["RoleArn"], "arn:aws:iam::111122223333:role/Admin");
    assert_eq!(calls[0]["RoleSessionName"], "eks-kc-alice");
    assert_eq!(signer(&token), calls[0]["AccessKeyId"].as_str().unwrap());
}

#[test]
fn a_refused_renewal_is_asked_once_for_twenty_calls_and_aws_login_ends_the_cool_down() {
    let mut env = signin_env();
    write_session(&env, in_minutes(-30));
    let signin = FakeSignin::start(&mut env, "refuse");
    let children: Vec<Child> = (0..20)
        .map(|_| {
            env.eks_kc(&["token"])
                .env("KUBERNETES_EXEC_INFO", exec_info("prod", REGION, "console"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let run = Run::from(child.wait_with_output().unwrap());
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(
            run.stderr.contains("aws login --profile console"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(signin.calls().len(), 1, "{:?}", signin.calls());
    // `aws login` again: the new session file ends the cool-down at once.
    write_session(&env, in_minutes(15));
    token_for(&env, "prod", "console").ok();
}

/// `eks-kc token` for `profile`, killed if it has not ended within 30 s (`None` then).
fn token_within(env: &TestEnv, profile: &str) -> Option<Run> {
    let mut child = env
        .eks_kc(&["token"])
        .env("KUBERNETES_EXEC_INFO", exec_info("prod", REGION, profile))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Run::from(child.wait_with_output().unwrap()))
}

fn assert_refused(run: Option<Run>, file: &std::path::Path, why: &str) {
    let run = run.unwrap_or_else(|| panic!("eks-kc token hung on a session file that is {why}"));
    assert_eq!(run.code, Some(1), "{why}: {}", run.stderr);
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "{why}: {}", run.stderr);
    let path = file.display().to_string();
    for part in [
        path.as_str(),
        why,
        "remove it and run `aws login --profile console`",
    ] {
        assert!(lines[0].contains(part), "{why}: {}", run.stderr);
    }
}

// Issue 32 (11): a FIFO as the `aws login` session file hung `eks-kc token` forever, a 200 MB
// one was read whole, and one another user owns (or may write) was used to sign.
#[test]
fn a_session_file_that_is_a_fifo_huge_or_not_only_yours_is_refused_in_one_line() {
    let env = signin_env();
    write_session(&env, in_minutes(14));
    let file = session_file(&env);
    fs::remove_file(&file).unwrap();
    let path = std::ffi::CString::new(file.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    assert_refused(token_within(&env, "console"), &file, "not a regular file");
    // Through the role chained on the session as well.
    assert_refused(token_within(&env, "admin"), &file, "not a regular file");
    fs::remove_file(&file).unwrap();

    // 200 MB (sparse): refused from its size, not read.
    write_session(&env, in_minutes(14));
    fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(200 << 20)
        .unwrap();
    assert_refused(token_within(&env, "console"), &file, "209715200 bytes");

    write_session(&env, in_minutes(14));
    fs::set_permissions(&file, fs::Permissions::from_mode(0o666)).unwrap();
    assert_refused(
        token_within(&env, "console"),
        &file,
        "writable by other users",
    );
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();

    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(&file, Some(65534), Some(65534)).unwrap();
        assert_refused(
            token_within(&env, "console"),
            &file,
            "belongs to another user",
        );
        std::os::unix::fs::chown(&file, Some(0), Some(0)).unwrap();
    } else {
        eprintln!("SKIPPED the foreign-owned session file: needs root to give it away");
    }

    // The file as `aws login` writes it signs again.
    let akid = write_session(&env, in_minutes(14));
    let run = token_within(&env, "console").expect("a token");
    assert_eq!(signer(&run.ok().token()), akid);
}
