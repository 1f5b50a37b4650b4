//! Which configuration produced a cached token or credential, so that a cache entry is served
//! only while that configuration is unchanged (a role switched from ReadOnly to Admin, a rotated
//! key, an `aws sso logout` take effect on the next call).
//!
//! Two parts are stored with every entry:
//! - the *stamps* (size, mtime, ctime, inode, device) of the few files the identity comes from:
//!   the AWS config file, the shared credentials file and, for SSO, the cached login token, for
//!   an `aws login` session its cached session file. The cache-hit path only `stat`s these and
//!   compares: no parsing.
//! - the *fingerprint*: a hash of the resolved profile chain (every setting that selects who
//!   signs, following `source_profile`, the `sso-session` it names, its `login_session`) and of
//!   the state of the SSO login and the sign-in session. It is recomputed only when a stamp
//!   changed; an equal fingerprint means the edit was elsewhere (an unrelated profile, a renewal
//!   of the same session) and the entry is still good.
//!
//! Pure: the profiles and the login cache files come in through parameters; reading them is
//! `engine::origin`'s job (through `aws::profiles`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::hashes::hex;
pub use crate::signin::SignIn;

pub use crate::store::stamp::{FileStamp, Stat};

/// Where an entry's identity came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub files: Vec<FileStamp>,
    pub fingerprint: String,
}

impl Provenance {
    /// Identities chosen entirely by the environment (static keys in `AWS_ACCESS_KEY_ID`, which
    /// is part of every cache key): no file to watch.
    pub fn environment() -> Self {
        Provenance {
            files: vec![],
            fingerprint: "environment".into(),
        }
    }

    /// Whether every file still has the stamp it had; `stat` looks a path up (`None`: absent).
    pub fn stamps_match(&self, stat: impl Fn(&Path) -> Option<Stat>) -> bool {
        self.files.iter().all(|f| stat(&f.path) == f.stat)
    }
}

/// The profiles of the AWS config and credentials files, as the SDK merges them.
pub trait ProfileSource {
    fn has_profile(&self, name: &str) -> bool;
    /// Setting `key` of profile `name`.
    fn profile_value(&self, name: &str, key: &str) -> Option<String>;
    fn has_sso_session(&self, name: &str) -> bool;
    /// Setting `key` of the `[sso-session name]` section.
    fn sso_session_value(&self, name: &str, key: &str) -> Option<String>;
}

/// The profile settings that decide who signs. Anything else in a profile (region, output,
/// cli_pager, s3 settings, ...) can change without invalidating a cache entry.
pub const CHAIN_KEYS: &[&str] = &[
    "role_arn",
    "source_profile",
    "credential_source",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
    "mfa_serial",
    "external_id",
    "duration_seconds",
    "role_session_name",
    "web_identity_token_file",
    "login_session",
    "endpoint_url",
    "use_fips_endpoint",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
];
/// Secret settings: only their hash enters the chain description.
const SECRET_KEYS: &[&str] = &["aws_secret_access_key", "aws_session_token"];
/// The settings of an `[sso-session]` section that decide which login is used.
const SSO_SESSION_KEYS: &[&str] = &["sso_start_url", "sso_region", "sso_registration_scopes"];
/// `source_profile` chains longer than this are cut (the SDK refuses them too).
const MAX_CHAIN: usize = 16;

/// An IAM Identity Center login a chain depends on, named as the SDK names its token cache
/// file: by `sso_session`, or by `sso_start_url` for legacy profiles.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SsoLogin {
    Session(String),
    StartUrl(String),
}

impl SsoLogin {
    /// The file name of this login's token in `~/.aws/sso/cache` (the SHA-1 of the session name
    /// or start URL, as the AWS CLI and SDKs write it).
    pub fn cache_file_name(&self) -> String {
        use sha1::Digest as _;
        let name = match self {
            SsoLogin::Session(s) | SsoLogin::StartUrl(s) => s,
        };
        format!("{}.json", hex(&sha1::Sha1::digest(name.as_bytes())))
    }
}

/// A profile chain, resolved: a canonical description of its settings, and the SSO logins and
/// `aws login` sessions it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub description: Vec<String>,
    pub sso_logins: BTreeSet<SsoLogin>,
    /// The `sso_region` of each legacy login (a profile's own `sso_start_url`), by start URL.
    pub sso_regions: BTreeMap<String, String>,
    pub sign_ins: BTreeSet<SignIn>,
}

