//! The failures callers decide on by kind: what a person must set up before eks-kc can act.
//! `advice` turns one into the line that says what to do; nothing matches an error's text.

/// What is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// No credentials could be had for the identity (none configured, or its source failed).
    Credentials,
    /// No region for the call.
    Region,
    /// The `aws login` session the identity comes from has ended (expired, signed out, never
    /// started here): only `aws login --profile P` starts a new one.
    SignIn,
}

/// An identity or call that could not proceed for lack of set-up, with the original message
/// (kept for `-v` when a diagnosis replaces it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SetupError {
    pub missing: Missing,
    /// The profile the action named explicitly (`None`: the default chain).
    pub profile: Option<String>,
    pub message: String,
}

impl SetupError {
    pub fn credentials(profile: Option<&str>, message: impl Into<String>) -> Self {
        SetupError {
            missing: Missing::Credentials,
            profile: profile.map(str::to_owned),
            message: message.into(),
        }
    }

    /// The `aws login` session of `profile` (the profile naming it) needs a new sign-in.
    pub fn sign_in(profile: &str, message: impl Into<String>) -> Self {
        SetupError {
            missing: Missing::SignIn,
            profile: Some(profile.to_owned()),
            message: message.into(),
        }
    }

    pub fn region(profile: Option<&str>, message: impl Into<String>) -> Self {
        SetupError {
            missing: Missing::Region,
            profile: profile.map(str::to_owned),
            message: message.into(),
        }
    }

    /// The set-up error somewhere in `err`'s chain of causes.
    pub fn find(err: &anyhow::Error) -> Option<&SetupError> {
        err.chain().find_map(|e| e.downcast_ref::<SetupError>())
    }
}
