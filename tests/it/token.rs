//! `eks-kc token` as kubectl runs it: the real binary, a temporary HOME, no network.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use crate::fakes::*;
use crate::harness::*;
use chrono::{DateTime, Duration, Utc};

const CLUSTER: &str = "prod";
const REGION: &str = "eu-west-1";

fn exec_info_raw(api_version: &str, config: &str) -> String {
    format!(
        r#"{{"apiVersion":"client.authentication.k8s.io/{api_version}","kind":"ExecCredential","spec":{{"interactive":false,"cluster":{{"server":"https://127.0.0.1:1","config":{config}}}}}}}"#
    )
}

/// A profile whose credentials come from a counting `credential_process`.
fn env_with_counting_profile(expiration: Option<&str>) -> (TestEnv, std::path::PathBuf) {
    let env = TestEnv::new();
    let (script, counter) = match expiration {
        Some(at) => env.counting_credential_process_expiring(at),
        None => env.counting_credential_process(),
    };
    env.write_aws_config(&format!(
        "[profile counted]\ncredential_process = {}\nregion = {REGION}\n",
        script.display()
    ));
    (env, counter)
}

#[test]
fn a_cache_hit_returns_the_same_token_without_resolving_credentials() {
    let (env, counter) = env_with_counting_profile(None);
    let args = [
        "token",
        "-c",
        CLUSTER,
        "--region",
        REGION,
        "--profile",
        "counted",
    ];
    let first = env.run(&args);
    first.ok();
    assert_eq!(count_lines(&counter), 1);
    let second = env.run(&args);
    second.ok();
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(
        count_lines(&counter),
        1,
        "a hit must not resolve credentials"
    );
    assert!(second.stderr.is_empty(), "{}", second.stderr);
    assert_tokens_accepted(CLUSTER, REGION, &env.keys_file(), &[first.token()]);
}

#[test]
fn exec_info_supplies_the_cluster_and_the_api_version_is_echoed() {
    let env = TestEnv::new().with_env_keys();
    for version in ["v1", "v1beta1"] {
        let run = Run::from(
            env.eks_kc(&["token"])
                .env(
                    "KUBERNETES_EXEC_INFO",
                    exec_info_raw(version, r#"{"clusterName":"prod","region":"eu-west-1"}"#),
                )
                .output()
                .unwrap(),
        );
        run.ok();
        let json = run.json();
        assert_eq!(
            json["apiVersion"],
            format!("client.authentication.k8s.io/{version}")
        );
        assert_eq!(json["kind"], "ExecCredential");
        let expiry: DateTime<Utc> = json["status"]["expirationTimestamp"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let left = expiry - Utc::now();
        assert!(
            left > Duration::minutes(13) && left <= Duration::minutes(14),
            "{left}"
        );
        assert_tokens_accepted(CLUSTER, REGION, &env.keys_file(), &[run.token()]);
    }
    // Without exec info the plugin answers v1beta1.
    let run = env.run(&["token", "-c", CLUSTER, "--region", REGION]);
    assert_eq!(
        run.ok().json()["apiVersion"],
        "client.authentication.k8s.io/v1beta1"
    );
}

#[test]
fn the_bare_token_option_prints_only_the_token() {
    let env = TestEnv::new().with_env_keys();
    let run = env.run(&["token", "-c", CLUSTER, "--region", REGION, "-o", "token"]);
    run.ok();
    assert_eq!(run.stdout.lines().count(), 1);
    let token = run.stdout.trim().to_owned();
    assert!(token.starts_with("k8s-aws-v1."));
    assert_tokens_accepted(CLUSTER, REGION, &env.keys_file(), &[token]);
}

#[test]
fn sixty_four_parallel_cold_calls_resolve_credentials_once() {
    let (env, counter) = env_with_counting_profile(None);
    let children: Vec<_> = (0..64)
        .map(|_| {
            env.eks_kc(&["token"])
                .env(
                    "KUBERNETES_EXEC_INFO",
                    exec_info(CLUSTER, REGION, "counted"),
                )
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().unwrap()))
        .collect();
    let mut tokens: Vec<String> = runs.iter().map(|r| r.ok().token()).collect();
    assert_eq!(
        count_lines(&counter),
        1,
        "credentials resolved more than once"
    );
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "every caller gets the one signed token");
    assert_tokens_accepted(CLUSTER, REGION, &env.keys_file(), &tokens);
}

#[test]
fn a_damaged_cache_is_a_miss_never_a_failure() {
    let env = TestEnv::new().with_env_keys();
    let args = ["token", "-c", CLUSTER, "--region", REGION];
    env.run(&args).ok();
    let files = env.cache_files();
    assert_eq!(files.len(), 2, "{files:?}"); // the entry and its lock file
    let original = fs::read(
        files
            .iter()
            .find(|f| f.extension().unwrap() == "json")
            .unwrap(),
    )
    .unwrap();

    let damages: Vec<(&str, Vec<u8>)> = vec![
        (
            "random bytes",
            (0..700u32).map(|i| (i * 7919 % 251) as u8).collect(),
        ),
        ("truncated", original[..original.len() / 2].to_vec()),
        ("empty", vec![]),
        (
            "foreign format",
            br#"{"version":99,"token":"k8s-aws-v1.bogus"}"#.to_vec(),
        ),
    ];
    for (what, bytes) in damages {
        for f in &files {
            fs::write(f, &bytes).unwrap();
        }
        let run = env.run(&args);
        run.ok();
        assert!(
            run.stderr_lines().len() <= 1,
            "{what}: at most one warning, got {:?}",
            run.stderr
        );
        assert_tokens_accepted(CLUSTER, REGION, &env.keys_file(), &[run.token()]);
        // The next call is a clean hit again: the entry was rewritten.
        let again = env.run(&args);
        assert!(again.ok().stderr.is_empty(), "{what}: {}", again.stderr);
        assert_eq!(again.token(), run.token(), "{what}");
    }
}

/// Makes a directory unwritable even for root (chattr +i), or by mode for other users.
struct ReadOnly(std::path::PathBuf);

impl ReadOnly {
    fn new(dir: &std::path::Path) -> Option<Self> {
        let root = effective_uid() == 0;
        if root {
            let ok = Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return None;
            }
        } else {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o500)).unwrap();
        }
        Some(ReadOnly(dir.to_path_buf()))
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o700));
    }
}

fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[test]
fn a_read_only_cache_dir_still_yields_a_token_and_one_warning() {
    let env = TestEnv::new().with_env_keys();
    fs::create_dir_all(&env.cache_dir).unwrap();
    fs::set_permissions(&env.cache_dir, fs::Permissions::from_mode(0o700)).unwrap();
    let Some(_guard) = ReadOnly::new(&env.cache_dir) else {
        eprintln!("SKIPPED: cannot make a read-only directory here (chattr +i failed as root)");
        return;
    };
    let run = env.run(&["token", "-c", CLUSTER, "--region", REGION]);
    run.ok();
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "exactly one warning: {:?}", run.stderr);
    assert!(lines[0].contains("warning"), "{}", lines[0]);
    assert_tokens_accepted(CLUSTER, REGION, &env.keys_file(), &[run.token()]);
}

#[test]
fn cache_files_are_private() {
    let env = TestEnv::new().with_env_keys();
    env.run(&["token", "-c", CLUSTER, "--region", REGION]).ok();
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&env.cache_dir), 0o700);
    let files = env.cache_files();
    assert!(!files.is_empty());
    for f in files {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}

#[test]
fn short_lived_credentials_cap_the_expiry() {
    let creds_expiry = (Utc::now() + Duration::minutes(10)).format("%Y-%m-%dT%H:%M:%SZ");
    let (env, _) = env_with_counting_profile(Some(&creds_expiry.to_string()));
    let run = env.run(&["token", "-c", CLUSTER, "--profile", "counted"]);
    let expiry: DateTime<Utc> = run.ok().json()["status"]["expirationTimestamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let creds_expiry: DateTime<Utc> = creds_expiry.to_string().parse().unwrap();
    assert_eq!(expiry, creds_expiry - Duration::minutes(1));
}

#[test]
fn the_region_comes_from_the_profile_when_nothing_else_names_one() {
    let (env, _) = env_with_counting_profile(None);
    let run = env.run(&["token", "-c", CLUSTER, "--profile", "counted"]);
    assert!(token_url(&run.ok().token()).starts_with("https://sts.eu-west-1.amazonaws.com/?"));
}

#[test]
fn the_token_names_the_canonical_sts_host_never_the_endpoint_override() {
    let mut env = TestEnv::new().with_env_keys();
    env.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
    env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    for (region, host) in [
        ("us-east-1", "sts.us-east-1.amazonaws.com"),
        ("cn-north-1", "sts.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", "sts.us-gov-west-1.amazonaws.com"),
        ("eusc-de-east-1", "sts.eusc-de-east-1.amazonaws.eu"),
    ] {
        let run = env.run(&["token", "-c", CLUSTER, "--region", region]);
        let token = run.ok().token();
        let url = token_url(&token);
        assert!(url.starts_with(&format!("https://{host}/?")), "{url}");
        // And the token checker of that partition accepts it (issue 35: eusc-de-east-1 was
        // refused as "not an AWS region name").
        assert_tokens_accepted(CLUSTER, region, &env.keys_file(), &[token]);
    }
    // A region of a partition's pattern that eks-kc has never heard of is signed in that
    // partition.
    let run = env.run(&["token", "-c", CLUSTER, "--region", "eusc-de-north-2"]);
    assert!(token_url(&run.ok().token()).starts_with("https://sts.eusc-de-north-2.amazonaws.eu/?"));
    env.set("AWS_USE_FIPS_ENDPOINT", "true");
    let run = env.run(&["token", "-c", CLUSTER, "--region", "us-east-1"]);
    let url = token_url(&run.ok().token());
    assert!(
        url.starts_with("https://sts-fips.us-east-1.amazonaws.com/?"),
        "{url}"
    );
}

#[test]
fn bad_input_fails_with_one_line_and_empty_stdout() {
    let env = TestEnv::new().with_env_keys();
    let cases: Vec<(&str, Option<String>, Vec<&str>)> = vec![
        (
            "garbage exec info",
            Some("\u{1}garbage{".into()),
            vec!["token"],
        ),
        (
            "unknown apiVersion",
            Some(exec_info_raw("v1alpha1", r#"{"clusterName":"prod"}"#)),
            vec!["token"],
        ),
        (
            "no cluster name",
            Some(exec_info_raw("v1", r#"{"region":"eu-west-1"}"#)),
            vec!["token"],
        ),
        ("no cluster name, no exec info", None, vec!["token"]),
        (
            "bad region",
            None,
            vec!["token", "-c", "prod", "--region", "evil.example.com/"],
        ),
    ];
    for (what, info, args) in cases {
        let mut cmd = env.eks_kc(&args);
        if let Some(info) = info {
            cmd.env("KUBERNETES_EXEC_INFO", info);
        }
        let run = Run::from(cmd.output().unwrap());
        assert_eq!(run.code, Some(1), "{what}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{what}: stdout {:?}", run.stdout);
        assert_eq!(run.stderr_lines().len(), 1, "{what}: {:?}", run.stderr);
        assert!(run.stderr.starts_with("eks-kc: error: "), "{what}");
    }
}

#[test]
fn missing_credentials_fail_fast_naming_the_fix_and_leak_no_secret() {
    let env = TestEnv::new();
    env.write_aws_config("[profile broken]\nregion = eu-west-1\n");
    let started = std::time::Instant::now();
    let run = env.run(&["token", "-c", CLUSTER, "--profile", "broken"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
    assert!(started.elapsed() < bound(std::time::Duration::from_secs(5)));
    assert!(run.stderr.contains("profile 'broken'"), "{}", run.stderr);
    assert!(run.stderr.contains("aws configure"), "{}", run.stderr);
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
}

#[test]
fn identities_never_share_a_token() {
    let mut env = TestEnv::new().with_env_keys();
    let args = ["token", "-c", CLUSTER, "--region", REGION, "-o", "token"];
    let a = env.run(&args);
    env.set("AWS_ACCESS_KEY_ID", "AKIAOTHERIDENTITY001");
    let b = env.run(&args);
    assert_ne!(a.ok().stdout, b.ok().stdout);
    assert!(token_url(b.stdout.trim()).contains("AKIAOTHERIDENTITY001"));
    // A different cluster is a different token too.
    let c = env.run(&["token", "-c", "other", "--region", REGION, "-o", "token"]);
    assert_ne!(c.ok().stdout, b.stdout);
    assert!(token_rejected(
        CLUSTER,
        REGION,
        &env.keys_file(),
        c.stdout.trim()
    ));
}

#[test]
fn an_assumed_role_signs_with_its_session_credentials() {
    let moto = Moto::start();
    let mut env = TestEnv::new();
    env.write_static_profile("base");
    env.set("AWS_ENDPOINT_URL_STS", moto.url());
    let run = env.run(&[
        "token",
        "-c",
        CLUSTER,
        "--region",
        REGION,
        "--profile",
        "base",
        "--role-arn",
        "arn:aws:iam::123456789012:role/eks-admin",
    ]);
    let url = token_url(&run.ok().token());
    // moto issues ASIA... session credentials for the role; the token carries them, and still
    // names the real STS host rather than the moto endpoint.
    assert!(
        url.starts_with("https://sts.eu-west-1.amazonaws.com/?"),
        "{url}"
    );
    assert!(url.contains("X-Amz-Credential=ASIA"), "{url}");
    assert!(url.contains("X-Amz-Security-Token="), "{url}");
    assert!(!url.contains(AKID));
}
