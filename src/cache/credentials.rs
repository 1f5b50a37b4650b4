//! The second-level cache: temporary AWS credentials (assume-role, SSO, web identity, container
//! sessions) per identity, reused for every cluster of that identity until they near expiry, so
//! a new cluster's token needs no network call and no second MFA prompt.
//!
//! Stored in the OS keyring where one works (probed once, and remembered when it does not),
//! else in a 0600 file beside the token cache. Long-term keys (no expiry) are never stored: they
//! already live in the AWS credentials file or the environment.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::cache::provenance::Provenance;
use crate::cache::token::TokenKey;
use crate::hashes;
use crate::secret::Secret;
use crate::source::CredentialSource;
use crate::store::PrivateDir;

/// Version 2 added the provenance (entries without one are not served).
pub const VERSION: u32 = 2;
/// Renew cached credentials when less than this is left, so every token signed with them gets
/// its full 14 minutes (`EKS_KC_CREDENTIAL_REFRESH_MARGIN` changes it).
pub const DEFAULT_MARGIN: Duration = Duration::minutes(15);
/// The keyring service name entries are stored under.
pub const KEYRING_SERVICE: &str = "eks-kc";
/// Present when the keyring was found not to work here; delete it to probe again.
pub const NO_KEYRING_MARKER: &str = "keyring-unavailable";

/// Who the credentials belong to: profile, role chain and identity-selecting environment (the
/// token key without cluster and region).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityKey {
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    pub env: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso: Option<crate::cache::token::SsoKey>,
    /// An asked-for role session name (see [`TokenKey::role_session_name`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_session_name: Option<String>,
}

impl IdentityKey {
    pub fn of(token: &TokenKey) -> Self {
        IdentityKey {
            profile: token.profile.clone(),
            role_arn: token.role_arn.clone(),
            env: token.env.clone(),
            sso: token.sso.clone(),
            role_session_name: token.role_session_name.clone(),
        }
    }

    /// The key of `source` in this environment (`env` looks a variable up): the same as
    /// [`IdentityKey::of`] the token key of any cluster of that identity.
    pub fn new(source: CredentialSource<'_>, env: impl Fn(&str) -> Option<String>) -> Self {
        IdentityKey::of(&TokenKey::for_source("", "", source, env))
    }

    /// Who these credentials belong to.
    pub fn source(&self) -> CredentialSource<'_> {
        CredentialSource {
            profile: self.profile.as_deref(),
            role_arn: self.role_arn.as_deref(),
            session_name: self.role_session_name.as_deref(),
            sso: self
                .sso
                .as_ref()
                .and_then(crate::cache::token::SsoKey::role),
        }
    }

    pub fn file_stem(&self) -> String {
        hashes::stem("creds", &serde_json::to_vec(self).unwrap_or_default())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredEntry {
    pub version: u32,
    pub key: IdentityKey,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    pub expiration: DateTime<Utc>,
    /// The configuration the credentials came from: they are used only while it is unchanged.
    pub provenance: Provenance,
}

impl CredEntry {
    pub fn is_fresh(&self, now: DateTime<Utc>, margin: Duration) -> bool {
        self.expiration - now >= margin
    }

    pub fn decode(bytes: &[u8], key: &IdentityKey) -> Result<Self> {
        let e: CredEntry = serde_json::from_slice(bytes)
            .map_err(|e| anyhow::anyhow!("not a credential entry ({e})"))?;
        if e.version != VERSION || &e.key != key {
            bail!("a credential entry of another version or identity");
        }
        Ok(e)
    }
}

/// What `cache status` shows of a stored credential entry (never the secrets).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stub {
    pub key: IdentityKey,
    pub access_key_id: String,
    pub expiration: DateTime<Utc>,
    pub store: String,
}

/// Where credential entries live: the OS keyring when it works (and `EKS_KC_KEYRING` is not
/// `off`), else 0600 files in the directory, which also holds each entry's stub.
///
/// The keyring is probed only when something is to be stored, once per process: a run that
/// stores nothing (a failed call, long-term keys) leaves no marker and says nothing. Reading
/// needs no probe: an entry's stub says where it was stored.
pub struct CredentialCache {
    dir: PrivateDir,
    keyring: bool,
}

