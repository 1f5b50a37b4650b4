//! `eks-kc doctor`'s AWS calls: who the credentials are (STS GetCallerIdentity), how the cluster
//! is set up (EKS DescribeCluster) and which access entry and policies the principal has
//! (ListAccessEntries, DescribeAccessEntry, ListAssociatedAccessPolicies).
//!
//! Every call signs with the credentials eks-kc itself would sign tokens with (resolved once by
//! the token engine, passed in), so no second MFA prompt or SSO round trip happens, and every
//! call is bounded by the network limit. A failure comes back as a [`Problem`] carrying the AWS
//! error code: the judgement (denied = could not check) is `crate::doctor`'s (the data is `crate::access`).

use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_eks::error::{ProvideErrorMetadata, SdkError};

use super::sdk::AwsCredentials;
use crate::access::{Caller, Cluster, Entry, Policy, Problem, Scope};

/// At most this many pages of ListAccessEntries (100 each): a cluster with more entries than
/// that is checked with DescribeAccessEntry alone.
const MAX_PAGES: usize = 20;

/// Clients for STS and EKS in one region, signing with fixed credentials.
pub struct Session {
    rt: tokio::runtime::Runtime,
    sts: aws_sdk_sts::Client,
    eks: aws_sdk_eks::Client,
    limit: Duration,
}

impl Session {
    /// `profile` is only for the profile's own settings (such as `endpoint_url`): credentials
    /// are `creds`. Endpoint overrides (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL_EKS`) apply.
    pub fn new(
        creds: &AwsCredentials,
        region: &str,
        profile: Option<&str>,
        limit: Duration,
    ) -> anyhow::Result<Self> {
        let rt = super::sdk::runtime()?;
        let timeouts = super::sdk::Timeouts::within(limit);
        let provider = SharedCredentialsProvider::new(Credentials::new(
            creds.access_key_id.clone(),
            creds.secret_access_key.expose().to_owned(),
            creds.session_token.as_ref().map(|t| t.expose().to_owned()),
            // Expiry is judged by the doctor; the SDK would refuse to even try.
            None,
            "eks-kc-doctor",
        ));
        let conf = rt.block_on(async {
            let http = super::trust::http_client(super::trust::ca_bundle(profile).await.as_ref())?;
            let mut loader = aws_config::defaults(BehaviorVersion::latest())
                .region(Region::new(region.to_owned()))
                .credentials_provider(provider)
                .http_client(http)
                .timeout_config(timeouts.config());
            if let Some(p) = profile {
                loader = loader.profile_name(p);
            }
            anyhow::Ok(loader.load().await)
        })?;
        Ok(Session {
            sts: aws_sdk_sts::Client::new(&conf),
            eks: aws_sdk_eks::Client::new(&conf),
            rt,
            limit,
        })
    }

    /// Runs one call within the limit; a call that does not finish is a [`Problem`] without code.
    fn run<T>(
        &self,
        what: &str,
        fut: impl std::future::Future<Output = Result<T, Problem>>,
    ) -> Result<T, Problem> {
        self.rt
            .block_on(async { tokio::time::timeout(self.limit, fut).await })
            .unwrap_or_else(|_| {
                Err(Problem::new(
                    None,
                    format!(
                        "{what}: no answer within {}s (EKS_KC_TIMEOUT)",
                        self.limit.as_secs_f32()
                    ),
                ))
            })
    }

    /// STS GetCallerIdentity.
    pub fn caller(&self) -> Result<Caller, Problem> {
        self.run("STS GetCallerIdentity", async {
            let out = self
                .sts
                .get_caller_identity()
                .send()
                .await
                .map_err(problem)?;
            let arn = out
                .arn
                .ok_or_else(|| Problem::new(None, "STS answered without a caller ARN"))?;
            Ok(Caller {
                arn,
                account: out.account,
            })
        })
    }

