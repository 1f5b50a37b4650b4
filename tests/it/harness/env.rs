//! The test environment: a temporary HOME with its own AWS config files, kubeconfig and
//! eks-kc cache for each test, the real `eks-kc` binary run with nothing of the developer's
//! environment, and [`Run`], the decoded result of a child process, whose construction scans the
//! child's stderr for secrets.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::{AKID, SECRET, bin, child_path};
use crate::fakes::FakeEks;

/// One test's world: a temporary root holding HOME (with ~/.aws and ~/.kube), the cache
/// directory, and the variables every child gets on top of a cleared environment.
pub struct TestEnv {
    pub root: tempfile::TempDir,
    pub home: PathBuf,
    pub aws_config: PathBuf,
    pub aws_credentials: PathBuf,
    pub cache_dir: PathBuf,
    pub kubeconfig: PathBuf,
    pub env: BTreeMap<String, String>,
}

impl TestEnv {
    pub fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("home");
        fs::create_dir_all(home.join(".aws")).unwrap();
        fs::create_dir_all(home.join(".kube")).unwrap();
        let aws_config = home.join(".aws/config");
        let aws_credentials = home.join(".aws/credentials");
        fs::write(&aws_config, "").unwrap();
        fs::write(&aws_credentials, "").unwrap();
        let cache_dir = root.path().join("cache");
        let kubeconfig = home.join(".kube/config");
        TestEnv {
            home,
            aws_config,
            aws_credentials,
            cache_dir,
            kubeconfig,
            env: BTreeMap::new(),
            root,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Static keys for the default chain, through the environment.
    /// (See also [`TestEnv::write_static_profile`] for keys in a profile.)
    pub fn with_env_keys(mut self) -> Self {
        self.set("AWS_ACCESS_KEY_ID", AKID);
        self.set("AWS_SECRET_ACCESS_KEY", SECRET);
        self
    }

    pub fn set(&mut self, key: &str, value: impl AsRef<str>) {
        self.env.insert(key.to_owned(), value.as_ref().to_owned());
    }

    pub fn write_aws_config(&self, text: &str) {
        fs::write(&self.aws_config, text).unwrap();
    }

    pub fn write_aws_credentials(&self, text: &str) {
        fs::write(&self.aws_credentials, text).unwrap();
    }

    /// The fixture keys as profile `name` in the shared credentials file.
    pub fn write_static_profile(&self, name: &str) {
        self.write_aws_credentials(&format!(
            "[{name}]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"
        ));
    }

    /// Profile `team` (static keys, eu-west-1) discovering through a fake EKS that serves
    /// `clusters` (region -> [{"name", "endpoint", "ca"}]).
    pub fn team_with_fake_eks(&mut self, clusters: &Value) -> FakeEks {
        let eks = FakeEks::start(self, clusters);
        self.write_static_profile("team");
        self.write_aws_config("[profile team]\nregion = eu-west-1\n");
        self.set("AWS_ENDPOINT_URL_EKS", eks.url());
        eks
    }

    /// Any program, with only this environment's variables (never the developer's ~/.aws).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", child_path())
            .env("HOME", &self.home)
            .env("AWS_CONFIG_FILE", &self.aws_config)
            .env("AWS_SHARED_CREDENTIALS_FILE", &self.aws_credentials)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("EKS_KC_CACHE_DIR", &self.cache_dir)
            .env("KUBECONFIG", &self.kubeconfig)
            // Never the developer's real keyring; tests that want one remove this.
            .env("EKS_KC_KEYRING", "off")
            .env("LANG", "C.UTF-8")
            .envs(&self.env)
            .stdin(Stdio::null());
        cmd
    }

