//! The fake peers a test talks to, each a child process on 127.0.0.1 killed when the test
//! ends: the Kubernetes API server, EKS, STS, moto, the shim that lets moto answer presigned
//! STS requests, and IAM Identity Center (`sso`). The scripts live in tests/support.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

mod apiserver;
mod aws;
mod sso;

pub use apiserver::*;
pub use aws::*;
pub use sso::*;

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

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
