//! `verify --online`: replay a token's presigned GetCallerIdentity request against STS, as the
//! EKS authenticator does, and read who the caller is.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;

/// The HTTP status and body STS answered with.
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// GETs `url` with the header `x-k8s-aws-id: cluster`. With `AWS_ENDPOINT_URL_STS` (or
/// `AWS_ENDPOINT_URL`) set, the request goes there instead of the host named in the URL (for
/// tests and private endpoints); the signature still covers the original host.
pub fn replay(url: &str, cluster: &str) -> Result<Reply> {
    let url = match std::env::var("AWS_ENDPOINT_URL_STS")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .ok()
        .filter(|v| !v.is_empty())
    {
        Some(base) => {
            let rest = url
                .strip_prefix("https://")
                .and_then(|r| r.find('/').map(|i| &r[i..]))
                .context("the token's URL is not an https URL")?;
            format!("{}{rest}", base.trim_end_matches('/'))
        }
        None => url.to_owned(),
    };
    let host = url
        .split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let request = http::Request::builder()
        .method("GET")
        .uri(&url)
        .header("x-k8s-aws-id", cluster)
        .header("host", host)
        .body(SdkBody::empty())
        .context("building the STS request")?;
    let request = request.try_into().context("building the STS request")?;
    let rt = super::runtime()?;
    rt.block_on(async {
        use aws_smithy_http_client::{ConnectorBuilder, tls};
        let connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build();
        let response = tokio::time::timeout(Duration::from_secs(15), connector.call(request))
            .await
            .context("STS did not answer within 15 s")?
            .map_err(|e| anyhow::anyhow!("calling STS: {}", super::error_text(&e)))?;
        let status = response.status().as_u16();
        let bytes = ByteStream::new(response.into_body())
            .collect()
            .await
            .context("reading the STS response")?
            .into_bytes();
        if bytes.len() > 1 << 20 {
            bail!("the STS response is implausibly large");
        }
        Ok(Reply {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    })
}
