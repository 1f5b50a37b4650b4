//! A digest of the kubeconfig for the commands a person runs all day (`list`, completion):
//! context names, the current context and the managed contexts, kept as JSON in the cache dir
//! and reused while every kubeconfig file has the same size, mtime and inode.
//!
//! Parsing YAML is most of the cost of `list` (about 20 ms for 500 clusters with serde_yaml);
//! reading this digest is well under a millisecond. Any change to a file, by eks-kc or kubectl,
//! changes its mtime (or its inode, for an atomic rename), so a stale digest is never served.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::hashes;
use crate::kubeconfig::ManagedContext;
use crate::kubefile::{self, View};
use crate::store::PrivateDir;

const VERSION: u32 = 2;

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

/// What identifies one version of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    path: PathBuf,
    exists: bool,
    len: u64,
    mtime_ns: i128,
    ino: u64,
}

fn stamp(path: &Path) -> Stamp {
    match std::fs::metadata(path) {
        Ok(m) => Stamp {
            path: path.to_path_buf(),
            exists: true,
            len: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
            ino: m.ino(),
        },
        Err(_) => Stamp {
            path: path.to_path_buf(),
            exists: false,
            len: 0,
            mtime_ns: 0,
            ino: 0,
        },
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    version: u32,
    stamps: Vec<Stamp>,
    summary: Summary,
}

/// The summary of the kubeconfig(s) kubectl would read, from the digest in `cache_dir` when it
/// is current, else parsed (and the digest rewritten, best effort).
pub fn load(explicit: Option<&Path>, cache_dir: &Path) -> Result<Summary> {
    let paths = kubefile::view_paths(explicit)?;
    let stamps: Vec<Stamp> = paths.iter().map(|p| stamp(p)).collect();
    let dir = PrivateDir::new(cache_dir);
    let key = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let name = format!("{}.json", hashes::stem("contexts", key.as_bytes()));
    if let Ok(Some(bytes)) = dir.read(&name)
        && let Ok(d) = serde_json::from_slice::<Stored>(&bytes)
        && d.version == VERSION
        && d.stamps == stamps
    {
        return Ok(d.summary);
    }
    let summary = Summary::of(&View::load(explicit)?);
    // Only a digest of files that did not change while being read is worth keeping, and only
    // where eks-kc is in use: a kubeconfig without its entries is not worth a file in the cache.
    let after: Vec<Stamp> = paths.iter().map(|p| stamp(p)).collect();
    if after == stamps && !(summary.managed.is_empty() && summary.unusable.is_empty()) {
        let digest = Stored {
            version: VERSION,
            stamps,
            summary: summary.clone(),
        };
        if let Ok(bytes) = serde_json::to_vec(&digest) {
            let _ = dir.write(&name, &bytes);
        }
    }
    Ok(summary)
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
}