impl CredentialCache {
    pub fn open(dir: PrivateDir, keyring: bool) -> Self {
        CredentialCache { dir, keyring }
    }

    pub fn dir(&self) -> &PrivateDir {
        &self.dir
    }

    pub fn get(&self, key: &IdentityKey) -> Option<CredEntry> {
        let stem = key.file_stem();
        let stub: Stub =
            serde_json::from_slice(&self.dir.read(&format!("{stem}.stub")).ok()??).ok()?;
        let bytes = if stub.store == "keyring" {
            keyring::Entry::new(KEYRING_SERVICE, &stem)
                .ok()?
                .get_password()
                .ok()?
                .into_bytes()
        } else {
            self.dir.read(&format!("{stem}.json")).ok()??
        };
        CredEntry::decode(&bytes, key).ok()
    }

    /// Stores `entry`; the first time this machine's keyring turns out unusable, `warn` is
    /// called once and the finding is remembered in the directory, so later runs neither probe
    /// nor warn again.
    pub fn put(&self, entry: &CredEntry, warn: &mut dyn FnMut(&str)) -> Result<()> {
        let stem = entry.key.file_stem();
        let bytes = serde_json::to_vec(entry)?;
        let store = if self.keyring_usable(warn) {
            keyring::Entry::new(KEYRING_SERVICE, &stem)?
                .set_password(std::str::from_utf8(&bytes)?)?;
            "keyring"
        } else {
            self.dir.write(&format!("{stem}.json"), &bytes)?;
            "file"
        };
        let stub = Stub {
            key: entry.key.clone(),
            access_key_id: entry.access_key_id.clone(),
            expiration: entry.expiration,
            store: store.to_owned(),
        };
        self.dir
            .write(&format!("{stem}.stub"), &serde_json::to_vec(&stub)?)?;
        Ok(())
    }

    fn keyring_usable(&self, warn: &mut dyn FnMut(&str)) -> bool {
        if !self.keyring || self.dir.file(NO_KEYRING_MARKER).exists() {
            return false;
        }
        // One probe (and at most one warning) per process: sync stores the credentials of
        // several profiles at a time.
        static PROBED: std::sync::Mutex<Option<Result<(), String>>> = std::sync::Mutex::new(None);
        let mut probed = PROBED.lock().unwrap_or_else(|p| p.into_inner());
        let first = probed.is_none();
        let found = probed.get_or_insert_with(probe_keyring).clone();
        drop(probed);
        match found {
            Ok(()) => true,
            Err(why) => {
                if first {
                    warn(&format!(
                        "no usable OS keyring ({why}); temporary AWS credentials are cached in \
                         0600 files in {} instead",
                        self.dir.path().display()
                    ));
                    let _ = self.dir.write(NO_KEYRING_MARKER, why.as_bytes());
                }
                false
            }
        }
    }
}

/// Writes, reads back and deletes a probe entry: stores that cannot keep a secret fail here
/// (keyutils without a session keyring reports a misleading NoEntry on set). The entry is
/// deleted whatever happened: a set that failed half-way (stored in the session keyring, not
/// linked to the persistent one) must not leave it behind.
fn probe_keyring() -> Result<(), String> {
    let entry = keyring::Entry::new(KEYRING_SERVICE, PROBE).map_err(|e| e.to_string())?;
    let read = entry
        .set_password("probe")
        .and_then(|()| entry.get_password())
        .map_err(unusable_because);
    let _ = entry.delete_credential();
    match read {
        Ok(v) if v == "probe" => Ok(()),
        Ok(_) => Err("the keyring returned something else".into()),
        Err(e) => Err(e),
    }
}

/// The name of the keyring probe entry.
const PROBE: &str = "probe";

/// Why the keyring cannot be used, in words: keyutils without a session keyring reports
/// "No matching entry found in secure storage" when asked to *store* something.
fn unusable_because(e: keyring::Error) -> String {
    match e {
        keyring::Error::NoEntry => "it cannot keep a secret here: there is no session keyring, \
                                    as in containers, CI and some SSH sessions"
            .to_owned(),
        other => other.to_string(),
    }
}

