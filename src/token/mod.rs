//! The EKS bearer token: its wire format and its lifetime, with no I/O and no clock of its own.
//!
//! A token is `k8s-aws-v1.` followed by the unpadded base64url encoding of a SigV4
//! query-presigned STS `GetCallerIdentity` URL whose signed headers are `host;x-k8s-aws-id`.
//! The cluster (aws-iam-authenticator) replays that URL against STS to learn who the caller is,
//! so the URL must name the canonical regional STS host of the cluster's partition and must be
//! byte-for-byte what botocore would produce (see `tests/fixtures/botocore_presign.json`).
//! Signing itself lives in `aws::sign`; this module knows hosts, ordering, encoding and time.

pub mod verify;

use anyhow::{Result, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Prefix every EKS token starts with.
pub const TOKEN_PREFIX: &str = "k8s-aws-v1.";
/// The signed header that binds a token to one cluster.
pub const CLUSTER_ID_HEADER: &str = "x-k8s-aws-id";
/// `X-Amz-Expires` of the presigned URL, as `aws eks get-token` sets it.
pub const URL_EXPIRES_SECS: u64 = 60;
/// The server accepts a token for 15 minutes after `X-Amz-Date`; we promise one minute less
/// (the same as `aws eks get-token`), so clock skew never makes a "valid" token fail.
pub const TOKEN_LIFETIME: Duration = Duration::minutes(14);
/// A token must not outlive its signing credentials; keep this much distance from their expiry.
pub const CREDENTIAL_EXPIRY_SKEW: Duration = Duration::minutes(1);
/// aws-iam-authenticator rejects longer tokens.
pub const MAX_TOKEN_BYTES: usize = 4096;
/// The query of every presigned request, before the SigV4 parameters.
pub const BASE_QUERY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

pub use crate::regions::{Partition, partition_of};

/// Whether `region` looks like an AWS region name (`eu-west-1`, `us-gov-east-1`), so that a
/// typo or an injected string never ends up in a host name.
pub fn validate_region(region: &str) -> Result<()> {
    // The one check of region names (`src/regions.rs`): a malformed name is refused with the
    // nearest known region; an unknown but well-formed one (a new region) passes.
    crate::regions::check(region)
        .map(|_| ())
        .map_err(anyhow::Error::msg)
}

/// The STS host a cluster in `region` will replay the token against.
///
/// This is never the endpoint override used for API calls (`AWS_ENDPOINT_URL_STS`): the cluster
/// talks to the real STS, so the token must name it. With FIPS, `sts-fips.` is used, except in
/// aws-us-gov whose regional STS endpoints are already FIPS endpoints (as botocore resolves it),
/// and in a partition the SDK says has no FIPS endpoints.
pub fn sts_host(region: &str, fips: bool) -> String {
    let partition = partition_of(region);
    let service = if fips && partition.supports_fips && partition.name != "aws-us-gov" {
        "sts-fips"
    } else {
        "sts"
    };
    format!("{service}.{region}.{}", partition.dns_suffix)
}

/// The URL that gets signed: `https://<sts host>/?Action=GetCallerIdentity&Version=2011-06-15`.
pub fn unsigned_url(host: &str) -> String {
    format!("https://{host}/?{BASE_QUERY}")
}

/// Characters botocore leaves unescaped in query values (RFC 3986 unreserved).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The order botocore writes the presign parameters in (sorted, signature last).
const PARAM_ORDER: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
];

/// Builds the presigned URL from the unsigned URL and the signer's query parameters, in
/// botocore's order and encoding. The signer (aws-sigv4) emits the same parameters but appends
/// `X-Amz-Security-Token` after the signature; the signature does not depend on the order, the
/// byte-for-byte equivalence with `aws eks get-token` does.
pub fn presigned_url<'a>(
    unsigned: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<String> {
    let mut params: Vec<(&str, &str)> = params.into_iter().collect();
    for (name, _) in &params {
        if !PARAM_ORDER.contains(name) {
            bail!("the signer produced an unexpected query parameter '{name}'");
        }
    }
    params.sort_by_key(|(name, _)| PARAM_ORDER.iter().position(|p| p == name));
    let mut url = String::with_capacity(unsigned.len() + 512);
    url.push_str(unsigned);
    for (name, value) in params {
        url.push('&');
        url.push_str(name);
        url.push('=');
        url.extend(utf8_percent_encode(value, QUERY_VALUE));
    }
    Ok(url)
}

/// `k8s-aws-v1.` + base64url without padding.
pub fn encode(presigned_url: &str) -> String {
    let mut token = String::from(TOKEN_PREFIX);
    URL_SAFE_NO_PAD.encode_string(presigned_url, &mut token);
    token
}

