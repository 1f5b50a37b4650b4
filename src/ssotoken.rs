//! The IAM Identity Center login as the AWS CLI caches it: `~/.aws/sso/cache/<sha1>.json`, named
//! by the SHA-1 of the `[sso-session]` name (or of the start URL for a legacy login), holding the
//! portal access token, its expiry and what refreshing it needs. Pure data: the file's content,
//! when it must be refreshed, and the content after a refresh or a new sign-in. Reading, writing
//! and the OIDC calls are in `aws::sso`.
//!
//! Keys eks-kc does not know are kept when it rewrites a file, so one login keeps serving both
//! tools.

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde_json::{Map, Value};

/// Refresh this long before the access token expires (the AWS SDKs' window).
pub const REFRESH_WINDOW: Duration = Duration::minutes(5);

/// One cached login.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenFile(Map<String, Value>);

/// What refreshing a login needs (OIDC CreateToken with grant type `refresh_token`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshGrant {
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
}

/// What to do with a cached login now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The access token is good for longer than the refresh window.
    Use(String),
    /// Refresh it; `fallback` is the current token while it has not expired (used if the
    /// refresh fails).
    Refresh {
        grant: RefreshGrant,
        fallback: Option<String>,
    },
    /// Expired (or about to) and not refreshable: a new sign-in is needed. `Some` when it has
    /// not quite expired yet (usable for a few minutes).
    SignIn(Option<String>),
}

/// A new login from a device sign-in (`eks-kc login --sso-session`).
pub struct NewLogin<'a> {
    pub start_url: &'a str,
    pub region: &'a str,
    pub access_token: &'a str,
    pub expires_at: DateTime<Utc>,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub registration_expires_at: DateTime<Utc>,
    pub refresh_token: Option<&'a str>,
}

impl TokenFile {
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        match serde_json::from_slice::<Value>(bytes).context("not JSON")? {
            Value::Object(map) => Ok(TokenFile(map)),
            _ => bail!("not a JSON object"),
        }
    }

    pub fn new(login: &NewLogin<'_>) -> Self {
        let mut map = Map::new();
        let mut put = |k: &str, v: &str| {
            map.insert(k.into(), Value::String(v.to_owned()));
        };
        put("startUrl", login.start_url);
        put("region", login.region);
        put("accessToken", login.access_token);
        put("expiresAt", &format_time(login.expires_at));
        put("clientId", login.client_id);
        put("clientSecret", login.client_secret);
        put(
            "registrationExpiresAt",
            &format_time(login.registration_expires_at),
        );
        if let Some(r) = login.refresh_token {
            put("refreshToken", r);
        }
        TokenFile(map)
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    pub fn access_token(&self) -> Option<&str> {
        self.text("accessToken")
    }

    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        parse_time(self.text("expiresAt")?)
    }

    pub fn start_url(&self) -> Option<&str> {
        self.text("startUrl")
    }

    /// The grant to refresh with, while the client registration it belongs to is valid.
    pub fn refresh_grant(&self, now: DateTime<Utc>) -> Option<RefreshGrant> {
        let registered_until = parse_time(self.text("registrationExpiresAt")?)?;
        if registered_until <= now {
            return None;
        }
        Some(RefreshGrant {
            client_id: self.text("clientId")?.to_owned(),
            client_secret: self.text("clientSecret")?.to_owned(),
            refresh_token: self.text("refreshToken")?.to_owned(),
        })
    }

    /// What to do with this login at `now`.
    pub fn plan(&self, now: DateTime<Utc>) -> Plan {
        let token = self.access_token().map(str::to_owned);
        let expires = self.expires_at();
        let unexpired = match (&token, expires) {
            (Some(t), Some(e)) if e > now => Some(t.clone()),
            _ => None,
        };
        if let (Some(t), Some(e)) = (&unexpired, expires)
            && e - now > REFRESH_WINDOW
        {
            return Plan::Use(t.clone());
        }
        match self.refresh_grant(now) {
            Some(grant) => Plan::Refresh {
                grant,
                fallback: unexpired,
            },
            None => Plan::SignIn(unexpired),
        }
    }

    /// The file after a refresh: new access token and expiry, the new refresh token when one was
    /// issued; everything else as it was.
    pub fn refreshed(
        &self,
        access_token: &str,
        expires_in: Duration,
        refresh_token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Self {
        let mut map = self.0.clone();
        map.insert("accessToken".into(), access_token.into());
        map.insert("expiresAt".into(), format_time(now + expires_in).into());
        if let Some(r) = refresh_token.filter(|r| !r.is_empty()) {
            map.insert("refreshToken".into(), r.into());
        }
        TokenFile(map)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&Value::Object(self.0.clone())).unwrap_or_default()
    }
}

