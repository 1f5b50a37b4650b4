//! The kubeconfig on disk: which file, client-go's lock convention, and atomic rewrites.
//!
//! kubectl (client-go) guards a kubeconfig rewrite by creating `<file>.lock` with `O_EXCL` and
//! removing it afterwards. eks-kc takes the same lock for its whole read-modify-write, so a
//! concurrent `kubectl config set-context` and `eks-kc sync` never lose each other's updates.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::kubeconfig::Kubeconfig;
use crate::{signals, store};

/// The files of a `KUBECONFIG` value as client-go reads them: split on the path-list separator,
/// empty entries skipped (`KUBECONFIG=:` names no file at all), later duplicates dropped.
pub fn split_kubeconfig(value: &OsStr) -> Vec<PathBuf> {
    let mut seen = std::collections::HashSet::new();
    std::env::split_paths(value)
        .filter(|p| !p.as_os_str().is_empty())
        .filter(|p| seen.insert(p.clone()))
        .collect()
}

/// The kubeconfig eks-kc writes to: `--kubeconfig`; else, with `KUBECONFIG` set, the listed file
/// that already holds eks-kc's entries, else the first listed; else `~/.kube/config`.
/// A `KUBECONFIG` that is set but lists no file (`:`) is an error, as it is for kubectl.
pub fn target(
    explicit: Option<&Path>,
    kubeconfig_env: Option<&OsStr>,
    home: &Path,
) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let Some(env) = kubeconfig_env.filter(|v| !v.is_empty()) else {
        return Ok(home.join(".kube").join("config"));
    };
    // A shell's own file (first in that shell's KUBECONFIG) holds its context choice only, and
    // goes with the shell: clusters are never written there.
    let (shells, listed): (Vec<PathBuf>, Vec<PathBuf>) = split_kubeconfig(env)
        .into_iter()
        .partition(|p| crate::shell::is_shell_file(p));
    if listed.is_empty()
        && let Some(shell) = shells.first()
    {
        bail!(
            "KUBECONFIG lists only {}, a shell's own kubeconfig, which holds no clusters; add \
             your kubeconfig after it in KUBECONFIG, or pass --kubeconfig",
            shell.display()
        );
    }
    if let Some(ours) = listed.iter().find(|p| {
        store::read_text_capped(p, store::MAX_KUBECONFIG_SIZE)
            .ok()
            .and_then(|t| Kubeconfig::parse(&t).ok())
            .is_some_and(|k| k.has_managed_entries())
    }) {
        return Ok(ours.clone());
    }
    match listed.into_iter().next() {
        Some(first) => Ok(first),
        None => bail!(no_file_listed(env)),
    }
}

fn no_file_listed(env: &OsStr) -> String {
    format!(
        "KUBECONFIG is set to {:?}, which lists no file; set it to a path (or unset it for \
         ~/.kube/config), or pass --kubeconfig",
        env
    )
}

/// The home directory, from `directories` (which honours `HOME`).
pub fn home_dir() -> Result<PathBuf> {
    directories::BaseDirs::new()
        .map(|d| d.home_dir().to_path_buf())
        .context("cannot find the home directory: set HOME or pass --kubeconfig")
}

/// The default target for this process's environment.
pub fn default_target(explicit: Option<&Path>) -> Result<PathBuf> {
    let env = crate::settings::env::var_os("KUBECONFIG");
    if explicit.is_some() || env.as_ref().is_some_and(|v| !v.is_empty()) {
        return target(explicit, env.as_deref(), Path::new(""));
    }
    target(None, None, &home_dir()?)
}

/// The files kubectl reads: `--kubeconfig`, else every file of `KUBECONFIG` (none for
/// `KUBECONFIG=:`), else `~/.kube/config`.
pub fn view_paths(explicit: Option<&Path>) -> Result<Vec<PathBuf>> {
    Ok(
        match (explicit, crate::settings::env::var_os("KUBECONFIG")) {
            (Some(p), _) => vec![p.to_path_buf()],
            (None, Some(list)) if !list.is_empty() => split_kubeconfig(&list),
            _ => vec![home_dir()?.join(".kube").join("config")],
        },
    )
}

