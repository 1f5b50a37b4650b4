//! Which configuration produced a cached token or credential, so that a cache entry is served
//! only while that configuration is unchanged (a role switched from ReadOnly to Admin, a rotated
//! key, an `aws sso logout` take effect on the next call).
//!
//! Two parts are stored with every entry:
//! - the *stamps* (size, mtime, ctime, inode, device) of the few files the identity comes from:
//!   the AWS config file, the shared credentials file and, for SSO, the cached login token. The
//!   cache-hit path only `stat`s these and compares: no parsing.
//! - the *fingerprint*: a hash of the resolved profile chain (every setting that selects who
//!   signs, following `source_profile`, the `sso-session` it names) and of the SSO login. It is
//!   recomputed only when a stamp changed; an equal fingerprint means the edit was elsewhere (an
//!   unrelated profile) and the entry is still good.
//!
//! Pure: the profiles and the SSO cache files come in through parameters; reading them is
//! `cmd::token`'s job (through `aws::profiles`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::hashes::hex;

/// What `stat` says of a file, enough to notice any edit: an in-place write changes mtime and
/// ctime (which nobody can set back), an editor's rename changes the inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stat {
    pub size: u64,
    pub ino: u64,
    pub dev: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime: i128,
    /// Status change time, nanoseconds since the epoch.
    pub ctime: i128,
}

/// A file and its stat when the entry was made; `stat: None` when it did not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub path: PathBuf,
    pub stat: Option<Stat>,
}

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
    "endpoint_url",
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

/// A profile chain, resolved: a canonical description of its settings and the SSO logins it
/// uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub description: Vec<String>,
    pub sso_logins: BTreeSet<SsoLogin>,
}

