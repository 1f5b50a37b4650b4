//! Issue 25: when a login expires, every client asks at once; a person-step happens once.
//! Real kubectl against the token-checking API server, tests/support/fake_sso.py as IAM
//! Identity Center with an expired login, tests/support/fake_browser.py as the person (it
//! counts how often it is started), the interactive caller under a pty (`script`: kubectl sets
//! spec.interactive only when its stdin is a terminal), MFA through tests/support/fake_sts.py
//! (the code 000000 is refused).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fakes::*;
use crate::harness::*;
use chrono::Utc;
use serde_json::json;

const PROD: &str = "111122223333";
const REGION: &str = "eu-west-1";
const CONTEXT: &str = "a.eu-west-1.prod";

/// A synced `[sso-session corp]` context for cluster `a` on a token-checking API server, then
/// the login expired (no refresh token unless `refresh`), both caches emptied, and
/// fake_browser.py as the browser doing `mode`.
fn expired(mode: &str, refresh: Option<&Refresh<'_>>) -> (TestEnv, FakeSso, ApiServer) {
    let mut env = TestEnv::new();
    let api = ApiServer::start(&env, "a", REGION);
    let world = json!({"accounts": [{"id": PROD, "name": "prod", "roles": ["ReadOnly"],
        "clusters": {REGION: [{"name": "a", "endpoint": api.url(), "ca": api.ca_data()}]}}]});
    let sso = FakeSso::builder(&env, world)
        .token(SSO_TOKEN)
        .known_client()
        .start();
    env.sso_logged_in(&sso);
    env.run(&["sync", "--sso-session", SSO_SESSION, "-r", REGION])
        .ok();
    env.run(&["cache", "clear"]).ok();
    sso_token_file(
        &env.home,
        SSO_SESSION,
        "aoaFAKEexpired-token",
        Utc::now() - chrono::Duration::hours(1),
        refresh,
    );
    fake_browser(&mut env, mode);
    (env, sso, api)
}

/// tests/support/fake_browser.py as the browser, doing `mode`, counting its starts (`opens`).
fn fake_browser(env: &mut TestEnv, mode: &str) {
    env.set(
        "BROWSER",
        format!("python3 {}", support("fake_browser.py").display()),
    );
    env.set("FAKE_BROWSER", mode);
    env.set(
        "FAKE_BROWSER_OPENS",
        env.path("opens").display().to_string(),
    );
}

fn opens(env: &TestEnv) -> usize {
    count_lines(&env.path("opens"))
}

