//! Honest answers (issue 20): no directory or file another user controls is trusted, no failure
//! is reported as success, and what eks-kc prints for a person cannot drive their terminal.
//! Each test names the bug it guards.

use std::fs;

use crate::fakes::*;
use crate::harness::*;
use serde_json::json;

// A rejected access key was reported as "regions not enabled" and exit 0.
#[test]
fn a_rejected_key_is_a_failed_target_not_a_region_not_enabled() {
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({
        "__rejects__": {
            "us-east-1": "UnrecognizedClientException",
            "eu-west-1": "InvalidClientTokenId",
            "af-south-1": "UnrecognizedClientException",
        },
    }));
    for region in ["us-east-1", "eu-west-1"] {
        let run = env.run(&["sync", "-p", "team", "-r", region]);
        assert_eq!(run.code, Some(1), "{region}: {}", run.stderr);
        assert!(
            run.stderr.contains("AWS rejected the access key")
                && run
                    .stderr
                    .contains("aws sts get-caller-identity --profile team"),
            "{region}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("not enabled"), "{}", run.stderr);
        assert!(!env.kubeconfig.exists(), "nothing is written");
    }
    // In an opt-in region the same refusal is "rejected" only when the home region refuses
    // the key too (here us-east-1 does).
    let run = env.run(&["sync", "-p", "team", "-r", "af-south-1", "-o", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(
        run.json()["targets"][0]["status"],
        "failed",
        "{}",
        run.stdout
    );
}

// An opt-in region the account has not enabled is still a skip, not a failure.
#[test]
fn an_opt_in_region_not_enabled_is_skipped_when_the_key_works_elsewhere() {
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({
        "__rejects__": {"af-south-1": "UnrecognizedClientException"},
        "eu-west-1": [{"name": "alpha", "endpoint": "https://127.0.0.1:6443", "ca": "Q0E="}],
    }));
    let run = env.run(&["sync", "-p", "team", "-r", "af-south-1", "-o", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.json()["targets"][0]["status"],
        "not-enabled",
        "{}",
        run.stdout
    );
    let run = env.run(&["sync", "-p", "team", "-r", "af-south-1", "-r", "eu-west-1"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("not enabled"), "{}", run.stderr);
    assert!(
        fs::read_to_string(&env.kubeconfig)
            .unwrap()
            .contains("alpha")
    );
}

const OTHER: u32 = 65534;

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A kubeconfig with two plain contexts (no credentials needed to switch between them).
fn two_contexts(env: &TestEnv) {
    fs::write(
        &env.kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\n\
         contexts:\n- name: one\n  context: {cluster: c, user: u}\n- name: two\n  context: {cluster: c, user: u}\n\
         current-context: one\nusers:\n- name: u\n  user: {token: x}\n",
    )
    .unwrap();
}

fn chown(path: &std::path::Path, uid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(uid)).unwrap();
}

fn mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

// Per-shell files were created under a `shells/` directory another user made first in a shared
// EKS_KC_STATE_DIR, and under another user's XDG_RUNTIME_DIR (root's shell after `su`): that
// user could swap the file and run their exec command as the victim.
#[test]
fn per_shell_files_never_go_under_a_directory_another_user_controls() {
    if !is_root() {
        eprintln!("SKIPPED: planting directories of another user needs root");
        return;
    }
    let mut env = TestEnv::new();
    two_contexts(&env);
    let shared = env.path("shared");
    fs::create_dir(&shared).unwrap();
    mode(&shared, 0o1777);
    let planted = shared.join("shells");
    fs::create_dir(&planted).unwrap();
    mode(&planted, 0o777);
    chown(&planted, OTHER);
    env.set("EKS_KC_STATE_DIR", shared.to_str().unwrap());
    env.set("EKS_KC_SHELL", std::process::id().to_string());
    env.set("_EKS_KC_EVAL", "bash");
    let run = env.run(&["use", "two", "--shell"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        fs::read_dir(&planted).unwrap().count(),
        0,
        "nothing under the planted dir"
    );
    let own = shared.join("eks-kc-0/shells");
    let files: Vec<_> = fs::read_dir(&own).unwrap().flatten().collect();
    assert_eq!(
        files.len(),
        1,
        "the shell's file is in eks-kc's own subdirectory"
    );
    // A private subdirectory planted by the other user is refused, naming it and its owner.
    fs::remove_dir_all(shared.join("eks-kc-0")).unwrap();
    fs::create_dir(shared.join("eks-kc-0")).unwrap();
    mode(&shared.join("eks-kc-0"), 0o700);
    chown(&shared.join("eks-kc-0"), OTHER);
    let run = env.run(&["use", "one", "--shell"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("eks-kc-0") && run.stderr.contains("uid 65534"),
        "{}",
        run.stderr
    );
    // Another user's XDG_RUNTIME_DIR (kept by `su` or `sudo -E`) is passed over.
    env.env.remove("EKS_KC_STATE_DIR");
    let runtime = env.path("run-user-65534");
    fs::create_dir(&runtime).unwrap();
    mode(&runtime, 0o700);
    chown(&runtime, OTHER);
    env.set("XDG_RUNTIME_DIR", runtime.to_str().unwrap());
    let run = env.run(&["use", "two", "--shell"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        fs::read_dir(&runtime).unwrap().count(),
        0,
        "nothing in their runtime dir"
    );
    assert!(env.home.join(".local/state/eks-kc/shells").is_dir());
    // A state directory under a parent another user owns is refused, not written.
    let theirs = env.path("theirs");
    fs::create_dir(&theirs).unwrap();
    chown(&theirs, OTHER);
    env.set("EKS_KC_STATE_DIR", theirs.join("state").to_str().unwrap());
    let run = env.run(&["use", "one", "--shell"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("belongs to uid 65534"),
        "{}",
        run.stderr
    );
    assert!(!theirs.join("state").exists());
}

/// Profile `team` and a fake EKS with one cluster in eu-west-1; the config file's path.
fn config_world() -> (TestEnv, FakeEks, std::path::PathBuf) {
    let mut env = TestEnv::new();
    let eks = env.team_with_fake_eks(&json!({
        "eu-west-1": [{"name": "west", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="}],
    }));
    let config = env.path("conf/config.yaml");
    fs::create_dir_all(config.parent().unwrap()).unwrap();
    mode(config.parent().unwrap(), 0o700);
    env.set("EKS_KC_CONFIG", config.to_str().unwrap());
    (env, eks, config)
}

// A config file another user could write was used silently: it can name a role to assume.
#[test]
fn a_config_file_others_can_write_is_refused_with_the_fix() {
    let (env, _eks, config) = config_world();
    fs::write(&config, "sync:\n  profiles: [team]\n").unwrap();
    mode(&config, 0o666);
    let run = env.run(&["sync"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("writable by other users (mode 666)")
            && run
                .stderr
                .contains(&format!("chmod go-w {}", config.display())),
        "{}",
        run.stderr
    );
    assert!(!env.kubeconfig.exists());
    mode(&config, 0o600);
    // In a directory others may write to (not sticky), the file could be swapped.
    mode(config.parent().unwrap(), 0o777);
    let run = env.run(&["config", "show"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("not sticky"), "{}", run.stderr);
    mode(config.parent().unwrap(), 0o700);
    env.run(&["config", "show"]).ok();
    if is_root() {
        chown(&config, OTHER);
        let run = env.run(&["sync"]);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(
            run.stderr.contains("belongs to uid 65534") && run.stderr.contains("chown"),
            "{}",
            run.stderr
        );
    } else {
        eprintln!("SKIPPED: a config file of another user needs root");
    }
}

// EKS_KC_CONFIG=/dev/zero was read until memory ran out (its size reads as 0).
#[test]
fn a_config_file_that_is_a_device_is_refused_unread() {
    let (mut env, _eks, _config) = config_world();
    env.set("EKS_KC_CONFIG", "/dev/zero");
    let started = std::time::Instant::now();
    let run = env.run(&["config", "show"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    // A kubeconfig that is a device is refused as well, not read without end.
    env.set("KUBECONFIG", "/dev/zero");
    let run = env.run(&["list"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    assert!(started.elapsed() < bound(std::time::Duration::from_secs(5)));
}

// Four parallel `sync --save` runs of different options lost settings in 15 of 15 rounds.
#[test]
fn parallel_saves_keep_every_setting() {
    let (env, _eks, config) = config_world();
    for round in 0..5 {
        let _ = fs::remove_file(&config);
        let saves: [&[&str]; 4] = [
            &["sync", "-p", "team", "--save"],
            &["sync", "-p", "team", "--prune", "--save"],
            &["sync", "-p", "team", "--concurrency", "9", "--save"],
            &[
                "sync",
                "-p",
                "team",
                "--exec-style",
                "per-context",
                "--save",
            ],
        ];
        let children: Vec<_> = saves
            .iter()
            .map(|a| {
                env.eks_kc(a)
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.code().is_some(), "round {round}");
        }
        let text = fs::read_to_string(&config).unwrap();
        for key in [
            "prune: true",
            "concurrency: 9",
            "exec-style: per-context",
            "- team",
        ] {
            assert!(text.contains(key), "round {round}: {key} lost:\n{text}");
        }
    }
}

// `doctor` held an endless /version body in memory (2.5 GB in 9 s within EKS_KC_TIMEOUT).
#[test]
fn doctor_stops_reading_an_endless_answer() {
    let mut env = TestEnv::new();
    env.write_static_profile("team");
    env.write_aws_config("[profile team]\nregion = eu-west-1\n");
    let sts = FakeSts::start(&env);
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    let api = ApiServer::builder(&env, "prod", "eu-west-1")
        .endless_version()
        .start();
    let eks = FakeEks::start(
        &env,
        &json!({"eu-west-1": [{"name": "prod", "endpoint": api.url(), "ca": api.ca_data()}]}),
    );
    env.set("AWS_ENDPOINT_URL_EKS", eks.url());
    env.set("EKS_KC_TIMEOUT", "20s");
    env.run(&["sync", "-p", "team"]).ok();
    let started = std::time::Instant::now();
    let out = env
        .command("/usr/bin/time")
        .args(["-f", "MAXRSS %M"])
        .arg(bin())
        .args(["doctor", "prod.eu-west-1.team"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("larger than 1 MiB") || stderr.contains("larger than 1 MiB"),
        "{stdout}\n{stderr}"
    );
    assert!(started.elapsed() < bound(std::time::Duration::from_secs(15)));
    let rss: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("MAXRSS "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    assert!(rss < 200 * 1024, "peak RSS {rss} KiB");
}

/// A fake `xdg-open` first on PATH that records each call's arguments in `opened.log`.
fn recording_opener(env: &mut TestEnv) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = env.path("opener-bin");
    fs::create_dir_all(&bin).unwrap();
    let log = env.path("opened.log");
    let script = bin.join("xdg-open");
    fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\n", log.display()),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    env.set("PATH", format!("{}:{}", bin.display(), child_path()));
    log
}

// The browser opener was given any URL the portal sent (file://, javascript:, a leading `-`).
#[test]
fn only_https_urls_from_the_portal_reach_the_browser() {
    for (uri, opened) in [
        ("file:///etc/passwd", false),
        ("-e javascript:alert(1)", false),
        ("https://evil.example/\x1b]0;owned\x07", false),
        (
            "https://device.sso.us-east-1.amazonaws.com/?user_code=AB",
            true,
        ),
    ] {
        let mut env = TestEnv::new();
        let sso = FakeSso::builder(&env, json!({"accounts": []}))
            .verification_uri(uri)
            .start();
        env.write_sso_config("");
        sso.serve(&mut env);
        let log = recording_opener(&mut env);
        let run = env.run(&[
            "login",
            "--sso-session",
            SSO_SESSION,
            "--use-device-code",
            "--browser",
        ]);
        assert_eq!(run.code, Some(0), "{uri:?}: {}", run.stderr);
        let calls = fs::read_to_string(&log).unwrap_or_default();
        if opened {
            assert_eq!(calls, format!("{uri}\n"));
        } else {
            assert_eq!(calls, "", "{uri:?} was opened");
            assert!(
                run.stderr.contains("only https:// URLs are opened"),
                "{}",
                run.stderr
            );
        }
        assert!(
            !run.stderr.contains('\x1b') && !run.stderr.contains('\x07'),
            "{:?}",
            run.stderr
        );
    }
}

fn assert_no_control(what: &str, text: &str) {
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{what} carries control characters: {text:?}"
    );
}

// Context, cluster and namespace names reached the terminal with ESC/OSC/CSI/BEL/CR intact.
#[test]
fn names_from_a_kubeconfig_and_the_eks_api_cannot_drive_the_terminal() {
    let evil = "ev\u{1b}]0;owned\u{7}il\r\u{1b}[2J\u{9b}31m";
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({
        "eu-west-1": [{"name": evil, "endpoint": "https://127.0.0.1:1", "ca": "Q0E="}],
    }));
    let run = env.run(&["sync", "-p", "team"]);
    assert_no_control("sync's summary", &run.stderr);
    let run = env.run(&["sync", "-p", "team", "--dry-run", "--prune"]);
    assert_no_control("sync --dry-run", &(run.stdout.clone() + &run.stderr));
    for args in [&["list"][..], &["use", "ev"], &["prompt"]] {
        let run = env.run(args);
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        assert!(
            run.stdout.contains("\\x1b]0;owned\\x07"),
            "{args:?}: {}",
            run.stdout
        );
        assert_no_control(&format!("{args:?}"), &(run.stdout.clone() + &run.stderr));
    }
    // -o json keeps the names exact.
    let run = env.run(&["list", "-o", "json"]);
    assert!(
        run.stdout.contains("\\u001b]0;owned\\u0007"),
        "{}",
        run.stdout
    );
    // A kubeconfig written by someone else, with the same kind of names.
    let yaml_evil = "ev\\e]0;owned\\ail\\r\\e[2J";
    fs::write(
        &env.kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: \"c{yaml_evil}\"\n  cluster: {{server: 'https://127.0.0.1:1'}}\n\
             contexts:\n- name: \"{yaml_evil}\"\n  context: {{cluster: \"c{yaml_evil}\", user: u, namespace: \"n{yaml_evil}\"}}\n\
             - name: plain\n  context: {{cluster: \"c{yaml_evil}\", user: u}}\n\
             current-context: plain\nusers:\n- name: u\n  user: {{token: x}}\n"
        ),
    )
    .unwrap();
    for args in [
        &["use", "ev"][..],
        &["prompt"],
        &["use", "plain"],
        &["ns", "n\u{1b}[2J"],
        &["use", "nothing-like-this"],
    ] {
        let run = env.run(args);
        assert!(run.code.is_some());
        assert_no_control(&format!("{args:?}"), &(run.stdout.clone() + &run.stderr));
    }
}

// A region that listed no cluster said nothing, and nothing suggested looking elsewhere.
#[test]
fn a_region_without_clusters_says_so_and_where_else_to_look() {
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({}));
    let run = env.run(&["sync", "-p", "team", "-r", "eu-west-1"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("no clusters in team/eu-west-1"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("eks-kc sync --all-regions"),
        "{}",
        run.stderr
    );
}

// With no contexts at all, verify, doctor and ns pointed at `eks-kc use`, which cannot help.
#[test]
fn with_no_contexts_the_advice_is_to_sync() {
    let env = TestEnv::new();
    for args in [&["verify"][..], &["doctor"], &["ns"], &["ns", "web"]] {
        let run = env.run(args);
        assert_eq!(run.code, Some(1), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("`eks-kc sync`"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("eks-kc use"),
            "{args:?}: {}",
            run.stderr
        );
    }
    // With contexts but none current, picking one is the advice.
    two_contexts(&env);
    let text = fs::read_to_string(&env.kubeconfig)
        .unwrap()
        .replace("current-context: one\n", "");
    fs::write(&env.kubeconfig, text).unwrap();
    let run = env.run(&["ns"]);
    assert!(run.stderr.contains("eks-kc use CONTEXT"), "{}", run.stderr);
}

// `eks-kc token` run by hand talked about --cluster-name only, not the form that works.
#[test]
fn token_by_hand_shows_the_form_that_works() {
    let env = TestEnv::new().with_env_keys();
    let run = env.run(&["token"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("eks-kc token -c NAME --region R"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

// `cache clear --context` wanted the full name where `use` takes a unique prefix or substring.
#[test]
fn cache_clear_takes_the_names_use_takes() {
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({
        "eu-west-1": [{"name": "alpha", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="},
                      {"name": "beta", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="}],
    }));
    env.run(&["sync", "-p", "team"]).ok();
    let run = env.run(&["cache", "clear", "--context", "alph"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let run = env.run(&["cache", "clear", "--context", "eu-west"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("ambiguous"), "{}", run.stderr);
}

// -v and -vv wrote ANSI colours into files and pipes, and repeated the SDK's lines.
#[test]
fn verbose_output_is_plain_in_a_pipe_and_says_each_line_once() {
    let env = TestEnv::new();
    for v in ["-v", "-vv"] {
        let run = env.run(&["sync", v, "-r", "eu-west-1"]);
        assert!(!run.stderr.contains('\u{1b}'), "{v}: {:?}", run.stderr);
        let mut lines: Vec<&str> = run
            .stderr
            .lines()
            .filter_map(|l| l.split_once(' ').map(|(_time, rest)| rest))
            .collect();
        let all = lines.len();
        lines.sort_unstable();
        lines.dedup();
        assert_eq!(lines.len(), all, "{v}: a line repeated:\n{}", run.stderr);
    }
}

fn keyring_warnings(run: &Run) -> usize {
    run.stderr.matches("no usable OS keyring").count()
}

// The "no usable OS keyring" warning came twice in one sync and again after `cache clear`; a
// failed `token` left lock files and a keyring marker; `prompt` created the cache directory.
#[test]
fn the_keyring_warning_comes_once_and_failures_leave_nothing_behind() {
    let _keyring = real_keyring();
    let mut env = TestEnv::new();
    env.env.insert("EKS_KC_KEYRING".into(), "on".into());
    let sts = FakeSts::start(&env);
    let eks = FakeEks::start(&env, &json!({}));
    env.write_static_profile("base");
    env.write_aws_config(
        "[profile ops]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111122223333:role/a\nsource_profile = base\n\
         [profile dev]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111122223333:role/b\nsource_profile = base\n\
         [profile broken]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111122223333:role/c\nsource_profile = nope\n",
    );
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    env.set("AWS_ENDPOINT_URL_EKS", eks.url());
    // prompt with no kubeconfig leaves no cache directory.
    env.run(&["prompt"]).ok();
    assert!(
        !env.cache_dir.exists(),
        "prompt created {}",
        env.cache_dir.display()
    );
    // A failed token leaves no lock file and no keyring marker.
    let run = env.run(&[
        "token",
        "-c",
        "x",
        "--region",
        "eu-west-1",
        "--profile",
        "broken",
    ]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(
        env.cache_files(),
        Vec::<std::path::PathBuf>::new(),
        "left behind"
    );
    assert_eq!(keyring_warnings(&run), 0, "{}", run.stderr);
    // One sync of two role profiles: at most one warning (none where a keyring works).
    let run = env.run(&["sync", "-p", "ops", "-p", "dev"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let first = keyring_warnings(&run);
    assert!(first <= 1, "{}", run.stderr);
    env.run(&["cache", "clear"]).ok();
    let run = env.run(&["sync", "-p", "ops", "-p", "dev"]);
    assert_eq!(
        keyring_warnings(&run),
        0,
        "warned again after cache clear: {}",
        run.stderr
    );
    env.run(&["cache", "clear"]).ok();
}

// `cache status` named default-chain tokens "env AWS_ENDPOINT_URL_STS"; `list` said
// "fresh (13m left)" for a token renewed with 5 minutes left.
#[test]
fn labels_say_who_and_when() {
    let mut env = TestEnv::new();
    env.write_static_profile("team");
    env.write_aws_config("[profile team]\nregion = eu-west-1\n");
    let sts = FakeSts::start(&env);
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    env.set("AWS_PROFILE", "team");
    let api = ApiServer::start(&env, "prod", "eu-west-1");
    fs::write(
        &env.kubeconfig,
        generic_kubeconfig(&api, "prod", "eu-west-1", "team"),
    )
    .unwrap();
    env.run(&["token", "-c", "prod", "--region", "eu-west-1"])
        .ok();
    let status = env.run(&["cache", "status"]).ok().stdout.clone();
    assert!(!status.contains("AWS_ENDPOINT_URL"), "{status}");
    assert!(status.contains("default chain (AWS_PROFILE)"), "{status}");
    // A sync'd context: its token, 14 minutes long, is renewed 5 minutes before it expires.
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({
        "eu-west-1": [{"name": "prod", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="}],
    }));
    env.run(&["sync", "-p", "team"]).ok();
    env.run(&[
        "token",
        "-c",
        "prod",
        "--region",
        "eu-west-1",
        "--profile",
        "team",
    ])
    .ok();
    let list = env.run(&["list"]).ok().stdout.clone();
    assert!(
        list.contains("fresh (renews in 8m)") || list.contains("fresh (renews in 9m)"),
        "{list}"
    );
}

// Help disagreed with behaviour: `config show --help` offered `-o text` (rejected), and `-o`
// took `text|json` on sync but `table|json` elsewhere.
#[test]
fn every_output_flag_takes_the_same_words() {
    let env = TestEnv::new();
    for args in [
        &["list", "-o"][..],
        &["cache", "status", "-o"],
        &["config", "show", "-o"],
    ] {
        for word in ["text", "table", "json"] {
            let mut a = args.to_vec();
            a.push(word);
            let run = env.run(&a);
            assert_ne!(run.code, Some(2), "{a:?}: {}", run.stderr);
        }
    }
    let run = env.run(&["sync", "-o", "table", "-n"]);
    assert_ne!(run.code, Some(2), "{}", run.stderr);
    let help = env.run(&["config", "show", "--help"]).ok().stdout.clone();
    assert!(help.contains("[possible values: text, json]"), "{help}");
    let help = env.run(&["cache", "clear", "--help"]).ok().stdout.clone();
    assert!(help.contains("temporary AWS credentials"), "{help}");
    let mut cmd = env.eks_kc(&["token", "--help"]);
    let help = Run::from(cmd.env("EKS_KC_LOCK_TIMEOUT", "").output().unwrap());
    assert!(
        !help.stdout.contains("EKS_KC_LOCK_TIMEOUT="),
        "{}",
        help.stdout
    );
}

// `doctor` wanted the full context name where `use` takes a unique prefix or substring.
#[test]
fn doctor_takes_the_names_use_takes() {
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({
        "eu-west-1": [{"name": "alpha", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="},
                      {"name": "beta", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="}],
    }));
    env.set("EKS_KC_TIMEOUT", "2s");
    env.run(&["sync", "-p", "team"]).ok();
    let run = env.run(&["doctor", "alph", "-o", "json"]);
    assert!(
        run.stdout.contains("alpha.eu-west-1.team"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    let run = env.run(&["doctor", "eu-west"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("ambiguous"), "{}", run.stderr);
}
