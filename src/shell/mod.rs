//! Per-shell contexts: where a shell's own kubeconfig lives, how to tell one at the head of
//! `KUBECONFIG`, whether the shell that owns one is still alive, and removing those of dead
//! shells. `script` renders what `eks-kc init` prints and what the shell function evaluates.
//!
//! A shell set up by `eks-kc init` is named by `EKS_KC_SHELL` (its pid). Once it has a context
//! of its own, its `KUBECONFIG` is `<shells>/shell-<pid>-<start>/kubeconfig` followed by the
//! user's own list. client-go takes `current-context` from the first file that sets one and
//! writes it back to the first file that exists, so kubectl, k9s and every client-go tool in
//! that shell see the shell's choice, and `kubectl config use-context` there stays there. The
//! file holds `current-context` and, for a namespace of the shell's own, a copy of that context
//! (cluster, user, namespace): client-go merges contexts by name with the first file winning
//! the whole entry, so a namespace alone would hide the context's cluster and user. No
//! credential is ever copied.
//!
//! `<start>` is the shell's start time (Linux: clock ticks since boot, from `/proc`; macOS:
//! microseconds since the epoch, from `proc_pidinfo`; 0 elsewhere), so a pid the system reused
//! is not mistaken for the shell that is gone.

use std::fs;
use std::path::{Path, PathBuf};

pub mod script;

pub use script::Dialect;

/// The file name of a shell's kubeconfig inside its directory.
pub const FILE_NAME: &str = "kubeconfig";
const DIR_PREFIX: &str = "shell-";

/// One shell: its pid and when it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShellId {
    pub pid: u32,
    /// Start time (Linux: clock ticks since boot, `/proc/<pid>/stat`; macOS: microseconds since
    /// the epoch), 0 when unknown.
    pub start: u64,
}

impl ShellId {
    /// The shell running as `pid` now (with its start time); `None` for a pid no
    /// process could have (0, or beyond `pid_t`).
    pub fn of_pid(pid: u32) -> Option<ShellId> {
        if pid == 0 || i32::try_from(pid).is_err() {
            return None;
        }
        Some(ShellId {
            pid,
            start: start_time(pid).unwrap_or(0),
        })
    }

    /// `EKS_KC_SHELL`'s value: a pid.
    pub fn parse_env(value: &str) -> Option<ShellId> {
        ShellId::of_pid(value.trim().parse().ok()?)
    }

    /// The name of this shell's directory: `shell-<pid>-<start>`.
    pub fn dir_name(&self) -> String {
        format!("{DIR_PREFIX}{}-{}", self.pid, self.start)
    }

    fn from_dir_name(name: &str) -> Option<ShellId> {
        let (pid, start) = name.strip_prefix(DIR_PREFIX)?.split_once('-')?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(pid) || !digits(start) {
            return None;
        }
        Some(ShellId {
            pid: pid.parse().ok().filter(|p| *p != 0)?,
            start: start.parse().ok()?,
        })
    }

    /// This shell's directory under `shells`.
    pub fn dir(&self, shells: &Path) -> PathBuf {
        shells.join(self.dir_name())
    }

    /// Whether the shell still runs: its pid exists, and (where the start time is known) it is
    /// the same process, not a later one that got the pid again.
    pub fn is_alive(&self) -> bool {
        if !pid_exists(self.pid) {
            return false;
        }
        match (self.start, start_time(self.pid)) {
            (0, _) | (_, None) => true,
            (was, Some(now)) => was == now,
        }
    }
}

/// The shell whose kubeconfig `path` is, when it is one: a file named `kubeconfig` in a
/// directory named `shell-<pid>-<start>`. Told by the path alone (no I/O, no environment), so
/// every command recognises one whatever `EKS_KC_STATE_DIR` or `XDG_RUNTIME_DIR` say now.
pub fn owner_of(path: &Path) -> Option<ShellId> {
    if path.file_name()? != FILE_NAME {
        return None;
    }
    ShellId::from_dir_name(path.parent()?.file_name()?.to_str()?)
}

/// Whether `path` is a shell's own kubeconfig (see [`owner_of`]).
pub fn is_shell_file(path: &Path) -> bool {
    owner_of(path).is_some()
}

/// Whether process `pid` exists (`kill(pid, 0)` does not say ESRCH).
#[cfg(unix)]
fn pid_exists(pid: u32) -> bool {
    // SAFETY: kill with signal 0 sends nothing; it only checks that the pid exists.
    let gone = unsafe { libc::kill(pid as libc::pid_t, 0) } != 0
        && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
    !gone
}

/// Windows has no per-shell integration (`eks-kc init` refuses it), so no shell directory is
/// ever made there: any that exists is taken as alive, and nothing is removed.
#[cfg(not(unix))]
fn pid_exists(_pid: u32) -> bool {
    true
}

/// The start time of process `pid` in clock ticks since boot: field 22 of `/proc/<pid>/stat`.
#[cfg(target_os = "linux")]
fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces or ')': skip past the
    // last ')'. Field 3 (state) is then the first, so field 22 is the 20th.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// macOS has no `/proc`: the start time of process `pid` in microseconds since the epoch, from
