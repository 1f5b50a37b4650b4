//! The AWS APIs: fake EKS and STS (scripts in tests/support that log every call), moto, and
//! the shim that lets moto answer presigned STS requests.

use std::fs;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Peer, free_port, start_ready};
use crate::harness::{TestEnv, support};

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
    /// Credentials that last an hour; no container or SSO token is expected.
    pub fn start(env: &TestEnv) -> Self {
        Self::builder(env).start()
    }

    /// A fake STS configured by name before [`FakeStsBuilder::start`].
    pub fn builder(env: &TestEnv) -> FakeStsBuilder<'_> {
        FakeStsBuilder {
            env,
            duration_minutes: 60,
            container_token: None,
            sso_token: None,
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

/// How to start a [`FakeSts`]; from [`FakeSts::builder`].
pub struct FakeStsBuilder<'a> {
    env: &'a TestEnv,
    duration_minutes: u32,
    container_token: Option<&'a str>,
    sso_token: Option<&'a str>,
}

impl<'a> FakeStsBuilder<'a> {
    /// How long the credentials it issues last (60 minutes unless set).
    pub fn duration_minutes(mut self, minutes: u32) -> Self {
        self.duration_minutes = minutes;
        self
    }

    /// Serve container credentials (GET /container-credentials, as EKS Pod Identity does) to
    /// callers whose Authorization header is `token`; without it that path is not served.
    pub fn container_token(mut self, token: &'a str) -> Self {
        self.container_token = Some(token);
        self
    }

    /// Answer IAM Identity Center's GetRoleCredentials for the bearer token `token`.
    pub fn sso_token(mut self, token: &'a str) -> Self {
        self.sso_token = Some(token);
        self
    }

    /// Starts fake_sts.py and waits until it listens.
    pub fn start(self) -> FakeSts {
        let FakeStsBuilder {
            env,
            duration_minutes,
            container_token,
            sso_token,
        } = self;
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