    /// EKS DescribeCluster.
    pub fn cluster(&self, name: &str) -> Result<Cluster, Problem> {
        self.run("EKS DescribeCluster", async {
            let out = self
                .eks
                .describe_cluster()
                .name(name)
                .send()
                .await
                .map_err(problem)?;
            let c = out
                .cluster
                .ok_or_else(|| Problem::new(None, "DescribeCluster answered without a cluster"))?;
            let vpc = c.resources_vpc_config;
            Ok(Cluster {
                status: c.status.map(|s| s.as_str().to_owned()),
                version: c.version,
                endpoint: c.endpoint,
                public_access: vpc.as_ref().map(|v| v.endpoint_public_access),
                private_access: vpc.as_ref().map(|v| v.endpoint_private_access),
                public_access_cidrs: vpc.and_then(|v| v.public_access_cidrs).unwrap_or_default(),
                authentication_mode: c
                    .access_config
                    .and_then(|a| a.authentication_mode)
                    .map(|m| crate::access::AuthenticationMode::parse(m.as_str())),
            })
        })
    }

    /// Every principal with an access entry (ListAccessEntries, all pages up to a bound).
    pub fn entries(&self, cluster: &str) -> Result<Vec<String>, Problem> {
        self.run("EKS ListAccessEntries", async {
            let mut all = vec![];
            let mut next: Option<String> = None;
            for _ in 0..MAX_PAGES {
                let page = self
                    .eks
                    .list_access_entries()
                    .cluster_name(cluster)
                    .max_results(100)
                    .set_next_token(next.take())
                    .send()
                    .await
                    .map_err(problem)?;
                all.extend(page.access_entries.unwrap_or_default());
                next = page.next_token.filter(|t| !t.is_empty());
                if next.is_none() {
                    break;
                }
            }
            Ok(all)
        })
    }

    /// The principal's access entry (DescribeAccessEntry); `None` when it has none.
    pub fn entry(&self, cluster: &str, principal: &str) -> Result<Option<Entry>, Problem> {
        self.run("EKS DescribeAccessEntry", async {
            match self
                .eks
                .describe_access_entry()
                .cluster_name(cluster)
                .principal_arn(principal)
                .send()
                .await
            {
                Ok(out) => Ok(out.access_entry.map(|e| Entry {
                    principal_arn: e.principal_arn.unwrap_or_else(|| principal.to_owned()),
                    kind: e.r#type,
                    username: e.username,
                    kubernetes_groups: e.kubernetes_groups.unwrap_or_default(),
                })),
                Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
                Err(e) => Err(problem(e)),
            }
        })
    }

    /// The access policies associated with the principal's entry (all pages up to a bound).
    pub fn policies(&self, cluster: &str, principal: &str) -> Result<Vec<Policy>, Problem> {
        self.run("EKS ListAssociatedAccessPolicies", async {
            let mut all = vec![];
            let mut next: Option<String> = None;
            for _ in 0..MAX_PAGES {
                let page = self
                    .eks
                    .list_associated_access_policies()
                    .cluster_name(cluster)
                    .principal_arn(principal)
                    .max_results(100)
                    .set_next_token(next.take())
                    .send()
                    .await
                    .map_err(problem)?;
                for p in page.associated_access_policies.unwrap_or_default() {
                    let Some(policy_arn) = p.policy_arn else {
                        continue;
                    };
                    let scope = match p.access_scope {
                        Some(s) if s.r#type.as_ref().map(|t| t.as_str()) == Some("namespace") => {
                            Scope::Namespace(s.namespaces.unwrap_or_default())
                        }
                        _ => Scope::Cluster,
                    };
                    all.push(Policy { policy_arn, scope });
                }
                next = page.next_token.filter(|t| !t.is_empty());
                if next.is_none() {
                    break;
                }
            }
            Ok(all)
        })
    }
}

/// The AWS error code and message of a failed call, or the whole error chain when AWS did not
/// answer (network, timeout).
fn problem<E, R>(err: SdkError<E, R>) -> Problem
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match (err.code(), err.message()) {
        (Some(code), message) => Problem::new(Some(code), message.unwrap_or_default()),
        (None, _) => Problem::new(None, super::sdk::error_text(&err)),
    }
}
