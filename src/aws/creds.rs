//! Resolving the AWS credentials that sign a token, through aws-config's providers so every AWS
//! convention (profiles, `source_profile` + `role_arn`, `credential_process`, SSO, web identity,
//! container credentials, `AWS_ENDPOINT_URL*`) behaves as in the AWS SDKs and CLI.

use anyhow::{Result, anyhow};
use aws_config::BehaviorVersion;
use aws_config::ecs::EcsCredentialsProvider;
use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::web_identity_token::WebIdentityTokenCredentialsProvider;
use aws_config::{Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use chrono::{DateTime, Utc};

use crate::secret::Secret;

/// Asks the person a question (the MFA code) and returns the answer.
pub type Prompt<'a> = &'a dyn Fn(&str) -> Result<String>;

/// Who asks for credentials.
#[derive(Clone)]
pub struct CredentialRequest<'a> {
    /// An explicitly chosen profile (flag or kubeconfig). It wins over environment credentials,
    /// as `aws --profile` does; without one, the SDK's default chain decides.
    pub profile: Option<&'a str>,
    pub region: &'a str,
    /// A role to assume on top of the base credentials.
    pub role_arn: Option<&'a str>,
    /// Asks the person for an MFA code; `None` when nobody can answer (no terminal, or
    /// kubectl said the call is not interactive).
    pub prompt: Option<Prompt<'a>>,
    /// Time limits of the network calls (a prompt's wait is not counted).
    pub timeouts: super::Timeouts,
}

/// Credentials ready to sign with.
#[derive(Debug, Clone)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    pub expiry: Option<DateTime<Utc>>,
}

impl From<Credentials> for AwsCredentials {
    fn from(c: Credentials) -> Self {
        AwsCredentials {
            access_key_id: c.access_key_id().to_owned(),
            secret_access_key: Secret::new(c.secret_access_key()),
            session_token: c.session_token().map(Secret::new),
            expiry: c.expiry().map(DateTime::<Utc>::from),
        }
    }
}

impl From<crate::credcache::CredEntry> for AwsCredentials {
    fn from(e: crate::credcache::CredEntry) -> Self {
        AwsCredentials {
            access_key_id: e.access_key_id,
            secret_access_key: e.secret_access_key,
            session_token: e.session_token,
            expiry: Some(e.expiration),
        }
    }
}

/// Role session name used for `--role-arn` (shows in CloudTrail and in the assumed-role ARN).
const ROLE_SESSION_NAME: &str = "eks-kc";

/// Resolves credentials for `req`. No prompt is ever shown: a source that would need one fails
/// with a message naming the command that fixes it.
pub fn resolve(req: &CredentialRequest<'_>) -> Result<AwsCredentials> {
    let rt = super::runtime()?;
    rt.block_on(resolve_async(req))
}

/// Whether a request with this profile and role signs with the static keys in the environment:
/// no profile named, nothing to assume, and `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` set
/// (the provider the SDK's default chain tries first).
pub fn uses_env_keys(profile: Option<&str>, role_arn: Option<&str>) -> bool {
    profile.is_none()
        && role_arn.is_none()
        && std::env::var_os("AWS_ACCESS_KEY_ID").is_some()
        && std::env::var_os("AWS_SECRET_ACCESS_KEY").is_some()
}

async fn resolve_async(req: &CredentialRequest<'_>) -> Result<AwsCredentials> {
    let region = Region::new(req.region.to_owned());
    let t = req.timeouts;
    let getting = format!("getting AWS credentials for {}", who(req));

    // Fast path: static keys in the environment, read by the same provider the default chain
    // would pick, without loading config files or building HTTP clients.
    if uses_env_keys(req.profile, req.role_arn) {
        let creds = EnvironmentVariableCredentialsProvider::new()
            .provide_credentials()
            .await
            .map_err(|e| explain(e, req))?;
        return Ok(creds.into());
    }

    if let Some(profile) = req.profile
        && let Some(mfa) = super::mfa::mfa_profile(profile).await?
    {
        let Some(prompt) = req.prompt else {
            anyhow::bail!(
                "profile '{profile}' needs an MFA code and this call cannot ask for one (no \
                 terminal, or kubectl runs it non-interactively); run `eks-kc login --profile \
                 {profile}` in a terminal, then retry"
            );
        };
        let code = prompt(&format!(
            "MFA code for {} (profile {profile}): ",
            mfa.mfa_serial
        ))?;
        let creds = super::bounded(
            t.operation,
            &getting,
            super::mfa::assume_with_mfa(&mfa, req.region, code.trim(), &t),
        )
        .await?;
        return match req.role_arn {
            None => Ok(creds),
            Some(role_arn) => {
                let base = Credentials::new(
                    creds.access_key_id,
                    creds.secret_access_key.expose(),
                    creds.session_token.map(|t| t.expose().to_owned()),
                    None,
                    "eks-kc-mfa",
                );
                let conf = sdk_config(None, Some(region.clone()), None, None, &t).await;
                super::bounded(t.operation, &getting, async {
                    AssumeRoleProvider::builder(role_arn)
                        .session_name(ROLE_SESSION_NAME)
                        .region(region)
                        .configure(&conf)
                        .build_from_provider(base)
                        .await
                        .provide_credentials()
                        .await
                        .map(Into::into)
                        .map_err(|e| explain(e, req))
                })
                .await
            }
        };
    }

    super::bounded(t.operation, &getting, async {
        let conf = sdk_config(req.profile, Some(region), req.role_arn, None, &t).await;
        let creds = conf
            .credentials_provider()
            .ok_or_else(|| anyhow!("the AWS SDK found no credentials provider"))?
            .provide_credentials()
            .await
            .map_err(|e| explain(e, req))?;
        Ok(creds.into())
    })
    .await
}

