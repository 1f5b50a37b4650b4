//! No call that can hang kubectl (issue 10): a held lock, a network peer that accepts and never
//! answers (as STS, SSO, container credentials, EKS), a FIFO in place of a cache entry, and no
//! credentials at all. Every run is under a watchdog that kills it, so a regression fails the
//! test instead of hanging CI; the bounds are set small through EKS_KC_LOCK_TIMEOUT and
//! EKS_KC_TIMEOUT, and asserted generously (twice the bound plus start-up).

use std::fs;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::fakes::*;
use crate::harness::*;

const REGION: &str = "eu-west-1";

/// Runs `cmd`, killing it after `limit`; panics if it had to be killed.
fn run_within(mut cmd: Command, limit: Duration) -> (Run, Duration) {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = vec![];
        let _ = out.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = vec![];
        let _ = err.read_to_end(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > bound(limit) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "hung: still running after {:?}, killed by the watchdog",
                bound(limit)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    let run = Run::from(std::process::Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    });
    (run, elapsed)
}

/// A TCP peer on 127.0.0.1 that accepts every connection and never answers.
struct Silent {
    port: u16,
    _held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Silent {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let held = Arc::new(Mutex::new(vec![]));
        let keep = held.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                keep.lock().unwrap().push(stream);
            }
        });
        Silent { port, _held: held }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The one-line failure of a bounded call: exit 1, nothing on stdout, one line on stderr.
fn assert_one_line_failure(run: &Run) {
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
}

fn token_cmd(env: &TestEnv, cluster: &str, profile: &str) -> Command {
    let mut cmd = env.eks_kc(&["token"]);
    cmd.env("KUBERNETES_EXEC_INFO", exec_info(cluster, REGION, profile));
    cmd
}

/// Profile `ops` assumes a role through `sts_url` on top of static keys.
fn assume_role_env(env: &mut TestEnv, sts_url: &str) {
    env.write_static_profile("base");
    env.write_aws_config(
        "[profile ops]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111122223333:role/eks-admin\nsource_profile = base\n",
    );
    env.set("AWS_ENDPOINT_URL_STS", sts_url);
}

/// The token cache's lock file for the cluster, made by a first call (then the entry is removed
/// so that the next call has to take the lock).
fn lock_file_of_a_cold_entry(env: &TestEnv) -> std::path::PathBuf {
    env.run(&["token", "-c", "prod", "--region", REGION]).ok();
    let mut lock = None;
    for f in env.cache_files() {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("token-") && name.ends_with(".json") {
            fs::remove_file(&f).unwrap();
        }
        if name.starts_with("token-") && name.ends_with(".lock") {
            lock = Some(f);
        }
    }
    lock.expect("a token lock file")
}

/// `flock(1)` holding `path` until dropped.
struct Holder(std::process::Child);

impl Holder {
    fn hold(path: &std::path::Path) -> Self {
        // -o: the lock stays with flock itself (not its `sleep`), so killing flock releases it.
        let child = Command::new("flock")
            .arg("-o")
            .arg(path)
            .args(["sleep", "60"])
            .spawn()
            .expect("flock (util-linux) runs");
        // Wait until the lock is really taken.
        let deadline = Instant::now() + bound(Duration::from_secs(10));
        loop {
            let held = Command::new("flock")
                .args(["-n", "-E", "75"])
                .arg(path)
                .arg("true")
                .status()
                .unwrap()
                .code()
                == Some(75);
            if held {
                break;
            }
            assert!(Instant::now() < deadline, "flock never took the lock");
            std::thread::sleep(Duration::from_millis(20));
        }
        Holder(child)
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// Issue 10: a flock held by another process blocked every later call without bound.
#[test]
fn a_held_lock_fails_the_call_within_the_bound_naming_the_holder() {
    let env = TestEnv::new().with_env_keys();
    let lock = lock_file_of_a_cold_entry(&env);
    let holder = Holder::hold(&lock);
    let mut cmd = env.eks_kc(&["token", "-c", "prod", "--region", REGION]);
    cmd.env("EKS_KC_LOCK_TIMEOUT", "1s");
    let (run, took) = run_within(cmd, Duration::from_secs(30));
    assert_one_line_failure(&run);
    assert!(
        took < bound(Duration::from_secs(4)),
        "took {took:?} for a 1 s bound"
    );
    assert!(
        run.stderr.contains(&format!("pid {}", holder.0.id())),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&lock.display().to_string()),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("EKS_KC_LOCK_TIMEOUT"), "{}", run.stderr);
    // The flag wins over the variable.
    let mut cmd = env.eks_kc(&[
        "token",
        "-c",
        "prod",
        "--region",
        REGION,
        "--lock-timeout",
        "1",
    ]);
    cmd.env("EKS_KC_LOCK_TIMEOUT", "60s");
    let (run, took) = run_within(cmd, Duration::from_secs(30));
    assert_one_line_failure(&run);
    assert!(took < bound(Duration::from_secs(4)), "took {took:?}");
    drop(holder);
    // Once the holder is gone, the call succeeds.
    env.run(&["token", "-c", "prod", "--region", REGION]).ok();
}

// Issue 10: an unanswered MFA prompt in another terminal blocked kubectl's non-interactive calls
// for as long as the lock timeout allowed. Issue 25: they wait for it (the code typed there
// serves them too), bounded by the sign-in timeout, say once what they wait for, and then fail
// with the line naming what to do.
#[test]
fn a_non_interactive_call_waits_behind_a_prompt_within_the_sign_in_bound() {
    let env = TestEnv::new().with_env_keys();
    let lock = lock_file_of_a_cold_entry(&env);
    let holder = Holder::hold(&lock);
    // What an eks-kc holding the lock writes while it asks for an MFA code.
    fs::write(&lock, format!("{} prompting", holder.0.id())).unwrap();
    let mut cmd = env.eks_kc(&["token"]);
    // Behind a prompt the wait is the sign-in bound, past the lock bound.
    cmd.env("EKS_KC_LOCK_TIMEOUT", "1s")
        .env("EKS_KC_SIGN_IN_TIMEOUT", "2s")
        .env("EKS_KC_TIMEOUT", "1s")
        .env("KUBERNETES_EXEC_INFO", exec_info("prod", REGION, ""));
    let (run, took) = run_within(cmd, Duration::from_secs(30));
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        took >= Duration::from_secs(3) && took < bound(Duration::from_secs(8)),
        "waited {took:?} behind a prompt for a 2 s + 1 s bound"
    );
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(
        lines[0].contains("waiting up to 3s") && lines[0].contains("MFA code"),
        "{}",
        run.stderr
    );
    assert!(lines[1].contains("MFA code"), "{}", run.stderr);
    assert!(lines[1].contains("eks-kc login"), "{}", run.stderr);
    assert!(
        lines[1].contains("EKS_KC_SIGN_IN_TIMEOUT"),
        "{}",
        run.stderr
    );
}