/// The presigned URL inside a token.
pub fn decode(token: &str) -> Result<String> {
    let Some(body) = token.strip_prefix(TOKEN_PREFIX) else {
        bail!("the token does not start with '{TOKEN_PREFIX}'");
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(body.trim_end_matches('='))
        .map_err(|e| anyhow::anyhow!("the token is not base64url: {e}"))?;
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("the token's URL is not UTF-8"))
}

/// When a token signed at `signed_at` stops being usable: 14 minutes after signing, or one
/// minute before the signing credentials expire, whichever comes first.
pub fn expiration(
    signed_at: DateTime<Utc>,
    credentials_expiry: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let by_age = signed_at + TOKEN_LIFETIME;
    match credentials_expiry {
        Some(expiry) => by_age.min(expiry - CREDENTIAL_EXPIRY_SKEW),
        None => by_age,
    }
}

/// RFC 3339 in UTC with a `Z` and whole seconds, as client-go and `aws eks get-token` write it.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A stderr warning when the token will be rejected for its size (long session tokens).
pub fn size_warning(token: &str) -> Option<String> {
    (token.len() > MAX_TOKEN_BYTES).then(|| {
        format!(
            "the token is {} bytes, over the {MAX_TOKEN_BYTES}-byte limit of the EKS authenticator; \
             the cluster will answer 401. Long session tokens cause this: use credentials with a \
             shorter session token (for example a role session without session tags)",
            token.len()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn hosts_follow_the_partition() {
        assert_eq!(sts_host("us-east-1", false), "sts.us-east-1.amazonaws.com");
        assert_eq!(sts_host("eu-west-1", false), "sts.eu-west-1.amazonaws.com");
        assert_eq!(
            sts_host("cn-northwest-1", false),
            "sts.cn-northwest-1.amazonaws.com.cn"
        );
        assert_eq!(
            sts_host("us-gov-west-1", false),
            "sts.us-gov-west-1.amazonaws.com"
        );
        assert_eq!(
            sts_host("us-east-1", true),
            "sts-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(
            sts_host("us-gov-east-1", true),
            "sts.us-gov-east-1.amazonaws.com"
        );
        assert_eq!(partition_of("us-iso-east-1").name, "aws-iso");
        assert_eq!(partition_of("us-isob-east-1").name, "aws-iso-b");
        assert_eq!(partition_of("ap-south-2").name, "aws");
        assert_eq!(
            sts_host("eusc-de-east-1", false),
            "sts.eusc-de-east-1.amazonaws.eu"
        );
    }

    #[test]
    fn region_names_are_checked() {
        for ok in ["us-east-1", "cn-north-1", "us-gov-west-1", "eu-isoe-west-1"] {
            validate_region(ok).unwrap();
        }
        for bad in [
            "",
            "useast1",
            "US-EAST-1",
            "us-east-1.evil.com",
            "-a",
            "a-",
            "a b-1",
        ] {
            assert!(validate_region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn params_are_ordered_and_encoded_like_botocore() {
        let url = presigned_url(
            "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
            [
                ("X-Amz-Signature", "abc"),
                ("X-Amz-Security-Token", "a+b/c=="),
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                ("X-Amz-SignedHeaders", "host;x-k8s-aws-id"),
            ],
        )
        .unwrap();
        assert_eq!(
            url,
            "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15\
             &X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id\
             &X-Amz-Security-Token=a%2Bb%2Fc%3D%3D&X-Amz-Signature=abc"
        );
        assert!(presigned_url("https://x/?", [("X-Evil", "1")]).is_err());
    }

    #[test]
    fn encode_and_decode_round_trip_without_padding() {
        let url = "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&a=1";
        let token = encode(url);
        assert!(token.starts_with(TOKEN_PREFIX));
        assert!(!token.contains('='));
        assert_eq!(decode(&token).unwrap(), url);
        assert!(decode("Bearer abc").is_err());
        assert!(decode("k8s-aws-v1.***").is_err());
    }

    #[test]
    fn expiry_is_fourteen_minutes_or_capped_by_credentials() {
        let signed = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        assert_eq!(expiration(signed, None), signed + Duration::minutes(14));
        let long_creds = signed + Duration::hours(1);
        assert_eq!(
            expiration(signed, Some(long_creds)),
            signed + Duration::minutes(14)
        );
        // Short-lived credentials (15 min left, say from a 15-minute role session) cap the token.
        let short_creds = signed + Duration::minutes(10);
        assert_eq!(
            expiration(signed, Some(short_creds)),
            signed + Duration::minutes(9)
        );
        assert_eq!(
            format_timestamp(expiration(signed, None)),
            "2026-11-22T12:14:00Z"
        );
    }

    #[test]
    fn oversize_tokens_warn() {
        assert!(size_warning(&"a".repeat(MAX_TOKEN_BYTES)).is_none());
        assert!(size_warning(&"a".repeat(MAX_TOKEN_BYTES + 1)).is_some());
    }
}