/// The one file a command that changes `current-context` writes; an error when `KUBECONFIG`
/// lists no file.
pub fn the_only_or_none(paths: &[PathBuf]) -> Result<Option<&Path>> {
    match paths {
        [] => bail!(no_file_listed(
            &crate::settings::env::var_os("KUBECONFIG").unwrap_or_default()
        )),
        [one] => Ok(Some(one)),
        _ => Ok(None),
    }
}

/// The kubeconfig as kubectl sees it: every file of `KUBECONFIG` (or `--kubeconfig`, or
/// `~/.kube/config`), merged by kubectl's rule that the first file to define a name wins.
pub struct View {
    pub files: Vec<(PathBuf, Kubeconfig)>,
}

impl View {
    pub fn load(explicit: Option<&Path>) -> Result<Self> {
        Self::of_paths(&view_paths(explicit)?)
    }

    /// The view of exactly `paths`, in that order.
    pub fn of_paths(paths: &[PathBuf]) -> Result<Self> {
        let mut files = vec![];
        for path in paths {
            files.push((path.clone(), read(path)?));
        }
        Ok(View { files })
    }

    /// The file that defines context `name` (the first that does: kubectl uses that one).
    pub fn context_file(&self, name: &str) -> Option<&Path> {
        self.files
            .iter()
            .find(|(_, k)| k.has_context(name))
            .map(|(p, _)| p.as_path())
    }

    /// The users named by the contexts kubectl reads from files other than `path` (a context
    /// is read from the first file that defines its name).
    pub fn users_named_outside(&self, path: &Path) -> std::collections::BTreeSet<String> {
        let mut seen = std::collections::BTreeSet::new();
        let mut users = std::collections::BTreeSet::new();
        for (file, k) in &self.files {
            for c in k.list(super::Section::Contexts) {
                if let Some(name) = super::name_of(c)
                    && seen.insert(name)
                    && file != path
                    && let Some(user) = super::context_user(c)
                {
                    users.insert(user.to_owned());
                }
            }
        }
        users
    }

    /// The namespace context `name` sets, as kubectl reads it (from the file that defines it).
    pub fn namespace_of(&self, name: &str) -> Option<String> {
        let (_, k) = self.files.iter().find(|(_, k)| k.has_context(name))?;
        k.context_namespace(name).map(str::to_owned)
    }

    pub fn context_names(&self) -> Vec<String> {
        let mut seen = std::collections::BTreeSet::new();
        self.files
            .iter()
            .flat_map(|(_, k)| k.context_names())
            .filter(|n| seen.insert(n.clone()))
            .collect()
    }

    /// kubectl's current context: the first file that sets one.
    pub fn current_context(&self) -> Option<String> {
        self.files
            .iter()
            .find_map(|(_, k)| k.current_context().map(str::to_owned))
    }

    /// The file kubectl writes `current-context` to: the first that sets one, else the first;
    /// `None` when the view has no file (`KUBECONFIG=:`).
    pub fn current_context_file(&self) -> Option<&Path> {
        self.files
            .iter()
            .find(|(_, k)| k.current_context().is_some())
            .or(self.files.first())
            .map(|(p, _)| p.as_path())
    }

    /// The managed contexts of all files, the first definition of a name winning.
    pub fn managed(&self) -> Vec<crate::kubeconfig::ManagedContext> {
        let mut seen = std::collections::BTreeSet::new();
        self.files
            .iter()
            .flat_map(|(_, k)| k.managed_contexts())
            .filter(|m| seen.insert(m.name.clone()))
            .collect()
    }

    /// Contexts that carry eks-kc's marker but no usable cluster identity (a marker copied by
    /// hand): skipped by every command, and reported.
    pub fn unusable(&self) -> Vec<String> {
        self.files
            .iter()
            .flat_map(|(_, k)| k.unusable_contexts())
            .collect()
    }
}

