//! Digests of the kubeconfig for the commands a person runs all day: `list` and completion (context
//! names, the current context, the managed contexts) and `prompt` (the current context and its
//! namespace, a file of its own so a prompt reads a few hundred bytes). Kept as JSON and reused
//! while every kubeconfig file has the same size, mtime and inode.
//!
//! Parsing YAML is most of the cost of `list` (about 20 ms for 500 clusters with serde_yaml);
//! reading a digest is well under a millisecond. Any change to a file, by eks-kc or kubectl,
//! changes its mtime (or its inode, for an atomic rename), so a stale digest is never served,
//! with one exception that is designed out: a file written twice within one tick of the
//! filesystem's clock (a few ms; a second on some filesystems) with the same size keeps its
//! mtime. So, as git does for its index, a digest is only kept when every file it covers was
//! last changed [`SETTLED`] before it was read; a file that has just changed is parsed again on
//! each call until then.
//!
//! Where: the cache directory; for a `KUBECONFIG` that starts with a shell's own file (see
//! `crate::shell`), that shell's directory, which goes away with the shell.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::hashes;
use crate::kubeconfig;
use crate::kubeconfig::ManagedContext;
use crate::kubeconfig::file::View;
use crate::store::PrivateDir;
use crate::store::stamp::{FileStamp, stamp};

/// 3: digests are kept only for settled files (2 could hold a racily-clean one).
const VERSION: u32 = 4;

/// How long ago every file must have changed for a digest of it to be kept: more than one tick
/// of any filesystem clock (1 s on the coarsest ones, ext3 and HFS+), with room for skew.
pub const SETTLED: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub current: Option<String>,
    pub names: Vec<String>,
    pub managed: Vec<ManagedContext>,
    /// Contexts with eks-kc's marker but no usable cluster identity: skipped, reported.
    pub unusable: Vec<String>,
}

impl Summary {
    pub fn of(view: &View) -> Self {
        Summary {
            current: view.current_context(),
            names: view.context_names(),
            managed: view.managed(),
            unusable: view.unusable(),
        }
    }
}

/// What `prompt` shows: the current context and the namespace it sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub context: Option<String>,
    pub namespace: Option<String>,
}

