//! `eks-kc login --sso-session` in the browser: authorization code with PKCE against
//! tests/support/fake_sso.py's OIDC service, the person played by tests/support/fake_browser.py
//! (eks-kc starts it as BROWSER): it opens the consent page, allows or denies, and follows the
//! redirect to eks-kc's loopback listener on 127.0.0.1. Covered: the login saved where the AWS
//! CLI reads it and used (and refreshed) by sync, a denied consent, a redirect with another
//! `state`, a browser that never returns (a bounded wait), junk at the listener, and what
//! happens where no browser can open (no display, SSH).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::fakes::*;
use crate::harness::*;
use serde_json::{Value, json};

const PROD: &str = "111122223333";

fn world() -> Value {
    json!({"accounts": [
        {"id": PROD, "name": "prod", "roles": ["ReadOnly"], "clusters": {"eu-west-1": ["a", "b"]}},
    ]})
}

/// `[sso-session corp]`, eks-kc pointed at `sso`, and fake_browser.py as the browser, doing
/// `mode` (approve, deny, wrong-state, never).
fn with_browser(env: &mut TestEnv, sso: &FakeSso, mode: &str) {
    env.write_sso_config("");
    sso.serve(env);
    env.set(
        "BROWSER",
        format!("python3 {}", support("fake_browser.py").display()),
    );
    env.set("FAKE_BROWSER", mode);
    env.set(
        "FAKE_BROWSER_LOG",
        env.path("browser.jsonl").display().to_string(),
    );
    env.set("FAKE_BROWSER_SLEEP", "15");
}

/// `eks-kc login --sso-session corp` plus `extra`, and how long it took.
fn login(env: &TestEnv, extra: &[&str]) -> (Run, Duration) {
    let mut args = vec!["login", "--sso-session", SSO_SESSION];
    args.extend_from_slice(extra);
    let started = Instant::now();
    let run = env.run(&args);
    (run, started.elapsed())
}

