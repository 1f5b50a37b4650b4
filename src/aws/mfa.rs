//! Profiles that assume a role with an MFA code (`role_arn` + `mfa_serial`). The AWS SDK for
//! Rust does not prompt for MFA, so eks-kc does it: one code, one AssumeRole with
//! `SerialNumber` and `TokenCode`, and the session credentials go into the credential cache so
//! every cluster of the profile works without another prompt until they near expiry.

use anyhow::{Context, Result, anyhow};
use aws_config::Region;

use super::creds::AwsCredentials;
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

/// The MFA settings of `profile`, if it assumes a role with MFA.
pub async fn mfa_profile(profile: &str) -> Result<Option<MfaProfile>> {
    let set = super::profiles::load_set().await?;
    let Some(p) = set.get_profile(profile) else {
        return Ok(None);
    };
    let (Some(role_arn), Some(mfa_serial)) = (p.get("role_arn"), p.get("mfa_serial")) else {
        return Ok(None);
    };
    Ok(Some(MfaProfile {
        role_arn: role_arn.to_owned(),
        mfa_serial: mfa_serial.to_owned(),
        source_profile: p.get("source_profile").map(str::to_owned),
        duration_seconds: p.get("duration_seconds").and_then(|d| d.parse().ok()),
        external_id: p.get("external_id").map(str::to_owned),
        session_name: p.get("role_session_name").map(str::to_owned),
    }))
}

/// AssumeRole with the MFA code, on the source profile's credentials.
pub async fn assume_with_mfa(
    p: &MfaProfile,
    region: &str,
    code: &str,
    timeouts: &super::Timeouts,
) -> Result<AwsCredentials> {
    let base = super::creds::sdk_config(
        p.source_profile.as_deref(),
        Some(Region::new(region.to_owned())),
        None,
        None,
        timeouts,
    )
    .await;
    let sts = aws_sdk_sts::Client::new(&base);
    let out = sts
        .assume_role()
        .role_arn(&p.role_arn)
        .role_session_name(p.session_name.as_deref().unwrap_or("eks-kc"))
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
                super::error_text(&e)
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