/// Removes every stored credential entry (files, keyring entries and their stubs); returns how
/// many entries there were. The keyring marker stays: it holds no credential, only the finding
/// that this machine has no usable keyring, which a `cache clear` does not change (and without
/// it the next run would probe and warn again).
pub fn clear(dir: &PrivateDir) -> Result<usize> {
    let mut removed = 0;
    let Ok(rd) = std::fs::read_dir(dir.path()) else {
        return Ok(0);
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".stub") {
            if let Ok(entry) = keyring::Entry::new(KEYRING_SERVICE, stem) {
                let _ = entry.delete_credential();
            }
            let _ = std::fs::remove_file(e.path());
            removed += 1;
        } else if name.starts_with("creds-") && name.ends_with(".json") {
            let _ = std::fs::remove_file(e.path());
        }
    }
    // A probe an older eks-kc left behind.
    if let Ok(entry) = keyring::Entry::new(KEYRING_SERVICE, PROBE) {
        let _ = entry.delete_credential();
    }
    Ok(removed)
}

/// The stubs of all stored credential entries.
pub fn stubs(dir: &PrivateDir) -> Vec<Stub> {
    let Ok(rd) = std::fs::read_dir(dir.path()) else {
        return vec![];
    };
    let mut stubs: Vec<Stub> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".stub") {
                return None;
            }
            serde_json::from_slice(&dir.read(&name).ok()??).ok()
        })
        .collect();
    stubs.sort_by_key(|s| s.expiration);
    stubs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(profile: &str) -> IdentityKey {
        IdentityKey::of(&TokenKey::new(
            "c",
            "eu-west-1",
            Some(profile),
            None,
            |_| None,
        ))
    }

    #[test]
    fn identities_are_cluster_and_region_independent() {
        let a = TokenKey::new("a", "eu-west-1", Some("p"), None, |_| None);
        let b = TokenKey::new("b", "us-east-1", Some("p"), None, |_| None);
        assert_eq!(IdentityKey::of(&a), IdentityKey::of(&b));
        assert_ne!(key("p").file_stem(), key("q").file_stem());
    }

    #[test]
    fn file_store_round_trips_and_never_shows_secrets_in_stubs() {
        let tmp = tempfile::tempdir().unwrap();
        let store = CredentialCache::open(PrivateDir::new(tmp.path()), false);
        let entry = CredEntry {
            version: VERSION,
            key: key("p"),
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("SECRETKEY"),
            session_token: Some(Secret::new("SESSIONTOKEN")),
            expiration: Utc::now() + Duration::hours(1),
            provenance: Provenance::environment(),
        };
        assert!(store.get(&entry.key).is_none());
        store.put(&entry, &mut |_| {}).unwrap();
        assert_eq!(store.get(&entry.key).unwrap(), entry);
        assert!(store.get(&key("q")).is_none());
        assert!(!format!("{entry:?}").contains("SECRETKEY"));
        let stubs = stubs(store.dir());
        assert_eq!(stubs.len(), 1);
        let stub_text =
            std::fs::read_to_string(tmp.path().join(format!("{}.stub", entry.key.file_stem())))
                .unwrap();
        assert!(!stub_text.contains("SECRETKEY") && !stub_text.contains("SESSIONTOKEN"));
        assert_eq!(clear(store.dir()).unwrap(), 1);
        assert!(store.get(&entry.key).is_none());
    }

    #[test]
    fn freshness_uses_the_credential_margin() {
        let now = Utc::now();
        let mut e = CredEntry {
            version: VERSION,
            key: key("p"),
            access_key_id: "A".into(),
            secret_access_key: Secret::new("S"),
            session_token: None,
            expiration: now + Duration::minutes(20),
            provenance: Provenance::environment(),
        };
        assert!(e.is_fresh(now, DEFAULT_MARGIN));
        e.expiration = now + Duration::minutes(14);
        assert!(!e.is_fresh(now, DEFAULT_MARGIN));
    }
}