/// The SDK configuration for a profile (or the default chain) and region, with `role_arn`
/// assumed on top when given. Every client built from it shares one credentials cache, so
/// credentials are resolved once however many regions and calls use it.
///
/// An explicitly chosen profile wins over credentials in the environment, as `aws --profile`
/// does; without one, the SDK's default chain decides. `http` shares one HTTPS client between
/// several configurations (see `aws::shared_http_client`).
pub async fn sdk_config(
    profile: Option<&str>,
    region: Option<Region>,
    role_arn: Option<&str>,
    http: Option<SharedHttpClient>,
    timeouts: &super::Timeouts,
) -> SdkConfig {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts.config());
    let mut provider_conf = ProviderConfig::default()
        .with_region(region.clone())
        .with_timeout_config(timeouts.config());
    if let Some(http) = http {
        provider_conf = provider_conf.with_http_client(http.clone());
        loader = loader.http_client(http);
    }
    if let Some(region) = &region {
        loader = loader.region(region.clone());
    }
    loader = match profile {
        Some(profile) => loader.profile_name(profile).credentials_provider(
            ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .configure(&provider_conf)
                .build(),
        ),
        None => loader.credentials_provider(default_chain(&provider_conf, timeouts)),
    };
    let conf = loader.load().await;
    let (Some(role_arn), Some(base)) = (role_arn, conf.credentials_provider()) else {
        return conf;
    };
    let mut assume = AssumeRoleProvider::builder(role_arn)
        .session_name(ROLE_SESSION_NAME)
        .configure(&conf);
    if let Some(region) = region {
        assume = assume.region(region);
    }
    let assumed = assume.build_from_provider(base).await;
    conf.into_builder()
        .credentials_provider(SharedCredentialsProvider::new(assumed))
        .build()
}

/// The SDK's default credential chain (environment, profile, web identity, container, IMDS),
/// built here so that every provider gets our time limits and IMDS is asked only where it can
/// answer (see [`imds_allowed`]): elsewhere its timeouts would be paid by every call that
/// finds no credentials.
fn default_chain(conf: &ProviderConfig, t: &super::Timeouts) -> CredentialsProviderChain {
    let chain = CredentialsProviderChain::first_try(
        "Environment",
        EnvironmentVariableCredentialsProvider::new(),
    )
    .or_else(
        "Profile",
        ProfileFileCredentialsProvider::builder()
            .configure(conf)
            .build(),
    )
    .or_else(
        "WebIdentityToken",
        WebIdentityTokenCredentialsProvider::builder()
            .configure(conf)
            .build(),
    )
    .or_else(
        "EcsContainer",
        EcsCredentialsProvider::builder()
            .configure(conf)
            .connect_timeout(t.connect)
            .read_timeout(t.attempt)
            .build(),
    );
    let env = |name: &str| std::env::var(name).ok();
    let read = |path: &str| std::fs::read_to_string(path).ok();
    if !imds_allowed(env, read) {
        tracing::debug!("not asking IMDS: AWS_EC2_METADATA_DISABLED, or no sign of EC2 here");
        return chain;
    }
    let imds = aws_config::imds::Client::builder()
        .configure(conf)
        .connect_timeout(t.connect.min(IMDS_TIMEOUT))
        .read_timeout(t.attempt.min(IMDS_TIMEOUT))
        .max_attempts(2)
        .build();
    chain.or_else(
        "Ec2InstanceMetadata",
        ImdsCredentialsProvider::builder()
            .configure(conf)
            .imds_client(imds)
            .build(),
    )
}

