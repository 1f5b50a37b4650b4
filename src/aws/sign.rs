//! Presigning the STS `GetCallerIdentity` URL with aws-sigv4. No network, no clock of its own:
//! credentials and the signing time come in, the presigned URL goes out.

use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;

use crate::token;

/// What a token is signed with. `session_token` is present for temporary credentials.
pub struct SigningCredentials<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: Option<&'a str>,
}

/// The presigned URL for `cluster` in `region`, signed at `time`.
///
/// The settings are the ones that reproduce botocore byte for byte: query-string signing,
/// `X-Amz-Expires=60`, the empty-body SHA-256 (not `UNSIGNED-PAYLOAD`), and the cluster name in
/// the signed header `x-k8s-aws-id` (aws-sigv4 adds `host` itself).
pub fn presign(
    creds: &SigningCredentials<'_>,
    region: &str,
    cluster: &str,
    fips: bool,
    time: SystemTime,
) -> Result<String> {
    token::validate_region(region)?;
    let unsigned = token::unsigned_url(&token::sts_host(region, fips));

    let identity = Credentials::new(
        creds.access_key_id,
        creds.secret_access_key,
        creds.session_token.map(str::to_owned),
        None,
        "eks-kc",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(token::URL_EXPIRES_SECS));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(time)
        .settings(settings)
        .build()
        .context("building SigV4 signing parameters")?
        .into();
    let request = SignableRequest::new(
        "GET",
        unsigned.as_str(),
        std::iter::once((token::CLUSTER_ID_HEADER, cluster)),
        SignableBody::Bytes(&[]),
    )
    .context("preparing the STS request to sign")?;
    let (instructions, _signature) = sign(request, &params)
        .context("signing the STS request")?
        .into_parts();
    token::presigned_url(
        &unsigned,
        instructions.params().iter().map(|(k, v)| (*k, v.as_ref())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// One URL that `aws eks get-token` produced at a frozen clock
    /// (`tests/support/botocore_presign.py` writes them).
    #[derive(Deserialize)]
    struct Reference {
        region: String,
        cluster: String,
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
        fips: bool,
        signed_at: chrono::DateTime<chrono::Utc>,
        url: String,
        token: String,
    }

    #[test]
    fn presigned_urls_are_byte_identical_to_botocore() {
        let refs: Vec<Reference> =
            serde_json::from_str(include_str!("../../tests/fixtures/botocore_presign.json"))
                .unwrap();
        assert!(refs.len() >= 8);
        for r in refs {
            let creds = SigningCredentials {
                access_key_id: &r.access_key_id,
                secret_access_key: &r.secret_access_key,
                session_token: r.session_token.as_deref(),
            };
            let url = presign(&creds, &r.region, &r.cluster, r.fips, r.signed_at.into()).unwrap();
            assert_eq!(url, r.url, "region {} fips {}", r.region, r.fips);
            assert_eq!(token::encode(&url), r.token);
        }
    }

    #[test]
    fn a_token_is_bound_to_its_cluster() {
        let creds = SigningCredentials {
            access_key_id: "AKID",
            secret_access_key: "SECRET",
            session_token: None,
        };
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let a = presign(&creds, "eu-west-1", "a", false, t).unwrap();
        let b = presign(&creds, "eu-west-1", "b", false, t).unwrap();
        assert_ne!(a, b);
        assert!(presign(&creds, "evil.com/x", "a", false, t).is_err());
    }
}
