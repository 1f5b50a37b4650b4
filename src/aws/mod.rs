//! The AWS edge: the only module that uses tokio and the AWS SDK. Everything here is reached
//! only on a cache miss; a runtime is built on demand and dropped when the call returns.

use std::time::Duration;

pub mod access;
pub mod creds;
pub mod eks;
pub mod kubeapi;
pub mod mfa;
pub mod profiles;
pub mod sign;
pub mod sts;

/// Formats an error with its whole source chain on one line ("dispatch failure: io error: tcp
/// connect error: Connection refused"). The SDK's own `Display` says little more than
/// "dispatch failure", and its `Debug` is not for people.
pub(crate) fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
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

/// One HTTPS client, configured as the SDK's default (rustls with aws-lc, proxy settings from
/// the environment), to share between all the SDK configs of a run. Left to themselves, every
/// service client builds its own connector, TLS configuration and pool: measured at about
/// 140 KiB per (profile, region) target, 48 MiB for 10 profiles x 34 regions.
pub(crate) fn shared_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{Builder, ConnectorBuilder, tls};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

/// The network time limit of one command (`EKS_KC_TIMEOUT`, default 15 s): `token`, `login`
/// and `verify --online` finish their network calls within it; `sync` gives each attempt of each
/// call this long (see [`Timeouts::for_sync`]).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
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

/// `EKS_KC_TIMEOUT` (a duration: `15`, `15s`, `1m`), else [`DEFAULT_TIMEOUT`].
pub fn timeout_from_env() -> anyhow::Result<Duration> {
    match std::env::var("EKS_KC_TIMEOUT") {
        Ok(text) if !text.trim().is_empty() => crate::cache::parse_duration(&text)
            .ok()
            .and_then(|d| d.to_std().ok())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                anyhow::anyhow!("EKS_KC_TIMEOUT: '{text}' is not a positive duration (try 15s)")
            }),
        _ => Ok(DEFAULT_TIMEOUT),
    }
}

/// Runs `fut`, giving up after `limit` with an error that says what was waited for.
pub(crate) async fn bounded<T>(
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
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}
