//! The operating system under the filesystem edge: the few calls that differ between Unix and
//! Windows, each one function here with an implementation per platform (`sys/unix.rs`,
//! `sys/windows.rs`). Nothing else in eks-kc names `std::os::unix` or `libc` for files.
//!
//! On Unix every check is what `stat` says: owner uid, mode bits, link count, inode. Windows has
//! none of these; there the private directory is created with an ACL that grants its owner
//! alone access (inherited by every file in it), and each function says what it answers in
//! their place (`sys/windows.rs`).

#[cfg(unix)]
#[path = "sys/unix.rs"]
mod imp;
#[cfg(windows)]
#[path = "sys/windows.rs"]
mod imp;

pub use imp::*;
