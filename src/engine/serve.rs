//! The token cache (first level): one entry per token key, served while fresh and while its
//! provenance holds, refreshed under the key's lock so parallel cold calls sign once.

use std::path::PathBuf;

use anyhow::Result;
use chrono::{Duration, Utc};

use super::{Minted, Origin, Validity};
use crate::cache::provenance::Provenance;
use crate::cache::token::{TokenEntry, TokenKey};
use crate::store::{LockError, LockWait, PrivateDir};

/// The token cache in one directory (its sibling is the credential cache, `cache::credentials::CredentialCache`).
pub struct TokenCache {
    dir: PrivateDir,
}

impl TokenCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        TokenCache {
            dir: PrivateDir::new(dir),
        }
    }

    pub fn dir(&self) -> &PrivateDir {
        &self.dir
    }

    /// The file an entry of `key` lives in.
    pub fn path(&self, key: &TokenKey) -> PathBuf {
        self.dir.file(&file_name(key))
    }

    /// The names of the entries there are now, so that a caller looking up thousands of keys
    /// (`list`) reads one directory instead of trying to open a file per key; `None` when the
    /// directory cannot be listed (then look each key up).
    pub fn present(&self) -> Option<std::collections::HashSet<String>> {
        let entries = std::fs::read_dir(self.dir.path()).ok()?;
        Some(
            entries
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .collect(),
        )
    }

    /// [`TokenCache::get`], skipping the read when `present` (see [`TokenCache::present`])
    /// says there is no such entry.
    pub fn get_if_present(
        &self,
        key: &TokenKey,
        present: Option<&std::collections::HashSet<String>>,
    ) -> Option<TokenEntry> {
        if present.is_some_and(|p| !p.contains(&file_name(key))) {
            return None;
        }
        self.get(key)
    }

    /// The cached entry of `key`, fresh or not, when there is a readable one.
    pub fn get(&self, key: &TokenKey) -> Option<TokenEntry> {
        let bytes = self.dir.read(&file_name(key)).ok()??;
        TokenEntry::from_bytes(&bytes, key).ok()
    }

    /// Serves a fresh, still valid cached token, or mints one under the key's lock and stores
    /// it.
    ///
    /// The cache never fails a request: any problem (corrupt or foreign entry, unreadable or
    /// unwritable directory) becomes a miss, and the first problem is returned as the one
    /// warning to print. `gate` runs on a miss, before the lock (the identity's sign-in gate); `lock_wait` is
    /// the key's lock wait after it.
    /// A lock another process holds past the wait bound is an error naming
    /// it: minting beside it would repeat its prompt or its slow credential source.
    pub(super) fn cached_or_fresh(
        &self,
        key: &TokenKey,
        margin: Duration,
        origin: &Origin<'_>,
        lock_wait: impl FnOnce() -> LockWait,
        gate: impl FnOnce() -> Result<()>,
        mint: impl FnOnce() -> Result<Minted>,
    ) -> Result<(TokenEntry, Option<String>)> {
        let dir = &self.dir;
        let stem = key.file_stem();
        let name = file_name(key);
        let mut warning: Option<String> = None;
        let lookup = |warning: &mut Option<String>| -> Option<(TokenEntry, Validity)> {
            let found = match dir.read(&name) {
                Ok(Some(bytes)) => TokenEntry::from_bytes(&bytes, key).map_err(|e| {
                    format!(
                        "ignoring damaged cache entry {} ({e:#}); signed a new token",
                        dir.file(&name).display()
                    )
                }),
                Ok(None) => return None,
                Err(e) => Err(format!(
                    "ignoring cache entry {} ({e}); signed a new token",
                    dir.file(&name).display()
                )),
            };
            match found {
                Ok(entry) if entry.is_fresh(Utc::now(), margin) => {
                    match origin.still_valid(&entry.provenance) {
                        Validity::Changed => None,
                        v => Some((entry, v)),
                    }
                }
                Ok(_) => None,
                Err(w) => {
                    warning.get_or_insert(w);
                    None
                }
            }
        };

        // Optimistic read without the lock: writes are atomic renames, so this sees a whole file.
        if let Some((entry, validity)) = lookup(&mut warning) {
            if validity == Validity::Restamp {
                restamp(dir, &name, &stem, &entry, origin);
            }
            return Ok((entry, None));
        }
        // A miss: a sign-in the identity needs runs once for all callers, before the key's
        // lock (which would otherwise be held for the whole sign-in).
        gate()?;
        let lock = match dir.lock(&stem, &lock_wait()) {
            Ok(lock) => Some(lock),
            Err(LockError::Io(e)) => {
                warning.get_or_insert(format!(
                    "cannot lock the token cache in {} ({e}); the token is not cached",
                    dir.path().display()
                ));
                None
            }
            Err(e) => return Err(e.for_profile(key.profile.as_deref()).into()),
        };
        // Someone else may have refreshed it while we waited for the lock.
        if lock.is_some()
            && let Some((entry, _)) = lookup(&mut None)
        {
            return Ok((entry, None));
        }
        let m = mint()?;
        // Cached only with a known provenance: an entry that cannot be checked is never served.
        let Some(provenance) = origin.current().cloned() else {
            let entry = TokenEntry::new(
                key.clone(),
                m.token,
                m.signed_at,
                m.expiration,
                Provenance::environment(),
            );
            return Ok((entry, warning));
        };
        let entry = TokenEntry::new(key.clone(), m.token, m.signed_at, m.expiration, provenance);
        if lock.is_some()
            && let Err(e) = dir.write(&name, &entry.to_bytes())
        {
            warning.get_or_insert(format!(
                "cannot write the token cache {} ({e}); the token is not cached",
                dir.file(&name).display()
            ));
        }
        Ok((entry, warning))
    }
}

/// The one naming of token entries: `<key stem>.json`.
fn file_name(key: &TokenKey) -> String {
    format!("{}.json", key.file_stem())
}

/// Stores the current file stamps with a still valid entry (an unrelated profile was edited),
/// so the next hit is a few `stat`s again. Only when the lock is free this instant: it is an
/// optimisation, never worth a wait.
fn restamp(dir: &PrivateDir, name: &str, stem: &str, entry: &TokenEntry, origin: &Origin<'_>) {
    let Some(current) = origin.current() else {
        return;
    };
    let wait = LockWait::bounded(std::time::Duration::ZERO);
    if let Ok(_lock) = dir.lock(stem, &wait) {
        let mut entry = entry.clone();
        entry.provenance = current.clone();
        let _ = dir.write(name, &entry.to_bytes());
    }
}
