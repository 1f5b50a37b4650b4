//! Writes that a reader (or a crash) sees whole or not at all: [`write_atomic`] for eks-kc's
//! own files, [`replace_file`] for a kubeconfig, which must come out as kubectl's own write
//! would leave it, and [`remove_temps_of`] for the temporary files of writers that died.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use super::{FILE_MODE, sys};

/// Removes the temporary files [`write_atomic`] makes for `path` (`.<name>.*.tmp` beside it).
/// Only for a caller that holds the lock every writer of `path` takes, so that no such file
/// belongs to a live process.
pub fn remove_temps_of(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        if file.starts_with(&prefix) && file.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Replaces the content of `path` as kubectl's own write would leave it, atomically where that
/// keeps everything kubectl keeps:
/// - a file this user may not write (`access(W_OK)` as the effective user, so root may, as with
///   kubectl) is refused, naming its mode and owner;
/// - the file keeps its mode, owner and group; a new file is 0600;
/// - a file with several hard links is written in place, as kubectl does, so every name still
///   sees the new content (a rename would leave the other names on the old file);
/// - in place too when the directory takes no new file or the owner cannot be given back (a
///   file of another user that this user may write): the only way kubectl's result is had.
///
/// Otherwise: temporary file, owner and mode set, fsync, rename, so a crash leaves the old or
/// the new file. In place: overwrite from the start, truncate to the new length, fsync.
pub fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let meta = match fs::metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let Some(meta) = meta else {
        return write_atomic(path, bytes, FILE_MODE);
    };
    if !meta.is_file() {
        return Err(io::Error::other(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    if !sys::writable(path) {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is not writable for you (mode {:04o}, owner uid {}): kubectl would refuse \
                 to write it too; make it writable (chmod u+w) or pass another --kubeconfig",
                path.display(),
                sys::mode(&meta),
                sys::uid(&meta)
            ),
        ));
    }
    let mode = sys::mode(&meta);
    if sys::nlink(&meta) > 1 {
        return write_in_place(path, bytes);
    }
    match write_atomic_as(path, bytes, mode, Some((sys::uid(&meta), sys::gid(&meta)))) {
        Ok(()) => Ok(()),
        // No new file in that directory, or the owner cannot be kept: write as kubectl does.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => write_in_place(path, bytes),
        Err(e) => Err(e),
    }
}

fn write_in_place(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = sys::no_follow(OpenOptions::new().write(true)).open(path)?;
    file.write_all(bytes)?;
    file.set_len(bytes.len() as u64)?;
    file.sync_all()
}

/// Writes `bytes` to `path` through a temporary file in the same directory: create (0600), write,
/// set `mode`, fsync, rename over `path`, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    write_atomic_as(path, bytes, mode, None)
}

/// [`write_atomic`], the new file given `owner` (uid, gid) first when it differs from the
/// temporary file's; failing to do so is `PermissionDenied` and leaves `path` untouched.
fn write_atomic_as(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = sys::temp_mode(
        tempfile::Builder::new()
            .prefix(&format!(".{file_name}."))
            .suffix(".tmp"),
        FILE_MODE,
    )
    .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if let Some((uid, gid)) = owner {
        let now = tmp.as_file().metadata()?;
        if (sys::uid(&now), sys::gid(&now)) != (uid, gid) {
            sys::chown(tmp.as_file(), uid, gid)?;
        }
    }
    if mode != FILE_MODE {
        sys::set_mode(tmp.as_file(), mode)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // Make the rename itself durable; failing to sync a directory is not worth an error.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn atomic_write_keeps_a_requested_mode() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("config");
        write_atomic(&p, b"x", 0o644).unwrap();
        assert_eq!(sys::mode(&fs::metadata(&p).unwrap()) & 0o777, 0o644);
    }
}