impl Prompt {
    pub fn of(view: &View) -> Self {
        let context = view.current_context();
        Prompt {
            namespace: context.as_deref().and_then(|c| view.namespace_of(c)),
            context,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Stored<T> {
    version: u32,
    stamps: Vec<FileStamp>,
    summary: T,
}

/// The summary of the kubeconfig(s) kubectl would read, from the digest in `cache_dir` when it
/// is current, else parsed (and the digest rewritten, best effort).
pub fn load(explicit: Option<&Path>, cache_dir: &Path) -> Result<Summary> {
    // Only where eks-kc is in use: a kubeconfig without its entries is not worth a file.
    cached("contexts", explicit, Some(cache_dir), Summary::of, |s| {
        !(s.managed.is_empty() && s.unusable.is_empty())
    })
}

/// The current context and its namespace, from the prompt digest (in `cache_dir`, or the
/// shell's own directory) when it is current, else parsed. `cache_dir` `None`: no cache
/// directory could be found; a shell's own directory still serves.
pub fn load_prompt(explicit: Option<&Path>, cache_dir: Option<&Path>) -> Result<Prompt> {
    cached("prompt", explicit, cache_dir, Prompt::of, |_| true)
}

/// Where the digest of `paths` is kept: a shell's own directory for a list that starts with
/// that shell's file (so it goes when the shell goes), else `cache_dir`.
fn home(paths: &[PathBuf], cache_dir: Option<&Path>) -> Option<PathBuf> {
    match paths.first() {
        Some(first) if crate::shell::is_shell_file(first) => first.parent().map(Path::to_path_buf),
        _ => cache_dir.map(Path::to_path_buf),
    }
}

fn cached<T: Serialize + DeserializeOwned>(
    kind: &str,
    explicit: Option<&Path>,
    cache_dir: Option<&Path>,
    make: fn(&View) -> T,
    worth_keeping: fn(&T) -> bool,
) -> Result<T> {
    let paths = kubeconfig::file::view_paths(explicit)?;
    let now = SystemTime::now();
    let stamps: Vec<FileStamp> = paths.iter().map(|p| stamp(p)).collect();
    let dir = home(&paths, cache_dir).map(PrivateDir::new);
    let key = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let name = format!("{}.json", hashes::stem(kind, key.as_bytes()));
    if let Some(dir) = &dir
        && let Ok(Some(bytes)) = dir.read(&name)
        && let Ok(d) = serde_json::from_slice::<Stored<T>>(&bytes)
        && d.version == VERSION
        && d.stamps == stamps
    {
        return Ok(d.summary);
    }
    let summary = make(&View::of_paths(&paths)?);
    // Only a digest of files that did not change while being read, and that had settled
    // before (see the module's note), is worth keeping.
    let after: Vec<FileStamp> = paths.iter().map(|p| stamp(p)).collect();
    // With no kubeconfig at all there is nothing to digest, and nothing is left behind (not
    // even the cache directory).
    if let Some(dir) = dir
        && after == stamps
        && stamps.iter().any(|s| s.stat.is_some())
        && settled(&stamps, now)
        && worth_keeping(&summary)
    {
        let digest = Stored {
            version: VERSION,
            stamps,
            summary,
        };
        if let Ok(bytes) = serde_json::to_vec(&digest) {
            let _ = dir.write(&name, &bytes);
        }
        return Ok(digest.summary);
    }
    Ok(summary)
}

/// Whether every file of `stamps` last changed at least [`SETTLED`] before `now`.
fn settled(stamps: &[FileStamp], now: SystemTime) -> bool {
    let Ok(now) = now.duration_since(UNIX_EPOCH) else {
        return false;
    };
    let limit = now.saturating_sub(SETTLED).as_nanos() as i128;
    stamps
        .iter()
        .all(|s| s.stat.is_none_or(|st| st.mtime < limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_follows_every_change_of_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let kube = tmp.path().join("config");
        let cache = tmp.path().join("cache");
        std::fs::write(
            &kube,
            "contexts:\n- name: a\n  context: {cluster: c, user: u}\ncurrent-context: a\n",
        )
        .unwrap();
        let first = load(Some(&kube), &cache).unwrap();
        assert_eq!(first.names, ["a"]);
        assert_eq!(load(Some(&kube), &cache).unwrap(), first);
        // Rewritten by someone else (same size, new content): noticed.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(
            &kube,
            "contexts:\n- name: b\n  context: {cluster: c, user: u}\ncurrent-context: b\n",
        )
        .unwrap();
        let second = load(Some(&kube), &cache).unwrap();
        assert_eq!(second.names, ["b"]);
        assert_eq!(second.current.as_deref(), Some("b"));
        // A missing file is an empty kubeconfig.
        std::fs::remove_file(&kube).unwrap();
        assert!(load(Some(&kube), &cache).unwrap().names.is_empty());
    }

    fn digests(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
                .count()
        })
    }

    /// Sets `path`'s mtime to `ago` before now.
    fn age(path: &Path, ago: Duration) {
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(SystemTime::now() - ago).unwrap();
    }

    #[test]
    fn a_file_that_just_changed_is_never_trusted_to_its_stamp() {
        let tmp = tempfile::tempdir().unwrap();
        let kube = tmp.path().join("config");
        let cache = tmp.path().join("cache");
        let doc = |ctx: &str, ns: &str| {
            format!(
                "contexts:\n- name: {ctx}\n  context: {{cluster: c, user: u, namespace: {ns}}}\n\
                 current-context: {ctx}\n"
            )
        };
        std::fs::write(&kube, doc("a", "x1")).unwrap();
        let first = load_prompt(Some(&kube), Some(&cache)).unwrap();
        assert_eq!(first.context.as_deref(), Some("a"));
        assert_eq!(first.namespace.as_deref(), Some("x1"));
        // Written just now: no digest kept, so a second write within the same tick of the
        // filesystem clock (same size, same inode, same mtime: a stamp cannot tell) is seen.
        assert_eq!(digests(&cache), 0);
        let mtime = std::fs::metadata(&kube).unwrap().modified().unwrap();
        std::fs::write(&kube, doc("b", "x2")).unwrap();
        let f = std::fs::File::options().write(true).open(&kube).unwrap();
        f.set_modified(mtime).unwrap();
        let second = load_prompt(Some(&kube), Some(&cache)).unwrap();
        assert_eq!(second.context.as_deref(), Some("b"));
        assert_eq!(second.namespace.as_deref(), Some("x2"));
        // Settled: kept, and served while the stamp holds.
        age(&kube, Duration::from_secs(10));
        assert_eq!(load_prompt(Some(&kube), Some(&cache)).unwrap(), second);
        assert_eq!(digests(&cache), 1);
        assert_eq!(load_prompt(Some(&kube), Some(&cache)).unwrap(), second);
        // kubectl rewriting it in place (same size, same inode) is a new mtime: seen.
        std::fs::write(&kube, doc("c", "x3")).unwrap();
        assert_eq!(
            load_prompt(Some(&kube), Some(&cache))
                .unwrap()
                .context
                .as_deref(),
            Some("c")
        );
        // No context: nothing to show.
        std::fs::write(&kube, "contexts: []\n").unwrap();
        assert_eq!(load_prompt(Some(&kube), None).unwrap(), Prompt::default());
    }

    #[test]
    fn a_shell_of_its_own_keeps_its_digests_in_its_own_directory() {
        let cache = Path::new("/cache");
        let shell = PathBuf::from("/run/user/1/eks-kc/shells/shell-7-8/kubeconfig");
        let global = PathBuf::from("/home/me/.kube/config");
        assert_eq!(
            home(&[shell.clone(), global.clone()], Some(cache)),
            Some(PathBuf::from("/run/user/1/eks-kc/shells/shell-7-8"))
        );
        assert!(home(&[shell], None).is_some());
        assert_eq!(home(&[global], Some(cache)), Some(cache.to_path_buf()));
        assert_eq!(home(&[], None), None);
    }
}
