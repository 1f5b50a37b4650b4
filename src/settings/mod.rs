//! One resolved settings value: the flags a command was given (with the environment clap reads
//! for them) and the remaining `EKS_KC_*` variables, read here and nowhere else, each named in
//! its error. `lib::run` resolves it once per command and passes it down. The token hit path
//! builds it from the few variables it needs (no AWS config, no file of its own).

pub mod env;

use std::path::{Path, PathBuf};
use std::time::{Duration as StdDuration, Instant};

use anyhow::Result;
use chrono::Duration;

use crate::store::LockWait;
use crate::{cache, paths, store};

/// Default bound of all lock waits of one call.
pub const DEFAULT_LOCK_TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// Default network time limit of one command (see `aws::Timeouts`).
pub const DEFAULT_TIMEOUT: StdDuration = StdDuration::from_secs(15);
/// Default bound of a sign-in a person does (the browser's return, a device code's approval,
/// an MFA code), and of other calls' wait for it.
pub const DEFAULT_SIGN_IN_TIMEOUT: StdDuration = StdDuration::from_secs(600);

/// How long a call may wait: for locks held by other eks-kc processes, and for the network.
#[derive(Debug, Clone)]
pub struct Limits {
    /// All lock waits of one call together (`EKS_KC_LOCK_TIMEOUT`, `--lock-timeout`).
    pub lock: StdDuration,
    /// Network calls, retries included (`EKS_KC_TIMEOUT`, `--timeout`).
    pub network: StdDuration,
    /// A person's sign-in step (`EKS_KC_SIGN_IN_TIMEOUT`); other calls wait for it this long
    /// plus the network limit.
    pub sign_in: StdDuration,
    started: Instant,
    /// Time spent waiting at a sign-in gate: a person's, not a lock's, so not counted against
    /// the lock budget.
    excused: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Limits {
    pub fn new(lock: StdDuration, network: StdDuration) -> Self {
        Limits {
            lock,
            network,
            sign_in: DEFAULT_SIGN_IN_TIMEOUT,
            started: Instant::now(),
            excused: Default::default(),
        }
    }

    /// The wait for the next lock: what is left of the lock budget; behind a holder asking a
    /// person for an MFA code, as long as a sign-in may take (`EKS_KC_SIGN_IN_TIMEOUT`), for
    /// every caller: the code typed there serves them all, from the credential cache.
    pub fn lock_wait(&self) -> LockWait {
        LockWait {
            while_prompting: Some(self.sign_in_wait()),
            notice: Some(waiting_for_prompt),
            ..LockWait::bounded((self.lock + self.excused()).saturating_sub(self.started.elapsed()))
        }
    }

    /// Leaves `spent` (a wait for a person's sign-in) out of the lock budget.
    pub fn excuse(&self, spent: StdDuration) {
        let nanos = u64::try_from(spent.as_nanos()).unwrap_or(u64::MAX);
        self.excused
            .fetch_add(nanos, std::sync::atomic::Ordering::Relaxed);
    }

    fn excused(&self) -> StdDuration {
        StdDuration::from_nanos(self.excused.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// How long a call waits for another process's sign-in: the sign-in bound plus the
    /// network limit (its last exchange).
    pub fn sign_in_wait(&self) -> StdDuration {
        self.sign_in + self.network
    }
}

/// The one line a call prints when it starts waiting for a prompt in another process.
fn waiting_for_prompt(pid: u32, lock: &Path, wait: StdDuration) {
    eprintln!(
        "eks-kc: waiting up to {} for pid {pid}, which is asking for an MFA code in another \
         terminal (lock {})",
        crate::duration::format_std(wait),
        lock.display()
    );
}

/// What the command line said, where it has a say (`None`: not given, or the command has no
/// such flag; clap has already merged the flag's environment variable in).
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags<'a> {
    pub cache_dir: Option<&'a Path>,
    pub refresh_margin: Option<Duration>,
    pub lock_timeout: Option<StdDuration>,
    pub timeout: Option<StdDuration>,
}

/// Everything a command needs to know about where eks-kc keeps things and how long it waits.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The cache directory: the configured one, or its private subdirectory when that one is
    /// shared (see `store::effective_dir`). An error only for the commands that use it (`sync`
    /// needs no cache, and must work where no home directory can be found).
    cache_dir: Result<PathBuf, String>,
    /// Refresh a cached token when less than this is left (`--refresh-margin`,
    /// `EKS_KC_REFRESH_MARGIN`).
    pub refresh_margin: Duration,
    /// Renew cached AWS credentials when less than this is left
    /// (`EKS_KC_CREDENTIAL_REFRESH_MARGIN`).
    pub credential_margin: Duration,
    /// Whether the OS keyring may hold credentials (`EKS_KC_KEYRING=off` says no).
    pub keyring: bool,
    pub limits: Limits,
    /// How long a failed sign-in or refresh is remembered (`EKS_KC_SIGN_IN_COOLDOWN`).
    pub sign_in_cooldown: Duration,
}

impl Settings {
    /// The settings of a command run in this process: `flags` over the process environment.
    pub fn of_process(flags: Flags<'_>) -> Result<Settings> {
        Settings::resolve(flags, env::var)
    }

