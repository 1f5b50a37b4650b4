//! Windows: no uid, no mode bits, no `O_NOFOLLOW`. Access is decided by ACLs, so eks-kc's
//! private directory is created with one that grants the user alone full access (a protected
//! DACL with one entry, the user's SID, inherited by every file and directory in it), and the
//! Unix checks are answered as follows:
//!
//! - owner: every file counts as this user's ([`euid`] and [`uid`] are both 0). The owner-only
//!   ACL is set on what eks-kc creates; a directory it did not create (`EKS_KC_CACHE_DIR`
//!   pointed elsewhere) keeps its own ACL, which eks-kc does not inspect;
//! - mode: 0700 for a directory, 0600 for a file (0400 when read-only); nothing else is set
//!   (files inherit the directory's ACL) except that a read-only file is not writable;
//! - symbolic links: refused where Unix refuses them, by opening the link itself
//!   (`FILE_FLAG_OPEN_REPARSE_POINT`), which then is not a regular file;
//! - FIFOs and devices have no path in the filesystem, so opening never blocks on one;
//! - hard links and inode numbers are not read: every file has one name, and a lock file is
//!   never removed while held ([`REMOVE_HELD_LOCKS`]), so a lock is always on the file at its
//!   path;
//! - locks are `LockFileEx` (through fs4): mandatory, so a waiter cannot read the holder's pid
//!   from the file and names "another process".

use std::ffi::OsStr;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, LocalFree};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::{
    GetTokenInformation, PSECURITY_DESCRIPTOR, SECURITY_ATTRIBUTES, TOKEN_QUERY, TOKEN_USER,
    TokenUser,
};
use windows_sys::Win32::Storage::FileSystem::{CreateDirectoryW, FILE_FLAG_OPEN_REPARSE_POINT};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// No uid on Windows: 0 stands for "this user" (see the module's notes).
pub fn euid() -> u32 {
    0
}

/// Every file counts as this user's (0, as [`euid`]).
pub fn uid(_meta: &Metadata) -> u32 {
    0
}

/// No group on Windows: 0.
pub fn gid(_meta: &Metadata) -> u32 {
    0
}

/// 0700 for a directory, 0600 for a file, 0400 for a read-only one: writable by nobody else.
pub fn mode(meta: &Metadata) -> u32 {
    if meta.is_dir() {
        0o700
    } else if meta.permissions().readonly() {
        0o400
    } else {
        0o600
    }
}

/// Not read on Windows: one.
pub fn nlink(_meta: &Metadata) -> u64 {
    1
}

/// Not read on Windows: every file is the same (0, 0), so a lock is taken as the one at its
/// path (never removed while held, see [`REMOVE_HELD_LOCKS`]).
pub fn file_id(_meta: &Metadata) -> (u64, u64) {
    (0, 0)
}

/// Last write and creation times (an editor's save as a new file changes the latter),
/// nanoseconds since the Unix epoch.
pub fn times_ns(meta: &Metadata) -> (i128, i128) {
    // FILETIME: 100 ns since 1601-01-01.
    let ns = |t: u64| (i128::from(t) - 116_444_736_000_000_000) * 100;
    (ns(meta.last_write_time()), ns(meta.creation_time()))
}

/// `follow: false` opens a symbolic link itself (which is then not a regular file, so the
/// callers refuse it); Windows has no FIFO to block on.
pub fn careful(options: &mut OpenOptions, follow: bool) -> &mut OpenOptions {
    if follow { options } else { no_follow(options) }
}

/// Opens a symbolic link itself rather than what it points to.
pub fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    options.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
}

/// Nothing: a new file inherits the ACL of its directory.
pub fn create_mode(options: &mut OpenOptions, _mode: u32) -> &mut OpenOptions {
    options
}

/// Creates `path` and its missing parents; a private `mode` (nothing for group and others, as
/// eks-kc's 0700) gives the last one the owner-only ACL (see the module's notes).
pub fn create_dir_all(path: &Path, mode: u32) -> io::Result<()> {
    if mode & 0o077 != 0 {
        return fs::create_dir_all(path);
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    match create_private_dir(path) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
        other => other,
    }
}

