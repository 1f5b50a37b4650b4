//! Unix: owner and mode from `stat`, `O_NOFOLLOW` and `O_NONBLOCK`, `faccessat`, `fchown`.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// This process's effective user id: who eks-kc's files must belong to.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The file's owner (uid).
pub fn uid(meta: &Metadata) -> u32 {
    meta.uid()
}

/// The file's group (gid).
pub fn gid(meta: &Metadata) -> u32 {
    meta.gid()
}

/// The file's permission bits (`mode & 0o7777`).
pub fn mode(meta: &Metadata) -> u32 {
    meta.mode() & 0o7777
}

/// How many names (hard links) the file has.
pub fn nlink(meta: &Metadata) -> u64 {
    meta.nlink()
}

/// The file's identity, (device, inode).
pub fn file_id(meta: &Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

/// Modification and status change times, nanoseconds since the epoch.
pub fn times_ns(meta: &Metadata) -> (i128, i128) {
    let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
    (
        ns(meta.mtime(), meta.mtime_nsec()),
        ns(meta.ctime(), meta.ctime_nsec()),
    )
}

/// Opens without blocking on a FIFO or device (and without handing the descriptor to children);
/// `follow: false` refuses a symbolic link in the last component (`O_NOFOLLOW`).
pub fn careful(options: &mut OpenOptions, follow: bool) -> &mut OpenOptions {
    let nofollow = if follow { 0 } else { libc::O_NOFOLLOW };
    options.custom_flags(nofollow | libc::O_NONBLOCK | libc::O_CLOEXEC)
}

/// Refuses a symbolic link in the last component (`O_NOFOLLOW`), and nothing else.
pub fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    options.custom_flags(libc::O_NOFOLLOW)
}

/// The mode a file is created with.
pub fn create_mode(options: &mut OpenOptions, mode: u32) -> &mut OpenOptions {
    options.mode(mode)
}

/// Creates `path` and its missing parents with `mode` (0700 for eks-kc's own).
pub fn create_dir_all(path: &Path, mode: u32) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)
}

/// The mode a temporary file is created with.
pub fn temp_mode<'s, 'a, 'b>(
    builder: &'s mut tempfile::Builder<'a, 'b>,
    mode: u32,
) -> &'s mut tempfile::Builder<'a, 'b> {
    builder.permissions(fs::Permissions::from_mode(mode))
}

/// Sets the mode of an open file.
pub fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    file.set_permissions(fs::Permissions::from_mode(mode))
}

/// Gives an open file to `uid`:`gid`.
pub fn chown(file: &File, uid: u32, gid: u32) -> io::Result<()> {
    std::os::unix::fs::fchown(file, Some(uid), Some(gid))
}

/// Whether the effective user may write `path` (root may write a 0444 file, as kubectl does).
pub fn writable(path: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path; faccessat only reads it.
    unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::W_OK, libc::AT_EACCESS) == 0 }
}

/// Writes `bytes` at `offset` of `file` without moving its cursor.
pub fn write_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::write_at(file, bytes, offset)
}

/// Whether a lock file may be removed while it is held: on Unix a held file's name can go, and
/// the next opener makes a new one (a waiter on the old file notices, see `lock`).
pub const REMOVE_HELD_LOCKS: bool = true;