/// Follows `start` through `source_profile` links and collects what decides the identity.
pub fn walk(src: &dyn ProfileSource, start: &str) -> Chain {
    let mut description = vec![];
    let mut sso_logins = BTreeSet::new();
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
            sso_logins.insert(SsoLogin::StartUrl(url));
        }
        match (get("role_arn"), get("source_profile")) {
            (Some(_), Some(source)) => name = source,
            _ => break,
        }
    }
    Chain {
        description,
        sso_logins,
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

/// The fingerprint of a chain and the states of its SSO logins (in `chain.sso_logins` order).
pub fn fingerprint(chain: &Chain, sso_states: &[String]) -> String {
    let mut h = Sha256::new();
    for line in chain.description.iter().chain(sso_states) {
        h.update(line.as_bytes());
        h.update(b"\n");
    }
    format!("sha256:{}", hex(&h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Profiles as `name -> [(key, value)]`; sso-session sections under `sso-session NAME`.
    struct Files(BTreeMap<String, Vec<(String, String)>>);

    impl Files {
        fn parse(text: &str) -> Self {
            let mut map = BTreeMap::new();
            let mut current = None;
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                    current = Some(name.to_owned());
                    map.entry(name.to_owned()).or_insert_with(Vec::new);
                } else if let (Some(c), Some((k, v))) = (&current, line.split_once('=')) {
                    map.get_mut(c)
                        .unwrap()
                        .push((k.trim().to_owned(), v.trim().to_owned()));
                }
            }
            Files(map)
        }
    }

    impl ProfileSource for Files {
        fn has_profile(&self, name: &str) -> bool {
            self.0.contains_key(name)
        }
        fn profile_value(&self, name: &str, key: &str) -> Option<String> {
            let props = self.0.get(name)?;
            props.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
        }
        fn has_sso_session(&self, name: &str) -> bool {
            self.has_profile(&format!("sso-session {name}"))
        }
        fn sso_session_value(&self, name: &str, key: &str) -> Option<String> {
            self.profile_value(&format!("sso-session {name}"), key)
        }
    }

    const BASE: &str = "
        [ops]
        role_arn = arn:aws:iam::1:role/ReadOnly
        source_profile = base
        region = eu-west-1
        [base]
        aws_access_key_id = AKIA1
        aws_secret_access_key = s1
        [other]
        role_arn = arn:aws:iam::1:role/X
        source_profile = base
        [sso]
        sso_session = corp
        sso_account_id = 111
        sso_role_name = Admin
        [sso-session corp]
        sso_start_url = https://corp.awsapps.com/start
        sso_region = eu-west-1
    ";

    fn fp(text: &str, profile: &str) -> String {
        let chain = walk(&Files::parse(text), profile);
        fingerprint(&chain, &[])
    }

    #[test]
    fn every_setting_of_the_chain_changes_the_fingerprint() {
        let base = fp(BASE, "ops");
        for (from, to) in [
            ("role/ReadOnly", "role/Admin"),
            ("aws_access_key_id = AKIA1", "aws_access_key_id = AKIA2"),
            ("aws_secret_access_key = s1", "aws_secret_access_key = s2"),
            (
                "source_profile = base\n        region",
                "source_profile = other\n        region",
            ),
            ("region = eu-west-1", "region = eu-west-1\nexternal_id = x"),
            (
                "region = eu-west-1",
                "region = eu-west-1\nmfa_serial = arn:m",
            ),
            (
                "region = eu-west-1",
                "region = eu-west-1\nduration_seconds = 900",
            ),
            ("[base]", "[base]\ncredential_process = /bin/creds"),
        ] {
            let edited = BASE.replacen(from, to, 1);
            assert_ne!(edited, BASE, "{from} not found");
            assert_ne!(fp(&edited, "ops"), base, "{from} -> {to}");
        }
    }

    #[test]
    fn edits_outside_the_chain_keep_the_fingerprint() {
        let base = fp(BASE, "ops");
        for (from, to) in [
            ("role/X", "role/Y"),
            ("region = eu-west-1", "region = us-east-1"),
            ("[other]", "[new]\naws_access_key_id = AKIA9\n[other]"),
            ("sso_account_id = 111", "sso_account_id = 222"),
        ] {
            let edited = BASE.replacen(from, to, 1);
            assert_ne!(edited, BASE);
            assert_eq!(fp(&edited, "ops"), base, "{from} -> {to}");
        }
    }

    #[test]
    fn a_static_profile_turned_into_a_role_changes_the_fingerprint() {
        let before = fp(BASE, "base");
        let after = fp(
            &BASE.replacen(
                "[base]",
                "[base]\nrole_arn = arn:r\nsource_profile = other",
                1,
            ),
            "base",
        );
        assert_ne!(before, after);
    }

    #[test]
    fn sso_settings_and_logins_are_part_of_the_identity() {
        let files = Files::parse(BASE);
        let chain = walk(&files, "sso");
        assert_eq!(
            chain.sso_logins.iter().collect::<Vec<_>>(),
            [&SsoLogin::Session("corp".into())]
        );
        let base = fp(BASE, "sso");
        assert_ne!(fp(&BASE.replace("= 111", "= 222"), "sso"), base);
        assert_ne!(
            fp(&BASE.replace("corp.awsapps", "evil.awsapps"), "sso"),
            base
        );
        let logged_in = sso_login_state(Some(br#"{"accessToken":"abc","expiresAt":"x"}"#));
        let relogged = sso_login_state(Some(br#"{"accessToken":"def"}"#));
        let out = sso_login_state(None);
        assert_ne!(logged_in, out);
        assert_ne!(logged_in, relogged);
        assert!(!logged_in.contains("abc"));
        assert_ne!(
            fingerprint(&chain, std::slice::from_ref(&logged_in)),
            fingerprint(&chain, &[out])
        );
        // The AWS CLI names the token file after the SHA-1 of the session name.
        assert_eq!(
            SsoLogin::Session("corp".into()).cache_file_name(),
            "ee0bfd2552fbd840c02cc48b6e823320543c450f.json"
        );
    }

    #[test]
    fn missing_profiles_and_cycles_terminate() {
        let files = Files::parse(
            "[a]\nrole_arn = r\nsource_profile = b\n[b]\nrole_arn = r\nsource_profile = a\n",
        );
        let chain = walk(&files, "a");
        assert!(chain.description.contains(&"cycle".to_owned()));
        let chain = walk(&files, "nope");
        assert!(chain.description.contains(&"missing".to_owned()));
    }

    #[test]
    fn secrets_never_appear_in_the_description() {
        let chain = walk(&Files::parse(BASE), "ops");
        assert!(
            !chain.description.iter().any(|l| l.contains("s1")),
            "{chain:?}"
        );
    }

    #[test]
    fn stamps_compare_every_file() {
        let stat = Stat {
            size: 1,
            ino: 2,
            dev: 3,
            mtime: 4,
            ctime: 5,
        };
        let p = Provenance {
            files: vec![
                FileStamp {
                    path: "/a".into(),
                    stat: Some(stat),
                },
                FileStamp {
                    path: "/b".into(),
                    stat: None,
                },
            ],
            fingerprint: "f".into(),
        };
        assert!(p.stamps_match(|path| (path == Path::new("/a")).then_some(stat)));
        assert!(!p.stamps_match(|_| Some(stat)));
        assert!(!p.stamps_match(|path| {
            (path == Path::new("/a")).then_some(Stat { mtime: 9, ..stat })
        }));
        assert!(Provenance::environment().stamps_match(|_| None));
    }
}
