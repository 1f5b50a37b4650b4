//! The one file stamp: what `stat` says of a file, enough to notice any edit. The token and
//! credential caches store stamps of the AWS files an identity came from (`cache::provenance`),
//! the kubeconfig digest stores stamps of the kubeconfig files it summarises.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What `stat` says of a file, enough to notice any edit: an in-place write changes mtime and
/// ctime (which nobody can set back), an editor's rename changes the inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stat {
    pub size: u64,
    pub ino: u64,
    pub dev: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime: i128,
    /// Status change time, nanoseconds since the epoch.
    pub ctime: i128,
}

/// A file and its stat when it was looked at; `stat: None` when it did not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub path: PathBuf,
    pub stat: Option<Stat>,
}

/// The stat of `path` (following links, as every reader of it does); `None` when absent.
pub fn stat(path: &Path) -> Option<Stat> {
    let m = std::fs::metadata(path).ok()?;
    let (dev, ino) = super::sys::file_id(&m);
    let (mtime, ctime) = super::sys::times_ns(&m);
    Some(Stat {
        size: m.len(),
        ino,
        dev,
        mtime,
        ctime,
    })
}

/// `path` and its stat now.
pub fn stamp(path: &Path) -> FileStamp {
    FileStamp {
        path: path.to_path_buf(),
        stat: stat(path),
    }
}
