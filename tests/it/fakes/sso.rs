//! IAM Identity Center (SSO) for the tests: [`FakeSso`] (tests/support/fake_sso.py: the portal,
//! its OIDC service and EKS per account in one process) and the tokens and client it knows. The
//! AWS CLI's side of a login (its configuration and token files) is `crate::harness`'s.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::{Peer, start_ready};
use crate::harness::{TestEnv, support};

/// An access token the fake portal accepts for as long as it runs.
pub const SSO_TOKEN: &str = "aoaFAKEvalid-access-token-for-the-tests";
/// A client registration and a refresh token the fake OIDC knows from the start.
pub const CLIENT_ID: &str = "fakeclient-known";
pub const CLIENT_SECRET: &str = "fakesecret-known-client-secret";
pub const REFRESH_TOKEN: &str = "aorFAKEknown-refresh-token";

/// tests/support/fake_sso.py, killed when the test ends.
pub struct FakeSso {
    pub peer: Peer,
    /// One JSON line per request: {"operation", "status", "account", "role", "region"}.
    pub log: PathBuf,
}

impl FakeSso {
    /// A fake configured by name before [`FakeSsoBuilder::start`]; its world is `world`
    /// (`{"accounts": [{"id", "name", "roles", "clusters": {region: [name | {"name",
    /// "endpoint", "ca"}]}, "fail"?}]}`, see fake_sso.py).
    pub fn builder(env: &TestEnv, world: Value) -> FakeSsoBuilder<'_> {
        FakeSsoBuilder {
            env,
            world: Some(world),
            generate: None,
            args: vec![],
        }
    }

    /// A generated world: `spec` is ACCOUNTS:ROLES:REGION:CLUSTERS (accounts 100000000000...
    /// named acct-000..., roles Admin, ReadOnly, ..., clusters c00...).
    pub fn generated<'a>(env: &'a TestEnv, spec: &str) -> FakeSsoBuilder<'a> {
        FakeSsoBuilder {
            env,
            world: None,
            generate: Some(spec.to_owned()),
            args: vec![],
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.peer.port)
    }

    /// Points the SDKs (eks-kc's and the AWS CLI's) of `env` at this fake for the portal, OIDC
    /// and EKS.
    pub fn serve(&self, env: &mut TestEnv) {
        for var in [
            "AWS_ENDPOINT_URL_SSO",
            "AWS_ENDPOINT_URL_SSO_OIDC",
            "AWS_ENDPOINT_URL_EKS",
        ] {
            env.set(var, self.url());
        }
    }

    /// GET /_stats: "calls", "throttled", "failed" (operation -> count), "refreshes",
    /// "device_polls", "registrations", "role_credentials" ("ACCOUNT/ROLE" -> count),
    /// "max_in_flight", "eks_by_account".
    pub fn stats(&self) -> Value {
        let mut stream = TcpStream::connect(("127.0.0.1", self.peer.port)).unwrap();
        write!(
            stream,
            "GET /_stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        let body = text.split_once("\r\n\r\n").expect("an HTTP answer").1;
        serde_json::from_str(body).unwrap()
    }

    /// How many requests of `operation` the fake answered (throttled and failed ones included).
    pub fn calls(&self, operation: &str) -> u64 {
        self.stats()["calls"][operation].as_u64().unwrap_or(0)
    }

    /// How many requests of `operation` were refused 429.
    #[allow(dead_code)] // one of fake_sso.py's options that no test uses at present
    pub fn throttled(&self, operation: &str) -> u64 {
        self.stats()["throttled"][operation].as_u64().unwrap_or(0)
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Value> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The requests of `operation` that were answered 200.
    pub fn answered(&self, operation: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r["operation"] == operation && r["status"] == 200)
            .collect()
    }

    /// The portal and OIDC requests so far (everything but EKS).
    pub fn sso_calls(&self) -> u64 {
        let stats = self.stats();
        stats["calls"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(op, _)| !matches!(op.as_str(), "ListClusters" | "DescribeCluster"))
            .map(|(_, n)| n.as_u64().unwrap())
            .sum()
    }
}

/// The access key fake_sso.py hands out for `role_index` (the role's place in the account's
/// list) of `account`.
pub fn sso_access_key(account: &str, role_index: usize) -> String {
    format!("ASIA{account}{role_index:04}")
}

