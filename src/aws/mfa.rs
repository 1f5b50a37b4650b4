//! Profiles that assume a role with an MFA code (`role_arn` + `mfa_serial`). The AWS SDK for
//! Rust does not prompt for MFA, so eks-kc does it: one code, one AssumeRole with
//! `SerialNumber` and `TokenCode`, and the session credentials go into the credential cache so
//! every cluster of the profile works without another prompt until they near expiry.

use anyhow::{Context, Result, anyhow};
use aws_config::Region;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;

use super::sdk::{
    AwsCredentials, CredentialRequest, CredentialSource, Timeouts, bounded, error_text, sdk_config,
    session_name,
};
use crate::secret::Secret;

/// What an MFA profile says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaProfile {
    pub role_arn: String,
    pub mfa_serial: String,
    pub source_profile: Option<String>,
    pub duration_seconds: Option<i32>,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
}

/// The MFA settings of `profile` in the AWS files `set`, if it assumes a role with MFA.
pub fn mfa_profile(set: &aws_config::profile::ProfileSet, profile: &str) -> Option<MfaProfile> {
    let p = set.get_profile(profile)?;
    let (Some(role_arn), Some(mfa_serial)) = (p.get("role_arn"), p.get("mfa_serial")) else {
        return None;
    };
    Some(MfaProfile {
        role_arn: role_arn.to_owned(),
        mfa_serial: mfa_serial.to_owned(),
        source_profile: p.get("source_profile").map(str::to_owned),
        duration_seconds: p.get("duration_seconds").and_then(|d| d.parse().ok()),
        external_id: p.get("external_id").map(str::to_owned),
        session_name: p.get("role_session_name").map(str::to_owned),
    })
}

/// Credentials for the MFA profile `profile` (settings `p`): one code asked with the request's
/// prompt (a request that cannot ask fails with the command that fixes it), AssumeRole with it,
/// and the request's role assumed on top when it names one. `explain` words a provider error.
pub(super) async fn resolve(
    p: &MfaProfile,
    profile: &str,
    req: &CredentialRequest<'_>,
    getting: &str,
    explain: &dyn Fn(CredentialsError) -> anyhow::Error,
) -> Result<AwsCredentials> {
    let t = req.timeouts;
    let Some(prompt) = req.prompt else {
        anyhow::bail!(
            "profile '{profile}' needs an MFA code and this call cannot ask for one (no \
             terminal, or kubectl runs it non-interactively); run `{bin} login --profile \
             {profile}` in a terminal, then retry",
            bin = crate::display::bin()
        );
    };
    let code = prompt(&format!(
        "MFA code for {} (profile {profile}): ",
        p.mfa_serial
    ))?;
    let creds = bounded(t.operation, getting, assume_with_mfa(p, req, code.trim())).await?;
    let Some(role_arn) = req.source.role_arn else {
        return Ok(creds);
    };
    let region = Region::new(req.region.to_owned());
    let base = Credentials::new(
        creds.access_key_id,
        creds.secret_access_key.expose(),
        creds.session_token.map(|t| t.expose().to_owned()),
        None,
        "eks-kc-mfa",
    );
    let conf = sdk_config(CredentialSource::default(), Some(region.clone()), None, &t).await?;
    bounded(t.operation, getting, async {
        AssumeRoleProvider::builder(role_arn)
            .session_name(session_name(req.source.session_name))
            .region(region)
            .configure(&conf)
            .build_from_provider(base)
            .await
            .provide_credentials()
            .await
            .map(Into::into)
            .map_err(explain)
    })
    .await
}

/// AssumeRole with the MFA code, on the source profile's credentials, in a session named by
/// the profile's `role_session_name`, else the request's name.
async fn assume_with_mfa(
    p: &MfaProfile,
    req: &CredentialRequest<'_>,
    code: &str,
) -> Result<AwsCredentials> {
    let timeouts: &Timeouts = &req.timeouts;
    let base = sdk_config(
        CredentialSource {
            profile: p.source_profile.as_deref(),
            role_arn: None,
            session_name: req.source.session_name,
            sso: None,
        },
        Some(Region::new(req.region.to_owned())),
        None,
        timeouts,
    )
    .await?;
    let sts = aws_sdk_sts::Client::new(&base);
    let out = sts
        .assume_role()
        .role_arn(&p.role_arn)
        .role_session_name(
            p.session_name
                .clone()
                .unwrap_or_else(|| session_name(req.source.session_name)),
        )
        .serial_number(&p.mfa_serial)
        .token_code(code)
        .set_duration_seconds(p.duration_seconds)
        .set_external_id(p.external_id.clone())
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "AssumeRole with MFA for {} failed: {}; check the code (they change every 30 s) \
                 and mfa_serial",
                p.role_arn,
                error_text(&e)
            )
        })?;
    let c = out
        .credentials
        .context("STS answered AssumeRole without credentials")?;
    let expiry = std::time::SystemTime::try_from(c.expiration)
        .map(chrono::DateTime::<chrono::Utc>::from)
        .ok();
    Ok(AwsCredentials {
        access_key_id: c.access_key_id,
        secret_access_key: Secret::new(c.secret_access_key),
        session_token: Some(Secret::new(c.session_token)),
        expiry,
    })
}