    pub fn eks_kc(&self, args: &[&str]) -> Command {
        let mut cmd = self.command(bin());
        cmd.args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.eks_kc(args).output().unwrap())
    }

    /// A `credential_process` script that returns the fixture keys (long-term: no expiration)
    /// and appends a line to a counter file each time it runs; returns (script, counter).
    pub fn counting_credential_process(&self) -> (PathBuf, PathBuf) {
        self.write_counting_credential_process("")
    }

    /// [`TestEnv::counting_credential_process`] returning temporary credentials that expire at
    /// `expiration` (an RFC 3339 time).
    pub fn counting_credential_process_expiring(&self, expiration: &str) -> (PathBuf, PathBuf) {
        self.write_counting_credential_process(&format!(r#","Expiration":"{expiration}""#))
    }

    /// `expiration`: the JSON that follows the keys in the script's answer, or nothing.
    fn write_counting_credential_process(&self, expiration: &str) -> (PathBuf, PathBuf) {
        let script = self.path("credential-process.sh");
        let counter = self.path("credential-process.count");
        fs::write(
            &script,
            format!(
                "#!/bin/sh\necho run >> '{}'\nprintf '%s' '{{\"Version\":1,\"AccessKeyId\":\"{AKID}\",\"SecretAccessKey\":\"{SECRET}\"{expiration}}}'\n",
                counter.display()
            ),
        )
        .unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        (script, counter)
    }

    /// The keys file the fake API server checks signatures with.
    pub fn keys_file(&self) -> PathBuf {
        let path = self.path("keys.json");
        if !path.exists() {
            fs::write(
                &path,
                serde_json::json!({ AKID: { "secret": SECRET } }).to_string(),
            )
            .unwrap();
        }
        path
    }

    pub fn cache_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = match fs::read_dir(&self.cache_dir) {
            Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
            Err(_) => vec![],
        };
        files.sort();
        files
    }
}

/// Runs eks-kc under `script`, so it has a real pseudo-terminal, typing `typed` into it.
pub fn in_pty(env: &TestEnv, args: &str, typed: &str) -> Run {
    in_pty_within(env, args, typed, std::time::Duration::from_secs(600))
        .expect("eks-kc on a terminal still runs after 10 minutes")
}

/// [`in_pty`] with a deadline: `None` when eks-kc (waiting for input that never comes, say) is
/// still running after `limit`, and is then killed.
pub fn in_pty_within(
    env: &TestEnv,
    args: &str,
    typed: &str,
    limit: std::time::Duration,
) -> Option<Run> {
    use std::io::Write;
    let mut child = env
        .command("script")
        .args(["-qec", &format!("{} {args}", bin().display()), "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(typed.as_bytes()).unwrap();
    let deadline = std::time::Instant::now() + super::bound(limit);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(stdin);
    Some(Run::from(child.wait_with_output().unwrap()))
}

/// The lines in `path`, 0 when it does not exist: how many times a counting script ran.
pub fn count_lines(path: &Path) -> usize {
    fs::read_to_string(path)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// A finished process, decoded.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// What must never appear on stderr, in any run of the whole suite: the fixture secret key,
/// the session tokens fake_sts.py and fake_sso.py issue (they start with FQoG), bearer tokens,
/// presigned signatures (either replays the caller's identity), and fake_sso.py's SSO access
/// tokens (aoaFAKE), refresh tokens (aorFAKE) and client secrets.
const NEVER_ON_STDERR: [&str; 7] = [
    SECRET,
    "FQoG",
    "k8s-aws-v1.",
    "X-Amz-Signature=",
    "aoaFAKE",
    "aorFAKE",
    "fakesecret-",
];

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        let run = Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        };
        // Every process a test runs passes through here: the whole suite is a secrets scan.
        for secret in NEVER_ON_STDERR {
            assert!(
                !run.stderr.contains(secret),
                "a secret ({}…) reached stderr:\n{}",
                &secret[..4],
                run.stderr.replace(secret, "<SECRET>")
            );
        }
        run
    }
}

impl Run {
    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(0),
            "stdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout))
    }

    /// The bare token printed by `eks-kc token -o token`.
    pub fn bare_token(&self) -> String {
        self.ok().stdout.trim().to_owned()
    }

    /// The token of an ExecCredential on stdout.
    pub fn token(&self) -> String {
        self.json()["status"]["token"].as_str().unwrap().to_owned()
    }

    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }
}
