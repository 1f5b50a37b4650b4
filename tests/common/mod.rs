//! Shared test environment: every test gets its own HOME, AWS config files, kubeconfig and
//! token cache under a temporary directory, runs the real `eks-kc` binary, and talks only to
//! peers on 127.0.0.1 (moto, the fake API server in tests/support).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::Value;

pub const AKID: &str = "AKIAEKSKCTESTKEY0001";
pub const SECRET: &str = "eks-kc/test+SECRET/key0001example";

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_eks-kc"))
}

pub fn support(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(name)
}

/// PATH for children: the directory of the eks-kc under test first, so a kubeconfig's
/// `command: eks-kc` finds it, then the test runner's PATH (kubectl, python3, moto_server).
pub fn child_path() -> String {
    let ours = bin().parent().unwrap().to_path_buf();
    let rest = std::env::var("PATH").unwrap_or_default();
    format!("{}:{rest}", ours.display())
}

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

    /// A `credential_process` script that returns static keys and appends a line to a counter
    /// file each time it runs. `expiration` is an RFC 3339 time, for temporary credentials.
    pub fn counting_credential_process(&self, expiration: Option<&str>) -> (PathBuf, PathBuf) {
        let script = self.path("credential-process.sh");
        let counter = self.path("credential-process.count");
        let expiration = expiration
            .map(|e| format!(r#","Expiration":"{e}""#))
            .unwrap_or_default();
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

pub fn count_lines(path: &Path) -> usize {
    fs::read_to_string(path)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// KUBERNETES_EXEC_INFO as kubectl sets it (v1beta1, not interactive) for a cluster whose exec
/// extension names `cluster`, `region` and `profile`.
pub fn exec_info(cluster: &str, region: &str, profile: &str) -> String {
    serde_json::json!({
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "spec": {"interactive": false, "cluster": {"config": {
            "clusterName": cluster, "region": region, "profile": profile,
        }}},
    })
    .to_string()
}

/// A finished process, decoded.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// What must never appear on stderr, in any run of the whole suite: the fixture secret key,
/// the session tokens fake_sts.py issues (they start with FQoG), bearer tokens, and presigned
/// signatures (either replays the caller's identity).
const NEVER_ON_STDERR: [&str; 4] = [SECRET, "FQoG", "k8s-aws-v1.", "X-Amz-Signature="];

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

/// Runs `kubectl config set-context hand-<i>` `count` times against the env's kubeconfig and
/// returns the names kubectl reported as written. client-go does not wait for a held lock: a
/// run that meets one fails without writing (and says so), which is not a lost update.
pub fn kubectl_set_contexts(env: &TestEnv, count: usize) -> Vec<String> {
    let mut written = vec![];
    for i in 0..count {
        let name = format!("hand-{i}");
        let run = Run::from(
            env.command("kubectl")
                .args([
                    "config",
                    "set-context",
                    &name,
                    "--cluster=onprem",
                    "--user=me",
                ])
                .output()
                .unwrap(),
        );
        if run.code == Some(0) {
            written.push(name);
        } else {
            assert!(run.stderr.contains(".lock"), "{}", run.stderr);
        }
    }
    assert!(!written.is_empty(), "kubectl never got the lock");
    written
}

/// No `<kubeconfig>.lock` is left behind.
pub fn assert_no_kubeconfig_lock(env: &TestEnv) {
    let mut lock = env.kubeconfig.clone().into_os_string();
    lock.push(".lock");
    assert!(!Path::new(&lock).exists(), "lock left behind");
}

/// The presigned URL inside a token.
pub fn token_url(token: &str) -> String {
    let body = token.strip_prefix("k8s-aws-v1.").expect("token prefix");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .expect("base64url");
    String::from_utf8(bytes).unwrap()
}

/// Asks the independent verifier (botocore) whether each token is one the cluster `cluster` in
/// `region` would accept with the keys in `keys`. Panics with its verdicts otherwise.
pub fn assert_tokens_accepted(cluster: &str, region: &str, keys: &Path, tokens: &[String]) {
    let out = Command::new("python3")
        .arg(support("fake_apiserver.py"))
        .args(["verify", "--cluster", cluster, "--region", region, "--keys"])
        .arg(keys)
        .args(tokens)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "tokens rejected: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether the verifier rejects `token` for `cluster`.
pub fn token_rejected(cluster: &str, region: &str, keys: &Path, token: &str) -> bool {
    !Command::new("python3")
        .arg(support("fake_apiserver.py"))
        .args(["verify", "--cluster", cluster, "--region", region, "--keys"])
        .arg(keys)
        .arg(token)
        .output()
        .unwrap()
        .status
        .success()
}

/// A child process killed when the test ends.
pub struct Peer {
    child: Child,
    pub port: u16,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fake Kubernetes API server (tests/support/fake_apiserver.py) over HTTPS on 127.0.0.1.
pub struct ApiServer {
    pub peer: Peer,
    pub ca_pem: Vec<u8>,
    pub log: PathBuf,
}

impl ApiServer {
    pub fn start(env: &TestEnv, cluster: &str, region: &str) -> Self {
        Self::start_with(env, cluster, region, None)
    }

    /// `users`: principal ARN -> {"username", "groups"} (or {"status": 403}), mapped as an EKS
    /// cluster's access entries would; principals it does not list get 401.
    pub fn start_with(env: &TestEnv, cluster: &str, region: &str, users: Option<&Value>) -> Self {
        let dir = env.path(&format!("apiserver-{cluster}"));
        fs::create_dir_all(&dir).unwrap();
        let log = dir.join("requests.jsonl");
        let mut cmd = Command::new("python3");
        cmd.arg(support("fake_apiserver.py"))
            .args(["serve", "--cluster", cluster, "--region", region, "--keys"])
            .arg(env.keys_file())
            .arg("--dir")
            .arg(&dir)
            .arg("--log")
            .arg(&log);
        if let Some(users) = users {
            let file = dir.join("users.json");
            fs::write(&file, users.to_string()).unwrap();
            cmd.arg("--users").arg(file);
        }
        ApiServer {
            peer: start_ready(cmd, "fake_apiserver.py"),
            ca_pem: fs::read(dir.join("ca.crt")).unwrap(),
            log,
        }
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.peer.port)
    }

    pub fn ca_data(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.ca_pem)
    }

    /// Every authentication decision the server made, in order.
    pub fn decisions(&self) -> Vec<Value> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// Starts a helper script that prints "READY <port>" once it listens.
fn start_ready(mut cmd: Command, what: &str) -> Peer {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} does not start: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .strip_prefix("READY ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("{what} did not start: {line:?}"));
    Peer { child, port }
}

/// tests/support/fake_eks.py: ListClusters and DescribeCluster with clusters of our choosing.
pub struct FakeEks {
    pub peer: Peer,
}

impl FakeEks {
    /// `clusters`: region -> [{"name", "endpoint", "ca"}].
    pub fn start(env: &TestEnv, clusters: &Value) -> Self {
        let file = env.path("fake-eks-clusters.json");
        fs::write(&file, clusters.to_string()).unwrap();
        let mut cmd = Command::new("python3");
        cmd.arg(support("fake_eks.py")).arg("--clusters").arg(&file);
        FakeEks {
            peer: start_ready(cmd, "fake_eks.py"),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.peer.port)
    }
}

/// tests/support/presign_shim.py in front of moto, so moto answers presigned STS GETs.
pub struct PresignShim {
    pub peer: Peer,
}

impl PresignShim {
    pub fn start(moto: &Moto) -> Self {
        let mut cmd = Command::new("python3");
        cmd.arg(support("presign_shim.py"))
            .arg("--upstream")
            .arg(moto.url());
        PresignShim {
            peer: start_ready(cmd, "presign_shim.py"),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.peer.port)
    }
}

/// tests/support/fake_sts.py: issues known temporary credentials and logs every call.
pub struct FakeSts {
    pub peer: Peer,
    pub log: PathBuf,
}

impl FakeSts {
    pub fn start(env: &TestEnv, duration_minutes: u32, container_token: Option<&str>) -> Self {
        Self::start_with(env, duration_minutes, container_token, None)
    }

    pub fn start_with(
        env: &TestEnv,
        duration_minutes: u32,
        container_token: Option<&str>,
        sso_token: Option<&str>,
    ) -> Self {
        let log = env.path("sts-calls.jsonl");
        let mut cmd = Command::new("python3");
        cmd.arg(support("fake_sts.py"))
            .arg("--keys")
            .arg(env.keys_file())
            .arg("--log")
            .arg(&log)
            .arg("--duration-minutes")
            .arg(duration_minutes.to_string());
        if let Some(t) = container_token {
            cmd.arg("--container-token").arg(t);
        }
        if let Some(t) = sso_token {
            cmd.arg("--sso-token").arg(t);
        }
        FakeSts {
            peer: start_ready(cmd, "fake_sts.py"),
            log,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.peer.port)
    }

    /// The calls made so far with this action.
    pub fn calls(&self, action: &str) -> Vec<Value> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["action"] == action)
            .collect()
    }
}

/// moto's server as the AWS API on 127.0.0.1.
pub struct Moto {
    pub peer: Peer,
}

impl Moto {
    pub fn start() -> Self {
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server is installed (.ci/run installs moto[server])");
        let peer = Peer { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto { peer }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.peer.port)
    }

    /// Creates clusters `names` in `region` (through boto3, tests/support/moto_eks.py).
    pub fn create(&self, region: &str, names: &[&str]) {
        self.eks(&[&["create", region], names].concat());
    }

    pub fn create_many(&self, region: &str, prefix: &str, count: usize) {
        self.eks(&["create-many", region, prefix, &count.to_string()]);
    }

    pub fn delete(&self, region: &str, names: &[&str]) {
        self.eks(&[&["delete", region], names].concat());
    }

    fn eks(&self, args: &[&str]) {
        let status = Command::new("python3")
            .arg(support("moto_eks.py"))
            .arg(self.url())
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "moto_eks.py {args:?}");
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A kubeconfig with one EKS cluster served by `server`, using the generic eks-kc exec user.
pub fn generic_kubeconfig(
    server: &ApiServer,
    cluster: &str,
    region: &str,
    profile: &str,
) -> String {
    format!(
        r#"apiVersion: v1
kind: Config
clusters:
- name: {cluster}
  cluster:
    server: {url}
    certificate-authority-data: {ca}
    extensions:
    - name: client.authentication.k8s.io/exec
      extension:
        clusterName: {cluster}
        region: {region}
        profile: {profile}
contexts:
- name: {cluster}
  context:
    cluster: {cluster}
    user: eks-kc
current-context: {cluster}
users:
- name: eks-kc
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: eks-kc
      args: [token]
      provideClusterInfo: true
      interactiveMode: IfAvailable
"#,
        url = server.url(),
        ca = server.ca_data(),
    )
}

/// A real kubectl binary, not gcloud's dispatcher at /usr/bin/kubectl (which runs the exec
/// plugin even for `kubectl config view`): a versioned one of the Google Cloud SDK when present,
/// else `kubectl` from PATH.
pub fn real_kubectl() -> String {
    let versioned = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";
    if Path::new(versioned).exists() {
        versioned.to_owned()
    } else {
        "kubectl".to_owned()
    }
}

/// What kubectl reads from `kubeconfig` (a KUBECONFIG value): `kubectl config view --raw -o
/// json`. Panics with kubectl's error when it cannot load the files.
pub fn kubectl_view(env: &TestEnv, kubeconfig: impl AsRef<std::ffi::OsStr>) -> Value {
    let out = env
        .command(real_kubectl())
        .env("KUBECONFIG", kubeconfig)
        .args(["config", "view", "--raw", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl cannot load the kubeconfig: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `view` without the clusters, contexts and users that carry eks-kc's marker extension.
pub fn without_managed(mut view: Value) -> Value {
    for (list, body) in [
        ("clusters", "cluster"),
        ("contexts", "context"),
        ("users", "user"),
    ] {
        if let Some(entries) = view.get_mut(list).and_then(Value::as_array_mut) {
            entries.retain(|e| {
                !e[body]["extensions"]
                    .as_array()
                    .is_some_and(|x| x.iter().any(|x| x["name"] == "eks-kc"))
            });
        }
    }
    view
}
