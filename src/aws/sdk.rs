//! The base of the AWS edge: the async runtime, the shared HTTPS client, time limits, the SDK
//! configuration for a credential source (with the default chain built here so IMDS is asked
//! only where it can answer, and role sessions named for the person), and the credential type. Everything else in `aws/` builds on this
//! module; it imports none of them but `profiles`.

use std::time::Duration;

use aws_config::ecs::EcsCredentialsProvider;
use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::web_identity_token::WebIdentityTokenCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use chrono::{DateTime, Utc};

use crate::secret::Secret;
pub use crate::source::CredentialSource;

/// Asks the person a question (the MFA code) and returns the answer.
pub type Prompt<'a> = &'a dyn Fn(&str) -> anyhow::Result<String>;

/// Who asks for credentials.
#[derive(Clone)]
pub struct CredentialRequest<'a> {
    pub source: CredentialSource<'a>,
    pub region: &'a str,
    /// Asks the person for an MFA code; `None` when nobody can answer (no terminal, or
    /// kubectl said the call is not interactive).
    pub prompt: Option<Prompt<'a>>,
    /// Time limits of the network calls (a prompt's wait is not counted).
    pub timeouts: Timeouts,
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

/// Formats an error with its whole source chain on one line ("dispatch failure: io error: tcp
/// connect error: Connection refused"). The SDK's own `Display` says little more than
/// "dispatch failure", and its `Debug` is not for people.
pub fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![];
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// Whether `err` (or an error behind it) is a TLS peer certificate this process does not
/// trust: a TLS-inspecting proxy whose CA is not in the trust store, typically.
pub fn untrusted_certificate(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        let tls = e.downcast_ref::<rustls::Error>().or_else(|| {
            e.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if matches!(tls, Some(rustls::Error::InvalidCertificate(_))) {
            return true;
        }
        next = e.source();
    }
    false
}

/// What to do about a certificate [`untrusted_certificate`] found.
pub const UNTRUSTED_CERTIFICATE_FIX: &str = "the AWS endpoint's TLS certificate is not one this \
     machine trusts: behind a TLS-inspecting proxy, point AWS_CA_BUNDLE (or the profile's \
     ca_bundle) at the proxy's CA certificate (PEM)";

/// No connection attempt waits longer than this, whatever the overall limit.
const MAX_CONNECT: Duration = Duration::from_secs(3);

/// Connect, per-attempt and per-operation (retries included) time limits for every network
/// call: AWS APIs, STS and SSO behind credential providers, container and IMDS endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub attempt: Duration,
    pub operation: Duration,
}

impl Timeouts {
    /// Everything within `total`: a third of it per attempt (so a retry fits), connections
    /// within 3 s.
    pub fn within(total: Duration) -> Self {
        let attempt = (total / 3).max(Duration::from_millis(100));
        Timeouts {
            connect: attempt.min(MAX_CONNECT),
            attempt,
            operation: total,
        }
    }

    /// `sync`: each attempt gets `per_attempt`, and a call with its retries (3 attempts and
    /// back-off) at most four times that, so a silent endpoint fails its target in about a
    /// minute by default while the other targets finish.
    pub fn for_sync(per_attempt: Duration) -> Self {
        Timeouts {
            connect: per_attempt.min(MAX_CONNECT),
            attempt: per_attempt,
            operation: per_attempt * 4,
        }
    }

    pub fn config(&self) -> aws_smithy_types::timeout::TimeoutConfig {
        aws_smithy_types::timeout::TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .read_timeout(self.attempt)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

/// Runs `fut`, giving up after `limit` with an error that says what was waited for.
pub async fn bounded<T>(
    limit: Duration,
    what: &str,
    fut: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(result) => result,
        Err(_) => Err(anyhow::anyhow!(
            "no answer within {}s while {what}; check the network, proxy and AWS_ENDPOINT_URL* \
             settings (EKS_KC_TIMEOUT sets this limit)",
            limit.as_secs_f32()
        )),
    }
}

/// A single-threaded runtime for one short burst of SDK work.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The name of a role session eks-kc starts: `asked` (`--role-session-name`, the kubeconfig
/// extension, the config file), else `eks-kc-<local user>`. It shows in CloudTrail, in the
/// assumed-role ARN and so in the cluster's username for the session.
pub fn session_name(asked: Option<&str>) -> String {
    match asked {
        Some(name) => name.to_owned(),
        None => crate::source::default_session_name(crate::settings::env::local_user().as_deref()),
    }
}

/// The SDK configuration for a profile (or the default chain) and region, with `role_arn`
/// assumed on top when given. Every client built from it shares one credentials cache, so
/// credentials are resolved once however many regions and calls use it. Every role session
/// eks-kc or the profile chain starts is named by [`session_name`] (unless the profile names
/// its own), through an in-memory layer over the AWS files (`profiles::files_naming_sessions`).
///
/// An explicitly chosen profile wins over credentials in the environment, as `aws --profile`
/// does; without one, the SDK's default chain decides. `http` shares one HTTPS client between
/// several configurations; without one, the client of the profile's CA bundle is used
/// (`aws::trust`), which fails for a bundle that cannot be read.
pub async fn sdk_config(
    source: CredentialSource<'_>,
    region: Option<Region>,
    http: Option<SharedHttpClient>,
    timeouts: &Timeouts,
) -> anyhow::Result<SdkConfig> {
    let http = match http {
        Some(http) => http,
        None => super::trust::http_client(super::trust::ca_bundle(source.profile).await.as_ref())?,
    };
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts.config());
    let mut provider_conf = ProviderConfig::default()
        .with_region(region.clone())
        .with_timeout_config(timeouts.config());
    provider_conf = provider_conf.with_http_client(http.clone());
    loader = loader.http_client(http);
    if let Some(region) = &region {
        loader = loader.region(region.clone());
    }
    let session = session_name(source.session_name);
    let files = super::profiles::files_naming_sessions(&session).await;
    loader = match source.profile {
        Some(profile) => loader.profile_name(profile).credentials_provider(
            ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .profile_files(files)
                .configure(&provider_conf)
                .build(),
        ),
        None => loader.credentials_provider(default_chain(&provider_conf, timeouts, files)),
    };
    let conf = loader.load().await;
    let (Some(role_arn), Some(base)) = (source.role_arn, conf.credentials_provider()) else {
        return Ok(conf);
    };
    let mut assume = AssumeRoleProvider::builder(role_arn)
        .session_name(session)
        .configure(&conf);
    if let Some(region) = region {
        assume = assume.region(region);
    }
    let assumed = assume.build_from_provider(base).await;
    Ok(conf
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(assumed))
        .build())
}

/// The SDK's default credential chain (environment, profile, web identity, container, IMDS),
/// built here so that every provider gets our time limits and IMDS is asked only where it can
/// answer (see [`imds_allowed`]): elsewhere its timeouts would be paid by every call that
/// finds no credentials. `files`: the AWS files the profile provider reads.
fn default_chain(
    conf: &ProviderConfig,
    t: &Timeouts,
    files: aws_runtime::env_config::file::EnvConfigFiles,
) -> CredentialsProviderChain {
    let chain = CredentialsProviderChain::first_try(
        "Environment",
        EnvironmentVariableCredentialsProvider::new(),
    )
    .or_else(
        "Profile",
        ProfileFileCredentialsProvider::builder()
            .profile_files(files)
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
    let env = crate::settings::env::var;
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
