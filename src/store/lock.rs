//! Advisory locks on `<name>.lock` files beside the files they guard: taken with a bounded
//! wait, released by the kernel when the holder dies, and annotated with the holder's pid (and
//! "prompting" while it asks a person something) so that a waiter which gives up can say who
//! holds the lock, and one that may wait for a person waits longer behind a prompt.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{FILE_MODE, PrivateDir, euid, sys};

impl PrivateDir {
    /// Takes an exclusive lock on `<name>.lock`, waiting at most `wait.timeout` for another
    /// holder. The lock is released when the guard is dropped or the process dies. The holder
    /// writes its pid into the file, so a waiter that gives up can say who holds it.
    pub fn lock(&self, name: &str, wait: &LockWait) -> Result<FileLock, LockError> {
        self.ensure()?;
        let path = self.file(&format!("{name}.lock"));
        let mut file = open_lock_file(&path)?;
        let started = Instant::now();
        let mut deadline = started + wait.timeout;
        let mut extended = false;
        let mut pause = Duration::from_millis(2);
        loop {
            // fs4's trait method, named in full: std's inherent `File::try_lock` (Rust 1.89)
            // has the same name and is the one a method call would pick.
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
            // A holder asking a person: a waiter that may wait for a person waits longer.
            if let (Some(h), Some(longer)) = (&holder, wait.while_prompting)
                && h.prompting
                && !extended
            {
                extended = true;
                deadline = deadline.max(started + longer);
                if let Some(notice) = wait.notice {
                    notice(h.pid, &path, longer);
                }
            }
            let now = Instant::now();
            if now >= deadline && extended && holder.as_ref().is_some_and(|h| h.prompting) {
                return Err(LockError::Prompting {
                    path,
                    waited: now - started,
                    pid: holder.map(|h| h.pid),
                    profile: None,
                });
            }
            if now >= deadline {
                return Err(LockError::Timeout {
                    path,
                    waited: now - started,
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

    /// Who holds `<name>.lock` right now, when someone does (a probe: it never waits, and
    /// creates no lock file).
    pub fn holder(&self, name: &str) -> Option<Holder> {
        let path = self.file(&format!("{name}.lock"));
        let file = sys::careful(OpenOptions::new().read(true), false)
            .open(&path)
            .ok()?;
        match fs4::FileExt::try_lock(&file) {
            Err(fs4::TryLockError::WouldBlock) => Holder::read(&path, &file),
            _ => None,
        }
    }

    /// Removes the `.lock` files in this directory whose names pass `wanted` and that no live
    /// process holds (the lock can be taken at once); returns how many were removed. A lock
    /// someone holds is left alone: removing it would let a second holder in.
    pub fn remove_idle_locks(&self, wanted: impl Fn(&str) -> bool) -> usize {
        let Ok(true) = self.check() else {
            return 0;
        };
        let Ok(entries) = fs::read_dir(self.path()) else {
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

/// Whether `path` still names the open `file`.
fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => sys::file_id(&a) == sys::file_id(&b),
        _ => false,
    }
}

fn open_lock_file(path: &Path) -> io::Result<File> {
    let file = sys::careful(
        sys::create_mode(
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
            FILE_MODE,
        ),
        false,
    )
    .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || sys::uid(&meta) != euid() {
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
    /// When the holder is asking a person, wait this long in all instead (the person may
    /// answer); `None`: the timeout is all.
    pub while_prompting: Option<Duration>,
    /// Told once (holder pid, lock file, the longer wait) when the wait gets longer for a
    /// prompting holder, so the waiter can say what it waits for.
    pub notice: Option<fn(u32, &Path, Duration)>,
}

impl LockWait {
    /// A wait of `timeout`, whoever the holder is and whatever it does.
    pub fn bounded(timeout: Duration) -> Self {
        LockWait {
            timeout,
            while_prompting: None,
            notice: None,
        }
    }
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
        "waited {:.1}s for {}, which is asking for an MFA code in another terminal (lock {}); \
         answer it there, or run `{}` in a terminal, then retry \
         (EKS_KC_SIGN_IN_TIMEOUT waits longer)",
        waited.as_secs_f32(), describe_holder(*pid), path.display(), login_command(profile.as_deref())
    )]
    Prompting {
        path: PathBuf,
        waited: Duration,
        pid: Option<u32>,
        /// The profile whose credentials the holder asks for, when the waiter knows it (see
        /// [`LockError::for_profile`]): the sign-in command it names then says which.
        profile: Option<String>,
    },
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl LockError {
    /// The error, told that the lock guards `profile`'s credentials (a prompting holder asks
    /// for that profile's MFA code): its advice then names `eks-kc login --profile PROFILE`.
    pub fn for_profile(self, profile: Option<&str>) -> Self {
        match self {
            LockError::Prompting {
                path, waited, pid, ..
            } => LockError::Prompting {
                path,
                waited,
                pid,
                profile: profile.map(str::to_owned),
            },
            other => other,
        }
    }
}

/// The sign-in a person can run instead of answering another terminal's prompt.
fn login_command(profile: Option<&str>) -> String {
    match profile {
        Some(p) => format!("{bin} login --profile {p}", bin = crate::display::bin()),
        None => format!("{} login", crate::display::bin()),
    }
}

/// "pid 123 (eks-kc)" where known.
fn describe_holder(pid: Option<u32>) -> String {
    match pid {
        None => "another process".into(),
        Some(pid) => {
            // Linux names it in /proc; elsewhere (macOS) the pid alone is reported.
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

/// What a lock holder wrote into its lock file: `<pid>[ prompting][ what it does]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    /// Asking a person something.
    pub prompting: bool,
    /// What it said it does (`signing-in browser`), empty when nothing.
    pub state: String,
}

impl Holder {
    fn parse(text: &str) -> Option<Holder> {
        let mut words = text.split_whitespace();
        let pid = words.next()?.parse().ok()?;
        let rest: Vec<&str> = words.collect();
        Some(Holder {
            pid,
            prompting: rest.contains(&"prompting"),
            state: rest.join(" "),
        })
    }

    /// Who holds the lock on `file`: the kernel's answer (`/proc/locks`) where there is one,
    /// else what the holder wrote into the file.
    fn read(path: &Path, file: &File) -> Option<Holder> {
        let mut text = String::new();
        let written = sys::careful(OpenOptions::new().read(true), false)
            .open(path)
            .ok()
            .and_then(|f| f.take(64).read_to_string(&mut text).ok())
            .and_then(|_| Holder::parse(&text));
        let kernel = kernel_holder(file);
        match (kernel, written) {
            (Some(pid), Some(w)) if w.pid == pid => Some(w),
            (Some(pid), _) => Some(Holder {
                pid,
                prompting: false,
                state: String::new(),
            }),
            (None, w) => w,
        }
    }
}

/// The pid the kernel says holds a `flock` on `file`: Linux lists them in `/proc/locks`.
#[cfg(target_os = "linux")]
fn kernel_holder(file: &File) -> Option<u32> {
    let meta = file.metadata().ok()?;
    let locks = fs::read_to_string("/proc/locks").ok()?;
    let (dev, ino) = sys::file_id(&meta);
    flock_holder(&locks, dev, ino)
}

/// Elsewhere (macOS) there is no such list: the pid the holder wrote into the file is all there
/// is to report.
#[cfg(not(target_os = "linux"))]
fn kernel_holder(_file: &File) -> Option<u32> {
    None
}

/// The pid holding a `flock` on the file (`dev`, `ino`), from the text of `/proc/locks`
/// (`1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF`).
#[cfg(target_os = "linux")]
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
        if let Ok(mut f) = sys::careful(OpenOptions::new().write(true), false).open(path) {
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
    /// Records this process (and `state`, a few words such as `prompting signing-in browser`)
    /// in the lock file for waiters and `cache status` to report.
    pub fn note(&self, state: &str) {
        let _ = self.file.set_len(0);
        let _ = sys::write_at(
            &self.file,
            format!("{} {state}", std::process::id()).as_bytes(),
            0,
        );
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // No stale pid for the next waiter to blame; the lock goes when the file closes.
        let _ = self.file.set_len(0);
        // A lock whose work left nothing (a failed token, credentials that are not cached) is
        // not left behind either. Removed while still held: a waiter that wins the old file
        // sees it is no longer at the path and takes the new one (see `lock`).
        if sys::REMOVE_HELD_LOCKS && !self.guards_a_file() {
            let _ = fs::remove_file(&self.path);
        }
        held_locks().retain(|p| p != &self.path);
    }
}

impl FileLock {
    /// Whether the entry this lock guards (`<name>.json`, or a keyring entry's `<name>.stub`)
    /// exists beside it.
    fn guards_a_file(&self) -> bool {
        ["json", "stub"]
            .iter()
            .any(|ext| self.path.with_extension(ext).exists())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
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
    // Unix semantics: a waiter reads the holder's pid, and a released lock file goes.
    #[cfg(unix)]
    fn a_held_lock_times_out_naming_the_holder_and_idle_locks_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = PrivateDir::new(tmp.path());
        let wait = LockWait::bounded(Duration::from_millis(200));
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
        // Behind a holder that is prompting, a waiter waits the longer bound, told once, and
        // then says what it waited for.
        note_prompting();
        static TOLD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        fn told(_: u32, _: &Path, _: Duration) {
            TOLD.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let started = Instant::now();
        let err = dir
            .lock(
                "a",
                &LockWait {
                    while_prompting: Some(Duration::from_millis(600)),
                    notice: Some(told),
                    ..wait
                },
            )
            .err()
            .unwrap();
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(600), "{waited:?}");
        assert!(waited < Duration::from_secs(3), "{waited:?}");
        assert!(matches!(err, LockError::Prompting { .. }), "{err}");
        assert!(err.to_string().contains("MFA code"), "{err}");
        assert!(err.to_string().contains("run `eks-kc login` in"), "{err}");
        // Told the profile the lock guards, the advice names it.
        let err = err.for_profile(Some("team"));
        assert!(
            err.to_string()
                .contains("run `eks-kc login --profile team` in"),
            "{err}"
        );
        assert_eq!(TOLD.load(std::sync::atomic::Ordering::Relaxed), 1);
        // Clearing removes idle locks only.
        fs::write(dir.file("b.json"), "{}").unwrap();
        let idle = dir.lock("b", &wait).unwrap();
        drop(idle);
        assert_eq!(dir.remove_idle_locks(|_| true), 1);
        assert!(dir.file("a.lock").exists());
        fs::write(dir.file("a.json"), "{}").unwrap();
        drop(held);
        assert_eq!(dir.remove_idle_locks(|_| true), 1);
        assert!(!dir.file("a.lock").exists());
        // A lock whose work left no entry goes when it is released.
        drop(dir.lock("c", &wait).unwrap());
        assert!(!dir.file("c.lock").exists());
    }
}
