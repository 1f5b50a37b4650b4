//! The test harness: every test gets its own HOME, AWS config files, kubeconfig and token
//! cache under a temporary directory, runs the real `eks-kc` binary with nothing of the
//! developer's environment, and talks only to peers on 127.0.0.1 (`crate::fakes`).
//!
//! - `env`: [`TestEnv`] and [`Run`] (whose every construction scans stderr for secrets);
//! - `kube`: kubeconfig helpers (kubectl's view of a file, kubectl writing one) and tokens;
//! - `sso_login`: the AWS CLI's IAM Identity Center login files and configuration.

mod env;
mod kube;
mod sso_login;

pub use env::*;
pub use kube::*;
pub use sso_login::*;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The fixture access key: in the environment, a profile or a `credential_process`, and in the
/// keys file the fake API server and STS check signatures with.
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

/// A time bound of a test (an upper bound asserted on a run, or a watchdog's limit), times
/// `EKS_KC_TEST_TIME_SCALE` when set: a number >= 1, for runs under emulation (qemu runs the
/// aarch64 binary about ten times slower; scripts/test-platforms sets 10). Unset, the bound is
/// exactly the one written in the test: a native run asserts what it always did.
pub fn bound(limit: std::time::Duration) -> std::time::Duration {
    static SCALE: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let scale = *SCALE.get_or_init(|| match std::env::var("EKS_KC_TEST_TIME_SCALE") {
        Err(_) => 1.0,
        Ok(v) => match v.trim().parse::<f64>() {
            Ok(n) if n.is_finite() && n >= 1.0 => n,
            _ => panic!("EKS_KC_TEST_TIME_SCALE={v:?}: set a number >= 1 (or unset it)"),
        },
    });
    limit.mul_f64(scale)
}

/// Held by each test that lets eks-kc use the real OS keyring (every other test sets
/// `EKS_KC_KEYRING=off`). The keyring is the user's, shared by every process: its probe entry
/// and the entries of one identity are the same names in every test. Those tests ran in
/// separate test binaries, one binary after the other; in one binary they take turns.
pub fn real_keyring() -> MutexGuard<'static, ()> {
    static KEYRING: Mutex<()> = Mutex::new(());
    KEYRING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A small deterministic pseudo-random sequence (no dependency, reproducible runs): the random
/// points at which the fault-injection tests kill or signal a process.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}
