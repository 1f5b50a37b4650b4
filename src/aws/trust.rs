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
/// `None`: the system's roots.
pub async fn ca_bundle(profile: Option<&str>) -> Option<CaBundle> {
    let set = |v: &String| !v.trim().is_empty();
    if let Some(path) = env::var("AWS_CA_BUNDLE").filter(set) {
        return Some(CaBundle {
            path: expand_home(&path),
            source: "AWS_CA_BUNDLE".into(),
        });
    }
    let name = profile
        .map(str::to_owned)
        .or_else(|| env::var("AWS_PROFILE").filter(set))
        .unwrap_or_else(|| "default".into());
    let profiles = super::profiles::load_set().await.ok()?;
    let path = profiles.get_profile(&name)?.get("ca_bundle")?.to_owned();
    Some(CaBundle {
        path: expand_home(&path),
        source: format!("ca_bundle of profile '{name}'"),
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

/// The TLS context of a connection that trusts `pem` only, or the system's roots.
pub fn tls_context(pem: Option<Vec<u8>>) -> aws_smithy_http_client::tls::TlsContext {
    use aws_smithy_http_client::tls::{TlsContext, TrustStore};
    let store = match pem {
        Some(pem) => TrustStore::empty().with_pem_certificate(pem),
        None => TrustStore::default(),
    };
    TlsContext::builder()
        .with_trust_store(store)
        .build()
        .unwrap_or_default()
}

fn build(pem: Option<Vec<u8>>) -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{Builder, ConnectorBuilder, tls};
    let context = tls_context(pem);
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut conn = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .tls_context(context.clone());
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}
