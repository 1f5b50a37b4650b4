//! The token cache's policy: what identifies a token, how an entry is stored, and when it is
//! still good. Pure: the clock is a parameter and the filesystem lives in `store`.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::cache::provenance::Provenance;
use crate::hashes;

/// Bumped whenever the entry layout changes; other versions are treated as misses. Version 2
/// added the provenance: entries without one cannot be checked, so they are not served.
pub const ENTRY_VERSION: u32 = 2;
/// Default refresh margin: renew a token when less than this is left.
pub const DEFAULT_MARGIN: Duration = Duration::minutes(5);

/// Environment variables that select which AWS identity signs, so that two identities never share
/// a cached token. Values are kept verbatim, except those in [`HASHED_ENV`].
pub const IDENTITY_ENV: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SESSION_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_USE_FIPS_ENDPOINT",
];
/// Secret values: only a hash of them enters the key (and so the cache file).
const HASHED_ENV: &[&str] = &["AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"];

/// Everything that decides which token a request gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenKey {
    pub cluster: String,
    pub region: String,
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    /// The identity-selecting environment, as `IDENTITY_ENV` name -> value (or value hash).
    pub env: BTreeMap<String, String>,
    /// An IAM Identity Center role, when that is the source (absent otherwise, so the keys of
    /// other sources are what they always were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso: Option<SsoKey>,
    /// An asked-for role session name (flag, kubeconfig extension): it is part of the signing
    /// identity (`assumed-role/ROLE/SESSION`), so two names never share a token. The default
    /// name comes from the local user, whose own cache directory this is: it is not in the key
    /// (absent, the key of a source is what it always was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_session_name: Option<String>,
}

/// An IAM Identity Center role as a cache key stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_region: Option<String>,
    pub account_id: String,
    pub role_name: String,
}

impl SsoKey {
    pub fn of(role: &crate::source::SsoRole<'_>) -> Self {
        use crate::source::SsoLoginRef;
        let (session, start_url, sso_region) = match role.login {
            SsoLoginRef::Session(s) => (Some(s.to_owned()), None, None),
            SsoLoginRef::StartUrl { url, region } => {
                (None, Some(url.to_owned()), Some(region.to_owned()))
            }
        };
        SsoKey {
            session,
            start_url,
            sso_region,
            account_id: role.account_id.to_owned(),
            role_name: role.role_name.to_owned(),
        }
    }

    pub fn role(&self) -> Option<crate::source::SsoRole<'_>> {
        use crate::source::{SsoLoginRef, SsoRole};
        let login = match (&self.session, &self.start_url, &self.sso_region) {
            (Some(s), _, _) => SsoLoginRef::Session(s),
            (None, Some(url), Some(region)) => SsoLoginRef::StartUrl { url, region },
            _ => return None,
        };
        Some(SsoRole {
            login,
            account_id: &self.account_id,
            role_name: &self.role_name,
        })
    }
}

impl TokenKey {
    /// `env` looks a variable up (the process environment in production, a map in tests).
    pub fn new(
        cluster: &str,
        region: &str,
        profile: Option<&str>,
        role_arn: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let env = IDENTITY_ENV
            .iter()
            .filter_map(|&name| {
                let value = env(name).filter(|v| !v.is_empty())?;
                let value = if HASHED_ENV.contains(&name) {
                    hashes::sha256(value.as_bytes())
                } else {
                    value
                };
                Some((name.to_owned(), value))
            })
            .collect();
        TokenKey {
            cluster: cluster.to_owned(),
            region: region.to_owned(),
            profile: profile.map(str::to_owned),
            role_arn: role_arn.map(str::to_owned),
            env,
            sso: None,
            role_session_name: None,
        }
    }

