//! The token-checking Kubernetes API server (tests/support/fake_apiserver.py): HTTPS on
//! 127.0.0.1 with a CA of its own; it accepts a bearer token only if botocore recomputes its
//! signature for this server's cluster from the test's keys file.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use base64::Engine;
use serde_json::Value;

use super::{Peer, start_ready};
use crate::harness::{TestEnv, support};

/// The fake Kubernetes API server (tests/support/fake_apiserver.py) over HTTPS on 127.0.0.1.
pub struct ApiServer {
    pub peer: Peer,
    pub ca_pem: Vec<u8>,
    pub log: PathBuf,
}

impl ApiServer {
    /// A server for `cluster` in `region` that maps no principal (see
    /// [`ApiServerBuilder::users`]).
    pub fn start(env: &TestEnv, cluster: &str, region: &str) -> Self {
        Self::builder(env, cluster, region).start()
    }

    /// A server for `cluster` in `region`, configured by name before [`ApiServerBuilder::start`].
    pub fn builder<'a>(
        env: &'a TestEnv,
        cluster: &'a str,
        region: &'a str,
    ) -> ApiServerBuilder<'a> {
        ApiServerBuilder {
            env,
            cluster,
            region,
            users: None,
            endless_version: false,
            namespaces: 0,
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

/// How to start an [`ApiServer`]; from [`ApiServer::builder`].
pub struct ApiServerBuilder<'a> {
    env: &'a TestEnv,
    cluster: &'a str,
    region: &'a str,
    users: Option<&'a Value>,
    endless_version: bool,
    namespaces: usize,
}

impl<'a> ApiServerBuilder<'a> {
    /// GET /version answers with a body that never ends (a hostile server).
    pub fn endless_version(mut self) -> Self {
        self.endless_version = true;
        self
    }

    /// `count` namespaces more (ns-0000, ns-0001, ...), each with its metadata as a real server
    /// sends it, listed in pages when a request asks (`limit`, `continue`).
    pub fn namespaces(mut self, count: usize) -> Self {
        self.namespaces = count;
        self
    }

    /// `users`: principal ARN -> {"username", "groups"} (or {"status": 403}), mapped as an EKS
    /// cluster's access entries would; principals it does not list get 401.
    pub fn users(mut self, users: &'a Value) -> Self {
        self.users = Some(users);
        self
    }

    /// Starts fake_apiserver.py and waits until it listens.
    pub fn start(self) -> ApiServer {
        let ApiServerBuilder {
            env,
            cluster,
            region,
            users,
            endless_version,
            namespaces,
        } = self;
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
        if endless_version {
            cmd.arg("--endless-version");
        }
        if namespaces > 0 {
            cmd.arg("--namespaces").arg(namespaces.to_string());
        }
        ApiServer {
            peer: start_ready(cmd, "fake_apiserver.py"),
            ca_pem: fs::read(dir.join("ca.crt")).unwrap(),
            log,
        }
    }
}