fn kubectl_get_ns(env: &TestEnv) -> Child {
    env.command(real_kubectl())
        .args(["--context", CONTEXT, "get", "ns"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `kubectl get ns` on a terminal (so spec.interactive is true).
fn kubectl_on_a_terminal(env: &TestEnv) -> Child {
    env.command("script")
        .args([
            "-qec",
            &format!("{} --context {CONTEXT} get ns", real_kubectl()),
            "/dev/null",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until some eks-kc holds a sign-in gate noting `doing`; returns the holder's pid.
fn signing_in(env: &TestEnv, doing: &str) -> u32 {
    let deadline = Instant::now() + bound(Duration::from_secs(20));
    loop {
        for f in env.cache_files() {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("signin-") && name.ends_with(".lock") {
                let text = std::fs::read_to_string(&f).unwrap_or_default();
                if text.contains(doing) {
                    return text.split_whitespace().next().unwrap().parse().unwrap();
                }
            }
        }
        assert!(Instant::now() < deadline, "nobody started signing in");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn finish(children: Vec<Child>) -> Vec<Run> {
    children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().unwrap()))
        .collect()
}

/// The eks-kc lines of a run's stderr that carry the cool-down's line.
fn cool_down_line(run: &Run) -> String {
    let all = format!("{}{}", run.stdout, run.stderr);
    all.lines()
        .find(|l| l.contains("no new sign-in starts before"))
        .map(|l| l.trim().trim_start_matches("eks-kc: error: ").to_owned())
        .unwrap_or_else(|| panic!("no cool-down line:\n{all}"))
}

#[test]
fn fifty_kubectl_calls_with_an_expired_login_sign_in_once() {
    let (mut env, sso, api) = expired("approve", None);
    env.set("FAKE_BROWSER_DELAY", "3");
    // The wait for the person is not charged to the lock budget, shorter than it here.
    env.set("EKS_KC_LOCK_TIMEOUT", "2s");
    let started = Instant::now();
    let person = kubectl_on_a_terminal(&env);
    signing_in(&env, "signing-in browser");
    let others: Vec<Child> = (0..49).map(|_| kubectl_get_ns(&env)).collect();
    let person = Run::from(person.wait_with_output().unwrap());
    let runs = finish(others);
    let took = started.elapsed();
    assert_eq!(person.code, Some(0), "{}{}", person.stdout, person.stderr);
    for r in &runs {
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_eq!(r.stderr.matches("waiting up to").count(), 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("in the browser it opened"),
            "{}",
            r.stderr
        );
    }
    let stats = sso.stats();
    assert_eq!(stats["authorizations"], 1, "{stats}");
    assert_eq!(opens(&env), 1);
    assert_eq!(sso.calls("CreateToken"), 1, "{stats}");
    assert_eq!(stats["device_polls"], 0, "{stats}");
    assert!(api.decisions().iter().all(|d| d["ok"] == true));
    assert_cli_login_file(&env.home);
    eprintln!("MEASURED 50 kubectl, one sign-in: {took:?}, {stats}");
}

/// KUBERNETES_EXEC_INFO for the synced SSO context, not interactive.
fn sso_exec_info() -> String {
    json!({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
        "spec": {"interactive": false, "cluster": {"server": "https://127.0.0.1:1", "config": {
            "clusterName": "a", "region": REGION, "ssoSession": SSO_SESSION,
            "accountId": PROD, "roleName": "ReadOnly"}}}})
    .to_string()
}

fn token(env: &TestEnv) -> Command {
    let mut cmd = env.eks_kc(&["token"]);
    cmd.env("KUBERNETES_EXEC_INFO", sso_exec_info());
    cmd
}

#[test]
fn with_no_approval_every_call_ends_in_the_bound_with_one_line_and_retries_open_nothing() {
    let (mut env, sso, _api) = expired("never", None);
    env.set("FAKE_BROWSER_SLEEP", "30");
    env.set("EKS_KC_SIGN_IN_TIMEOUT", "3s");
    env.set("EKS_KC_SIGN_IN_COOLDOWN", "10m");
    let started = Instant::now();
    let person = kubectl_on_a_terminal(&env);
    signing_in(&env, "signing-in browser");
    let others: Vec<Child> = (0..49).map(|_| kubectl_get_ns(&env)).collect();
    let person = Run::from(person.wait_with_output().unwrap());
    let runs = finish(others);
    let took = started.elapsed();
    assert!(took < bound(Duration::from_secs(20)), "{took:?}");
    assert_ne!(person.code, Some(0));
    let line = cool_down_line(&person);
    assert!(line.contains("eks-kc login --sso-session corp"), "{line}");
    for r in &runs {
        assert_ne!(r.code, Some(0));
        assert_eq!(cool_down_line(r), line);
    }
    assert_eq!(opens(&env), 1);

    // A background client retrying: fast failures, the same line, no browser.
    let retries = 1000;
    let started = Instant::now();
    for _ in 0..retries {
        let run = Run::from(token(&env).output().unwrap());
        assert_eq!(run.code, Some(1));
        assert_eq!(cool_down_line(&run), line);
    }
    let each = started.elapsed() / retries;
    // A person at a terminal during the cool-down: the same line, no second browser either.
    let again = Run::from(kubectl_on_a_terminal(&env).wait_with_output().unwrap());
    assert_eq!(cool_down_line(&again), line);
    assert_eq!(opens(&env), 1);
    assert_eq!(sso.stats()["authorizations"], 1);
    eprintln!("MEASURED no approval: 50 calls ended in {took:?}; {retries} retries, {each:?} each");

    // `eks-kc login` ends the cool-down at once.
    env.set("FAKE_BROWSER", "approve");
    env.run(&["login", "--sso-session", SSO_SESSION]).ok();
    let run = Run::from(kubectl_get_ns(&env).wait_with_output().unwrap());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

#[test]
fn a_revoked_refresh_token_is_tried_once_for_fifty_calls() {
    let revoked = Refresh {
        refresh_token: "aorFAKErevoked",
        ..Refresh::known()
    };
    let (env, sso, _api) = expired("approve", Some(&revoked));
    let children: Vec<Child> = (0..50)
        .map(|_| {
            token(&env)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let runs = finish(children);
    for r in &runs {
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        assert!(
            r.stderr.contains("eks-kc login --sso-session corp"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(sso.calls("CreateToken"), 1, "{}", sso.stats());
    assert_eq!(opens(&env), 0);
}

#[test]
fn a_killed_sign_in_leaves_nothing_that_blocks_the_next() {
    let (mut env, sso, _api) = expired("never", None);
    env.set("FAKE_BROWSER_SLEEP", "30");
    let mut first = kubectl_on_a_terminal(&env);
    let pid = signing_in(&env, "signing-in browser");
    let deadline = Instant::now() + bound(Duration::from_secs(20));
    while sso.stats()["authorizations"] != 1 {
        assert!(Instant::now() < deadline, "the browser never opened");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    let _ = first.kill();
    let _ = first.wait();
    // The status says nothing is in progress any more, and no cool-down.
    // (Once the kernel has closed the killed process's files: `kill` does not wait.)
    let deadline = Instant::now() + bound(Duration::from_secs(5));
    loop {
        let status = env.run(&["cache", "status", "-o", "json"]);
        if status.json()["signIns"] == json!([]) {
            break;
        }
        assert!(Instant::now() < deadline, "{}", status.stdout);
        std::thread::sleep(Duration::from_millis(50));
    }
    env.set("FAKE_BROWSER", "approve");
    let started = Instant::now();
    let next = Run::from(kubectl_on_a_terminal(&env).wait_with_output().unwrap());
    assert_eq!(next.code, Some(0), "{}{}", next.stdout, next.stderr);
    assert!(started.elapsed() < bound(Duration::from_secs(15)));
    assert_eq!(sso.stats()["authorizations"], 2);
    assert_eq!(opens(&env), 2);
}

/// `sh` on a terminal starting `n` interactive `eks-kc token` calls for the MFA profile at once,
/// the person typing `typed`.
fn terminal_of_calls(env: &TestEnv, n: usize, typed: &str) -> Child {
    let info = json!({"apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential", "spec": {"interactive": true, "cluster": {"config": {
            "clusterName": "c1", "region": REGION, "profile": "mfa"}}}});
    let script = format!(
        "for i in $(seq {n}); do KUBERNETES_EXEC_INFO='{info}' {} token > /dev/null & done; wait",
        bin().display()
    );
    let mut child = env
        .command("script")
        .args(["-qec", &script, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    child
}

/// Profile `mfa`: a role assumed with an MFA code through tests/support/fake_sts.py, on top of
/// static keys.
fn mfa_profile() -> (TestEnv, FakeSts) {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    env.write_static_profile("base");
    env.write_aws_config(
        "[profile mfa]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111122223333:role/eks-admin\n\
         source_profile = base\nmfa_serial = arn:aws:iam::111122223333:mfa/alice\n",
    );
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    (env, sts)
}

#[test]
fn twenty_mfa_calls_from_two_terminals_one_prompt_and_a_wrong_code_cools_down() {
    let (env, sts) = mfa_profile();
    let started = Instant::now();
    let terminals = [
        terminal_of_calls(&env, 10, "000000\n"),
        terminal_of_calls(&env, 10, "000000\n"),
    ];
    let deadline = Instant::now() + bound(Duration::from_secs(30));
    let runs: Vec<Run> = terminals
        .into_iter()
        .map(|mut t| {
            while t.try_wait().unwrap().is_none() {
                assert!(Instant::now() < deadline, "a terminal still waits");
                std::thread::sleep(Duration::from_millis(20));
            }
            drop(t.stdin.take());
            Run::from(t.wait_with_output().unwrap())
        })
        .collect();
    let took = started.elapsed();
    let out: String = runs.iter().map(|r| r.stdout.clone()).collect();
    assert_eq!(out.matches("MFA code for").count(), 1, "{out}");
    assert_eq!(sts.calls("AssumeRole").len(), 1);
    // Every call failed: one with STS's refusal, every one with the cool-down's line.
    assert_eq!(
        out.matches("no new sign-in starts before").count(),
        20,
        "{out}"
    );
    assert!(out.contains("eks-kc login --profile mfa"), "{out}");
    eprintln!("MEASURED 20 MFA calls, two terminals, wrong code: {took:?}");

    // The status shows the cool-down; `eks-kc login` ends it.
    let status = env.run(&["cache", "status", "-o", "json"]);
    let signins = &status.json()["signIns"];
    assert_eq!(signins[0]["kind"], "mfa", "{signins}");
    assert_eq!(signins[0]["name"], "mfa");
    let run = in_pty(&env, "login --profile mfa", "123456\n");
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    let run = Run::from(
        env.eks_kc(&["token"])
            .env("KUBERNETES_EXEC_INFO", exec_info("c1", REGION, "mfa"))
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(sts.calls("AssumeRole").len(), 2);
}

/// Issue 25, point 1: calls nobody can prompt for (kubectl in the background, an IDE) wait for
/// the MFA prompt open in another terminal, saying so once, and answer from the credentials the
/// code typed there got: one prompt, one AssumeRole for all.
#[test]
fn non_interactive_calls_wait_for_the_mfa_prompt_in_another_terminal() {
    let (env, sts) = mfa_profile();
    // One terminal, its call at the prompt; nothing typed yet.
    let mut terminal = terminal_of_calls(&env, 1, "");
    let deadline = Instant::now() + bound(Duration::from_secs(20));
    while !prompting(&env) {
        assert!(Instant::now() < deadline, "no prompt came");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Ten background calls for three clusters of the same profile.
    let waiting: Vec<Child> = (0..10)
        .map(|i| {
            env.eks_kc(&["token"])
                .env(
                    "KUBERNETES_EXEC_INFO",
                    exec_info(&format!("c{}", i % 3 + 1), REGION, "mfa"),
                )
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    use std::io::Write;
    let stdin = terminal.stdin.as_mut().unwrap();
    stdin.write_all(b"123456\n").unwrap();
    stdin.flush().unwrap();
    for child in waiting {
        let run = Run::from(child.wait_with_output().unwrap());
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert!(run.stdout.contains("k8s-aws-v1."), "{}", run.stdout);
        assert!(
            run.stderr.matches("waiting up to").count() <= 1,
            "{}",
            run.stderr
        );
    }
    drop(terminal.stdin.take());
    let run = Run::from(terminal.wait_with_output().unwrap());
    assert_eq!(
        run.stdout.matches("MFA code for").count(),
        1,
        "{}",
        run.stdout
    );
    assert_eq!(sts.calls("AssumeRole").len(), 1);
}

/// Whether some eks-kc holds a lock in the cache directory while asking for a code.
fn prompting(env: &TestEnv) -> bool {
    std::fs::read_dir(&env.cache_dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            e.file_name().to_string_lossy().ends_with(".lock")
                && std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("prompting"))
        })
    })
}

/// A profile that signs in through `[sso-session corp]` (what `aws configure sso` writes),
/// whose login expired an hour ago with the refresh token `refresh`; `n` concurrent
/// `eks-kc token --profile dev-sso` calls.
fn profile_calls(refresh: &Refresh<'_>, n: usize) -> (FakeSso, Vec<Run>) {
    let (_, sso, runs) = profile_calls_in(refresh, n, |_| {});
    (sso, runs)
}

/// [`profile_calls`], `tweak` changing the environment before the calls start.
fn profile_calls_in(
    refresh: &Refresh<'_>,
    n: usize,
    tweak: impl FnOnce(&mut TestEnv),
) -> (TestEnv, FakeSso, Vec<Run>) {
    let mut env = TestEnv::new();
    let world = json!({"accounts": [{"id": PROD, "name": "prod", "roles": ["ReadOnly"],
        "clusters": {}}]});
    let sso = FakeSso::builder(&env, world)
        .token(SSO_TOKEN)
        .known_client()
        .known_refresh_token()
        .start();
    env.sso_logged_in(&sso);
    sso_token_file(
        &env.home,
        SSO_SESSION,
        "aoaFAKEexpired-token",
        Utc::now() - chrono::Duration::hours(1),
        Some(refresh),
    );
    env.set("BROWSER", "false");
    env.set(
        "FAKE_BROWSER_OPENS",
        env.path("opens").display().to_string(),
    );
    env.write_sso_config(&format!(
        "\n[profile dev-sso]\nsso_session = {SSO_SESSION}\nsso_account_id = {PROD}\n\
         sso_role_name = ReadOnly\nregion = {REGION}\n"
    ));
    tweak(&mut env);
    let children: Vec<Child> = (0..n)
        .map(|_| {
            env.eks_kc(&["token", "-c", "a", "--profile", "dev-sso"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let runs = finish(children);
    assert_eq!(opens(&env), 0, "a non-interactive call opened a browser");
    (env, sso, runs)
}

#[test]
fn a_profile_s_expired_login_is_refreshed_once_for_twenty_calls() {
    let (sso, runs) = profile_calls(&Refresh::known(), 20);
    for r in &runs {
        assert_eq!(r.code, Some(0), "{}", r.stderr);
    }
    assert_eq!(sso.calls("CreateToken"), 1, "{}", sso.stats());
}

#[test]
fn a_profile_s_revoked_refresh_token_is_tried_once_for_twenty_calls() {
    let revoked = Refresh {
        refresh_token: "aorFAKErevoked",
        ..Refresh::known()
    };
    let (sso, runs) = profile_calls(&revoked, 20);
    for r in &runs {
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!("--sso-session {SSO_SESSION}")),
            "{}",
            r.stderr
        );
    }
    assert_eq!(sso.calls("CreateToken"), 1, "{}", sso.stats());
}

/// A legacy profile with its own `sso_start_url` (no `[sso-session]`, no refresh token) whose
/// login expired: one interactive call signs in in the browser, once, and nineteen
/// non-interactive ones wait for it and then succeed through the SDK reading the new file.
#[test]
fn a_legacy_profile_s_expired_login_is_signed_in_once_for_twenty_calls() {
    let mut env = TestEnv::new();
    let world = json!({"accounts": [{"id": PROD, "name": "prod", "roles": ["ReadOnly"],
        "clusters": {}}]});
    let sso = FakeSso::builder(&env, world)
        .token(SSO_TOKEN)
        .known_client()
        .start();
    env.sso_logged_in(&sso);
    env.write_aws_config(&format!(
        "[profile legacy]\nsso_start_url = {START_URL}\nsso_region = {SSO_REGION}\n\
         sso_account_id = {PROD}\nsso_role_name = ReadOnly\nregion = {REGION}\n"
    ));
    sso_token_file(
        &env.home,
        START_URL,
        "aoaFAKEexpired-token",
        Utc::now() - chrono::Duration::hours(1),
        None,
    );
    fake_browser(&mut env, "approve");
    env.set("FAKE_BROWSER_DELAY", "2");
    let info = json!({"apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential", "spec": {"interactive": true, "cluster": {"config": {
            "clusterName": "a", "region": REGION, "profile": "legacy"}}}});
    let person = env
        .command("script")
        .args([
            "-qec",
            &format!("KUBERNETES_EXEC_INFO='{info}' {} token", bin().display()),
            "/dev/null",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    signing_in(&env, "signing-in browser");
    let others: Vec<Child> = (0..19)
        .map(|i| {
            env.eks_kc(&["token", "-c", &format!("c{}", i % 4), "--profile", "legacy"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let person = Run::from(person.wait_with_output().unwrap());
    assert_eq!(person.code, Some(0), "{}{}", person.stdout, person.stderr);
    for r in finish(others) {
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert!(r.stdout.contains("k8s-aws-v1."), "{}", r.stdout);
        assert_eq!(r.stderr.matches("waiting up to").count(), 1, "{}", r.stderr);
    }
    assert_eq!(sso.stats()["authorizations"], 1, "{}", sso.stats());
    assert_eq!(opens(&env), 1);
}

/// `eks-kc login --sso-session` run by hand holds the login's gate while the person signs in:
/// kubectl calls meanwhile wait for it (told where it happens) instead of failing, and then
/// succeed; one authorization in all.
#[test]
fn calls_during_a_login_by_hand_wait_for_it() {
    let (mut env, sso, api) = expired("approve", None);
    env.set("FAKE_BROWSER_DELAY", "2");
    let login = env
        .eks_kc(&["login", "--sso-session", SSO_SESSION])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    signing_in(&env, "signing-in browser");
    let others: Vec<Child> = (0..10).map(|_| kubectl_get_ns(&env)).collect();
    let login = Run::from(login.wait_with_output().unwrap());
    assert_eq!(login.code, Some(0), "{}", login.stderr);
    for r in finish(others) {
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert!(
            r.stderr.contains("in the browser it opened"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(sso.stats()["authorizations"], 1, "{}", sso.stats());
    assert_eq!(opens(&env), 1);
    drop(api);
}

/// A refresh IAM Identity Center never answered (nothing listens at its address) is shared with
/// the callers waiting for it, but not for the whole cool-down: the refresh token may be good
/// once the network is back, so the next try comes after seconds, not a minute.
#[test]
fn an_unanswered_refresh_is_shared_briefly() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let (env, sso, runs) = profile_calls_in(&Refresh::known(), 10, |env| {
        env.set("AWS_ENDPOINT_URL_SSO_OIDC", &nowhere);
        env.set("EKS_KC_TIMEOUT", "2s");
    });
    for r in &runs {
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        assert!(r.stderr.contains("could not be refreshed"), "{}", r.stderr);
    }
    assert_eq!(sso.calls("CreateToken"), 0);
    let status = env.run(&["cache", "status", "-o", "json"]);
    let until = status.json()["signIns"][0]["coolDownUntil"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", status.stdout))
        .to_owned();
    let until = chrono::DateTime::parse_from_rfc3339(&until).unwrap();
    let left = until.signed_duration_since(Utc::now());
    assert!(left <= chrono::Duration::seconds(11), "{left:?}");
}

// Issue 32 (10): after a sign-in abandoned with Ctrl-C, every `kubectl get ns` from the
// terminal opened another browser tab (a `watch kubectl` is a tab storm).
#[test]
fn an_abandoned_sign_in_cools_down_for_retries_on_the_terminal_too() {
    use std::io::Write;
    let (mut env, sso, _api) = expired("never", None);
    env.set("FAKE_BROWSER_SLEEP", "30");
    // Bounded, should a retry sign in after all.
    env.set("EKS_KC_SIGN_IN_TIMEOUT", "3s");
    env.set("EKS_KC_SIGN_IN_COOLDOWN", "10m");
    let mut first = kubectl_on_a_terminal(&env);
    signing_in(&env, "signing-in browser");
    let deadline = Instant::now() + Duration::from_secs(20);
    // Opened, and the portal's page loaded (under load the Ctrl-C could otherwise come first).
    while opens(&env) != 1 || sso.stats()["authorizations"] != 1 {
        assert!(
            Instant::now() < deadline,
            "the browser never opened the portal's page"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The person gives up: Ctrl-C on the terminal.
    first.stdin.take().unwrap().write_all(b"\x03").unwrap();
    let first = Run::from(first.wait_with_output().unwrap());
    assert_ne!(first.code, Some(0), "{}", first.stdout);
    let started = Instant::now();
    for _ in 0..20 {
        let again = Run::from(kubectl_on_a_terminal(&env).wait_with_output().unwrap());
        assert_ne!(again.code, Some(0));
        let line = cool_down_line(&again);
        assert!(line.contains("abandoned"), "{line}");
        assert!(line.contains("eks-kc login --sso-session corp"), "{line}");
    }
    assert_eq!(opens(&env), 1, "a retry opened the browser again");
    assert_eq!(sso.stats()["authorizations"], 1);
    eprintln!(
        "MEASURED 20 retries on a terminal in the cool-down: {:?}",
        started.elapsed()
    );

    // `eks-kc login` ends the cool-down.
    env.set("FAKE_BROWSER", "approve");
    env.run(&["login", "--sso-session", SSO_SESSION]).ok();
    let run = Run::from(kubectl_get_ns(&env).wait_with_output().unwrap());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}
