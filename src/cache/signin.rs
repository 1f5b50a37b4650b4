//! The sign-in gate's memory (pure): per identity that needs a person (an IAM Identity Center
//! login, an MFA profile, an `aws login` session), what its last failed person-step or refresh
//! was, so that for a short cool-down every caller answers with the same one line instead of
//! starting another sign-in. Stored as `signin-<hash>.json` in the cache directory (through
//! `store::PrivateDir`, like every cache file); the lock `signin-<hash>.lock` beside it is held
//! by the one process running the step. The clock is passed in.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::store::stamp::{FileStamp, stamp};

/// Format of the state file.
pub const VERSION: u32 = 1;
/// How long a failure is remembered by default (`EKS_KC_SIGN_IN_COOLDOWN`).
pub const DEFAULT_COOLDOWN: Duration = Duration::seconds(60);

/// Which kind of identity needs the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An IAM Identity Center login (`[sso-session]` or start URL).
    SsoLogin,
    /// A profile that assumes a role with an MFA code.
    Mfa,
    /// An `aws login` (login_session) profile.
    LoginSession,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::SsoLogin => "IAM Identity Center login",
            Kind::Mfa => "MFA profile",
            Kind::LoginSession => "aws login session",
        }
    }
}

/// What failed: a refresh (a person may still sign in) or the person-step itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failed {
    Refresh,
    SignIn,
}

/// One identity's gate key: its kind and name (session, start URL or profile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateKey {
    pub kind: Kind,
    pub name: String,
}

impl GateKey {
    /// `signin-<hash>`: the state file's and the lock's stem.
    pub fn file_stem(&self) -> String {
        crate::hashes::stem("signin", &serde_json::to_vec(self).unwrap_or_default())
    }
}

/// The state file: the last failure of one identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInState {
    pub version: u32,
    pub key: GateKey,
    pub failed: Failed,
    /// The one line every caller prints during the cool-down (no secrets in it).
    pub line: String,
    pub failed_at: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// The login file as it was at the failure: once it changes (`eks-kc login`, the AWS CLI's
    /// login), the cool-down is over.
    pub watch: Option<FileStamp>,
}

/// What a caller may do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go on (refresh, sign in, or wait for who does).
    Proceed,
    /// A refresh failed a moment ago: do not refresh again; a person may sign in.
    SkipRefresh,
    /// Fail with this line.
    CoolDown(String),
}

impl SignInState {
    pub fn new(
        key: GateKey,
        failed: Failed,
        line: String,
        now: DateTime<Utc>,
        cooldown: Duration,
        watch: Option<FileStamp>,
    ) -> Self {
        SignInState {
            version: VERSION,
            key,
            failed,
            line,
            failed_at: now,
            until: now + cooldown,
            watch,
        }
    }

    /// The state in `bytes`, when it is this version's and for `key`.
    pub fn from_bytes(bytes: &[u8], key: &GateKey) -> Option<Self> {
        let s: SignInState = serde_json::from_slice(bytes).ok()?;
        (s.version == VERSION && &s.key == key).then_some(s)
    }

    /// Any identity's state in `bytes` (for `cache status`).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let s: SignInState = serde_json::from_slice(bytes).ok()?;
        (s.version == VERSION).then_some(s)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Whether the cool-down still holds at `now`: not over, and the watched login file as it
    /// was (`current`: its stamp now).
    pub fn active(&self, now: DateTime<Utc>, current: Option<&FileStamp>) -> bool {
        now < self.until && now >= self.failed_at && self.watch.as_ref() == current
    }

    /// What a caller does at `now`, given the watched file's stamp now.
    pub fn decide(&self, now: DateTime<Utc>, current: Option<&FileStamp>) -> Decision {
        if !self.active(now, current) {
            return Decision::Proceed;
        }
        match self.failed {
            Failed::SignIn => Decision::CoolDown(self.line.clone()),
            Failed::Refresh => Decision::SkipRefresh,
        }
    }

    /// The stamp to compare with [`SignInState::watch`]: the watched file's, now.
    pub fn current_watch(&self) -> Option<FileStamp> {
        self.watch.as_ref().map(|w| stamp(&w.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> GateKey {
        GateKey {
            kind: Kind::SsoLogin,
            name: "corp".into(),
        }
    }

    #[test]
    fn a_failure_holds_for_its_cool_down_unless_the_login_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("login.json");
        std::fs::write(&file, "{}").unwrap();
        let now = Utc::now();
        let s = SignInState::new(
            key(),
            Failed::SignIn,
            "run it".into(),
            now,
            DEFAULT_COOLDOWN,
            Some(stamp(&file)),
        );
        let back = SignInState::from_bytes(&s.to_bytes(), &key()).unwrap();
        assert_eq!(back, s);
        let other = GateKey {
            kind: Kind::Mfa,
            ..key()
        };
        assert!(SignInState::from_bytes(&s.to_bytes(), &other).is_none());
        assert_ne!(key().file_stem(), other.file_stem());
        let current = s.current_watch();
        assert_eq!(
            s.decide(now + Duration::seconds(5), current.as_ref()),
            Decision::CoolDown("run it".into())
        );
        assert_eq!(
            s.decide(now + Duration::seconds(61), current.as_ref()),
            Decision::Proceed
        );
        // A clock set back does not stretch it either.
        assert_eq!(
            s.decide(now - Duration::seconds(5), current.as_ref()),
            Decision::Proceed
        );
        std::fs::write(&file, "{\"new\": 1}").unwrap();
        assert_eq!(s.decide(now, s.current_watch().as_ref()), Decision::Proceed);
        let r = SignInState {
            failed: Failed::Refresh,
            watch: None,
            ..s
        };
        assert_eq!(r.decide(now, None), Decision::SkipRefresh);
    }
}
