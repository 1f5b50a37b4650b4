//! The filesystem edge: private directories, atomic writes and advisory locks.
//!
//! Every write goes to a temporary file in the same directory, is fsynced, then renamed over
//! the target, so a reader (or a crash) sees the old file or the new one, never half of one.
//! Locks are `fs4` advisory locks on separate `.lock` files, which the kernel releases when the
//! holder dies, so a killed process never leaves a cache locked; every wait for one is bounded.
//! Reads refuse anything but a small regular file of this user's, without blocking on it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Mode of every directory eks-kc keeps secrets in.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file eks-kc keeps secrets in.
pub const FILE_MODE: u32 = 0o600;
/// The largest cache file eks-kc reads: entries are a few KiB; anything bigger was not written
/// by eks-kc (a link to /dev/zero, a planted file) and is refused instead of read.
pub const MAX_FILE_SIZE: u64 = 1 << 20;

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The directory eks-kc keeps its files in, given the one configured (`EKS_KC_CACHE_DIR` or
/// the platform default). One `lstat`, so it is cheap enough for every cache hit.
///
/// eks-kc never changes the mode of a directory it did not create, and never keeps secrets in
/// a directory that someone else owns or can write to (a shared `/tmp`, a 0777 directory):
/// there it uses its own subdirectory `eks-kc-<uid>`, created 0700 (see [`PrivateDir::ensure`]
/// for what is refused). A missing directory is created 0700 on the first write.
pub fn effective_dir(configured: &Path) -> PathBuf {
    match fs::symlink_metadata(configured) {
        Ok(meta) if meta.is_dir() && (meta.uid() != euid() || meta.mode() & 0o022 != 0) => {
            configured.join(format!("eks-kc-{}", euid()))
        }
        _ => configured.to_path_buf(),
    }
}

/// A private directory (0700) holding private files (0600).
#[derive(Debug, Clone)]
pub struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    /// A handle on `path`; nothing is touched until a read, write or lock needs the directory.
    /// Callers pass the result of [`effective_dir`].
    pub fn new(path: impl Into<PathBuf>) -> Self {
        PrivateDir { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Whether the directory exists and is safe to keep secrets in: a real directory (not a
    /// symlink), owned by this user, writable by nobody else. Never changes its mode: a
    /// directory eks-kc did not create is not its to change.
    pub fn check(&self) -> io::Result<bool> {
        let meta = match fs::symlink_metadata(&self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        if !meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a directory", self.path.display()),
            ));
        }
        let me = euid();
        if meta.uid() != me {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} belongs to uid {}, not to you (uid {me}); remove it or point \
                     EKS_KC_CACHE_DIR elsewhere",
                    self.path.display(),
                    meta.uid()
                ),
            ));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} is writable by other users (mode {:o}), so eks-kc keeps nothing there; \
                     `chmod 700 {}` if it is yours alone",
                    self.path.display(),
                    meta.mode() & 0o7777,
                    self.path.display()
                ),
            ));
        }
        Ok(true)
    }

    /// Creates the directory (and parents) as 0700 when missing; refuses one that is not safe
    /// (see [`PrivateDir::check`]).
    pub fn ensure(&self) -> io::Result<()> {
        if self.check()? {
            return Ok(());
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(&self.path)?;
        // Created by someone else in between, or by us through a loose umask: check again.
        self.check().map(|_| ())
    }

    /// The content of `name`, or `None` when it (or the directory) does not exist.
    ///
    /// Only a regular file owned by this user and at most [`MAX_FILE_SIZE`] long is read: a
    /// symlink is refused rather than followed, and a FIFO or device in place of an entry is
    /// opened non-blocking and refused after `fstat`, so a planted file can neither hang nor
    /// flood the caller.
    pub fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        if !self.check()? {
            return Ok(None);
        }
        read_private_file(&self.file(name))
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

    /// Takes an exclusive lock on `<name>.lock`, waiting at most `wait.timeout` for another
    /// holder. The lock is released when the guard is dropped or the process dies. The holder
    /// writes its pid into the file, so a waiter that gives up can say who holds it.
    pub fn lock(&self, name: &str, wait: &LockWait) -> Result<FileLock, LockError> {
        self.ensure()?;
        let path = self.file(&format!("{name}.lock"));
        let mut file = open_lock_file(&path)?;
        let deadline = Instant::now() + wait.timeout;
        let mut pause = Duration::from_millis(2);
        loop {
            // fs4's trait method, not std's File::try_lock of the same name (see NOTES.md).
            match fs4::FileExt::try_lock(&file) {
                // `cache clear` may have removed the file between our open and our lock: a lock
                // on an unlinked file excludes nobody, so take the one at the path instead.
                Ok(()) if same_file(&file, &path) => break,
                Ok(()) => {
                    file = open_lock_file(&path)?;
                    continue;
                }
                Err(fs4::TryLockError::Error(e)) => return Err(e.into()),
                Err(fs4::TryLockError::WouldBlock) => {}
            }
            let holder = Holder::read(&path, &file);
            if wait.fail_if_prompting && holder.as_ref().is_some_and(|h| h.prompting) {
                return Err(LockError::Prompting {
                    path,
                    pid: holder.map(|h| h.pid),
                });
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(LockError::Timeout {
                    path,
                    waited: wait.timeout,
                    pid: holder.map(|h| h.pid),
                });
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(50));
        }
        let lock = FileLock { file, path };
        lock.note("");
        held_locks().push(lock.path.clone());
        Ok(lock)
    }

    /// Removes the `.lock` files in this directory whose names pass `wanted` and that no live
    /// process holds (the lock can be taken at once); returns how many were removed. A lock
    /// someone holds is left alone: removing it would let a second holder in.
    pub fn remove_idle_locks(&self, wanted: impl Fn(&str) -> bool) -> usize {
        let Ok(true) = self.check() else {
            return 0;
        };
        let Ok(entries) = fs::read_dir(&self.path) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".lock") || !wanted(&name) {
                continue;
            }
            let path = entry.path();
            let Ok(file) = open_lock_file(&path) else {
                continue;
            };
            if fs4::FileExt::try_lock(&file).is_ok() && fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
        removed
    }
}

