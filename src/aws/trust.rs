//! What every AWS call eks-kc makes goes through: the proxy (`HTTPS_PROXY`, `HTTP_PROXY`,
//! `NO_PROXY`, as the AWS CLI and the SDKs read them) and the certificate authorities it trusts.
//!
//! The CA bundle is decided as the AWS CLI decides it: `AWS_CA_BUNDLE`, else the profile's
//! `ca_bundle`; with one, only its certificates are trusted (botocore's `verify=<bundle>`), so a
//! corporate TLS-inspecting proxy works and nothing else is trusted behind it. Without one, the
//! system's roots. One HTTPS client per bundle is shared by every configuration of a process
//! (sync builds one configuration per profile).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use crate::settings::env;

/// The largest CA bundle read: the whole Mozilla set is about 250 KiB.
const MAX_BUNDLE: u64 = 16 << 20;

/// Where the CA bundle comes from, for errors that name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaBundle {
    pub path: PathBuf,
    /// `AWS_CA_BUNDLE`, or `ca_bundle of profile 'P'`.
    pub source: String,
}

/// The CA bundle of calls made for `profile` (`None`: `AWS_PROFILE`, else `default`):
/// `AWS_CA_BUNDLE`, else the profile's `ca_bundle` (a leading `~/` is the home directory).
/// `None`: the system's roots. Reads the AWS files only when the variable is unset.
pub async fn ca_bundle(profile: Option<&str>) -> Option<CaBundle> {
    if let Some(bundle) = env_bundle() {
        return Some(bundle);
    }
    ca_bundle_in(&super::profiles::load_set().await.ok()?, profile)
}

/// [`ca_bundle`] with the AWS files already read (`profiles`).
pub fn ca_bundle_in(
    profiles: &aws_config::profile::ProfileSet,
    profile: Option<&str>,
) -> Option<CaBundle> {
    if let Some(bundle) = env_bundle() {
        return Some(bundle);
    }
    let name = profile
        .map(str::to_owned)
        .or_else(|| env::var("AWS_PROFILE").filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "default".into());
    let path = profiles.get_profile(&name)?.get("ca_bundle")?.to_owned();
    Some(CaBundle {
        path: expand_home(&path),
        source: format!("ca_bundle of profile '{name}'"),
    })
}

fn env_bundle() -> Option<CaBundle> {
    let path = env::var("AWS_CA_BUNDLE").filter(|v| !v.trim().is_empty())?;
    Some(CaBundle {
        path: expand_home(&path),
        source: "AWS_CA_BUNDLE".into(),
    })
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// The HTTPS client for calls that trust `ca` (`None`: the system's roots), through the proxy
/// the environment names; built once per bundle and shared. A bundle that cannot be read or
/// holds no usable certificate is an error naming it (nothing is sent with a trust store the
/// user did not mean).
pub fn http_client(ca: Option<&CaBundle>) -> Result<SharedHttpClient> {
    static CLIENTS: Mutex<Vec<(Option<PathBuf>, SharedHttpClient)>> = Mutex::new(Vec::new());
    let key = ca.map(|c| c.path.clone());
    let mut clients = CLIENTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, client)) = clients.iter().find(|(k, _)| *k == key) {
        return Ok(client.clone());
    }
    let pem = ca.map(read_bundle).transpose()?;
    let client = build(pem);
    clients.push((key, client.clone()));
    Ok(client)
}

/// The certificates of `ca`, checked the way the TLS stack will load them.
pub fn read_bundle(ca: &CaBundle) -> Result<Vec<u8>> {
    let what = || format!("the CA bundle {} ({})", ca.path.display(), ca.source);
    let text = crate::store::read_text_capped(&ca.path, MAX_BUNDLE).with_context(what)?;
    super::kubeapi::check_ca(text.as_bytes()).with_context(what)?;
    Ok(text.into_bytes())
}

/// A connector that trusts `pem` only (`None`: the system's roots), through the proxy the
/// environment names, with the HTTP `settings` (time limits) given: the one way eks-kc builds
/// a connection, for the SDKs' client, the token's replay to STS and doctor's API-server calls.
/// Call it inside the tokio runtime that will drive it (the connector's pool spawns there).
pub fn connector(
    pem: Option<&[u8]>,
    settings: Option<aws_smithy_runtime_api::client::http::HttpConnectorSettings>,
    components: Option<&aws_smithy_runtime_api::client::runtime_components::RuntimeComponents>,
) -> aws_smithy_http_client::Connector {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
    let store = match pem {
        Some(pem) => TrustStore::empty().with_pem_certificate(pem.to_vec()),
        None => TrustStore::default(),
    };
    let mut conn = aws_smithy_http_client::ConnectorBuilder::default()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        // Building a context from a trust store cannot fail (aws-smithy-http-client 1.5).
        .tls_context(
            TlsContext::builder()
                .with_trust_store(store)
                .build()
                .unwrap_or_default(),
        );
    conn.set_connector_settings(settings);
    conn.set_sleep_impl(components.and_then(|c| c.sleep_impl()));
    conn.set_proxy_config(Some(ProxyConfig::from_env()));
    conn.build()
}

/// A connector for one call bounded by `limit` (connections within 3 s).
pub fn bounded_connector(
    pem: Option<&[u8]>,
    limit: std::time::Duration,
) -> aws_smithy_http_client::Connector {
    use aws_smithy_runtime_api::client::http::HttpConnectorSettings;
    connector(
        pem,
        Some(
            HttpConnectorSettings::builder()
                .connect_timeout(limit.min(std::time::Duration::from_secs(3)))
                .read_timeout(limit)
                .build(),
        ),
        None,
    )
}

fn build(pem: Option<Vec<u8>>) -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_with_connector_fn(move |settings, components| {
        connector(pem.as_deref(), settings.cloned(), components)
    })
}
