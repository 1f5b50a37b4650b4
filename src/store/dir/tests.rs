use std::os::unix::fs::PermissionsExt;

use super::*;

#[test]
fn writes_are_private_and_atomic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PrivateDir::new(tmp.path().join("a/b"));
    assert_eq!(dir.read("x").unwrap(), None);
    dir.write("x", b"one").unwrap();
    dir.write("x", b"two").unwrap();
    assert_eq!(dir.read("x").unwrap().unwrap(), b"two");
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir.path()), 0o700);
    assert_eq!(mode(&dir.file("x")), 0o600);
    // No temporary files are left behind.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn shared_directories_are_left_alone_and_a_private_subdirectory_is_used() {
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("shared");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
    let dir = PrivateDir::new(effective_dir(&shared));
    assert_eq!(dir.path(), shared.join(format!("eks-kc-{}", euid())));
    dir.write("x", b"secret").unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&shared), 0o1777, "the shared directory keeps its mode");
    assert_eq!(mode(dir.path()), 0o700);
    // A directory of our own that only others may read is used as it is, untouched.
    let own = tmp.path().join("own");
    fs::create_dir(&own).unwrap();
    fs::set_permissions(&own, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(effective_dir(&own), own);
    PrivateDir::new(&own).write("x", b"y").unwrap();
    assert_eq!(mode(&own), 0o755);
    // A private directory that became writable by others is refused, never chmod'ed (by
    // the next command: a handle checks its directory once).
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
    let dir = PrivateDir::new(dir.path());
    let err = dir.read("x").unwrap_err().to_string();
    assert!(err.contains("writable by other users"), "{err}");
    assert!(dir.write("x", b"z").is_err());
    assert_eq!(mode(dir.path()), 0o777);
}

#[test]
fn fifos_devices_and_huge_files_are_refused_without_blocking() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PrivateDir::new(tmp.path());
    let fifo = std::ffi::CString::new(
        tmp.path()
            .join("fifo")
            .into_os_string()
            .into_encoded_bytes(),
    )
    .unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let err = dir.read("fifo").unwrap_err().to_string();
    assert!(err.contains("not a regular file"), "{err}");
    std::os::unix::fs::symlink("/dev/zero", tmp.path().join("zero")).unwrap();
    assert!(dir.read("zero").is_err());
    let big = fs::File::create(tmp.path().join("big")).unwrap();
    big.set_len(MAX_FILE_SIZE + 1).unwrap();
    assert!(dir.read("big").is_err());
    // Writable by others: not trusted either.
    fs::write(tmp.path().join("shared"), "{}").unwrap();
    fs::set_permissions(
        tmp.path().join("shared"),
        std::os::unix::fs::PermissionsExt::from_mode(0o666),
    )
    .unwrap();
    let err = dir.read("shared").unwrap_err().to_string();
    assert!(err.contains("writable by other users"), "{err}");
    assert!(dir.read("missing").unwrap().is_none());
    assert!(
        PrivateDir::new(tmp.path().join("nodir"))
            .read("x")
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_directory_others_could_swap_from_above_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let open = tmp.path().join("open");
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    let dir = PrivateDir::new(open.join("a/b"));
    let err = dir.ensure().unwrap_err().to_string();
    assert!(
        err.contains("writable by other users") && err.contains("not sticky"),
        "{err}"
    );
    assert!(!open.join("a").exists(), "nothing is created under it");
    // Sticky (as /tmp is): only an entry's owner may rename it.
    fs::set_permissions(&open, fs::Permissions::from_mode(0o1777)).unwrap();
    PrivateDir::new(open.join("a/b")).ensure().unwrap();
    // A link on the way is judged where it points.
    std::os::unix::fs::symlink(&open, tmp.path().join("link")).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    assert!(check_ancestors(&tmp.path().join("link/a/b")).is_err());
    fs::set_permissions(&open, fs::Permissions::from_mode(0o755)).unwrap();
    check_ancestors(&tmp.path().join("link/a/b")).unwrap();
}

#[test]
fn symlinks_are_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PrivateDir::new(tmp.path());
    fs::write(tmp.path().join("target"), b"secret").unwrap();
    std::os::unix::fs::symlink(tmp.path().join("target"), tmp.path().join("link")).unwrap();
    assert!(dir.read("link").is_err());
}