    /// Resolves `flags` and the environment (`env` looks a variable up).
    pub fn resolve(flags: Flags<'_>, env: impl Fn(&str) -> Option<String>) -> Result<Settings> {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let parsed = |name: &str, parse: fn(&str) -> Result<Duration, String>| {
            env(name)
                .map(|text| parse(&text).map_err(|e| anyhow::anyhow!("{name}: {e}")))
                .transpose()
        };
        let duration = |name: &str| parsed(name, crate::duration::parse_duration);
        let std = |d: Duration| d.to_std().unwrap_or_default();
        let cache_dir = match flags.cache_dir.filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) => Ok(dir.to_path_buf()),
            None => paths::cache_dir(env("EKS_KC_CACHE_DIR").map(PathBuf::from).as_deref())
                .map_err(|e| e.to_string()),
        };
        let refresh_margin = match flags.refresh_margin {
            Some(m) => m,
            None => parsed("EKS_KC_REFRESH_MARGIN", crate::duration::parse_margin)?
                .unwrap_or(cache::token::DEFAULT_MARGIN),
        };
        let lock = match flags.lock_timeout {
            Some(t) => t,
            None => duration("EKS_KC_LOCK_TIMEOUT")?
                .map(std)
                .unwrap_or(DEFAULT_LOCK_TIMEOUT),
        };
        let network = match flags.timeout {
            Some(t) => t,
            None => parsed("EKS_KC_TIMEOUT", crate::duration::parse_positive_duration)?
                .map(std)
                .unwrap_or(DEFAULT_TIMEOUT),
        };
        let mut limits = Limits::new(lock, network);
        if let Some(t) = parsed(
            "EKS_KC_SIGN_IN_TIMEOUT",
            crate::duration::parse_positive_duration,
        )? {
            limits.sign_in = std(t);
        }
        Ok(Settings {
            sign_in_cooldown: duration("EKS_KC_SIGN_IN_COOLDOWN")?
                .unwrap_or(cache::signin::DEFAULT_COOLDOWN),
            cache_dir: cache_dir.map(|dir| store::effective_dir(&dir)),
            refresh_margin,
            credential_margin: duration("EKS_KC_CREDENTIAL_REFRESH_MARGIN")?
                .unwrap_or(cache::credentials::DEFAULT_MARGIN),
            keyring: env("EKS_KC_KEYRING").is_none_or(|v| v != "off"),
            limits,
        })
    }

    /// The cache directory (see the field), or why there is none.
    pub fn cache_dir(&self) -> Result<&Path> {
        self.cache_dir
            .as_deref()
            .map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// The settings of this process's environment with no flags.
    pub fn from_env() -> Result<Settings> {
        Settings::resolve(Flags::default(), crate::settings::env::var)
    }
}