/// Reads and parses a kubeconfig; a missing file is an empty kubeconfig.
///
/// kubectl rewrites a kubeconfig in place (truncate, then write), so a reader that does not hold
/// the lock can catch it half-written. A parse failure is therefore retried a few times while
/// the content keeps changing; a file that fails the same way twice is reported as malformed.
pub fn read(path: &Path) -> Result<Kubeconfig> {
    let mut previous: Option<String> = None;
    for _ in 0..5 {
        let text = match store::read_text_capped(path, store::MAX_KUBECONFIG_SIZE) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Kubeconfig::new()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        match Kubeconfig::parse(&text) {
            Ok(cfg) => return Ok(cfg),
            Err(e) if previous.as_deref() == Some(text.as_str()) => {
                return Err(e)
                    .with_context(|| format!("{} is not a valid kubeconfig", path.display()));
            }
            Err(_) => {
                previous = Some(text);
                std::thread::sleep(Duration::from_millis(25));
            }
        }
    }
    let text = store::read_text_capped(path, store::MAX_KUBECONFIG_SIZE)
        .with_context(|| format!("reading {}", path.display()))?;
    Kubeconfig::parse(&text).with_context(|| {
        format!(
            "{} is not a valid kubeconfig (it kept changing)",
            path.display()
        )
    })
}

/// Refuses `cfg` (read from `path`) for a rewrite when kubectl refuses to load it: a name it
/// holds twice ([`Kubeconfig::duplicate_name`]) leaves no way to tell which entry is meant.
pub fn check_names(path: &Path, cfg: &Kubeconfig) -> Result<()> {
    match cfg.duplicate_name() {
        None => Ok(()),
        Some(what) => bail!(
            "{} has {what}, so kubectl refuses to load it (`kubectl config view` fails); rename \
             or remove one of the two, then try again (nothing was changed)",
            path.display()
        ),
    }
}

/// Holds `<file>.lock` (client-go's convention); removes it when dropped. While it is held, a
/// SIGINT, SIGTERM or SIGHUP removes it (and any temporary file of the rewrite) before the
/// process dies, so an interrupted eks-kc never blocks the next `kubectl config` write.
pub struct KubeLock {
    path: PathBuf,
}

impl Drop for KubeLock {
    fn drop(&mut self) {
        signals::release(&self.path);
    }
}

/// Takes the kubeconfig lock, retrying while another process holds it, for at most `timeout`.
/// `waiting` is called once if the lock is busy, so the caller can say so. Temporary files that
/// an earlier eks-kc killed with SIGKILL left beside the kubeconfig are removed once the lock is
/// won: only the lock holder writes them, so none of them belongs to a live process.
pub fn lock(file: &Path, timeout: Duration, waiting: &mut dyn FnMut(&Path)) -> Result<KubeLock> {
    signals::install();
    let mut lock_path = file.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let real = resolve_links(file)?;
    let started = Instant::now();
    let mut told = false;
    loop {
        match signals::acquire(&lock_path, &real) {
            Ok(()) => {
                store::remove_temps_of(&real);
                return Ok(KubeLock { path: lock_path });
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if started.elapsed() >= timeout {
                    bail!(
                        "{} is held by another kubectl or eks-kc (waited {}s); if none is \
                         running, it was left by a crashed process: remove it and try again",
                        lock_path.display(),
                        timeout.as_secs()
                    );
                }
                if !told {
                    waiting(&lock_path);
                    told = true;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => {
                return Err(e).with_context(|| format!("creating {}", lock_path.display()));
            }
        }
    }
}

/// Follows `path` through symlinks to the file kubectl would write, as `open(2)` does: a
/// dangling link resolves to its (missing) target, which a write then creates.
pub fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&current)
                    .with_context(|| format!("reading the link {}", current.display()))?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e).with_context(|| format!("resolving {}", path.display())),
        }
    }
    bail!(
        "resolving {}: too many levels of symbolic links",
        path.display()
    )
}

