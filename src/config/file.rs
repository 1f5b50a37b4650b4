//! The config file on disk, the edge of `crate::config` (as `kubeconfig::file` is of the
//! kubeconfig): read only when it is trusted as ssh trusts its config, locked for a
//! read-modify-write, replaced atomically. Every command that reads or writes the file (`sync`
//! and `--save`, `config`, `alias`, and the commands that take a context and so its aliases)
//! goes through here.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

use super::ConfigFile;
use crate::store::{self, sys};

/// The largest config file read: a real one is a few hundred bytes.
const MAX_SIZE: u64 = 1 << 20;

/// The config file at `path`, checked; a missing file is an empty one (the defaults).
///
/// The file can name a role to assume and the command kubectl runs, so it is trusted only as
/// the AWS CLI and ssh trust theirs: a regular file owned by you (or root), writable by nobody
/// else, in directories nobody else can swap it in. A link (a dotfiles repository's) is
/// followed and its target judged. Devices and FIFOs are refused without being read.
pub fn read(path: &Path) -> Result<ConfigFile> {
    Ok(ConfigFile::parse(path, read_text(path)?)?)
}

/// The aliases of the config file at `path` (none when there is no file). Only the YAML and
/// the `aliases:` section are checked, so a mistake under `sync:` does not stop `use`.
pub fn read_aliases(path: &Path) -> Result<super::Aliases> {
    let text = read_text(path)?.unwrap_or_default();
    Ok(super::aliases::of_text(path, &text)?)
}

/// The text of the config file at `path` once it has passed the checks of [`read`]; `None`
/// when it does not exist.
fn read_text(path: &Path) -> Result<Option<String>> {
    Ok(match open_trusted(path)? {
        None => None,
        Some((file, meta)) => Some(
            store::read_capped(path, file, &meta, MAX_SIZE)
                .map_err(|e| anyhow!("{e}, so it is not an eks-kc config file"))?,
        ),
    })
}

/// Opens the config file for reading once it has passed the checks of [`read`]; `None` when
/// it does not exist.
fn open_trusted(path: &Path) -> Result<Option<(fs::File, fs::Metadata)>> {
    let (file, m) = match store::open_regular(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) if path.is_dir() => {
            bail!("{e}; the config file is a file (EKS_KC_CONFIG names the file itself)")
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        Ok(opened) => opened,
    };
    let me = store::euid();
    if sys::uid(&m) != me && sys::uid(&m) != 0 {
        bail!(
            "{} belongs to uid {} (not to you, uid {me}), who could make eks-kc assume their \
             role or run their command; eks-kc does not use it: `sudo chown {me} {}` if it is \
             yours, else remove it",
            path.display(),
            sys::uid(&m),
            path.display()
        );
    }
    if sys::mode(&m) & 0o022 != 0 {
        bail!(
            "{} is writable by other users (mode {:o}), who could make eks-kc assume their role \
             or run their command; eks-kc does not use it: `chmod go-w {}`",
            path.display(),
            sys::mode(&m),
            path.display()
        );
    }
    let real = fs::canonicalize(path).with_context(|| format!("reading {}", path.display()))?;
    store::check_ancestors(&real)
        .map_err(|e| anyhow!("{} is not safe to use: {e}", path.display()))?;
    Ok(Some((file, m)))
}

/// The lock of the config file's read-modify-write: `<name>.lock` beside it (beside the link,
/// for a linked file: every writer goes through the same path).
pub fn lock(path: &Path, timeout: std::time::Duration) -> Result<store::FileLock> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config.yaml".to_owned());
    store::PrivateDir::new(dir)
        .lock(&name, &store::LockWait::bounded(timeout))
        .map_err(|e| anyhow!("locking {}: {e}", path.display()))
}

/// Replaces the config file atomically: through a symbolic link (a dotfiles repository's) to
/// its target, keeping the file's mode; a new file is 0600, in directories created 0700.
pub fn write(path: &Path, text: &str) -> Result<()> {
    let target = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path)
            .with_context(|| format!("following the link {}", path.display()))?,
        _ => path.to_path_buf(),
    };
    let mode = match fs::metadata(&target) {
        Ok(m) => sys::mode(&m),
        Err(_) => store::FILE_MODE,
    };
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        sys::create_dir_all(dir, store::DIR_MODE)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    store::write_atomic(&target, text.as_bytes(), mode)?;
    Ok(())
}
