//! The `aws login` session (AWS CLI 2.32 and later) as the AWS CLI caches it: a profile says
//! `login_session = ARN`, and `~/.aws/login/cache/<sha256 of the ARN>.json` (or
//! `$AWS_LOGIN_CACHE_DIRECTORY/...`) holds the session's short-lived credentials and what
//! renews them (a refresh token and a DPoP key). The SDK (aws-config's `credentials-login`)
//! reads, renews and rewrites that file; eks-kc only looks at it to tell whose it is (for the
//! cache provenance) and whether a failure means `aws login` again. Pure: bytes in, facts out.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::hashes::hex;

/// A profile chain's sign-in: the profile that names the session, and the session's ARN.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SignIn {
    /// The profile with `login_session` (what `aws login --profile P` signs in again).
    pub profile: String,
    /// The `login_session` ARN.
    pub session: String,
}

impl SignIn {
    /// The file name of this session in the login cache, as the AWS CLI and SDKs name it: the
    /// SHA-256 of the trimmed ARN.
    pub fn cache_file_name(&self) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(self.session.trim().as_bytes());
        format!("{}.json", hex(&digest))
    }

    /// The command that starts the session again.
    pub fn login_command(&self) -> String {
        format!("aws login --profile {}", self.profile)
    }
}

/// What the cached session file says (never its secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionFile {
    /// No file: never signed in here, or signed out (`aws logout`).
    Absent,
    /// A file the SDK cannot use either (not JSON, fields missing).
    Unreadable,
    /// A session of account `account_id` whose current credentials expire at `expires_at` (the
    /// SDK renews them with the refresh token from 5 minutes before).
    Session {
        account_id: String,
        expires_at: DateTime<Utc>,
    },
}

impl SessionFile {
    /// The file's content (`None`: there is none).
    pub fn parse(bytes: Option<&[u8]>) -> SessionFile {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct File {
            access_token: AccessToken,
            refresh_token: String,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct AccessToken {
            account_id: String,
            expires_at: String,
        }
        let Some(bytes) = bytes else {
            return SessionFile::Absent;
        };
        let Ok(f) = serde_json::from_slice::<File>(bytes) else {
            return SessionFile::Unreadable;
        };
        match DateTime::parse_from_rfc3339(&f.access_token.expires_at) {
            Ok(at) if !f.refresh_token.is_empty() => SessionFile::Session {
                account_id: f.access_token.account_id,
                expires_at: at.with_timezone(&Utc),
            },
            _ => SessionFile::Unreadable,
        }
    }

    /// Whose the session is, for the provenance fingerprint: signed out, unusable, or signed in
    /// to an account. Renewals (new credentials, a new refresh token, every 15 minutes or so)
    /// leave it unchanged: they are the same person's session. Signing in as someone else
    /// changes the profile's `login_session`, which is part of the fingerprint itself.
    pub fn state(&self) -> String {
        match self {
            SessionFile::Absent => "signed out".into(),
            SessionFile::Unreadable => "unreadable".into(),
            SessionFile::Session { account_id, .. } => format!("signed in to {account_id}"),
        }
    }

    /// Whether only a new `aws login` can make this session work again, as far as the file
    /// tells: there is none, it is unusable, or its credentials expired (a renewal was due and
    /// did not happen).
    pub fn needs_login(&self, now: DateTime<Utc>) -> bool {
        match self {
            SessionFile::Absent | SessionFile::Unreadable => true,
            SessionFile::Session { expires_at, .. } => *expires_at <= now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"accessToken":{"accessKeyId":"ASIA1","secretAccessKey":"s","sessionToken":"t",
        "accountId":"111122223333","expiresAt":"2026-11-22T12:15:00Z"},"tokenType":"aws_sigv4",
        "refreshToken":"r","idToken":"i","clientId":"arn:aws:signin:::devtools/same-device",
        "dpopKey":"-----BEGIN EC PRIVATE KEY-----\n...\n-----END EC PRIVATE KEY-----\n"}"#;

    #[test]
    fn cache_files_are_named_as_the_sdk_names_them() {
        // aws-config 1.13's own test vector (src/login/cache.rs).
        let s = |arn: &str| SignIn {
            profile: "p".into(),
            session: arn.into(),
        };
        assert_eq!(
            s("arn:aws:iam::0123456789012:user/Admin").cache_file_name(),
            "36db1d138ff460920374e4c3d8e01f53f9f73537e89c88d639f68393df0e2726.json"
        );
        assert_eq!(
            s("  arn:aws:iam::0123456789012:user/Admin ").cache_file_name(),
            s("arn:aws:iam::0123456789012:user/Admin").cache_file_name()
        );
        assert_eq!(s("x").login_command(), "aws login --profile p");
    }

    #[test]
    fn the_file_tells_whose_session_and_whether_it_needs_a_login() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let f = SessionFile::parse(Some(FILE.as_bytes()));
        assert_eq!(
            f,
            SessionFile::Session {
                account_id: "111122223333".into(),
                expires_at: at("2026-11-22T12:15:00Z"),
            }
        );
        assert_eq!(f.state(), "signed in to 111122223333");
        assert!(!f.needs_login(at("2026-11-22T12:14:00Z")));
        assert!(f.needs_login(at("2026-11-22T12:15:00Z")));
        // A renewal changes keys, tokens and expiry, never the state.
        let renewed = FILE
            .replace("ASIA1", "ASIA2")
            .replace("12:15:00Z", "12:40:00Z");
        assert_eq!(
            SessionFile::parse(Some(renewed.as_bytes())).state(),
            f.state()
        );
        assert_eq!(SessionFile::parse(None), SessionFile::Absent);
        assert!(SessionFile::parse(None).needs_login(at("2000-01-01T00:00:00Z")));
        for bad in [
            "",
            "{}",
            "[1]",
            &FILE.replace("\"refreshToken\":\"r\"", "\"x\":1"),
        ] {
            assert_eq!(
                SessionFile::parse(Some(bad.as_bytes())),
                SessionFile::Unreadable,
                "{bad}"
            );
        }
        assert_ne!(SessionFile::Absent.state(), SessionFile::Unreadable.state());
    }
}
