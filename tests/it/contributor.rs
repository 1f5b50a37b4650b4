//! What a contributor meets first: `scripts/test` on a machine without a C compiler or a
//! recent Rust says what to install, and still ends with its summary.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

/// A directory holding only `tools` (links to the machine's own) and stub `cargo` and `rustc`
/// (rustc says `rustc_version`): a PATH without cc.
fn bare_path(dir: &Path, rustc_version: &str) -> String {
    let tools = [
        "bash", "sed", "awk", "mktemp", "sort", "head", "rm", "dirname", "cat", "id", "uname",
        "grep", "tee",
    ];
    for tool in tools {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(tool))
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("no {tool} in /usr/bin or /bin"));
        symlink(found, dir.join(tool)).unwrap();
    }
    for (name, text) in [
        (
            "rustc",
            format!("#!/bin/sh\necho 'rustc {rustc_version} (stub)'\n"),
        ),
        ("cargo", "#!/bin/sh\necho 'cargo stub'\n".to_owned()),
    ] {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir.display().to_string()
}

// Issue 33: on a fresh Debian, scripts/test installed for minutes and then failed with cargo's
// "linker `cc` not found", named no package, and ended without a summary.
#[test]
fn scripts_test_names_what_the_machine_lacks_and_ends_with_its_summary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let wanted = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = bare_path(dir.path(), "1.63.0");
    let out = Command::new(root.join("scripts/test"))
        .env_clear()
        .env("PATH", &path)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("rustc 1.63.0 (") && stderr.contains(&format!("older than {wanted}")),
        "{stderr}"
    );
    assert!(stderr.contains("https://sh.rustup.rs"), "{stderr}");
    assert!(
        stderr.contains("apt-get install build-essential"),
        "{stderr}"
    );
    assert!(stderr.contains("SUMMARY"), "{stderr}");
    assert!(
        stderr.contains("prerequisites      FAILED: 2 missing"),
        "{stderr}"
    );
    assert!(stderr.contains("tests              not run"), "{stderr}");
    assert_eq!(
        stderr.lines().last(),
        Some("0 passed, 0 failed"),
        "{stderr}"
    );
}