/// IMDS answers in milliseconds where it exists; no reason to wait longer per attempt.
const IMDS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Whether the default chain asks the EC2 instance metadata service. Never with
/// `AWS_EC2_METADATA_DISABLED=true`; always when `AWS_EC2_METADATA_SERVICE_ENDPOINT` names
/// one; otherwise only on a machine that shows signs of being an EC2 instance (the DMI vendor
/// `Amazon EC2`, an `i-` asset tag, or a Xen hypervisor UUID starting with `ec2`), which is
/// where the SDKs' IMDS lookups can answer. `env` and `read` look up variables and files.
pub fn imds_allowed(
    env: impl Fn(&str) -> Option<String>,
    read: impl Fn(&str) -> Option<String>,
) -> bool {
    if env("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        return false;
    }
    if env("AWS_EC2_METADATA_SERVICE_ENDPOINT").is_some_and(|v| !v.trim().is_empty()) {
        return true;
    }
    let starts = |path: &str, prefix: &str| {
        read(path).is_some_and(|v| v.trim().to_ascii_lowercase().starts_with(prefix))
    };
    starts("/sys/devices/virtual/dmi/id/sys_vendor", "amazon ec2")
        || starts("/sys/devices/virtual/dmi/id/board_vendor", "amazon ec2")
        || starts("/sys/devices/virtual/dmi/id/board_asset_tag", "i-")
        || starts("/sys/hypervisor/uuid", "ec2")
}

/// Turns a provider error into one line that says what to do next.
fn explain(err: CredentialsError, req: &CredentialRequest<'_>) -> anyhow::Error {
    let who = who(req);
    let detail = super::error_text(&err);
    let lower = detail.to_ascii_lowercase();
    let profile_flag = req
        .profile
        .map(|p| format!(" --profile {p}"))
        .unwrap_or_default();
    let hint = if lower.contains("timeout") || lower.contains("timed out") {
        format!(
            "a network peer did not answer in time (limit {}s, EKS_KC_TIMEOUT); check the \
             network, proxy and AWS_ENDPOINT_URL* settings",
            req.timeouts.operation.as_secs_f32()
        )
    } else if lower.contains("sso") {
        format!("run `aws sso login{profile_flag}` and try again")
    } else if matches!(err, CredentialsError::CredentialsNotLoaded(_)) {
        match req.profile {
            Some(p) => format!(
                "no usable credentials for profile '{p}' in the AWS config or credentials file: \
                 check the name (`aws configure list-profiles`) or run `aws configure --profile {p}`"
            ),
            None => "configure credentials (`aws configure`), or choose a profile with \
                     --profile or AWS_PROFILE"
                .to_owned(),
        }
    } else if req.role_arn.is_some() || lower.contains("assume") {
        "check that the base credentials may assume the role (sts:AssumeRole) and that the \
         role's trust policy allows them"
            .to_owned()
    } else {
        "check the profile's configuration in ~/.aws/config (or AWS_CONFIG_FILE)".to_owned()
    };
    anyhow!("could not get AWS credentials for {who}: {detail}; {hint}")
}

fn who(req: &CredentialRequest<'_>) -> String {
    match (req.profile, req.role_arn) {
        (Some(p), Some(r)) => format!("profile '{p}' and role {r}"),
        (Some(p), None) => format!("profile '{p}'"),
        (None, Some(r)) => format!("role {r}"),
        (None, None) => "the default AWS credential chain".to_owned(),
    }
}

/// The region configured for `profile` (or the default profile) in the AWS config file. Reads
/// files only: never the instance metadata service.
pub fn profile_region(profile: Option<&str>) -> Result<Option<String>> {
    Ok(super::profiles::load_blocking()?
        .region_of(profile.unwrap_or("default"))
        .map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn imds_is_asked_only_where_it_can_answer() {
        let laptop = |_: &str| None;
        let ec2 = |p: &str| {
            (p == "/sys/devices/virtual/dmi/id/sys_vendor").then(|| "Amazon EC2\n".into())
        };
        let xen = |p: &str| (p == "/sys/hypervisor/uuid").then(|| "ec2e1916-9099".into());
        assert!(!imds_allowed(env_of(&[]), laptop));
        assert!(imds_allowed(env_of(&[]), ec2));
        assert!(imds_allowed(env_of(&[]), xen));
        assert!(!imds_allowed(
            env_of(&[("AWS_EC2_METADATA_DISABLED", "TRUE")]),
            ec2
        ));
        assert!(imds_allowed(
            env_of(&[(
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                "http://169.254.169.254"
            )]),
            laptop
        ));
        assert!(imds_allowed(
            env_of(&[("AWS_EC2_METADATA_DISABLED", "false")]),
            ec2
        ));
    }
}