fn assert_network_timeout(run: &Run, took: Duration) {
    assert_one_line_failure(run);
    assert!(
        took < bound(Duration::from_secs(6)),
        "took {took:?} for a 2 s bound"
    );
    assert!(
        run.stderr.contains("EKS_KC_TIMEOUT"),
        "the error names the setting: {}",
        run.stderr
    );
}

// Issue 10: an STS that accepts and never answers hung `token` for minutes.
#[test]
fn a_silent_sts_fails_the_token_within_the_network_bound() {
    let silent = Silent::start();
    let mut env = TestEnv::new();
    assume_role_env(&mut env, &silent.url());
    let mut cmd = token_cmd(&env, "c1", "ops");
    cmd.env("EKS_KC_TIMEOUT", "2s");
    let (run, took) = run_within(cmd, Duration::from_secs(60));
    assert_network_timeout(&run, took);
}

// Issue 10: the same for IAM Identity Center (SSO).
#[test]
fn a_silent_sso_endpoint_fails_the_token_within_the_network_bound() {
    let silent = Silent::start();
    let mut env = TestEnv::new();
    env.write_aws_config(
        "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\n\
         sso_role_name = EksAdmin\nregion = eu-west-1\n\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n",
    );
    let cache = env.home.join(".aws/sso/cache");
    fs::create_dir_all(&cache).unwrap();
    fs::write(
        cache.join("ee0bfd2552fbd840c02cc48b6e823320543c450f.json"),
        serde_json::json!({
            "accessToken": "sso-access-token",
            "expiresAt": (chrono::Utc::now() + chrono::Duration::hours(4))
                .format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "region": "eu-west-1",
            "startUrl": "https://corp.awsapps.com/start",
        })
        .to_string(),
    )
    .unwrap();
    env.set("AWS_ENDPOINT_URL_SSO", silent.url());
    let mut cmd = token_cmd(&env, "c1", "sso");
    cmd.env("EKS_KC_TIMEOUT", "2s");
    let (run, took) = run_within(cmd, Duration::from_secs(60));
    assert_network_timeout(&run, took);
}

// Issue 10: the same for container credentials (ECS, EKS Pod Identity).
#[test]
fn a_silent_container_credentials_endpoint_fails_within_the_network_bound() {
    let silent = Silent::start();
    let mut env = TestEnv::new();
    env.set(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        format!("{}/creds", silent.url()),
    );
    let mut cmd = env.eks_kc(&["token", "-c", "prod", "--region", REGION]);
    cmd.env("EKS_KC_TIMEOUT", "2s");
    let (run, took) = run_within(cmd, Duration::from_secs(60));
    assert_network_timeout(&run, took);
}