/// How to start a [`FakeSso`]; from [`FakeSso::builder`] or [`FakeSso::generated`].
pub struct FakeSsoBuilder<'a> {
    env: &'a TestEnv,
    world: Option<Value>,
    generate: Option<String>,
    args: Vec<String>,
}

impl<'a> FakeSsoBuilder<'a> {
    fn arg(mut self, flag: &str, value: impl ToString) -> Self {
        self.args.push(flag.to_owned());
        self.args.push(value.to_string());
        self
    }

    /// An access token valid while the fake runs (repeatable).
    pub fn token(self, token: &str) -> Self {
        self.arg("--token", token)
    }

    /// [`REFRESH_TOKEN`] held by the known client [`CLIENT_ID`]/[`CLIENT_SECRET`].
    pub fn known_refresh_token(self) -> Self {
        self.arg("--refresh-token", REFRESH_TOKEN)
            .arg("--client", format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    }

    /// A client the OIDC service knows without a registration.
    pub fn known_client(self) -> Self {
        self.arg("--client", format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    }

    /// GetRoleCredentials answers at most `rps` a second (no burst), the rest 429.
    pub fn throttle_rps(self, rps: f64) -> Self {
        self.arg("--throttle-rps", rps)
    }

    /// ListAccounts and ListAccountRoles together answer at most `rps` a second.
    #[allow(dead_code)] // one of fake_sso.py's options that no test uses at present
    pub fn throttle_list_rps(self, rps: f64) -> Self {
        self.arg("--throttle-list-rps", rps)
    }

    /// EKS answers at most `rps` a second (429 ThrottlingException).
    pub fn throttle_eks_rps(self, rps: f64) -> Self {
        self.arg("--throttle-eks-rps", rps)
    }

    #[allow(dead_code)] // one of fake_sso.py's options that no test uses at present
    pub fn latency_ms(self, ms: u64) -> Self {
        self.arg("--latency-ms", ms)
    }

    /// How long the access tokens CreateToken issues last.
    #[allow(dead_code)] // one of fake_sso.py's options that no test uses at present
    pub fn token_ttl_secs(self, secs: u64) -> Self {
        self.arg("--token-ttl", secs)
    }

    /// How long role credentials last.
    #[allow(dead_code)] // one of fake_sso.py's options that no test uses at present
    pub fn creds_ttl_secs(self, secs: u64) -> Self {
        self.arg("--creds-ttl", secs)
    }

    /// The page size of ListAccounts (default 3).
    pub fn page_size(self, n: usize) -> Self {
        self.arg("--page-size", n)
    }

    /// The device authorization is refused (AccessDeniedException) instead of approved.
    /// StartDeviceAuthorization sends `uri` as the page to open (a hostile portal).
    pub fn verification_uri(self, uri: &str) -> Self {
        self.arg("--verification-uri", uri)
    }

    pub fn deny_device(mut self) -> Self {
        self.args.push("--deny-device".into());
        self
    }

    /// The endpoint and CA file DescribeCluster answers for clusters that name none.
    #[allow(dead_code)] // one of fake_sso.py's options that no test uses at present
    pub fn endpoint(self, url: &str, ca: &Path) -> Self {
        self.arg("--endpoint", url).arg("--ca", ca.display())
    }

    /// Regions answered UnrecognizedClientException (comma-separated; "opt-in": all 17).
    pub fn disabled_regions(self, regions: &str) -> Self {
        self.arg("--disabled-regions", regions)
    }

    /// Starts fake_sso.py, whose role credentials are added to the env's keys file (what the
    /// fake API server checks signatures with), and waits until it listens.
    pub fn start(self) -> FakeSso {
        let FakeSsoBuilder {
            env,
            world,
            generate,
            args,
        } = self;
        let n = fs::read_dir(env.root.path()).unwrap().count();
        let log = env.path(&format!("sso-requests-{n}.jsonl"));
        let mut cmd = Command::new("python3");
        cmd.arg(support("fake_sso.py"));
        if let Some(world) = world {
            let file = env.path(&format!("sso-world-{n}.json"));
            fs::write(&file, world.to_string()).unwrap();
            cmd.arg("--world").arg(file);
        }
        if let Some(spec) = generate {
            cmd.arg("--generate").arg(spec);
        }
        cmd.arg("--keys-out")
            .arg(env.keys_file())
            .arg("--log")
            .arg(&log)
            .args(args);
        FakeSso {
            peer: start_ready(cmd, "fake_sso.py"),
            log,
        }
    }
}
