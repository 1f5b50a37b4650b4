//! Where eks-kc keeps its files and how it reads them: the private directory (0700, this
//! user's, writable by nobody else), the private subdirectory used inside a shared one, and
//! reads that refuse anything but a small regular file of this user's without blocking on it.

use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::write::{remove_temps_of, write_atomic};
use super::{DIR_MODE, FILE_MODE, MAX_FILE_SIZE, euid, sys};

/// The directory eks-kc keeps its files in, given the one configured (`EKS_KC_CACHE_DIR` or
/// the platform default). One `lstat`, so it is cheap enough for every cache hit.
///
/// eks-kc never changes the mode of a directory it did not create, and never keeps secrets in
/// a directory that someone else owns or can write to (a shared `/tmp`, a 0777 directory):
/// there it uses its own subdirectory `eks-kc-<uid>`, created 0700 (see [`PrivateDir::ensure`]
/// for what is refused). A missing directory is created 0700 on the first write.
pub fn effective_dir(configured: &Path) -> PathBuf {
    match fs::symlink_metadata(configured) {
        Ok(meta)
            if meta.is_dir() && (sys::uid(&meta) != euid() || sys::mode(&meta) & 0o022 != 0) =>
        {
            configured.join(format!("eks-kc-{}", euid()))
        }
        _ => configured.to_path_buf(),
    }
}

/// A private directory (0700) holding private files (0600).
#[derive(Debug, Clone)]
pub struct PrivateDir {
    path: PathBuf,
    /// Set once the directory passed [`PrivateDir::check`]: one handle serves a whole command,
    /// and `list` reads an entry per context, so the directory is looked at once, not each time.
    safe: std::cell::OnceCell<()>,
}

impl PrivateDir {
    /// A handle on `path`; nothing is touched until a read, write or lock needs the directory.
    /// Callers pass the result of [`effective_dir`].
    pub fn new(path: impl Into<PathBuf>) -> Self {
        PrivateDir {
            path: path.into(),
            safe: std::cell::OnceCell::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Whether the directory exists and is safe to keep secrets in: a real directory (not a
    /// symlink), owned by this user, writable by nobody else, under directories nobody else
    /// can replace it in (see [`check_ancestors`]). Never changes its mode: a directory eks-kc
    /// did not create is not its to change.
    pub fn check(&self) -> io::Result<bool> {
        if self.safe.get().is_some() {
            return Ok(true);
        }
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
        if sys::uid(&meta) != me {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} belongs to uid {}, not to you (uid {me}); remove it or point the \
                     variable that chose it (EKS_KC_CACHE_DIR, EKS_KC_STATE_DIR) elsewhere",
                    self.path.display(),
                    sys::uid(&meta)
                ),
            ));
        }
        if sys::mode(&meta) & 0o022 != 0 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} is writable by other users (mode {:o}), so eks-kc keeps nothing there; \
                     `chmod 700 {}` if it is yours alone",
                    self.path.display(),
                    sys::mode(&meta),
                    self.path.display()
                ),
            ));
        }
        check_ancestors(&self.path)?;
        let _ = self.safe.set(());
        Ok(true)
    }

    /// Creates the directory (and parents) as 0700 when missing; refuses one that is not safe
    /// (see [`PrivateDir::check`]).
    pub fn ensure(&self) -> io::Result<()> {
        if self.check()? {
            return Ok(());
        }
        // Nothing is created under a directory someone else could swap.
        check_ancestors(&self.path)?;
        sys::create_dir_all(&self.path, DIR_MODE)?;
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
}

/// Checks that nobody but this user and root can rename, replace or swap `dir` through a
/// directory above it: every ancestor must be owned by this user or root, and writable by
/// nobody else unless it is sticky (in a sticky directory such as `/tmp` only an entry's owner
/// may rename it). A symlink on the way is checked where it points, too. Without this, another
/// user who owns (or may write) a parent swaps the directory between eks-kc's check and its
/// write, and the victim's next `kubectl` runs their exec command.
///
/// One `lstat` per ancestor (a few microseconds): cheap enough for every cache hit.
pub fn check_ancestors(dir: &Path) -> io::Result<()> {
    let me = euid();
    let mut next = dir.parent();
    while let Some(ancestor) = next {
        next = ancestor.parent();
        if ancestor.as_os_str().is_empty() {
            // A relative path: the rest is the working directory's.
            return check_ancestors_of_cwd(me);
        }
        let meta = match fs::symlink_metadata(ancestor) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if meta.file_type().is_symlink() {
            // The link itself can only be changed through its own parent, checked next; where
            // it points (a path without links) is checked with everything above it.
            check_ancestors(&fs::canonicalize(ancestor)?.join("x"))?;
            continue;
        }
        trusted(ancestor, me, dir)?;
    }
    Ok(())
}

