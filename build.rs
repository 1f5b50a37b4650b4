//! Links the eks-kc binary as a position-dependent executable on Linux, and records what
//! `eks-kc --version` prints besides the version: the commit and the target.
//!
//! `eks-kc token` runs once per kubectl request and its cache hit must cost about as much as
//! `cat`. A PIE binary of this size spends most of its start-up applying ~20,000 dynamic
//! relocations (and dirtying the pages they touch); a non-PIE executable has them resolved at
//! link time. Libraries, tests and proc macros are unaffected (`-bins` only). Writes nothing.
//!
//! The commit is `EKS_KC_COMMIT` when set (a packager building from a tarball that knows it),
//! else `git rev-parse --short=12 HEAD` of this checkout, else `unknown` (a tarball, no git).
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=EKS_KC_COMMIT");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=EKS_KC_TARGET={target}");
    let commit = std::env::var("EKS_KC_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=EKS_KC_COMMIT={}", commit.trim());
}

/// What `git ARGS` prints, trimmed; `None` without git, outside a checkout, or on no output.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// The short commit of HEAD, and (so a new commit rebuilds) the files git moves on a commit or
/// checkout. Only files that exist are watched: cargo reruns a script for a missing one on
/// every build.
fn git_commit() -> Option<String> {
    // Only this checkout's own commit: a source tarball unpacked inside some other repository
    // (a packager's tree) has none.
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    if top.canonicalize().ok()? != manifest.canonicalize().ok()? {
        return None;
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    let mut watch = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(head_ref) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch.push(git(&["rev-parse", "--git-path", &head_ref]));
    }
    watch.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    for path in watch.into_iter().flatten().map(PathBuf::from) {
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    Some(commit)
}