/// Reads a small regular file this user owns without following a symlink or blocking on a FIFO
/// (see [`PrivateDir::read`]); `None` when it does not exist.
pub fn read_private_file(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is not a regular file", path.display()),
        ));
    }
    // A file someone else owns was not written by us: never trust it.
    if meta.uid() != euid() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} belongs to another user", path.display()),
        ));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is {} bytes, more than a cache file ever is",
                path.display(),
                meta.len()
            ),
        ));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize + 1);
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_FILE_SIZE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} grew past {MAX_FILE_SIZE} bytes", path.display()),
        ));
    }
    Ok(Some(buf))
}

/// Whether `path` still names the open `file`.
fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

fn open_lock_file(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.uid() != euid() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is not a regular file of yours; remove it",
                path.display()
            ),
        ));
    }
    Ok(file)
}

/// How long, and how, to wait for a lock.
#[derive(Debug, Clone, Copy)]
pub struct LockWait {
    pub timeout: Duration,
    /// Give up at once when the holder is asking a person something (an MFA code): a call
    /// nobody can watch must not queue behind a prompt in another terminal.
    pub fail_if_prompting: bool,
}

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "waited {:.1}s for the lock {} held by {}; if that process is stuck, end it, or raise \
         EKS_KC_LOCK_TIMEOUT (or --lock-timeout)",
        waited.as_secs_f32(), path.display(), describe_holder(*pid)
    )]
    Timeout {
        path: PathBuf,
        waited: Duration,
        pid: Option<u32>,
    },
    #[error(
        "{} is asking for an MFA code in another terminal (lock {}); answer it there, or run \
         `eks-kc login` in a terminal, then retry",
        describe_holder(*pid), path.display()
    )]
    Prompting { path: PathBuf, pid: Option<u32> },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// "pid 123 (eks-kc)" where known.
fn describe_holder(pid: Option<u32>) -> String {
    match pid {
        None => "another process".into(),
        Some(pid) => {
            let name = fs::read_to_string(format!("/proc/{pid}/comm"))
                .ok()
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty());
            match name {
                Some(name) => format!("pid {pid} ({name})"),
                None => format!("pid {pid}"),
            }
        }
    }
}

/// What a lock holder wrote into its lock file: `<pid>[ prompting]`.
struct Holder {
    pid: u32,
    prompting: bool,
}

impl Holder {
    fn parse(text: &str) -> Option<Holder> {
        let mut words = text.split_whitespace();
        let pid = words.next()?.parse().ok()?;
        Some(Holder {
            pid,
            prompting: words.any(|w| w == "prompting"),
        })
    }

    /// Who holds the lock on `file`: the kernel's answer (`/proc/locks`) where there is one,
    /// else what the holder wrote into the file.
    fn read(path: &Path, file: &File) -> Option<Holder> {
        let mut text = String::new();
        let written = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
            .ok()
            .and_then(|f| f.take(64).read_to_string(&mut text).ok())
            .and_then(|_| Holder::parse(&text));
        let kernel = file.metadata().ok().and_then(|meta| {
            let locks = fs::read_to_string("/proc/locks").ok()?;
            flock_holder(&locks, meta.dev(), meta.ino())
        });
        match (kernel, written) {
            (Some(pid), Some(w)) if w.pid == pid => Some(w),
            (Some(pid), _) => Some(Holder {
                pid,
                prompting: false,
            }),
            (None, w) => w,
        }
    }
}

