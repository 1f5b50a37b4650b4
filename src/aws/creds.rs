//! Resolving the AWS credentials that sign a token, through aws-config's providers so every AWS
//! convention (profiles, `source_profile` + `role_arn`, `credential_process`, SSO, web identity,
//! container credentials, `AWS_ENDPOINT_URL*`) behaves as in the AWS SDKs and CLI. Profiles
//! that need an MFA code go through `mfa`, which eks-kc does itself.

use anyhow::{Result, anyhow};
use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;

use super::mfa;
use super::sdk::{AwsCredentials, bounded, error_text, runtime, sdk_config};

pub use super::sdk::{CredentialRequest, Prompt};

/// Resolves credentials for `req`. No prompt is ever shown without `req.prompt`: a source that
/// would need one fails with a message naming the command that fixes it.
pub fn resolve(req: &CredentialRequest<'_>) -> Result<AwsCredentials> {
    let rt = runtime()?;
    rt.block_on(resolve_async(req))
}

async fn resolve_async(req: &CredentialRequest<'_>) -> Result<AwsCredentials> {
    let t = req.timeouts;
    let getting = format!("getting AWS credentials for {}", req.source.describe());

    // Fast path: static keys in the environment, read by the same provider the default chain
    // would pick, without loading config files or building HTTP clients.
    if req.source.uses_env_keys(crate::settings::env::var) {
        let creds = EnvironmentVariableCredentialsProvider::new()
            .provide_credentials()
            .await
            .map_err(|e| explain(e, req, None))?;
        return Ok(creds.into());
    }

    if let Some(role) = &req.source.sso {
        return bounded(
            t.operation,
            &getting,
            super::sso::role_credentials(role, &t),
        )
        .await;
    }

    // The AWS files, read once: the profile's MFA settings, and the `aws login` session of its
    // chain (for the words of a failure). Unreadable files fail a named profile here; for the
    // default chain the SDK says what is wrong.
    let set = match (req.source.profile, super::profiles::load_set().await) {
        (Some(_), Err(e)) => return Err(e),
        (_, set) => set.ok(),
    };
    let sign_in = set
        .as_ref()
        .and_then(|set| super::signin::sign_in_of(set, &req.source));
    if let Some(sign_in) = &sign_in {
        super::signin::check_session_file(sign_in)?;
    }
    let explain_err = |e| explain(e, req, sign_in.as_ref());
    if let (Some(profile), Some(set)) = (req.source.profile, &set)
        && let Some(profile_mfa) = mfa::mfa_profile(set, profile)
    {
        return mfa::resolve(&profile_mfa, profile, req, &getting, &explain_err).await;
    }

    // The files read above also say which CA bundle the calls trust.
    let bundle = match &set {
        Some(set) => super::trust::ca_bundle_in(set, req.source.profile),
        None => super::trust::ca_bundle(req.source.profile).await,
    };
    let http = super::trust::http_client(bundle.as_ref())?;
    bounded(t.operation, &getting, async {
        let conf = sdk_config(
            req.source,
            Some(aws_config::Region::new(req.region.to_owned())),
            Some(http),
            &t,
        )
        .await?;
        let creds = conf
            .credentials_provider()
            .ok_or_else(|| anyhow!("the AWS SDK found no credentials provider"))?
            .provide_credentials()
            .await
            .map_err(explain_err)?;
        Ok(creds.into())
    })
    .await
}

/// Turns a provider error into one line that says what to do next. `sign_in`: the `aws login`
/// session the source's profile chain signs with, if any.
pub(super) fn explain(
    err: CredentialsError,
    req: &CredentialRequest<'_>,
    sign_in: Option<&crate::signin::SignIn>,
) -> anyhow::Error {
    let who = req.source.describe();
    let detail = error_text(&err);
    use super::signin::Judgement;
    match sign_in.and_then(|s| Some((s, super::signin::judge(&err, s)?))) {
        Some((s, Judgement::Login(why))) => {
            tracing::debug!("the AWS SDK said: {detail}");
            let line = super::signin::login_line(&who, s, why);
            return crate::problem::SetupError::sign_in(&s.profile, line).into();
        }
        Some((s, Judgement::Unanswered)) => {
            return anyhow!(super::signin::unanswered_line(&who, s, &detail));
        }
        None => {}
    }
    let lower = detail.to_ascii_lowercase();
    let profile_flag = req
        .source
        .profile
        .map(|p| format!(" --profile {p}"))
        .unwrap_or_default();
    let hint = if super::sdk::untrusted_certificate(&err) {
        super::sdk::UNTRUSTED_CERTIFICATE_FIX.to_owned()
    } else if lower.contains("timeout") || lower.contains("timed out") {
        format!(
            "a network peer did not answer in time (limit {}s, EKS_KC_TIMEOUT); check the \
             network, proxy and AWS_ENDPOINT_URL* settings",
            req.timeouts.operation.as_secs_f32()
        )
    } else if lower.contains("sso") {
        format!("run `aws sso login{profile_flag}` and try again")
    } else if matches!(err, CredentialsError::CredentialsNotLoaded(_)) {
        match req.source.profile {
            Some(p) => format!(
                "no usable credentials for profile '{p}' in the AWS config or credentials file: \
                 check the name (`aws configure list-profiles`) or run `aws configure --profile {p}`"
            ),
            None => "configure credentials (`aws configure`), or choose a profile with \
                     --profile or AWS_PROFILE"
                .to_owned(),
        }
    } else if req.source.role_arn.is_some() || lower.contains("assume") {
        "check that the base credentials may assume the role (sts:AssumeRole) and that the \
         role's trust policy allows them"
            .to_owned()
    } else {
        "check the profile's configuration in ~/.aws/config (or AWS_CONFIG_FILE)".to_owned()
    };
    crate::problem::SetupError::credentials(
        req.source.profile,
        format!("could not get AWS credentials for {who}: {detail}; {hint}"),
    )
    .into()
}

/// The region configured for `profile` (or the default profile) in the AWS config file. Reads
/// files only: never the instance metadata service.
pub fn profile_region(profile: Option<&str>) -> Result<Option<String>> {
    Ok(super::profiles::load_blocking()?
        .region_of(profile.unwrap_or("default"))
        .map(str::to_owned))
}
