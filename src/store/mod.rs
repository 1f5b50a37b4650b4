//! The filesystem edge: private directories, atomic writes and advisory locks.
//!
//! Every write goes to a temporary file in the same directory, is fsynced, then renamed over
//! the target, so a reader (or a crash) sees the old file or the new one, never half of one.
//! Locks are `fs4` advisory locks on separate `.lock` files, which the kernel releases when the
//! holder dies, so a killed process never leaves a cache locked; every wait for one is bounded.
//! Reads refuse anything but a small regular file of this user's, without blocking on it.
//!
//! - `dir`: where files are kept ([`effective_dir`], [`PrivateDir`]) and how they are read;
//! - `lock`: the lock files, bounded waits, and who holds a lock (or is prompting under one);
//! - `stamp`: the one file stamp (what `stat` says of a file), public as `store::stamp`;
//! - `sys`: the calls that differ between Unix and Windows (owner, mode, open flags), public as
//!   `store::sys` for the few other edges that check a file (the config file's);
//! - `write`: atomic writes, and the kubectl-faithful rewrite of a kubeconfig.
//!
//! The parts are private; everything callers use is re-exported here, so `crate::store::X` is
//! the one path to each of them.

mod dir;
mod lock;
pub mod stamp;
pub mod sys;
mod write;

pub use dir::{
    PrivateDir, check_ancestors, effective_dir, open_regular, read_capped, read_private_file,
    read_text_capped, read_user_file,
};
pub use lock::{FileLock, Holder, LockError, LockWait, note_prompting};
pub use sys::euid;
pub use write::{remove_temps_of, replace_file, write_atomic};

/// Mode of every directory eks-kc keeps secrets in.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file eks-kc keeps secrets in.
pub const FILE_MODE: u32 = 0o600;
/// The largest cache file eks-kc reads: entries are a few KiB and the kubeconfig digest about
/// 360 bytes a context (so 64 MiB is some 180,000 contexts); anything bigger was not written by
/// eks-kc (a planted file) and is refused instead of read. (It was 1 MiB, which a digest of
/// 3,000 contexts outgrew: `list` then re-parsed the kubeconfig on every run.)
pub const MAX_FILE_SIZE: u64 = 64 << 20;

/// The largest kubeconfig eks-kc reads: 10,000 contexts are about 5 MiB.
pub const MAX_KUBECONFIG_SIZE: u64 = 256 << 20;