/// The pages fake_browser.py loaded: {"url", "status", "body"}.
fn pages(env: &TestEnv) -> Vec<Value> {
    std::fs::read_to_string(env.path("browser.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Neither the code verifiers CreateToken got nor any authorization code reached eks-kc's
/// output (the access and refresh tokens and the client secret are checked for every run).
fn assert_no_pkce_secrets(run: &Run, sso: &FakeSso) {
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(
        !out.contains("authcodeFAKE"),
        "an authorization code leaked:\n{out}"
    );
    for v in sso.stats()["code_verifiers"].as_array().unwrap() {
        let v = v.as_str().unwrap();
        assert!(
            !v.is_empty() && !out.contains(v),
            "the code verifier leaked:\n{out}"
        );
    }
}

fn assert_says(stderr: &str, parts: &[&str]) {
    for p in parts {
        assert!(stderr.contains(p), "stderr lacks {p:?}:\n{stderr}");
    }
}

fn sync(env: &TestEnv) -> Run {
    env.run(&["sync", "--sso-session", SSO_SESSION, "-r", "eu-west-1"])
}

fn contexts(env: &TestEnv) -> Vec<String> {
    kubectl_view(env, &env.kubeconfig)["contexts"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| c["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_browser_sign_in_saves_the_login_the_cli_and_sync_use() {
    let mut env = TestEnv::new();
    let sso = FakeSso::builder(&env, world()).start();
    with_browser(&mut env, &sso, "approve");
    // -vvv: not even the SDK's debug output may show the verifier or the code.
    let (run, took) = login(&env, &["-vvv"]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(took < bound(Duration::from_secs(20)), "{took:?}");
    assert_says(
        &run.stderr,
        &["/authorize?", "come back to http://127.0.0.1:"],
    );
    assert!(run.stdout.contains("signed in"), "{}", run.stdout);
    assert_no_pkce_secrets(&run, &sso);

    let stats = sso.stats();
    assert_eq!(stats["registrations"], 1, "{stats}");
    assert_eq!(
        stats["registered_grants"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(stats["authorizations"], 1, "{stats}");
    assert_eq!(stats["device_polls"], 0, "{stats}");
    let grants: Vec<Value> = sso
        .answered("CreateToken")
        .into_iter()
        .map(|r| r["grant"].clone())
        .collect();
    assert_eq!(grants, [json!("authorization_code")]);
    let last = pages(&env).pop().expect("the browser loaded pages");
    assert_eq!(last["status"], 200, "{last}");
    assert!(last["url"].as_str().unwrap().contains("/oauth/callback?"));
    assert!(
        last["body"].as_str().unwrap().contains("close this tab"),
        "{last}"
    );

    let saved = assert_cli_login_file(&env.home);
    assert!(
        saved["refreshToken"]
            .as_str()
            .unwrap()
            .starts_with("aorFAKE")
    );

    let run = sync(&env);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(contexts(&env).contains(&"a.eu-west-1.prod".to_owned()));

    // The AWS CLI (botocore) signs in with the same file.
    env.write_sso_config(&format!(
        "\n[profile p]\nsso_session = {SSO_SESSION}\nsso_account_id = {PROD}\n\
         sso_role_name = ReadOnly\nregion = eu-west-1\n"
    ));
    let cli = Run::from(
        env.command("aws")
            .args(["eks", "list-clusters", "--profile", "p", "--output", "json"])
            .output()
            .expect("the AWS CLI (scripts/install-test-deps.sh installs it)"),
    );
    assert_eq!(cli.code, Some(0), "{}", cli.stderr);
    assert_eq!(cli.json()["clusters"], json!(["a", "b"]));
}

#[test]
fn a_browser_login_is_refreshed_by_sync_through_its_registration() {
    let mut env = TestEnv::new();
    // Tokens of one minute: within the refresh window as soon as they are issued.
    let sso = FakeSso::builder(&env, world()).token_ttl_secs(60).start();
    with_browser(&mut env, &sso, "approve");
    let (run, _) = login(&env, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let before = assert_cli_login_file(&env.home);

    let run = sync(&env);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(sso.stats()["refreshes"], 1, "{}", sso.stats());
    let after = assert_cli_login_file(&env.home);
    assert_ne!(after["accessToken"], before["accessToken"]);
    assert_ne!(after["refreshToken"], before["refreshToken"]);
    assert_eq!(after["clientId"], before["clientId"]);
    assert!(contexts(&env).contains(&"b.eu-west-1.prod".to_owned()));
}

#[test]
fn a_denied_consent_fails_naming_the_fix_and_saves_nothing() {
    let mut env = TestEnv::new();
    let sso = FakeSso::builder(&env, world()).start();
    with_browser(&mut env, &sso, "deny");
    let (run, took) = login(&env, &[]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(took < bound(Duration::from_secs(20)), "{took:?}");
    assert_says(
        &run.stderr,
        &[
            "not allowed",
            // The portal's description is quoted as its words, not eks-kc's.
            "(IAM Identity Center's error: access_denied; its description, quoted: \"The user \
             denied access\")",
            "eks-kc login --sso-session corp",
        ],
    );
    assert_eq!(sso.calls("CreateToken"), 0);
    assert!(!sso_cache_file(&env.home, SSO_SESSION).exists());
    let last = pages(&env).pop().unwrap();
    assert!(
        last["body"].as_str().unwrap().contains("not allowed"),
        "{last}"
    );
}

#[test]
fn a_redirect_with_another_state_is_ignored() {
    let mut env = TestEnv::new();
    let sso = FakeSso::builder(&env, world()).start();
    with_browser(&mut env, &sso, "wrong-state");
    let (run, took) = login(&env, &["--sign-in-timeout", "3s", "-v"]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(took < bound(Duration::from_secs(20)), "{took:?}");
    assert_says(
        &run.stderr,
        &[
            "did not come back",
            "ignored 1 request(s) that did not carry this sign-in's state",
            "eks-kc login --sso-session corp",
        ],
    );
    assert_no_pkce_secrets(&run, &sso);
    assert_eq!(sso.calls("CreateToken"), 0, "the code was exchanged anyway");
    assert!(!sso_cache_file(&env.home, SSO_SESSION).exists());
    assert_eq!(pages(&env).pop().unwrap()["status"], 400);
}

#[test]
fn a_browser_that_never_returns_ends_in_a_bounded_wait() {
    let mut env = TestEnv::new();
    let sso = FakeSso::builder(&env, world()).start();
    with_browser(&mut env, &sso, "never");
    let (run, took) = login(&env, &["--sign-in-timeout", "2s"]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        took >= Duration::from_secs(2) && took < bound(Duration::from_secs(12)),
        "{took:?}"
    );
    assert_says(
        &run.stderr,
        &[
            "did not come back to http://127.0.0.1:",
            "within 2s",
            "--use-device-code",
        ],
    );
    assert_eq!(sso.stats()["authorizations"], 1, "the page was not opened");
    assert!(!sso_cache_file(&env.home, SSO_SESSION).exists());

    // The same bound through the environment.
    env.set("EKS_KC_SIGN_IN_TIMEOUT", "1s");
    let (run, took) = login(&env, &[]);
    assert_eq!(run.code, Some(1));
    assert!(took < bound(Duration::from_secs(10)), "{took:?}");
    assert_says(&run.stderr, &["within 1s"]);
}

/// One raw request to the listener; what came back (possibly nothing: a reset).
fn raw(port: u16, request: &[u8]) -> String {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return "refused".into();
    };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(request);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// `eks-kc login --sso-session corp --sign-in-timeout 60s` plus `extra`, started; once its
/// listener is up: the child, the rest of its stderr, the sign-in URL and the listener's port.
fn listening(
    env: &TestEnv,
    extra: &[&str],
) -> (
    std::process::Child,
    std::io::Lines<BufReader<std::process::ChildStderr>>,
    String,
    u16,
) {
    let mut args = vec![
        "login",
        "--sso-session",
        SSO_SESSION,
        "--sign-in-timeout",
        "60s",
    ];
    args.extend_from_slice(extra);
    let mut child = env
        .eks_kc(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (mut url, mut port) = (None, None);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(u) = line
            .trim()
            .strip_prefix("http://127.0.0.1:")
            .filter(|u| u.contains("/authorize?"))
        {
            url = Some(format!("http://127.0.0.1:{u}"));
        }
        if let Some((_, rest)) = line.split_once("come back to http://127.0.0.1:") {
            port = rest.split('/').next().and_then(|p| p.parse::<u16>().ok());
            break;
        }
    }
    (
        child,
        lines,
        url.expect("the sign-in URL"),
        port.expect("the listener's port"),
    )
}

/// The person's browser (fake_browser.py) allowing the sign-in at `url`.
fn person_allows(env: &TestEnv, url: &str) -> std::process::Child {
    env.command("python3")
        .arg(support("fake_browser.py"))
        .arg(url)
        .env("FAKE_BROWSER", "approve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The rest of a login's stderr, its stdout and whether it succeeded.
fn finished(
    mut child: std::process::Child,
    lines: std::io::Lines<BufReader<std::process::ChildStderr>>,
) -> (bool, String, String) {
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    (status.success(), rest.join("\n"), stdout)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// tests/support/hostile_callbacks.py with `args`, as another local user (`nobody`) when this
/// runs as root with setpriv, else (said on stderr) as this user: the listener cannot tell.
fn another_user(args: &[&str]) -> std::process::Command {
    let script = support("hostile_callbacks.py");
    // The system's python3: another user may not enter this user's pyenv.
    let python = if std::path::Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let mut cmd = if is_root()
        && std::process::Command::new("setpriv")
            .arg("--help")
            .output()
            .is_ok()
    {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            python,
        ]);
        cmd
    } else {
        eprintln!("NOTE: not root (or no setpriv): the hostile requests come from this user");
        std::process::Command::new(python)
    };
    cmd.arg(script)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::null());
    cmd
}

// Issue 32 (7, 8): another local user's error callbacks without the sign-in's state ended the
// login, and their error_description became the cool-down's advice.
#[test]
fn error_callbacks_from_another_user_neither_end_the_sign_in_nor_become_advice() {
    let mut env = TestEnv::new();
    let sso = FakeSso::builder(&env, world()).start();
    // eks-kc's browser never comes back; this test plays the person itself.
    with_browser(&mut env, &sso, "never");
    let (child, lines, url, port) = listening(&env, &["-v"]);
    let attack = Run::from(
        another_user(&["forge", &port.to_string()])
            .output()
            .unwrap(),
    );
    assert_eq!(attack.code, Some(0), "{}", attack.stderr);
    for answer in attack.json()["answers"].as_array().unwrap() {
        assert_eq!(answer, "HTTP/1.1 400 Bad Request", "{}", attack.stdout);
    }
    let person = person_allows(&env, &url).wait_with_output().unwrap();
    assert!(person.status.success(), "{person:?}");
    let (ok, stderr, stdout) = finished(child, lines);
    assert!(ok, "{stderr}\n{stdout}");
    assert!(stderr.contains("ignored 4 request(s)"), "{stderr}");
    assert_cli_login_file(&env.home);
    assert_eq!(sso.calls("CreateToken"), 1);
    let status = env.run(&["cache", "status"]);
    for out in [&stderr, &stdout, &status.stdout, &status.stderr] {
        assert!(!out.contains("evil.example"), "{out}");
    }
}

// Issue 32 (9): a flood of connections from another user held the browser's return off for as
// long as it lasted.
#[test]
fn a_connection_flood_does_not_hold_the_browser_s_return_off() {
    let mut env = TestEnv::new();
    let sso = FakeSso::builder(&env, world()).start();
    with_browser(&mut env, &sso, "never");
    let (child, lines, url, port) = listening(&env, &[]);
    // 1,400 connections a second for 20 s (bounded: 20,000 at most), the last 300 held open.
    let mut flood = another_user(&["flood", &port.to_string(), "20", "1400"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let started = Instant::now();
    let person = person_allows(&env, &url).wait_with_output().unwrap();
    let took = started.elapsed();
    let still_flooding = flood.try_wait().unwrap().is_none();
    let (ok, stderr, stdout) = finished(child, lines);
    let _ = flood.kill();
    let flood = Run::from(flood.wait_with_output().unwrap());
    assert!(person.status.success(), "{person:?}");
    assert!(ok, "{stderr}\n{stdout}");
    assert!(
        still_flooding,
        "the browser came back only after the flood ({took:?}): {}{}",
        flood.stdout, flood.stderr
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_cli_login_file(&env.home);
    eprintln!("MEASURED the browser's return under a flood: {took:?}");
}

#[test]
fn junk_at_the_listener_is_answered_and_the_real_return_still_signs_in() {
    let mut env = TestEnv::new();
    let sso = FakeSso::builder(&env, world()).start();
    // eks-kc's browser never comes back; this test plays the person itself.
    with_browser(&mut env, &sso, "never");
    let (child, lines, url, port) = listening(&env, &[]);
    assert!(raw(port, b"GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n").starts_with("HTTP/1.1 404"));
    assert!(raw(port, b"GET /oauth/callback HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400"));
    assert!(raw(port, b"\x00\xff garbage\r\n\r\n").starts_with("HTTP/1.1 4"));
    raw(port, &vec![b'A'; 1 << 20]);
    let _silent = TcpStream::connect(("127.0.0.1", port)).unwrap();

    let person = person_allows(&env, &url).wait_with_output().unwrap();
    assert!(person.status.success(), "{person:?}");
    let (ok, stderr, stdout) = finished(child, lines);
    assert!(ok, "{stderr}\n{stdout}");
    assert_cli_login_file(&env.home);
    assert_eq!(
        raw(port, b"GET /oauth/callback?code=x&state=y HTTP/1.1\r\n\r\n"),
        "refused"
    );
}

#[test]
fn where_no_browser_can_open_login_says_so_and_offers_the_device_code() {
    let mut env = TestEnv::new();
    let sso = FakeSso::builder(&env, world()).start();
    env.write_sso_config("");
    sso.serve(&mut env);
    // No BROWSER and no display; then a display, but over SSH.
    let (run, took) = login(&env, &[]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(took < bound(Duration::from_secs(5)), "{took:?}");
    assert_says(
        &run.stderr,
        &[
            "no browser can open here",
            "no display",
            "eks-kc login --sso-session corp --use-device-code",
        ],
    );
    env.set("DISPLAY", ":0");
    env.set("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22");
    let (run, _) = login(&env, &[]);
    assert_eq!(run.code, Some(1));
    assert_says(&run.stderr, &["SSH session", "--use-device-code"]);
    assert_eq!(sso.calls("RegisterClient"), 0, "it went on regardless");

    // On a terminal it asks, and yes is the device flow.
    let run = in_pty_within(
        &env,
        "login --sso-session corp",
        "y\n",
        Duration::from_secs(30),
    )
    .expect("the login finishes");
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_says(&run.stdout, &["Sign in with a code", "confirm the code"]);
    assert!(sso.stats()["device_polls"].as_u64().unwrap() >= 1);
    assert_cli_login_file(&env.home);

    // --use-device-code needs no question at all.
    let (run, _) = login(&env, &["--use-device-code"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stderr.contains("no browser"), "{}", run.stderr);
}
