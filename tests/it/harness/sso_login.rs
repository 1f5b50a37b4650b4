//! The AWS CLI's side of an IAM Identity Center login, as a test's HOME holds it: the
//! `[sso-session]` configuration and the login token files the AWS CLI leaves in
//! ~/.aws/sso/cache, in exactly its format.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha1::{Digest, Sha1};

use super::TestEnv;
use crate::fakes::{CLIENT_ID, CLIENT_SECRET, FakeSso, REFRESH_TOKEN, SSO_TOKEN};

/// The `[sso-session]` every SSO test uses, and its portal.
pub const SSO_SESSION: &str = "corp";
pub const START_URL: &str = "https://example.awsapps.com/start";
pub const SSO_REGION: &str = "us-east-1";

/// The keys `aws sso login --sso-session` (AWS CLI v2) writes into its token cache file, in its
/// order (checked against the CLI: see tests/support/fake_sso.py).
pub const CLI_TOKEN_KEYS: [&str; 8] = [
    "startUrl",
    "region",
    "accessToken",
    "expiresAt",
    "clientId",
    "clientSecret",
    "registrationExpiresAt",
    "refreshToken",
];

/// The `[sso-session corp]` section `aws configure sso` writes.
pub fn sso_session_section(name: &str, start_url: &str) -> String {
    format!(
        "[sso-session {name}]\nsso_start_url = {start_url}\nsso_region = {SSO_REGION}\n\
         sso_registration_scopes = sso:account:access\n"
    )
}

/// The refreshable part of a login: the client registration and its refresh token.
pub struct Refresh<'a> {
    pub refresh_token: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub registration_expires_at: DateTime<Utc>,
}

impl Refresh<'static> {
    /// The registration and refresh token fake_sso.py knows with
    /// [`FakeSsoBuilder::known_refresh_token`], registered for 90 days.
    pub fn known() -> Self {
        Refresh {
            refresh_token: REFRESH_TOKEN,
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET,
            registration_expires_at: Utc::now() + chrono::Duration::days(90),
        }
    }
}

/// ~/.aws/sso/cache/<sha1 hex of `key`>.json: `key` is the session name for an
/// `[sso-session]` login, the start URL for a legacy one.
pub fn sso_cache_file(home: &Path, key: &str) -> PathBuf {
    let digest = Sha1::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    home.join(".aws/sso/cache").join(format!("{hex}.json"))
}

/// The AWS CLI's time format in those files.
pub fn cli_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Writes the token cache file `aws sso login --sso-session SESSION` leaves (byte for byte its
/// format: one line, its key order, mode 0600), for `session` (or a start URL, with no
/// `refresh`, for the legacy form). Returns its path.
pub fn sso_token_file(
    home: &Path,
    session: &str,
    token: &str,
    expires_at: DateTime<Utc>,
    refresh: Option<&Refresh<'_>>,
) -> PathBuf {
    let path = sso_cache_file(home, session);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let start_url = if session.contains("://") {
        session
    } else {
        START_URL
    };
    // serde_json's Map is sorted; the CLI's order is written by hand.
    let s = |v: &str| serde_json::to_string(v).unwrap();
    let mut fields = vec![
        ("startUrl", s(start_url)),
        ("region", s(SSO_REGION)),
        ("accessToken", s(token)),
        ("expiresAt", s(&cli_time(expires_at))),
    ];
    if let Some(r) = refresh {
        fields.extend([
            ("clientId", s(r.client_id)),
            ("clientSecret", s(r.client_secret)),
            (
                "registrationExpiresAt",
                s(&cli_time(r.registration_expires_at)),
            ),
            ("refreshToken", s(r.refresh_token)),
        ]);
    }
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("\"{k}\": {v}"))
        .collect();
    fs::write(&path, format!("{{{}}}", body.join(", "))).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// The token cache file of `key` (session name or start URL), parsed.
pub fn read_sso_token_file(home: &Path, key: &str) -> Value {
    let path = sso_cache_file(home, key);
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no SSO token file {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The `[sso-session corp]` login file, checked to be what the AWS CLI writes and reads: its
/// keys, private (0600), for [`START_URL`] in [`SSO_REGION`]. Returns it parsed.
pub fn assert_cli_login_file(home: &Path) -> Value {
    let saved = read_sso_token_file(home, SSO_SESSION);
    let keys: std::collections::BTreeSet<&str> = saved
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, CLI_TOKEN_KEYS.into_iter().collect(), "{saved}");
    assert_eq!(saved["startUrl"], START_URL);
    assert_eq!(saved["region"], SSO_REGION);
    let path = sso_cache_file(home, SSO_SESSION);
    let mode = fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    saved
}

impl TestEnv {
    /// `[sso-session corp]` (and `extra` after it) as the whole AWS config; no profile.
    pub fn write_sso_config(&self, extra: &str) {
        self.write_aws_config(&format!(
            "{}{extra}",
            sso_session_section(SSO_SESSION, START_URL)
        ));
    }

    /// The usual SSO test set-up: `[sso-session corp]`, a login valid for 8 hours with the
    /// token `fake` accepts ([`SSO_TOKEN`], start it with `.token(SSO_TOKEN)`), and eks-kc
    /// pointed at `fake`.
    pub fn sso_logged_in(&mut self, fake: &FakeSso) {
        self.write_sso_config("");
        sso_token_file(
            &self.home,
            SSO_SESSION,
            SSO_TOKEN,
            Utc::now() + chrono::Duration::hours(8),
            None,
        );
        fake.serve(self);
    }
}