/// Where eks-kc remembers small things between runs (`EKS_KC_STATE_DIR`, else the platform's);
/// in a directory others may write to (a shared `/tmp`), its own `eks-kc-<uid>` inside it, as
/// for the cache (see `store::effective_dir`).
pub fn state_dir() -> Result<PathBuf> {
    paths::state_dir(
        env::var_os("EKS_KC_STATE_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .as_deref(),
    )
    .map(|d| crate::store::effective_dir(&d))
}

/// eks-kc's config file: `EKS_KC_CONFIG`, else the platform's (see `paths::config_file`), or
/// why there is none (no home directory). `env` looks a variable up.
pub fn config_file(env: impl Fn(&str) -> Option<String>) -> Result<PathBuf> {
    paths::config_file(
        env("EKS_KC_CONFIG")
            .filter(|f| !f.is_empty())
            .map(PathBuf::from)
            .as_deref(),
    )
}

/// Where shells set up by `eks-kc init` keep their own kubeconfigs (see `shell`):
/// `shells` in `EKS_KC_STATE_DIR` when that is set, else in `$XDG_RUNTIME_DIR/eks-kc` (a
/// per-user tmpfs the system empties at logout) when that directory is this user's, else in
/// the platform state dir; each base is used as [`state_dir`] uses it. A runtime directory of
/// another user's (root's shell after `su` or `sudo -E` keeps the user's) is passed over:
/// files there are that user's to swap.
pub fn shells_dir() -> Result<PathBuf> {
    let var = |name: &str| {
        env::var_os(name)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
    };
    if var("EKS_KC_STATE_DIR").is_some() {
        return Ok(state_dir()?.join("shells"));
    }
    if let Some(runtime) = var("XDG_RUNTIME_DIR").filter(|d| d.is_absolute() && is_own_dir(d)) {
        return Ok(crate::store::effective_dir(&runtime.join("eks-kc")).join("shells"));
    }
    Ok(state_dir()?.join("shells"))
}

/// Whether `dir` is a directory (not a link) owned by this user.
fn is_own_dir(dir: &std::path::Path) -> bool {
    use crate::store::sys;
    std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir() && sys::uid(&m) == sys::euid())
}

/// What the shell integration (`eks-kc init`) tells a command through the environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShellEnv {
    /// The shell this runs in, when it was set up by `eks-kc init` (`EKS_KC_SHELL`, its pid).
    pub shell: Option<crate::shell::ShellId>,
    /// Set when the shell function runs this command and evaluates what it prints
    /// (`_EKS_KC_EVAL`, the shell's dialect).
    pub eval: Option<crate::shell::Dialect>,
    /// The shell function's own stdout is a terminal (`_EKS_KC_TTY=1`): it captures this
    /// command's, so the command cannot see that for itself.
    pub terminal: bool,
}

impl ShellEnv {
    pub fn from_env() -> ShellEnv {
        ShellEnv {
            shell: env::var("EKS_KC_SHELL").and_then(|v| crate::shell::ShellId::parse_env(&v)),
            eval: env::var("_EKS_KC_EVAL").and_then(|v| crate::shell::Dialect::parse(&v)),
            terminal: env::var("_EKS_KC_TTY").is_some_and(|v| v == "1"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn flags_beat_the_environment_which_beats_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let pairs = [
            ("EKS_KC_CACHE_DIR", dir.path().to_str().unwrap()),
            ("EKS_KC_REFRESH_MARGIN", "2m"),
            ("EKS_KC_LOCK_TIMEOUT", "3s"),
            ("EKS_KC_KEYRING", "off"),
        ];
        let env = env_of(&pairs);
        let s = Settings::resolve(Flags::default(), &env).unwrap();
        assert_eq!(s.cache_dir().unwrap(), dir.path());
        assert_eq!(s.refresh_margin, Duration::minutes(2));
        assert_eq!(s.credential_margin, cache::credentials::DEFAULT_MARGIN);
        assert_eq!(s.limits.lock, StdDuration::from_secs(3));
        assert_eq!(s.limits.network, DEFAULT_TIMEOUT);
        assert!(!s.keyring);
        let s = Settings::resolve(
            Flags {
                refresh_margin: Some(Duration::minutes(1)),
                timeout: Some(StdDuration::from_secs(2)),
                ..Flags::default()
            },
            &env,
        )
        .unwrap();
        assert_eq!(s.refresh_margin, Duration::minutes(1));
        assert_eq!(s.limits.network, StdDuration::from_secs(2));
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (name, value) in [
            ("EKS_KC_REFRESH_MARGIN", "soon"),
            ("EKS_KC_LOCK_TIMEOUT", "x"),
            ("EKS_KC_TIMEOUT", "0"),
            ("EKS_KC_CREDENTIAL_REFRESH_MARGIN", "-"),
        ] {
            let err = Settings::resolve(Flags::default(), env_of(&[(name, value)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(name), "{err}");
        }
    }
}
