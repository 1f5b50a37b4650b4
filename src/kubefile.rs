//! The kubeconfig on disk: which file, client-go's lock convention, and atomic rewrites.
//!
//! kubectl (client-go) guards a kubeconfig rewrite by creating `<file>.lock` with `O_EXCL` and
//! removing it afterwards. eks-kc takes the same lock for its whole read-modify-write, so a
//! concurrent `kubectl config set-context` and `eks-kc sync` never lose each other's updates.

use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::kubeconfig::Kubeconfig;
use crate::store;

/// How long to wait for another writer's lock before giving up.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// The kubeconfig eks-kc writes to: `--kubeconfig`; else, with `KUBECONFIG` set, the listed file
/// that already holds eks-kc's entries, else the first listed; else `~/.kube/config`.
pub fn target(explicit: Option<&Path>, kubeconfig_env: Option<&OsStr>, home: &Path) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    let listed: Vec<PathBuf> = kubeconfig_env
        .map(|v| {
            std::env::split_paths(v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if let Some(ours) = listed.iter().find(|p| {
        fs::read_to_string(p)
            .ok()
            .and_then(|t| Kubeconfig::parse(&t).ok())
            .is_some_and(|k| k.has_managed_entries())
    }) {
        return ours.clone();
    }
    listed
        .into_iter()
        .next()
        .unwrap_or_else(|| home.join(".kube").join("config"))
}

/// The home directory, from `directories` (which honours `HOME`).
pub fn home_dir() -> Result<PathBuf> {
    directories::BaseDirs::new()
        .map(|d| d.home_dir().to_path_buf())
        .context("cannot find the home directory: set HOME or pass --kubeconfig")
}

/// The default target for this process's environment.
pub fn default_target(explicit: Option<&Path>) -> Result<PathBuf> {
    let env = std::env::var_os("KUBECONFIG");
    if explicit.is_some() || env.as_ref().is_some_and(|v| !v.is_empty()) {
        return Ok(target(explicit, env.as_deref(), Path::new("")));
    }
    Ok(target(None, None, &home_dir()?))
}

/// The files kubectl reads: `--kubeconfig`, else every file of `KUBECONFIG`, else
/// `~/.kube/config`.
pub fn view_paths(explicit: Option<&Path>) -> Result<Vec<PathBuf>> {
    Ok(match (explicit, std::env::var_os("KUBECONFIG")) {
        (Some(p), _) => vec![p.to_path_buf()],
        (None, Some(list)) if !list.is_empty() => std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        _ => vec![home_dir()?.join(".kube").join("config")],
    })
}

/// The kubeconfig as kubectl sees it: every file of `KUBECONFIG` (or `--kubeconfig`, or
/// `~/.kube/config`), merged by kubectl's rule that the first file to define a name wins.
pub struct View {
    pub files: Vec<(PathBuf, Kubeconfig)>,
}

impl View {
    pub fn load(explicit: Option<&Path>) -> Result<Self> {
        let mut files = vec![];
        for path in view_paths(explicit)? {
            files.push((path.clone(), read(&path)?));
        }
        Ok(View { files })
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

    /// The file kubectl writes `current-context` to: the first that sets one, else the first.
    pub fn current_context_file(&self) -> &Path {
        self.files
            .iter()
            .find(|(_, k)| k.current_context().is_some())
            .or(self.files.first())
            .map(|(p, _)| p.as_path())
            .expect("a view has at least one file")
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
}

/// Reads and parses a kubeconfig; a missing file is an empty kubeconfig.
///
/// kubectl rewrites a kubeconfig in place (truncate, then write), so a reader that does not hold
/// the lock can catch it half-written. A parse failure is therefore retried a few times while
/// the content keeps changing; a file that fails the same way twice is reported as malformed.
pub fn read(path: &Path) -> Result<Kubeconfig> {
    let mut previous: Option<String> = None;
    for _ in 0..5 {
        let text = match fs::read_to_string(path) {
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
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Kubeconfig::parse(&text).with_context(|| {
        format!(
            "{} is not a valid kubeconfig (it kept changing)",
            path.display()
        )
    })
}

/// Holds `<file>.lock` (client-go's convention); removes it when dropped.
pub struct KubeLock {
    path: PathBuf,
}

impl Drop for KubeLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Takes the kubeconfig lock, retrying while another process holds it, for at most `timeout`.
/// `waiting` is called once if the lock is busy, so the caller can say so.
pub fn lock(file: &Path, timeout: Duration, waiting: &mut dyn FnMut(&Path)) -> Result<KubeLock> {
    let mut lock_path = file.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let started = Instant::now();
    let mut told = false;
    loop {
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(store::FILE_MODE)
            .open(&lock_path)
        {
            Ok(_) => return Ok(KubeLock { path: lock_path }),
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

/// Writes `cfg` to `path` atomically (temp + fsync + rename), keeping the file's mode (0600 for
/// a new file). A symlinked kubeconfig is written through to its target, as kubectl does.
pub fn write(path: &Path, cfg: &Kubeconfig) -> Result<()> {
    let real = match fs::canonicalize(path) {
        Ok(p) => p,
        Err(e) if e.kind() == io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(e).with_context(|| format!("resolving {}", path.display())),
    };
    let mode = fs::metadata(&real)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(store::FILE_MODE);
    store::write_atomic(&real, cfg.to_yaml().as_bytes(), mode)
        .with_context(|| format!("writing {}", real.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_rules() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        let b = tmp.path().join("b");
        fs::write(&a, "clusters: []\n").unwrap();
        let home = tmp.path().join("home");
        assert_eq!(target(None, None, &home), home.join(".kube/config"));
        assert_eq!(target(Some(&b), None, &home), b);
        let list = std::env::join_paths([&a, &b]).unwrap();
        assert_eq!(target(None, Some(&list), &home), a);
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
            }],
            &crate::kubeconfig::MergeOptions {
                template: &template,
                listed: &Default::default(),
                prune: false,
                exec_command: "eks-kc",
            },
        )
        .unwrap();
        write(&b, &cfg).unwrap();
        assert_eq!(target(None, Some(&list), &home), b);
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