    /// The key for `source` (profile and role, or an IAM Identity Center role).
    pub fn for_source(
        cluster: &str,
        region: &str,
        source: crate::source::CredentialSource<'_>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let mut key = TokenKey::new(cluster, region, source.profile, source.role_arn, env);
        key.sso = source.sso.as_ref().map(SsoKey::of);
        if key.sso.is_none() {
            key.role_session_name = source.session_name.map(str::to_owned);
        }
        key
    }

    /// Who signs the tokens of this key.
    pub fn source(&self) -> crate::source::CredentialSource<'_> {
        crate::source::CredentialSource {
            profile: self.profile.as_deref(),
            role_arn: self.role_arn.as_deref(),
            session_name: self.role_session_name.as_deref(),
            sso: self.sso.as_ref().and_then(SsoKey::role),
        }
    }

    /// The file name stem of this key's entry: a hash, so names never leak into `ls` output and
    /// any cluster or profile name is a safe file name.
    pub fn file_stem(&self) -> String {
        hashes::stem("token", &serde_json::to_vec(self).unwrap_or_default())
    }
}

/// One cached token, as stored on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenEntry {
    pub version: u32,
    pub key: TokenKey,
    pub token: String,
    pub signed_at: DateTime<Utc>,
    pub expiration: DateTime<Utc>,
    /// The configuration the signing identity came from: the token is served only while it is
    /// unchanged.
    pub provenance: Provenance,
}

impl TokenEntry {
    pub fn new(
        key: TokenKey,
        token: String,
        signed_at: DateTime<Utc>,
        expiration: DateTime<Utc>,
        provenance: Provenance,
    ) -> Self {
        TokenEntry {
            version: ENTRY_VERSION,
            key,
            token,
            signed_at,
            expiration,
            provenance,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("serializing strings cannot fail")
    }

    /// Decodes an entry for `key`. A foreign version, a different key (a hash collision or a
    /// copied file) or undecodable bytes are errors; callers treat them as misses.
    pub fn from_bytes(bytes: &[u8], key: &TokenKey) -> Result<Self> {
        let entry = Self::decode(bytes)?;
        if &entry.key != key {
            bail!("the entry belongs to another cluster or identity");
        }
        Ok(entry)
    }

    /// Decodes an entry of this version, whatever its key (for `cache status`). A current entry
    /// is parsed once (this is the cache-hit path); only a failure looks again, to say why.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        #[derive(Deserialize)]
        struct Version {
            version: Option<u32>,
        }
        match serde_json::from_slice::<TokenEntry>(bytes) {
            Ok(entry) if entry.version == ENTRY_VERSION => Ok(entry),
            parsed => {
                let version = serde_json::from_slice::<Version>(bytes)
                    .map_err(|e| anyhow::anyhow!("not a cache entry ({e})"))?
                    .version;
                if version != Some(ENTRY_VERSION) {
                    bail!(
                        "unknown entry format {version:?} (this eks-kc writes version {ENTRY_VERSION})"
                    );
                }
                Err(anyhow::anyhow!(
                    "not a cache entry ({})",
                    parsed.err().map(|e| e.to_string()).unwrap_or_default()
                ))
            }
        }
    }