/// Nothing: a temporary file inherits the ACL of its directory.
pub fn temp_mode<'s, 'a, 'b>(
    builder: &'s mut tempfile::Builder<'a, 'b>,
    _mode: u32,
) -> &'s mut tempfile::Builder<'a, 'b> {
    builder
}

/// Nothing is set: a new file inherits the ACL of its directory; only read-only is kept.
pub fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    if mode & 0o200 == 0 {
        let mut p = file.metadata()?.permissions();
        p.set_readonly(true);
        file.set_permissions(p)?;
    }
    Ok(())
}

/// No owner to give: nothing.
pub fn chown(_file: &File, _uid: u32, _gid: u32) -> io::Result<()> {
    Ok(())
}

/// Whether `path` is not read-only.
pub fn writable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
}

/// Writes `bytes` at `offset` of `file`.
pub fn write_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_write(file, bytes, offset)
}

/// A lock file is never removed while held: another process that has the old one open could
/// not open the new one until every handle on the old is closed.
pub const REMOVE_HELD_LOCKS: bool = false;

fn wide(s: &OsStr) -> Vec<u16> {
    s.encode_wide().chain(Some(0)).collect()
}

/// Creates the directory `path` with a protected DACL granting this user alone full access,
/// inherited by what is created in it.
fn create_private_dir(path: &Path) -> io::Result<()> {
    let sddl = format!("D:P(A;OICI;FA;;;{})", user_sid()?);
    let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: a NUL-terminated SDDL string; on success `sd` is a LocalAlloc'd descriptor.
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            wide(OsStr::new(&sddl)).as_ptr(),
            SDDL_REVISION_1,
            &mut sd,
            std::ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    let attributes = SECURITY_ATTRIBUTES {
        nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: sd,
        bInheritHandle: 0,
    };
    // SAFETY: a NUL-terminated path and a valid descriptor, freed once after the call.
    let created = unsafe { CreateDirectoryW(wide(path.as_os_str()).as_ptr(), &attributes) };
    let error = io::Error::last_os_error();
    // SAFETY: `sd` came from LocalAlloc (ConvertStringSecurityDescriptor...) and is freed once.
    unsafe { LocalFree(sd) };
    if created == 0 { Err(error) } else { Ok(()) }
}

/// This process's user, as a SID string (`S-1-5-21-...`).
fn user_sid() -> io::Result<String> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the pseudo-handle of this process; `token` is closed below.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // A TOKEN_USER and its SID; u64s keep it aligned for the pointer it starts with.
    let mut buf = vec![0u64; 128];
    let mut len = 0u32;
    // SAFETY: `buf` is writable for the length given; `len` receives the length used.
    let ok = unsafe {
        GetTokenInformation(
            token,
            TokenUser,
            buf.as_mut_ptr().cast(),
            (buf.len() * 8) as u32,
            &mut len,
        )
    };
    let error = io::Error::last_os_error();
    // SAFETY: the handle OpenProcessToken gave, closed once.
    unsafe { CloseHandle(token) };
    if ok == 0 {
        return Err(error);
    }
    // SAFETY: on success `buf` starts with a TOKEN_USER whose SID points inside `buf`.
    let sid = unsafe { (*buf.as_ptr().cast::<TOKEN_USER>()).User.Sid };
    let mut text: windows_sys::core::PWSTR = std::ptr::null_mut();
    // SAFETY: a valid SID; on success `text` is a LocalAlloc'd NUL-terminated string.
    if unsafe { ConvertSidToStringSidW(sid, &mut text) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `text` is NUL-terminated; read up to the NUL, then freed once.
    let sid = unsafe {
        let len = (0..).take_while(|&i| *text.add(i) != 0).count();
        let s = String::from_utf16_lossy(std::slice::from_raw_parts(text, len));
        LocalFree(text.cast());
        s
    };
    Ok(sid)
}