/// Follows `start` through `source_profile` links and collects what decides the identity.
pub fn walk(src: &dyn ProfileSource, start: &str) -> Chain {
    let mut description = vec![];
    let mut sso_logins = BTreeSet::new();
    let mut sso_regions = BTreeMap::new();
    let mut sign_ins = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut name = start.to_owned();
    for _ in 0..MAX_CHAIN {
        description.push(format!("profile {name}"));
        if !seen.insert(name.clone()) {
            description.push("cycle".into());
            break;
        }
        if !src.has_profile(&name) {
            description.push("missing".into());
            break;
        }
        let get = |key: &str| src.profile_value(&name, key);
        for &key in CHAIN_KEYS {
            if let Some(value) = get(key) {
                description.push(setting(key, &value));
            }
        }
        if let Some(session) = get("sso_session") {
            if src.has_sso_session(&session) {
                for &key in SSO_SESSION_KEYS {
                    if let Some(v) = src.sso_session_value(&session, key) {
                        description.push(format!("sso-session {session} {key}={v}"));
                    }
                }
            } else {
                description.push(format!("sso-session {session} missing"));
            }
            sso_logins.insert(SsoLogin::Session(session));
        } else if let Some(url) = get("sso_start_url") {
            if let Some(region) = get("sso_region") {
                sso_regions.entry(url.clone()).or_insert(region);
            }
            sso_logins.insert(SsoLogin::StartUrl(url));
        }
        if let Some(session) = get("login_session").filter(|s| !s.trim().is_empty()) {
            sign_ins.insert(SignIn {
                profile: name.clone(),
                session,
            });
        }
        match (get("role_arn"), get("source_profile")) {
            (Some(_), Some(source)) => name = source,
            _ => break,
        }
    }
    Chain {
        description,
        sso_logins,
        sso_regions,
        sign_ins,
    }
}

/// The chain of an IAM Identity Center role: its login's `[sso-session]` settings (or start URL
/// and region), account and role, and the login it uses.
pub fn walk_sso(src: &dyn ProfileSource, role: &crate::source::SsoRole<'_>) -> Chain {
    use crate::source::SsoLoginRef;
    let mut description = vec![format!(
        "sso account {} role {}",
        role.account_id, role.role_name
    )];
    let login = match role.login {
        SsoLoginRef::Session(session) => {
            if src.has_sso_session(session) {
                for &key in SSO_SESSION_KEYS {
                    if let Some(v) = src.sso_session_value(session, key) {
                        description.push(format!("sso-session {session} {key}={v}"));
                    }
                }
            } else {
                description.push(format!("sso-session {session} missing"));
            }
            SsoLogin::Session(session.to_owned())
        }
        SsoLoginRef::StartUrl { url, region } => {
            description.push(format!("sso_start_url={url} sso_region={region}"));
            SsoLogin::StartUrl(url.to_owned())
        }
    };
    Chain {
        description,
        sso_logins: BTreeSet::from([login]),
        sso_regions: BTreeMap::new(),
        sign_ins: BTreeSet::new(),
    }
}

fn setting(key: &str, value: &str) -> String {
    if SECRET_KEYS.contains(&key) {
        format!("{key}=sha256:{}", hex(&Sha256::digest(value.as_bytes())))
    } else {
        format!("{key}={value}")
    }
}

/// What identifies an SSO login from its cached token file (`None`: no file, logged out): a
/// hash of the access token, so a logout or a login as someone else changes it.
pub fn sso_login_state(file: Option<&[u8]>) -> String {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct TokenFile {
        access_token: Option<String>,
    }
    match file {
        None => "logged out".into(),
        Some(bytes) => match serde_json::from_slice::<TokenFile>(bytes) {
            Ok(TokenFile {
                access_token: Some(t),
            }) => format!("token sha256:{}", hex(&Sha256::digest(t.as_bytes()))),
            _ => "unreadable".into(),
        },
    }
}

/// The fingerprint of a chain and the states of its logins: its SSO logins' (in
/// `chain.sso_logins` order), then its sign-in sessions' (in `chain.sign_ins` order, see
/// [`crate::signin::SessionFile::state`]).
pub fn fingerprint(chain: &Chain, login_states: &[String]) -> String {
    let mut h = Sha256::new();
    for line in chain.description.iter().chain(login_states) {
        h.update(line.as_bytes());
        h.update(b"\n");
    }
    format!("sha256:{}", hex(&h.finalize()))
}

#[cfg(test)]
mod tests;
