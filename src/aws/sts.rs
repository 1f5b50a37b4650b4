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

/// GETs `url` with the header `x-k8s-aws-id: cluster`, within `timeout`.
///
/// The URL is a bearer credential (anyone holding it is the signer for 15 minutes), so it goes
/// only to the host it names (the real STS) or to the endpoint the user named for STS itself,
/// `AWS_ENDPOINT_URL_STS` (for tests and private endpoints; the signature still covers the
/// original host): never to the generic `AWS_ENDPOINT_URL`, which names some other service as
/// often as not, and never over plain http except to this machine.
pub fn replay(url: &str, cluster: &str, timeout: Duration) -> Result<Reply> {
    let sts_endpoint =
        crate::settings::env::var("AWS_ENDPOINT_URL_STS").filter(|v| !v.trim().is_empty());
    let url = replay_url(url, sts_endpoint.as_deref())?;
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
    let rt = super::sdk::runtime()?;
    let ca = rt.block_on(super::trust::ca_bundle(None));
    let pem = ca.as_ref().map(super::trust::read_bundle).transpose()?;
    rt.block_on(super::sdk::bounded(
        timeout,
        "asking STS who signed the token",
        async {
            let connector = super::trust::bounded_connector(pem.as_deref(), timeout);
            let response = tokio::time::timeout(timeout, connector.call(request))
                .await
                .with_context(|| {
                    format!(
                        "STS did not answer within {}s (EKS_KC_TIMEOUT)",
                        timeout.as_secs_f32()
                    )
                })?
                .map_err(|e| anyhow::anyhow!("calling STS: {}", super::sdk::error_text(&e)))?;
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
        },
    ))
}

/// Where to send a token's presigned `url`: the URL itself, or the same path and query on
/// `sts_endpoint`. Plain http is refused except to a loopback host.
pub fn replay_url(url: &str, sts_endpoint: Option<&str>) -> Result<String> {
    let rest = url
        .strip_prefix("https://")
        .and_then(|r| r.find('/').map(|i| &r[i..]))
        .context("the token's URL is not an https URL")?;
    let Some(base) = sts_endpoint else {
        return Ok(url.to_owned());
    };
    let base = base.trim().trim_end_matches('/');
    if let Some(authority) = base.strip_prefix("http://") {
        let host = authority.split('/').next().unwrap_or_default();
        if !is_loopback(host) {
            bail!(
                "AWS_ENDPOINT_URL_STS is plain http to {host}: a token is a bearer credential, so \
                 eks-kc sends it over http only to this machine (127.0.0.1, ::1, localhost); use \
                 an https endpoint"
            );
        }
    } else if !base.starts_with("https://") {
        bail!("AWS_ENDPOINT_URL_STS ({base}) is not an http(s) URL");
    }
    Ok(format!("{base}{rest}"))
}

/// Whether `authority` (`host[:port]`, `[v6]:port`) names this machine.
fn is_loopback(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str =
        "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&X-Amz-Signature=s";

    #[test]
    fn tokens_are_replayed_only_to_sts_and_never_in_clear_text_off_this_machine() {
        assert_eq!(replay_url(URL, None).unwrap(), URL);
        for local in [
            "http://127.0.0.1:9",
            "http://localhost:8/",
            "http://[::1]:7",
            "http://127.0.0.2",
        ] {
            let to = replay_url(URL, Some(local)).unwrap();
            assert!(
                to.ends_with("/?Action=GetCallerIdentity&X-Amz-Signature=s"),
                "{to}"
            );
        }
        assert_eq!(
            replay_url(URL, Some("https://sts.internal.example/")).unwrap(),
            "https://sts.internal.example/?Action=GetCallerIdentity&X-Amz-Signature=s"
        );
        for remote in [
            "http://sts.example.com",
            "http://10.0.0.1:80",
            "http://127.0.0.1.evil.com",
            "ftp://x",
        ] {
            assert!(replay_url(URL, Some(remote)).is_err(), "{remote}");
        }
        assert!(replay_url("http://sts.eu-west-1.amazonaws.com/?x", None).is_err());
    }
}
