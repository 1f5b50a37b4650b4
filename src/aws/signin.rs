//! `aws login` sessions at the AWS edge: which session a credential source signs with (its
//! profile chain's `login_session`), and whether the SDK's failure to get credentials from it
//! means the person must run `aws login` again. The SDK itself (aws-config's Login provider)
//! reads, renews and rewrites the session; this only judges its failures, by the SDK's error
//! type and the session file's state, never by the text of a message.

use aws_config::profile::ProfileSet;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_signin::error::ProvideErrorMetadata;
use aws_sdk_signin::operation::create_o_auth2_token::CreateOAuth2TokenError;
use chrono::Utc;

use crate::signin::{SessionFile, SignIn};
use crate::source::CredentialSource;

/// The `aws login` session `source` signs with, if its profile chain has one (the named
/// profile, else `AWS_PROFILE` or `default`, followed through `source_profile`).
pub fn sign_in_of(set: &ProfileSet, source: &CredentialSource<'_>) -> Option<SignIn> {
    if source.sso.is_some() {
        return None;
    }
    let start = source
        .profile
        .map(str::to_owned)
        .or_else(|| crate::settings::env::var("AWS_PROFILE").filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".into());
    crate::cache::provenance::walk(set, &start)
        .sign_ins
        .into_iter()
        .next()
}

/// Refuses `sign_in`'s session file before the SDK reads it unless it passes the rules of the
/// AWS CLI's IAM Identity Center login files (`store::read_user_file`): a regular file (a FIFO
/// would hang the SDK's read), owned by you and writable by nobody else (another user's would
/// sign as their session), not larger than a cache file ever is. A missing file is the SDK's to
/// report (signed out).
pub fn check_session_file(sign_in: &SignIn) -> anyhow::Result<()> {
    let files = crate::paths::aws_files(crate::settings::env::var);
    let path = files.login_cache.join(sign_in.cache_file_name());
    match crate::store::read_user_file(&path) {
        Ok(_) => Ok(()),
        Err(e) => anyhow::bail!(
            "the `aws login` session file of profile '{}' is not used: {}; remove it and run `{}`",
            sign_in.profile,
            crate::display::safe(&e.to_string()),
            sign_in.login_command()
        ),
    }
}

/// What a failure of a chain that signs with an `aws login` session says about the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// Only a new `aws login` helps; why, in words ("has expired").
    Login(&'static str),
    /// The renewal got no answer from AWS Sign-In (the network, not the session).
    Unanswered,
}

/// What `err` (from a provider chain that signs with `sign_in`) says about the session; `None`
/// when the session is not what failed (the role assumed on top of it, say).
pub fn judge(err: &CredentialsError, sign_in: &SignIn) -> Option<Judgement> {
    match refresh_answer(err) {
        // AWS Sign-In answered the renewal with an error (TOKEN_EXPIRED, USER_CREDENTIALS_CHANGED,
        // INSUFFICIENT_PERMISSIONS, an invalid grant): the session cannot be renewed.
        Some(true) => Some(Judgement::Login(
            "has ended (AWS Sign-In refused to renew it)",
        )),
        Some(false) => Some(Judgement::Unanswered),
        None => {
            let files = crate::paths::aws_files(crate::settings::env::var);
            let path = files.login_cache.join(sign_in.cache_file_name());
            let content = crate::store::read_user_file(&path).unwrap_or(Some(vec![]));
            let file = SessionFile::parse(content.as_deref());
            if !file.needs_login(Utc::now()) {
                return None;
            }
            Some(Judgement::Login(match file {
                SessionFile::Absent => {
                    "is missing on this machine (signed out, or never signed in)"
                }
                SessionFile::Unreadable => "cannot be read (its cached session file is damaged)",
                SessionFile::Session { .. } => "has expired",
            }))
        }
    }
}

/// Whether the SDK's renewal of the session got an error answer from AWS Sign-In (`Some(true)`:
/// an error code came back), no answer at all (`Some(false)`: a connection failure or a
/// timeout), or was not what failed (`None`).
fn refresh_answer(err: &CredentialsError) -> Option<bool> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(refused) = e.downcast_ref::<CreateOAuth2TokenError>() {
            return Some(refused.code().is_some());
        }
        next = e.source();
    }
    None
}

/// The one line for a renewal AWS Sign-In did not answer; `detail` is the SDK's error.
pub fn unanswered_line(who: &str, sign_in: &SignIn, detail: &str) -> String {
    format!(
        "could not get AWS credentials for {who}: AWS Sign-In did not answer the renewal of the \
         `aws login` session of profile '{}' ({detail}); check the network, proxy and \
         AWS_ENDPOINT_URL_SIGNIN, or run `{}`",
        sign_in.profile,
        sign_in.login_command()
    )
}

/// The one line for a session that needs a new sign-in: who could not sign, why, and the
/// command. `who` names the source as messages do ("profile 'ops'").
pub fn login_line(who: &str, sign_in: &SignIn, why: &str) -> String {
    let whose = if who == format!("profile '{}'", sign_in.profile) {
        "its".to_owned()
    } else {
        format!("it signs in through profile '{}', whose", sign_in.profile)
    };
    format!(
        "could not get AWS credentials for {who}: {whose} `aws login` session {why}; run `{}`, \
         then retry",
        sign_in.login_command()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_in() -> SignIn {
        SignIn {
            profile: "console".into(),
            session: "arn:aws:iam::1:user/alice".into(),
        }
    }

    #[test]
    fn the_line_names_the_profile_to_sign_in_again() {
        let line = login_line("profile 'console'", &sign_in(), "has expired");
        assert_eq!(
            line,
            "could not get AWS credentials for profile 'console': its `aws login` session has \
             expired; run `aws login --profile console`, then retry"
        );
        let line = login_line("profile 'admin'", &sign_in(), "has expired");
        assert!(
            line.contains("'admin': it signs in through profile 'console', whose `aws login`"),
            "{line}"
        );
        assert!(line.contains("`aws login --profile console`"), "{line}");
    }

    #[test]
    fn a_refused_renewal_is_known_by_its_error_type() {
        use aws_sdk_signin::types::OAuth2ErrorCode;
        use aws_sdk_signin::types::error::AccessDeniedException;
        let meta = aws_smithy_types::error::ErrorMetadata::builder()
            .code("AccessDeniedException")
            .build();
        let denied = AccessDeniedException::builder()
            .error(OAuth2ErrorCode::TokenExpired)
            .message("Your session has expired")
            .meta(meta)
            .build()
            .unwrap();
        let err =
            CredentialsError::provider_error(CreateOAuth2TokenError::AccessDeniedException(denied));
        assert_eq!(
            judge(&err, &sign_in()),
            Some(Judgement::Login(
                "has ended (AWS Sign-In refused to renew it)"
            ))
        );
        // No answer (no error code): the network's fault, not the session's.
        let unanswered = CredentialsError::provider_error(CreateOAuth2TokenError::unhandled(
            std::io::Error::other("connection refused"),
        ));
        assert_eq!(judge(&unanswered, &sign_in()), Some(Judgement::Unanswered));
    }
}