fn check_ancestors_of_cwd(me: u32) -> io::Result<()> {
    let cwd = std::env::current_dir()?;
    trusted(&cwd, me, &cwd)?;
    check_ancestors(&cwd)
}

/// Whether directory `path` (an ancestor of `below`) is safe to hold eks-kc's files under.
fn trusted(path: &Path, me: u32, below: &Path) -> io::Result<()> {
    let meta = fs::metadata(path)?;
    if sys::uid(&meta) != me && sys::uid(&meta) != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} belongs to uid {} (not to you, uid {me}, nor to root), who could swap {} \
                 under it; eks-kc keeps nothing there: point the variable that chose it \
                 (EKS_KC_CACHE_DIR, EKS_KC_STATE_DIR, XDG_RUNTIME_DIR) at a directory of yours",
                path.display(),
                sys::uid(&meta),
                below.display()
            ),
        ));
    }
    let sticky = sys::mode(&meta) & 0o1000 != 0;
    if sys::mode(&meta) & 0o022 != 0 && !sticky {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is writable by other users (mode {:o}) and not sticky, so they could swap \
                 {} under it; eks-kc keeps nothing there: `chmod go-w {}` (or `chmod +t`), or \
                 point the variable that chose it at a directory of yours",
                path.display(),
                sys::mode(&meta),
                below.display(),
                path.display()
            ),
        ));
    }
    Ok(())
}

/// Reads the text file at `path` (links followed), which anyone may own (a kubeconfig, a CA
/// file), refusing a device, FIFO or socket without blocking on it, and anything over `cap`
/// bytes (saying so). Not-UTF-8 text is an `InvalidData` error.
pub fn read_text_capped(path: &Path, cap: u64) -> io::Result<String> {
    let (file, meta) = open_regular(path)?;
    read_capped(path, file, &meta, cap)
}

/// Opens `path` for reading (links followed) without blocking on a FIFO, and refuses anything
/// but a regular file (a device, FIFO or socket) before a byte is read. A directory is refused
/// too. The file's metadata comes with it, for checks of owner and mode.
pub fn open_regular(path: &Path) -> io::Result<(fs::File, fs::Metadata)> {
    let file = sys::careful(OpenOptions::new().read(true), true).open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a device, FIFO or socket)"
        };
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is {what}, so eks-kc does not read it", path.display()),
        ));
    }
    Ok((file, meta))
}

/// The text of `file` (opened by [`open_regular`]), refusing more than `cap` bytes (saying so)
/// and text that is not UTF-8.
pub fn read_capped(
    path: &Path,
    file: fs::File,
    meta: &fs::Metadata,
    cap: u64,
) -> io::Result<String> {
    let too_big = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is larger than {} MiB, more than eks-kc reads",
                path.display(),
                cap >> 20
            ),
        )
    };
    if meta.len() > cap {
        return Err(too_big());
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(too_big());
    }
    String::from_utf8(buf).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is not UTF-8 text", path.display()),
        )
    })
}

/// Reads a small regular file this user owns without following a symlink or blocking on a FIFO
/// (see [`PrivateDir::read`]); `None` when it does not exist.
pub fn read_private_file(path: &Path) -> io::Result<Option<Vec<u8>>> {
    read_owned_file(path, false)
}

/// [`read_private_file`] for a file another tool keeps, which may be a symlink (a dotfiles
/// manager's): the link is followed, the rest is checked the same way. The AWS CLI's SSO login.
pub fn read_user_file(path: &Path) -> io::Result<Option<Vec<u8>>> {
    read_owned_file(path, true)
}

fn read_owned_file(path: &Path, follow: bool) -> io::Result<Option<Vec<u8>>> {
    let file = match sys::careful(OpenOptions::new().read(true), follow).open(path) {
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
    if sys::uid(&meta) != euid() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} belongs to another user", path.display()),
        ));
    }
    // Nor one another user could have written.
    if sys::mode(&meta) & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is writable by other users (mode {:o}): `chmod go-w {}` if its content is \
                 yours",
                path.display(),
                sys::mode(&meta) & 0o7777,
                path.display()
            ),
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

#[cfg(test)]
mod tests;