/// Writes `cfg` to `path` the way kubectl would, keeping what kubectl keeps: a symlinked
/// kubeconfig is written through to its target (a dangling link's target is created), and the
/// file keeps its mode, owner, group and hard links. A file kubectl could not write (read-only
/// for this user) is refused. See [`store::replace_file`] for when the write is atomic.
pub fn write(path: &Path, cfg: &Kubeconfig) -> Result<()> {
    write_text(path, cfg.to_yaml()?.as_bytes())
}

/// Writes kubeconfig text to `path` as [`write`] writes a document.
pub fn write_text(path: &Path, text: &[u8]) -> Result<()> {
    let real = resolve_links(path)?;
    // A signal waits for the write to finish, so the file is the old one or the new one.
    let _quiet = signals::defer();
    store::replace_file(&real, text).with_context(|| format!("writing {}", real.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn target_rules() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        let b = tmp.path().join("b");
        fs::write(&a, "clusters: []\n").unwrap();
        let home = tmp.path().join("home");
        assert_eq!(
            target(None, None, &home).unwrap(),
            home.join(".kube/config")
        );
        assert_eq!(target(Some(&b), None, &home).unwrap(), b);
        let list = std::env::join_paths([&a, &b]).unwrap();
        assert_eq!(target(None, Some(&list), &home).unwrap(), a);
        // The file that already holds eks-kc's entries wins.
        let mut cfg = Kubeconfig::new();
        let template = crate::kubeconfig::NameTemplate::parse("{cluster}").unwrap();
        cfg.merge(
            &[crate::kubeconfig::DesiredCluster {
                id: crate::kubeconfig::ClusterId {
                    profile: "p".into(),
                    region: "eu-west-1".into(),
                    cluster_name: "c".into(),
                },
                arn: None,
                account: None,
                server: "https://x".into(),
                ca_data: None,
                exec: Default::default(),
                naming: Default::default(),
            }],
            &crate::kubeconfig::MergeOptions {
                template: &template,
                listed: &Default::default(),
                prune: false,
                exec_command: "eks-kc",
                taken_elsewhere: &Default::default(),
                exec_style: None,
                set_current_if_none: false,
            },
        )
        .unwrap();
        write(&b, &cfg).unwrap();
        assert_eq!(target(None, Some(&list), &home).unwrap(), b);
        // A shell's own file (first in that shell's KUBECONFIG) is never the target.
        let shell = tmp.path().join("shells/shell-12-34/kubeconfig");
        let in_shell = std::env::join_paths([&shell, &a]).unwrap();
        assert_eq!(target(None, Some(&in_shell), &home).unwrap(), a);
        let only = target(None, Some(shell.as_os_str()), &home).unwrap_err();
        assert!(
            only.to_string().contains("a shell's own kubeconfig"),
            "{only}"
        );
        // KUBECONFIG=: lists no file: an error, never a path relative to the working directory.
        let err = target(None, Some(OsStr::new(":")), &home).unwrap_err();
        assert!(err.to_string().contains("lists no file"), "{err}");
        assert!(split_kubeconfig(OsStr::new("::a::a:")).len() == 1);
    }

    #[test]
    fn lock_is_exclusive_bounded_and_released() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("config");
        let held = lock(&file, Duration::from_secs(1), &mut |_| {}).unwrap();
        let mut told = 0;
        let err = lock(&file, Duration::from_millis(100), &mut |_| told += 1)
            .err()
            .unwrap();
        assert_eq!(told, 1);
        assert!(err.to_string().contains("config.lock"), "{err}");
        drop(held);
        assert!(!tmp.path().join("config.lock").exists());
        lock(&file, Duration::from_millis(100), &mut |_| {}).unwrap();
    }

    #[test]
    fn writes_keep_the_mode_and_follow_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        fs::write(&real, "").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write(&link, &Kubeconfig::new()).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let fresh = tmp.path().join("new/config");
        fs::create_dir_all(fresh.parent().unwrap()).unwrap();
        write(&fresh, &Kubeconfig::new()).unwrap();
        assert_eq!(
            fs::metadata(&fresh).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