/// The AWS CLI's timestamp format: `2026-11-24T09:00:00Z`.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// RFC 3339 (what the CLI and SDKs write), and the `...UTC` form of old AWS CLI versions.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Some(t.with_timezone(&Utc));
    }
    let bare = s.trim().strip_suffix("UTC")?;
    NaiveDateTime::parse_from_str(bare, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        parse_time(s).unwrap()
    }

    fn file(expires: &str, refreshable: bool) -> TokenFile {
        let mut json = serde_json::json!({
            "startUrl": "https://corp.awsapps.com/start",
            "region": "us-east-1",
            "accessToken": "tok",
            "expiresAt": expires,
            "custom": {"kept": true},
        });
        if refreshable {
            let o = json.as_object_mut().unwrap();
            o.insert("clientId".into(), "cid".into());
            o.insert("clientSecret".into(), "csec".into());
            o.insert("refreshToken".into(), "rt".into());
            o.insert(
                "registrationExpiresAt".into(),
                "2027-01-01T00:00:00Z".into(),
            );
        }
        TokenFile::parse(json.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn a_token_with_time_left_is_used() {
        let now = at("2026-11-24T08:00:00Z");
        assert_eq!(
            file("2026-11-24T09:00:00Z", true).plan(now),
            Plan::Use("tok".into())
        );
        assert_eq!(
            file("2026-11-24T09:00:00UTC", false).plan(now),
            Plan::Use("tok".into())
        );
    }

    #[test]
    fn a_token_near_expiry_is_refreshed_with_the_old_one_as_fallback() {
        let now = at("2026-11-24T08:58:00Z");
        match file("2026-11-24T09:00:00Z", true).plan(now) {
            Plan::Refresh { grant, fallback } => {
                assert_eq!(grant.refresh_token, "rt");
                assert_eq!(fallback.as_deref(), Some("tok"));
            }
            other => panic!("{other:?}"),
        }
        let later = at("2026-11-24T10:00:00Z");
        assert!(matches!(
            file("2026-11-24T09:00:00Z", true).plan(later),
            Plan::Refresh { fallback: None, .. }
        ));
    }

    #[test]
    fn an_expired_legacy_token_needs_a_sign_in() {
        let now = at("2026-11-24T10:00:00Z");
        assert_eq!(
            file("2026-11-24T09:00:00Z", false).plan(now),
            Plan::SignIn(None)
        );
        let mut f = file("2026-11-24T09:00:00Z", true);
        f.0.insert(
            "registrationExpiresAt".into(),
            "2026-01-01T00:00:00Z".into(),
        );
        assert_eq!(f.plan(now), Plan::SignIn(None), "registration expired");
        assert_eq!(
            TokenFile::parse(b"{}").unwrap().plan(now),
            Plan::SignIn(None)
        );
        assert!(TokenFile::parse(b"[1]").is_err());
        assert!(TokenFile::parse(b"").is_err());
    }

    #[test]
    fn a_refresh_keeps_unknown_keys_and_the_cli_time_format() {
        let now = at("2026-11-24T10:00:00Z");
        let f = file("2026-11-24T09:00:00Z", true).refreshed("new", Duration::hours(1), None, now);
        let v: Value = serde_json::from_slice(&f.to_bytes()).unwrap();
        assert_eq!(v["accessToken"], "new");
        assert_eq!(v["expiresAt"], "2026-11-24T11:00:00Z");
        assert_eq!(v["refreshToken"], "rt");
        assert_eq!(v["custom"]["kept"], true);
    }
}