// Issue 10: a silent EKS endpoint hung `sync`; now it fails that target and reports the others.
#[test]
fn sync_gives_up_on_a_silent_target_and_writes_the_others() {
    let silent = Silent::start();
    let env = TestEnv::new();
    let eks = FakeEks::start(
        &env,
        &serde_json::json!({ REGION: [{"name": "alpha", "endpoint": "https://alpha.example", "ca": "Q0E="}] }),
    );
    env.write_aws_credentials(&format!(
        "[team]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n\
         [silent]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"
    ));
    env.write_aws_config(&format!(
        "[profile team]\nregion = eu-west-1\nendpoint_url = {}\n\
         [profile silent]\nregion = eu-west-1\nendpoint_url = {}\n",
        eks.url(),
        silent.url()
    ));
    let mut cmd = env.eks_kc(&["sync", "-p", "team", "-p", "silent"]);
    cmd.env("EKS_KC_TIMEOUT", "1s");
    let (run, took) = run_within(cmd, Duration::from_secs(90));
    // Each attempt 1 s, a call with its retries at most 4 s.
    assert!(took < bound(Duration::from_secs(12)), "took {took:?}");
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert!(run.stderr.contains("silent"), "{}", run.stderr);
    let kubeconfig = fs::read_to_string(&env.kubeconfig).unwrap();
    assert!(kubeconfig.contains("alpha.eu-west-1.team"), "{kubeconfig}");
}

fn mkfifo(path: &std::path::Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

// Issue 10: a FIFO in place of a cache entry hung `token` and `cache status`.
#[test]
fn a_fifo_in_place_of_an_entry_is_a_miss_and_never_blocks() {
    let env = TestEnv::new().with_env_keys();
    let args = ["token", "-c", "prod", "--region", REGION];
    env.run(&args).ok();
    let entry = env
        .cache_files()
        .into_iter()
        .find(|f| f.extension().is_some_and(|e| e == "json"))
        .unwrap();
    fs::remove_file(&entry).unwrap();
    mkfifo(&entry);
    let (run, _) = run_within(env.eks_kc(&args), Duration::from_secs(20));
    run.ok();
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    assert_tokens_accepted("prod", REGION, &env.keys_file(), &[run.token()]);

    // cache status: a FIFO and a link to /dev/zero are listed as unreadable, without blocking
    // or reading without bound.
    fs::remove_file(&entry).unwrap();
    mkfifo(&entry);
    let zero = env
        .cache_dir
        .join("token-00000000000000000000000000000000.json");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let (run, _) = run_within(
        env.eks_kc(&["cache", "status", "-o", "json"]),
        Duration::from_secs(20),
    );
    let status = run.ok().json();
    assert_eq!(
        status["unreadable"].as_array().unwrap().len(),
        2,
        "{status}"
    );
}

// Issue 10: with no credentials anywhere, every call paid the IMDS probe's timeouts.
#[test]
fn no_credentials_at_all_fail_fast_without_asking_imds_off_ec2() {
    let env = TestEnv::new();
    let mut cmd = env.eks_kc(&["token", "-c", "prod", "--region", REGION]);
    cmd.env_remove("AWS_EC2_METADATA_DISABLED");
    let (run, took) = run_within(cmd, Duration::from_secs(30));
    assert_one_line_failure(&run);
    assert!(took < bound(Duration::from_secs(5)), "took {took:?}");
    let on_ec2 = [
        "/sys/devices/virtual/dmi/id/sys_vendor",
        "/sys/hypervisor/uuid",
    ]
    .iter()
    .any(|p| {
        fs::read_to_string(p)
            .is_ok_and(|v| v.to_ascii_lowercase().starts_with("amazon ec2") || v.starts_with("ec2"))
    });
    if on_ec2 {
        eprintln!("SKIPPED the IMDS check: this machine is an EC2 instance");
        return;
    }
    let mut cmd = env.eks_kc(&["token", "-c", "prod", "--region", REGION, "-v"]);
    cmd.env_remove("AWS_EC2_METADATA_DISABLED");
    let (run, _) = run_within(cmd, Duration::from_secs(30));
    assert!(run.stderr.contains("not asking IMDS"), "{}", run.stderr);
}

// Issue 10: `cache clear` left every token-*.lock behind; it removes those nobody holds.
#[test]
fn cache_clear_removes_idle_lock_files_only() {
    let env = TestEnv::new().with_env_keys();
    for cluster in ["a", "b"] {
        env.run(&["token", "-c", cluster, "--region", REGION]).ok();
    }
    let locks = || -> Vec<std::path::PathBuf> {
        env.cache_files()
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "lock"))
            .collect()
    };
    let before = locks();
    assert_eq!(before.len(), 2);
    let held = Holder::hold(&before[0]);
    env.run(&["cache", "clear"]).ok();
    assert_eq!(locks(), vec![before[0].clone()], "only the held lock stays");
    drop(held);
    env.run(&["cache", "clear"]).ok();
    assert!(locks().is_empty());
}
