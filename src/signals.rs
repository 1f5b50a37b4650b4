//! Interrupts during a kubeconfig rewrite. client-go's `<file>.lock` is a plain file, not a
//! kernel lock: a process that dies holding it leaves it behind, and every `kubectl config`
//! write then fails with "file exists" until someone deletes it. So while eks-kc holds such a
//! lock, SIGINT (Ctrl-C), SIGTERM and SIGHUP (a closed terminal) are caught: the lock and the
//! rewrite's temporary files are removed, then the process dies of the same signal, as it would
//! have without the handler. SIGKILL cannot be caught; the next lock holder removes the
//! temporary files such a death leaves (the kubeconfig lock, in `kubeconfig::file`).
//!
//! Only commands that write a kubeconfig install this (its thread costs nothing on the
//! `eks-kc token` path, which never does), a person's sign-in while it runs (its
//! [`on_interrupt`] action remembers the abandoned sign-in for the cool-down before the process
//! dies, so a retry does not open another browser tab), and the picker of `use` and `ns` (its
//! action gives the terminal back: raw mode off, the main screen back).

use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::store;

/// A kubeconfig lock this process holds: the lock file, and the file being rewritten (whose
/// directory holds the temporary files).
struct Held {
    lock: PathBuf,
    /// Read by the signal thread, which Windows does not have.
    #[cfg_attr(not(unix), allow(dead_code))]
    target: PathBuf,
}

static HELD: Mutex<Vec<Held>> = Mutex::new(Vec::new());
/// What to do before dying of a signal, by [`OnInterrupt`] id.
type Action = Box<dyn Fn() + Send>;
#[cfg_attr(not(unix), allow(dead_code))]
static ACTIONS: Mutex<Vec<(u64, Action)>> = Mutex::new(Vec::new());
static NEXT_ACTION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn held() -> MutexGuard<'static, Vec<Held>> {
    HELD.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts the thread that cleans up on SIGINT, SIGTERM and SIGHUP (once per process).
#[cfg(unix)]
pub fn install() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("eks-kc-signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    // Kept locked too: an action is never dropped while it runs.
                    let actions = ACTIONS.lock().unwrap_or_else(|p| p.into_inner());
                    for (_, action) in actions.iter() {
                        action();
                    }
                    // Waits for a write in progress (see `defer`), then keeps the lock table
                    // locked so nothing is released twice while the process dies.
                    let held = held();
                    for h in held.iter() {
                        store::remove_temps_of(&h.target);
                        let _ = fs::remove_file(&h.lock);
                    }
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    // Only reached if the default action did not end the process.
                    std::process::exit(128 + signal);
                }
            });
    });
}

/// Windows: nothing is caught. A Ctrl-C during a kubeconfig rewrite can leave client-go's lock
/// file behind, as an interrupted kubectl does; the next write names it, to be removed by hand.
#[cfg(not(unix))]
pub fn install() {}

/// Creates `lock` exclusively (client-go's lock) and records it, both under the table's mutex
/// so a signal never finds a lock file that is not in the table.
pub fn acquire(lock: &Path, target: &Path) -> io::Result<()> {
    let mut held = held();
    store::sys::create_mode(
        OpenOptions::new().write(true).create_new(true),
        store::FILE_MODE,
    )
    .open(lock)?;
    held.push(Held {
        lock: lock.to_path_buf(),
        target: target.to_path_buf(),
    });
    Ok(())
}

/// Removes `lock` and forgets it.
pub fn release(lock: &Path) {
    let mut held = held();
    held.retain(|h| h.lock != lock);
    let _ = fs::remove_file(lock);
}

/// Holds signal clean-up back until the guard is dropped: a write in progress completes (or
/// fails) before the lock is released and the process dies.
pub fn defer() -> Deferred {
    Deferred(held())
}

/// See [`defer`].
pub struct Deferred(#[allow(dead_code)] MutexGuard<'static, Vec<Held>>);

/// Runs `action` should SIGINT, SIGTERM or SIGHUP end the process before the guard is dropped
/// (then the process still dies of the signal).
pub fn on_interrupt(action: impl Fn() + Send + 'static) -> OnInterrupt {
    install();
    let id = NEXT_ACTION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ACTIONS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((id, Box::new(action)));
    OnInterrupt(id)
}

/// See [`on_interrupt`]: dropping it forgets the action.
pub struct OnInterrupt(u64);

impl Drop for OnInterrupt {
    fn drop(&mut self) {
        ACTIONS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(id, _)| *id != self.0);
    }
}