    /// Whether to serve this token at `now`: it must have at least `margin` left, and must not
    /// be dated in the future (a clock that jumped back would make STS refuse it).
    pub fn is_fresh(&self, now: DateTime<Utc>, margin: Duration) -> bool {
        self.expiration - now >= margin && self.signed_at <= now + Duration::minutes(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn key(env: &[(&str, &str)]) -> TokenKey {
        TokenKey::new("prod", "eu-west-1", Some("ops"), None, env_of(env))
    }

    #[test]
    fn every_identity_input_changes_the_key() {
        let base = key(&[]).file_stem();
        let mut seen = vec![base.clone()];
        for name in IDENTITY_ENV {
            let stem = key(&[(name, "x")]).file_stem();
            assert!(!seen.contains(&stem), "{name} does not change the key");
            seen.push(stem);
        }
        for other in [
            TokenKey::new("dev", "eu-west-1", Some("ops"), None, env_of(&[])),
            TokenKey::new("prod", "us-east-1", Some("ops"), None, env_of(&[])),
            TokenKey::new("prod", "eu-west-1", None, None, env_of(&[])),
            TokenKey::new("prod", "eu-west-1", Some("ops"), Some("arn:r"), env_of(&[])),
        ] {
            assert!(!seen.contains(&other.file_stem()));
            seen.push(other.file_stem());
        }
        // Unrelated variables do not split the cache.
        assert_eq!(key(&[("HOME", "/x")]).file_stem(), base);
    }

    #[test]
    fn session_tokens_are_only_stored_hashed() {
        let k = key(&[
            ("AWS_SESSION_TOKEN", "SECRET-SESSION"),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "SECRET-POD"),
        ]);
        let bytes = TokenEntry::new(
            k,
            "t".into(),
            Utc::now(),
            Utc::now(),
            Provenance::environment(),
        )
        .to_bytes();
        let text = String::from_utf8(bytes).unwrap();
        assert!(!text.contains("SECRET-SESSION") && !text.contains("SECRET-POD"));
    }

    #[test]
    fn what_adopt_carries_of_who_signs_is_in_the_key() {
        // Regression (issue 32): adopt carries a stanza's env; two identities given by it must
        // never share a token.
        for name in crate::exec::stanza::CARRIED_IDENTITY_ENV {
            assert!(IDENTITY_ENV.contains(name), "{name} is not in the key");
        }
    }

    #[test]
    fn freshness_follows_the_margin() {
        let signed = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let entry = TokenEntry::new(
            key(&[]),
            "t".into(),
            signed,
            crate::token::expiration(signed, None),
            Provenance::environment(),
        );
        // 8 minutes old: 6 left, served. 12 minutes old: 2 left, renewed.
        assert!(entry.is_fresh(signed + Duration::minutes(8), DEFAULT_MARGIN));
        assert!(entry.is_fresh(signed + Duration::minutes(9), DEFAULT_MARGIN));
        assert!(!entry.is_fresh(
            signed + Duration::minutes(9) + Duration::seconds(1),
            DEFAULT_MARGIN
        ));
        assert!(!entry.is_fresh(signed + Duration::minutes(12), DEFAULT_MARGIN));
        assert!(entry.is_fresh(signed + Duration::minutes(12), Duration::minutes(1)));
        // A token from the future (the clock went back) is not served.
        assert!(!entry.is_fresh(signed - Duration::minutes(5), DEFAULT_MARGIN));
    }

    #[test]
    fn short_lived_credentials_shorten_the_cache_life() {
        let signed = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let creds_expire = signed + Duration::minutes(8);
        let entry = TokenEntry::new(
            key(&[]),
            "t".into(),
            signed,
            crate::token::expiration(signed, Some(creds_expire)),
            Provenance::environment(),
        );
        assert!(entry.is_fresh(signed + Duration::minutes(2), DEFAULT_MARGIN));
        assert!(!entry.is_fresh(signed + Duration::minutes(3), DEFAULT_MARGIN));
    }

    #[test]
    fn entries_round_trip_and_reject_strangers() {
        let k = key(&[]);
        let entry = TokenEntry::new(
            k.clone(),
            "tok".into(),
            Utc::now(),
            Utc::now(),
            Provenance::environment(),
        );
        assert_eq!(
            TokenEntry::from_bytes(&entry.to_bytes(), &k).unwrap(),
            entry
        );
        assert!(TokenEntry::from_bytes(&entry.to_bytes(), &key(&[("AWS_PROFILE", "x")])).is_err());
        for bad in [
            &b""[..],
            b"\0\xff",
            b"{}",
            br#"{"version":99}"#,
            br#"{"version":1}"#,
            br#"{"version":2}"#,
        ] {
            assert!(TokenEntry::from_bytes(bad, &k).is_err());
        }
    }
}
