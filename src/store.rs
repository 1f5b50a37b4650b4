//! The filesystem edge: private directories, atomic writes and advisory locks.
//!
//! Every write goes to a temporary file in the same directory, is fsynced, then renamed over
//! the target, so a reader (or a crash) sees the old file or the new one, never half of one.
//! Locks are `fs4` advisory locks on separate `.lock` files, which the kernel releases when the
//! holder dies, so a killed process never leaves a cache locked.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode of every directory eks-kc keeps secrets in.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file eks-kc keeps secrets in.
pub const FILE_MODE: u32 = 0o600;

/// A private directory (0700) holding private files (0600).
#[derive(Debug, Clone)]
pub struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    /// A handle on `path`; nothing is touched until a write or a lock needs the directory.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        PrivateDir { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Creates the directory (and parents) as 0700, and tightens an existing one that is open to
    /// group or others. One owned by another user is refused: its owner could read or plant
    /// what eks-kc keeps there.
    pub fn ensure(&self) -> io::Result<()> {
        match fs::symlink_metadata(&self.path) {
            Ok(meta) if meta.is_dir() => {
                // SAFETY: geteuid has no preconditions and cannot fail.
                let me = unsafe { libc::geteuid() };
                if std::os::unix::fs::MetadataExt::uid(&meta) != me {
                    return Err(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        format!(
                            "{} belongs to uid {}, not to you (uid {me}); remove it or point \
                             EKS_KC_CACHE_DIR elsewhere",
                            self.path.display(),
                            std::os::unix::fs::MetadataExt::uid(&meta)
                        ),
                    ));
                }
                if meta.permissions().mode() & 0o077 != 0 {
                    fs::set_permissions(&self.path, fs::Permissions::from_mode(DIR_MODE))?;
                }
                Ok(())
            }
            Ok(_) => Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a directory", self.path.display()),
            )),
            Err(e) if e.kind() == io::ErrorKind::NotFound => fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(&self.path),
            Err(e) => Err(e),
        }
    }

    /// The content of `name`, or `None` when it does not exist. A symlink is refused rather than
    /// followed.
    pub fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        let mut file = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(self.file(name))
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        // A file someone else owns was not written by us: never trust it.
        let meta = file.metadata()?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        if std::os::unix::fs::MetadataExt::uid(&meta) != unsafe { libc::geteuid() } {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{} belongs to another user", self.file(name).display()),
            ));
        }
        let mut buf = Vec::with_capacity(4096);
        file.read_to_end(&mut buf)?;
        Ok(Some(buf))
    }

    /// Replaces `name` atomically with `bytes`, as a 0600 file. Temporary files of earlier
    /// writers of `name` that died before their rename (kill -9) are removed first. Token and
    /// credential entries are written under their lock, so such a file belongs to nobody alive;
    /// the few names written without one (the kubeconfig digest, the keyring marker) are best
    /// effort, and a concurrent writer that loses its temporary file just fails its write.
    pub fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.ensure()?;
        self.remove_dead_temps(name);
        write_atomic(&self.file(name), bytes, FILE_MODE)
    }

    fn remove_dead_temps(&self, name: &str) {
        remove_temps_of(&self.file(name));
    }

    /// Takes an exclusive lock on `<name>.lock`, waiting for another holder. The lock is released
    /// when the guard is dropped or the process dies.
    pub fn lock(&self, name: &str) -> io::Result<FileLock> {
        self.ensure()?;
        let path = self.file(&format!("{name}.lock"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)?;
        // fs4's trait method, not std's File::lock of the same name (see NOTES.md).
        fs4::FileExt::lock(&file)?;
        Ok(FileLock { _file: file })
    }
}

/// Holds an advisory lock until dropped.
pub struct FileLock {
    _file: File,
}

/// Removes the temporary files [`write_atomic`] makes for `path` (`.<name>.*.tmp` beside it).
/// Only for a caller that holds the lock every writer of `path` takes, so that no such file
/// belongs to a live process.
pub fn remove_temps_of(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        if file.starts_with(&prefix) && file.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Replaces the content of `path` as kubectl's own write would leave it, atomically where that
/// keeps everything kubectl keeps:
/// - a file this user may not write (`access(W_OK)` as the effective user, so root may, as with
///   kubectl) is refused, naming its mode and owner;
/// - the file keeps its mode, owner and group; a new file is 0600;
/// - a file with several hard links is written in place, as kubectl does, so every name still
///   sees the new content (a rename would leave the other names on the old file);
/// - in place too when the directory takes no new file or the owner cannot be given back (a
///   file of another user that this user may write): the only way kubectl's result is had.
///
/// Otherwise: temporary file, owner and mode set, fsync, rename, so a crash leaves the old or
/// the new file. In place: overwrite from the start, truncate to the new length, fsync.
pub fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let meta = match fs::metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let Some(meta) = meta else {
        return write_atomic(path, bytes, FILE_MODE);
    };
    if !meta.is_file() {
        return Err(io::Error::other(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    if !writable(path) {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is not writable for you (mode {:04o}, owner uid {}): kubectl would refuse \
                 to write it too; make it writable (chmod u+w) or pass another --kubeconfig",
                path.display(),
                meta.permissions().mode() & 0o7777,
                meta.uid()
            ),
        ));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if meta.nlink() > 1 {
        return write_in_place(path, bytes);
    }
    match write_atomic_as(path, bytes, mode, Some((meta.uid(), meta.gid()))) {
        Ok(()) => Ok(()),
        // No new file in that directory, or the owner cannot be kept: write as kubectl does.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => write_in_place(path, bytes),
        Err(e) => Err(e),
    }
}

/// Whether the effective user may write `path` (root may write a 0444 file, as kubectl does).
fn writable(path: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path; faccessat only reads it.
    unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::W_OK, libc::AT_EACCESS) == 0 }
}

fn write_in_place(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    file.write_all(bytes)?;
    file.set_len(bytes.len() as u64)?;
    file.sync_all()
}

/// Writes `bytes` to `path` through a temporary file in the same directory: create (0600), write,
/// set `mode`, fsync, rename over `path`, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    write_atomic_as(path, bytes, mode, None)
}

/// [`write_atomic`], the new file given `owner` (uid, gid) first when it differs from the
/// temporary file's; failing to do so is `PermissionDenied` and leaves `path` untouched.
fn write_atomic_as(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(FILE_MODE))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if let Some((uid, gid)) = owner {
        let now = tmp.as_file().metadata()?;
        if (now.uid(), now.gid()) != (uid, gid) {
            std::os::unix::fs::fchown(tmp.as_file(), Some(uid), Some(gid))?;
        }
    }
    if mode != FILE_MODE {
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // Make the rename itself durable; failing to sync a directory is not worth an error.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
    fn loose_directories_are_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        PrivateDir::new(tmp.path()).ensure().unwrap();
        let mode = fs::metadata(tmp.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn symlinks_are_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = PrivateDir::new(tmp.path());
        fs::write(tmp.path().join("target"), b"secret").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("target"), tmp.path().join("link")).unwrap();
        assert!(dir.read("link").is_err());
    }

    #[test]
    fn atomic_write_keeps_a_requested_mode() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("config");
        write_atomic(&p, b"x", 0o644).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }
}