/// `proc_pidinfo(PROC_PIDTBSDINFO)` (what `ps -o lstart` reads). Not built or tested on this
/// project's Linux machines; the macOS CI runner builds and tests it.
#[cfg(target_os = "macos")]
fn start_time(pid: u32) -> Option<u64> {
    let pid = libc::c_int::try_from(pid).ok()?;
    // SAFETY: proc_bsdinfo is plain old data (all-zero is a valid value).
    let mut info: libc::proc_bsdinfo = unsafe { std::mem::zeroed() };
    let size = libc::c_int::try_from(std::mem::size_of::<libc::proc_bsdinfo>()).ok()?;
    // SAFETY: the buffer is a proc_bsdinfo of `size` bytes, which the call fills at most.
    let n =
        unsafe { libc::proc_pidinfo(pid, libc::PROC_PIDTBSDINFO, 0, (&raw mut info).cast(), size) };
    if n != size {
        return None;
    }
    info.pbi_start_tvsec
        .checked_mul(1_000_000)?
        .checked_add(info.pbi_start_tvusec)
}

/// Elsewhere the start time is unknown (0): liveness is then told by the pid alone.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn start_time(_pid: u32) -> Option<u64> {
    None
}

/// Removes the directories of shells that are no longer running from `shells`, except `keep`
/// (the calling shell's). Best effort: a directory that cannot be read or removed is left for
/// the next run. Returns how many were removed.
pub fn remove_dead(shells: &Path, keep: Option<ShellId>) -> usize {
    let Ok(entries) = fs::read_dir(shells) else {
        return 0;
    };
    // Only a directory that is eks-kc's alone is cleaned (it is never another user's to tidy).
    if !crate::store::PrivateDir::new(shells)
        .check()
        .unwrap_or(false)
    {
        return 0;
    }
    let mut removed = 0;
    for entry in entries.flatten() {
        let Some(id) = entry.file_name().to_str().and_then(ShellId::from_dir_name) else {
            continue;
        };
        if Some(id) == keep || id.is_alive() {
            continue;
        }
        // remove_dir_all does not follow symlinks: nothing outside the directory is touched.
        if entry.file_type().is_ok_and(|t| t.is_dir()) && fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shell_file_is_told_by_its_path() {
        let id = ShellId {
            pid: 4242,
            start: 917,
        };
        let file = id
            .dir(Path::new("/run/user/1000/eks-kc/shells"))
            .join(FILE_NAME);
        assert_eq!(
            file,
            Path::new("/run/user/1000/eks-kc/shells/shell-4242-917/kubeconfig")
        );
        assert_eq!(owner_of(&file), Some(id));
        for not_one in [
            "/home/me/.kube/config",
            "/x/shell-4242-917/config",
            "/x/shell-4242/kubeconfig",
            "/x/shell-0-1/kubeconfig",
            "/x/shell--1/kubeconfig",
            "/x/shell-12-x/kubeconfig",
            "/x/shell-+12-3/kubeconfig",
            "kubeconfig",
        ] {
            assert_eq!(owner_of(Path::new(not_one)), None, "{not_one}");
        }
        assert_eq!(ShellId::parse_env("nope"), None);
        assert_eq!(ShellId::parse_env("0"), None);
        assert_eq!(ShellId::parse_env("4294967295"), None);
    }

    #[test]
    fn this_process_is_alive_and_a_finished_one_is_not() {
        let me = ShellId::of_pid(std::process::id()).unwrap();
        assert!(me.is_alive());
        assert_ne!(
            me.start, 0,
            "Linux (/proc) and macOS (proc_pidinfo) know start times"
        );
        // The same pid with another start time is a reused pid: not the shell that was.
        assert!(
            !ShellId {
                start: me.start + 1,
                ..me
            }
            .is_alive()
        );
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!ShellId { pid, start: 0 }.is_alive());
    }

    #[test]
    fn only_the_directories_of_dead_shells_are_removed() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let shells = tmp.path().join("shells");
        fs::create_dir(&shells).unwrap();
        fs::set_permissions(&shells, fs::Permissions::from_mode(0o700)).unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = ShellId {
            pid: child.id(),
            start: 0,
        };
        child.wait().unwrap();
        let me = ShellId::of_pid(std::process::id()).unwrap();
        let reused = ShellId {
            start: me.start + 1,
            ..me
        };
        for id in [dead, me, reused] {
            fs::create_dir(id.dir(&shells)).unwrap();
            fs::write(id.dir(&shells).join(FILE_NAME), "current-context: a\n").unwrap();
        }
        fs::create_dir(shells.join("not-a-shell")).unwrap();
        assert_eq!(remove_dead(&shells, None), 2);
        assert!(me.dir(&shells).exists());
        assert!(!dead.dir(&shells).exists() && !reused.dir(&shells).exists());
        assert!(shells.join("not-a-shell").exists());
        // The caller's own directory is kept even when its pid looks dead.
        fs::create_dir(dead.dir(&shells)).unwrap();
        assert_eq!(remove_dead(&shells, Some(dead)), 0);
        // A directory others may write to is not eks-kc's to clean.
        fs::set_permissions(&shells, fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(remove_dead(&shells, None), 0);
    }
}
