//! `eks-kc doctor`'s requests to a cluster's Kubernetes API server, over HTTPS trusting exactly
//! the kubeconfig's certificate authority, as kubectl does.
//!
//! It reuses the HTTP stack the AWS SDK already brings (aws-smithy-http-client: hyper and
//! rustls with aws-lc), with a trust store made of the cluster's CA instead of the system roots,
//! and the same proxy settings (HTTPS_PROXY, NO_PROXY) kubectl honours. It lives under `aws/`
//! because that is where the async runtime and the SDK's HTTP stack are allowed.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;

use crate::access::NetKind;
use crate::secret::Secret;

/// An HTTP answer: status and body (bounded in size).
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// Why no HTTP answer came.
pub struct NetError {
    pub kind: NetKind,
    pub message: String,
}

/// A client for one API server.
pub struct KubeApi {
    rt: tokio::runtime::Runtime,
    connector: aws_smithy_http_client::Connector,
    server: String,
    token: Secret,
    limit: Duration,
}

/// Largest body read from the API server.
const MAX_BODY: usize = 1 << 20;

/// Checks that `pem` holds at least one certificate that rustls accepts as a trust anchor, the
/// way the HTTP client will load it (which panics on one it cannot parse, so this must be
/// checked first).
pub fn check_ca(pem: &[u8]) -> Result<()> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let ders = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("not PEM: {e:?}"))?;
    if ders.is_empty() {
        bail!("no PEM certificate in it");
    }
    let mut roots = rustls::RootCertStore::empty();
    for der in ders {
        roots
            .add(der)
            .map_err(|e| anyhow::anyhow!("a certificate rustls cannot use: {e}"))?;
    }
    Ok(())
}

impl KubeApi {
    /// `ca_pem`: the certificate authority to trust (PEM; checked with [`check_ca`] first);
    /// `None` trusts the system's roots. `limit` bounds every request, connection included.
    pub fn new(
        server: &str,
        ca_pem: Option<&[u8]>,
        token: Secret,
        limit: Duration,
    ) -> Result<Self> {
        if let Some(pem) = ca_pem {
            check_ca(pem).context("the kubeconfig's certificate-authority-data")?;
        }
        let rt = super::sdk::runtime()?;
        // The connector spawns its pool on the runtime it is built on.
        let connector = rt.block_on(async { super::trust::bounded_connector(ca_pem, limit) });
        Ok(KubeApi {
            rt,
            connector,
            server: server.trim_end_matches('/').to_owned(),
            token,
            limit,
        })
    }

    pub fn get(&self, path: &str) -> Result<Reply, NetError> {
        self.send("GET", path, None)
    }

    pub fn post_json(&self, path: &str, body: &str) -> Result<Reply, NetError> {
        self.send("POST", path, Some(body))
    }

    fn send(&self, method: &str, path: &str, body: Option<&str>) -> Result<Reply, NetError> {
        let other = |message: String| NetError {
            kind: NetKind::Other,
            message,
        };
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.server))
            .header("accept", "application/json")
            .header(
                "user-agent",
                concat!("eks-kc/", env!("CARGO_PKG_VERSION"), " doctor"),
            )
            .header("authorization", format!("Bearer {}", self.token.expose()));
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .body(body.map_or_else(SdkBody::empty, |b| SdkBody::from(b.to_owned())))
            .map_err(|e| other(format!("building the request: {e}")))?;
        let request =
            request
                .try_into()
                .map_err(|e: aws_smithy_runtime_api::http::HttpError| {
                    other(format!(
                        "building the request: {}",
                        super::sdk::error_text(&e)
                    ))
                })?;
        let limit = self.limit;
        self.rt.block_on(async {
            let response = match tokio::time::timeout(limit, self.connector.call(request)).await {
                Err(_) => {
                    return Err(NetError {
                        kind: NetKind::Timeout,
                        message: format!(
                            "no answer within {}s (EKS_KC_TIMEOUT)",
                            limit.as_secs_f32()
                        ),
                    });
                }
                Ok(Err(e)) => {
                    let message = super::sdk::error_text(&e);
                    return Err(NetError {
                        kind: NetKind::classify(&message, e.is_timeout()),
                        message,
                    });
                }
                Ok(Ok(r)) => r,
            };
            let status = response.status().as_u16();
            // Read as it arrives, and no further than MAX_BODY: a server that answers without
            // end would otherwise fill memory within the time limit.
            let mut stream = ByteStream::new(response.into_body());
            let mut bytes: Vec<u8> = Vec::new();
            let read = async {
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(|e| {
                        other(format!(
                            "reading the response: {}",
                            super::sdk::error_text(&e)
                        ))
                    })?;
                    if bytes.len() + chunk.len() > MAX_BODY {
                        return Err(other(format!(
                            "the answer is larger than {} MiB, more than any API server sends \
                             here; eks-kc read no further",
                            MAX_BODY >> 20
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(())
            };
            tokio::time::timeout(limit, read)
                .await
                .map_err(|_| NetError {
                    kind: NetKind::Timeout,
                    message: "the response body did not arrive in time".to_owned(),
                })??;
            Ok(Reply {
                status,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_certificate_authorities_are_errors_not_panics() {
        assert!(check_ca(b"").is_err());
        assert!(check_ca(b"random text, as moto returns").is_err());
        assert!(
            check_ca(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_err()
        );
    }
}