/// The pid holding a `flock` on the file (`dev`, `ino`), from the text of `/proc/locks`
/// (`1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF`).
fn flock_holder(locks: &str, dev: u64, ino: u64) -> Option<u32> {
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // A waiter's line starts with "->": only the holder counts.
        if fields.get(1) != Some(&"FLOCK") {
            return None;
        }
        let mut id = fields.get(5)?.split(':');
        let ma = u32::from_str_radix(id.next()?, 16).ok()?;
        let mi = u32::from_str_radix(id.next()?, 16).ok()?;
        let i: u64 = id.next()?.parse().ok()?;
        (ma == major && mi == minor && i == ino)
            .then(|| fields.get(4)?.parse().ok())
            .flatten()
    })
}

/// The lock files this process holds, so that a prompt can tell waiters about itself.
fn held_locks() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    static HELD: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
    HELD.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Marks every lock this process holds as "prompting" (just before asking a person something),
/// so that non-interactive callers waiting for them give up at once instead of queueing.
pub fn note_prompting() {
    for path in held_locks().iter() {
        if let Ok(mut f) = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
        {
            let _ = f.set_len(0);
            let _ = write!(f, "{} prompting", std::process::id());
        }
    }
}

/// Holds an advisory lock until dropped.
pub struct FileLock {
    file: File,
    path: PathBuf,
}

impl FileLock {
    /// Records this process (and `state`) in the lock file for waiters to report.
    fn note(&self, state: &str) {
        use std::os::unix::fs::FileExt;
        let _ = self.file.set_len(0);
        let _ = self
            .file
            .write_at(format!("{} {state}", std::process::id()).as_bytes(), 0);
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // No stale pid for the next waiter to blame; the lock goes when the file closes.
        let _ = self.file.set_len(0);
        held_locks().retain(|p| p != &self.path);
    }
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
        // A private directory that became writable by others is refused, never chmod'ed.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
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
        assert!(dir.read("missing").unwrap().is_none());
        assert!(
            PrivateDir::new(tmp.path().join("nodir"))
                .read("x")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn lock_holders_are_read_from_proc_locks() {
        let dev = libc::makedev(8, 1);
        let locks = "1: FLOCK  ADVISORY  WRITE 4242 08:01:77 0 EOF\n\
                     1: -> FLOCK  ADVISORY  WRITE 99 08:01:78 0 EOF\n\
                     2: POSIX  ADVISORY  WRITE 7 08:01:79 0 EOF\n";
        assert_eq!(flock_holder(locks, dev, 77), Some(4242));
        assert_eq!(flock_holder(locks, dev, 78), None);
        assert_eq!(flock_holder(locks, dev, 79), None);
        assert_eq!(flock_holder(locks, libc::makedev(8, 2), 77), None);
        assert_eq!(flock_holder("garbage\n1: FLOCK", dev, 77), None);
    }

    #[test]
    fn a_held_lock_times_out_naming_the_holder_and_idle_locks_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = PrivateDir::new(tmp.path());
        let wait = LockWait {
            timeout: Duration::from_millis(200),
            fail_if_prompting: true,
        };
        let held = dir.lock("a", &wait).unwrap();
        // flock locks belong to the open file: a second open in this process conflicts too.
        let started = Instant::now();
        let err = dir.lock("a", &wait).err().unwrap();
        assert!(started.elapsed() < Duration::from_secs(2));
        let text = err.to_string();
        assert!(
            text.contains(&format!("pid {}", std::process::id())) && text.contains("a.lock"),
            "{text}"
        );
        assert!(matches!(err, LockError::Timeout { .. }));
        // A holder that is prompting makes a non-interactive waiter give up at once.
        note_prompting();
        let started = Instant::now();
        let err = dir
            .lock(
                "a",
                &LockWait {
                    timeout: Duration::from_secs(30),
                    ..wait
                },
            )
            .err()
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(matches!(err, LockError::Prompting { .. }), "{err}");
        // Clearing removes idle locks only.
        let idle = dir.lock("b", &wait).unwrap();
        drop(idle);
        assert_eq!(dir.remove_idle_locks(|_| true), 1);
        assert!(dir.file("a.lock").exists());
        drop(held);
        assert_eq!(dir.remove_idle_locks(|_| true), 1);
        assert!(!dir.file("a.lock").exists());
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
