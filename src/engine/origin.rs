//! Where the identity of a request comes from (its provenance): the AWS files it was read from
//! and a fingerprint of the profile chain, so a cached token or credential is used only while
//! the configuration that produced it is unchanged.

use std::cell::OnceCell;

use anyhow::Result;

use crate::aws;
use crate::aws::CredentialSource;
use crate::cache;
use crate::cache::provenance::Provenance;
use crate::store::stamp::{stamp, stat};

/// Where the identity of a request comes from, worked out at most once per call and only when
/// needed: when a cache entry's file stamps changed, or to store with a new entry.
pub struct Origin<'a> {
    identity: CredentialSource<'a>,
    current: OnceCell<Option<Provenance>>,
}

impl<'a> Origin<'a> {
    pub fn new(identity: CredentialSource<'a>) -> Self {
        Origin {
            identity,
            current: OnceCell::new(),
        }
    }

    /// The provenance now; `None` when it cannot be worked out (a malformed AWS config): then
    /// nothing is served from, or stored in, the caches.
    pub fn current(&self) -> Option<&Provenance> {
        self.current
            .get_or_init(|| match current_provenance(self.identity) {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::debug!("cannot tell where the identity comes from: {e:#}");
                    None
                }
            })
            .as_ref()
    }

    /// Whether an entry made under `stored` may still be used: its files are untouched (a few
    /// `stat`s, the cache-hit path), or they changed in ways that leave this identity alone (the
    /// fingerprint of the profile chain and SSO login is the same).
    pub fn still_valid(&self, stored: &Provenance) -> Validity {
        if stored.stamps_match(stat) {
            return Validity::Unchanged;
        }
        match self.current() {
            Some(now) if now.fingerprint == stored.fingerprint => Validity::Restamp,
            _ => Validity::Changed,
        }
    }
}

/// What [`Origin::still_valid`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    Unchanged,
    /// Valid, but the files were touched: store the new stamps so the next hit is cheap again.
    Restamp,
    Changed,
}

/// The provenance of `identity`: stamps first, then the files are read, so an edit in
/// between leaves a stale stamp (and a recheck), never a wrong fingerprint that looks current.
fn current_provenance(identity: CredentialSource<'_>) -> Result<Provenance> {
    if identity.uses_env_keys(crate::settings::env::var) {
        return Ok(Provenance::environment());
    }
    let env = |name: &str| crate::settings::env::var(name).filter(|v| !v.is_empty());
    let files = crate::paths::aws_files(env);
    let mut stamps = vec![stamp(&files.config), stamp(&files.credentials)];
    let profiles = aws::profiles::load_files_blocking()?;
    let chain = match &identity.sso {
        Some(role) => cache::provenance::walk_sso(&profiles, role),
        None => {
            let start = identity
                .profile
                .map(str::to_owned)
                .or_else(|| env("AWS_PROFILE"))
                .unwrap_or_else(|| "default".into());
            cache::provenance::walk(&profiles, &start)
        }
    };
    let mut states = vec![];
    for login in &chain.sso_logins {
        let path = files.sso_cache.join(login.cache_file_name());
        stamps.push(stamp(&path));
        let content = match crate::store::read_user_file(&path) {
            Ok(c) => c,
            Err(_) => Some(vec![]),
        };
        states.push(cache::provenance::sso_login_state(content.as_deref()));
    }
    for sign_in in &chain.sign_ins {
        let path = files.login_cache.join(sign_in.cache_file_name());
        stamps.push(stamp(&path));
        let content = crate::store::read_user_file(&path).unwrap_or(Some(vec![]));
        states.push(crate::signin::SessionFile::parse(content.as_deref()).state());
    }
    Ok(Provenance {
        files: stamps,
        fingerprint: cache::provenance::fingerprint(&chain, &states),
    })
}
