//! Cluster discovery: every (profile, region) target's ListClusters (all pages) and every
//! DescribeCluster, all in flight together under one concurrency limit.
//!
//! Credentials are resolved once per profile (clients built from one `SdkConfig` share its
//! credentials cache). A failing target never stops the others; its outcome says why.

mod classify;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_config::Region;
use aws_sdk_eks::Client;
use aws_sdk_eks::error::{ProvideErrorMetadata, SdkError};
use tokio::sync::Semaphore;

use super::retry::{Backoff, retrying};
use classify::classify;
use tokio::task::JoinSet;

/// One (profile, region) pair to list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    /// The name written into context names and markers (`default` for the default chain).
    pub label: String,
    /// The profile credentials come from; `None` for the SDK's default chain.
    pub profile: Option<String>,
    pub region: String,
}

impl Target {
    /// Who lists this target (`role_arn`: the run's `--role-arn`, assumed on top, in a session
    /// named `session_name`, the run's `--role-session-name`).
    pub fn source<'a>(
        &'a self,
        role_arn: Option<&'a str>,
        session_name: Option<&'a str>,
    ) -> super::sdk::CredentialSource<'a> {
        super::sdk::CredentialSource {
            profile: self.profile.as_deref(),
            role_arn,
            session_name,
            sso: None,
        }
    }
}

/// A cluster as DescribeCluster reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    pub arn: Option<String>,
    pub endpoint: Option<String>,
    pub ca_data: Option<String>,
    pub status: Option<String>,
    /// The cluster id of an EKS local cluster on AWS Outposts (DescribeCluster has an
    /// `outpostConfig`): its tokens are signed for the id.
    pub outpost_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Listed(Vec<Found>),
    /// The account has not enabled this (opt-in) region: nothing to list, nothing to prune.
    NotEnabled(String),
    /// AWS refused the credentials themselves (an unknown or deactivated access key): in a
    /// region every account has, or in an opt-in one when the partition's home region refuses
    /// them too.
    Rejected(String),
    /// The identity lacks set-up (no credentials): `advice` can say what to do.
    NotSetUp(crate::problem::SetupError),
    Failed(String),
}

/// Progress events, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// A target's listing finished with this many clusters to describe.
    Listed(usize),
    /// One DescribeCluster finished.
    Described,
    /// A target is done (listed and described, or failed).
    TargetDone,
    /// More targets were found to list (organisation discovery finds them as it goes).
    Targets(usize),
}

pub struct Options {
    pub concurrency: usize,
    pub role_arn: Option<String>,
    /// The run's `--role-session-name`.
    pub role_session_name: Option<String>,
    /// Region used to resolve each profile's credentials (for STS), by profile label.
    pub credential_regions: BTreeMap<String, String>,
    /// Each attempt of each call gets this long (`EKS_KC_TIMEOUT`; see `Timeouts::for_sync`).
    pub attempt_timeout: std::time::Duration,
    /// Credentials already resolved per profile label (through the credential cache, as
    /// `eks-kc token` gets them), or the outcome of every target of a label whose credentials
    /// could not be had: such a label's targets use them instead of the SDK's provider.
    pub credentials: BTreeMap<String, Result<super::sdk::AwsCredentials, Outcome>>,
}

/// Runs discovery for all targets on a multi-threaded runtime; outcomes come back in target
/// order.
pub fn discover(
    targets: &[Target],
    opts: &Options,
    progress: Arc<dyn Fn(Step) + Send + Sync>,
) -> anyhow::Result<Vec<Outcome>> {
    let timeouts = super::sdk::Timeouts::for_sync(opts.attempt_timeout);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
        .enable_all()
        .build()?;
    Ok(rt.block_on(discover_async(targets, opts, &timeouts, progress)))
}

async fn discover_async(
    targets: &[Target],
    opts: &Options,
    timeouts: &super::sdk::Timeouts,
    progress: Arc<dyn Fn(Step) + Send + Sync>,
) -> Vec<Outcome> {
    let limit = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    // One SdkConfig (and so one credentials cache) per profile, one HTTP client per CA bundle
    // (`aws::trust`); a profile whose bundle cannot be read fails its targets.
    let mut configs = BTreeMap::new();
    let mut unusable: BTreeMap<String, String> = BTreeMap::new();
    for t in targets {
        if configs.contains_key(&t.label) || unusable.contains_key(&t.label) {
            continue;
        }
        let region = opts
            .credential_regions
            .get(&t.label)
            .cloned()
            .unwrap_or_else(|| t.region.clone());
        // With credentials resolved already, the config still carries the profile's endpoints,
        // and its (lazy, unused) provider costs nothing.
        let source = t.source(opts.role_arn.as_deref(), opts.role_session_name.as_deref());
        let http =
            match super::trust::http_client(super::trust::ca_bundle(source.profile).await.as_ref())
            {
                Ok(http) => http,
                Err(e) => {
                    unusable.insert(t.label.clone(), format!("{e:#}"));
                    continue;
                }
            };
        match super::sdk::sdk_config(source, Some(Region::new(region)), Some(http), timeouts).await
        {
            Ok(conf) => {
                configs.insert(t.label.clone(), conf);
            }
            Err(e) => {
                unusable.insert(t.label.clone(), format!("{e:#}"));
            }
        }
    }

    let mut tasks = JoinSet::new();
    for (i, t) in targets.iter().enumerate() {
        let early = match (unusable.get(&t.label), opts.credentials.get(&t.label)) {
            (Some(error), _) => Err(Outcome::Failed(error.clone())),
            (None, Some(Err(outcome))) => Err(outcome.clone()),
            (None, Some(Ok(c))) => Ok(Some(c)),
            (None, None) => Ok(None),
        };
        let creds = match early {
            Ok(creds) => creds,
            Err(outcome) => {
                let progress = progress.clone();
                tasks.spawn(async move {
                    progress(Step::TargetDone);
                    (i, outcome)
                });
                continue;
            }
        };
        let Some(base) = configs.get(&t.label) else {
            continue;
        };
        let client = client(base, &t.region, creds);
        let limit = limit.clone();
        let progress = progress.clone();
        tasks.spawn(async move {
            let outcome = list_target(client, limit, progress.clone()).await;
            progress(Step::TargetDone);
            (i, outcome)
        });
    }
    let mut outcomes: Vec<Option<Outcome>> = vec![None; targets.len()];
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok((i, outcome)) => outcomes[i] = Some(outcome),
            Err(e) => tracing::error!("a discovery task failed: {e}"),
        }
    }
    let mut outcomes: Vec<Outcome> = outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Outcome::Failed("internal error: task lost".into())))
        .collect();
    confirm_not_enabled(targets, &mut outcomes, &configs, opts).await;
    outcomes
}

/// An unknown access key is refused in an opt-in region with the same error as a region the
/// account has not enabled. Where a profile listed nothing anywhere, one ListClusters in its
/// partition's home region (enabled in every account) tells them apart: refused there too, its
/// "not enabled" regions are really rejected credentials.
async fn confirm_not_enabled(
    targets: &[Target],
    outcomes: &mut [Outcome],
    configs: &BTreeMap<String, aws_config::SdkConfig>,
    opts: &Options,
) {
    let labels: std::collections::BTreeSet<&str> = targets
        .iter()
        .zip(outcomes.iter())
        .filter(|(_, o)| matches!(o, Outcome::NotEnabled(_)))
        .map(|(t, _)| t.label.as_str())
        .collect();
    for label in labels {
        let mine = || {
            targets
                .iter()
                .zip(outcomes.iter())
                .filter(move |(t, _)| t.label == label)
        };
        if mine().any(|(_, o)| matches!(o, Outcome::Listed(_))) {
            continue;
        }
        let Some((first, _)) = mine().next() else {
            continue;
        };
        let home = crate::regions::home_region_like(&first.region);
        let creds = opts.credentials.get(label).and_then(|c| c.as_ref().ok());
        let Some(base) = configs.get(label) else {
            continue;
        };
        let probe = client(base, home, creds)
            .list_clusters()
            .max_results(1)
            .send()
            .await;
        let rejected = match probe {
            Err(e) => match classify("ListClusters", home, e) {
                Outcome::Rejected(why) => why,
                _ => continue,
            },
            Ok(_) => continue,
        };
        for (t, o) in targets.iter().zip(outcomes.iter_mut()) {
            if t.label == label && matches!(o, Outcome::NotEnabled(_)) {
                *o = Outcome::Rejected(format!(
                    "ListClusters in {}: refused, and in {home} too ({rejected})",
                    t.region
                ));
            }
        }
    }
}

/// An EKS client for `region` from `base` (endpoints, HTTP client, timeouts), signing with
/// `creds` when given, else with `base`'s provider. SDK retries are off: [`super::retry`] retries
/// throttled and transient calls with backoff instead.
pub fn client(
    base: &aws_config::SdkConfig,
    region: &str,
    creds: Option<&super::sdk::AwsCredentials>,
) -> Client {
    let mut conf = aws_sdk_eks::config::Builder::from(base)
        .region(Region::new(region.to_owned()))
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled());
    if let Some(c) = creds {
        conf = conf.credentials_provider(aws_credential_types::Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.expose().to_owned(),
            c.session_token.as_ref().map(|t| t.expose().to_owned()),
            c.expiry.map(std::time::SystemTime::from),
            "eks-kc",
        ));
    }
    Client::from_conf(conf.build())
}

/// Lists one (credentials, region) target: ListClusters (all pages), then DescribeCluster for
/// each, under `limit`, throttled calls retried with backoff.
pub async fn list_target(
    client: Client,
    limit: Arc<Semaphore>,
    progress: Arc<dyn Fn(Step) + Send + Sync>,
) -> Outcome {
    let backoff = Backoff::default();
    let region = client
        .config()
        .region()
        .map(|r| r.as_ref().to_owned())
        .unwrap_or_default();
    let mut names = vec![];
    let mut next_token: Option<String> = None;
    loop {
        let (page, _) = retrying(&limit, None, &backoff, None, || {
            client
                .list_clusters()
                .max_results(100)
                .set_next_token(next_token.clone())
                .send()
        })
        .await;
        match page {
            Ok(page) => {
                names.extend(page.clusters.unwrap_or_default());
                next_token = page.next_token.filter(|t| !t.is_empty());
                if next_token.is_none() {
                    break;
                }
            }
            Err(e) => return classify("ListClusters", &region, e),
        }
    }
    progress(Step::Listed(names.len()));

    // A permit is taken before a task is spawned, not inside it: an SDK request future is
    // large, and thousands of them parked on the semaphore cost tens of MiB.
    let mut describes = JoinSet::new();
    let mut found: Vec<(usize, Found)> = Vec::with_capacity(names.len());
    let mut failure = None;
    for (i, name) in names.iter().enumerate() {
        let permit = limit
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let client = client.clone();
        let progress = progress.clone();
        let name = name.clone();
        let limit = limit.clone();
        let region = region.clone();
        describes.spawn(async move {
            let (result, _) = retrying(&limit, Some(permit), &backoff, None, || {
                client.describe_cluster().name(&name).send()
            })
            .await;
            progress(Step::Described);
            // Keep only what the kubeconfig needs: a full response per cluster adds up.
            (i, described(&name, &region, result))
        });
        // Collect what has finished while spawning the rest.
        while let Some(done) = describes.try_join_next() {
            collect(done, &mut found, &mut failure);
        }
    }
    while let Some(done) = describes.join_next().await {
        collect(done, &mut found, &mut failure);
    }
    if let Some(f) = failure {
        return f;
    }
    found.sort_by_key(|(i, _)| *i);
    Outcome::Listed(found.into_iter().map(|(_, f)| f).collect())
}

type Described = Result<Option<Found>, Outcome>;

/// What one DescribeCluster call returned.
type DescribeResult = Result<
    aws_sdk_eks::operation::describe_cluster::DescribeClusterOutput,
    SdkError<
        aws_sdk_eks::operation::describe_cluster::DescribeClusterError,
        aws_sdk_eks::config::http::HttpResponse,
    >,
>;

/// The part of a DescribeCluster answer for cluster `name` in `region` the kubeconfig needs:
/// `Ok(None)` when the cluster is gone, `Err` the target's outcome when the call failed.
fn described(name: &str, region: &str, result: DescribeResult) -> Described {
    match result {
        Ok(out) => Ok(out.cluster.map(|c| Found {
            name: c.name.unwrap_or_else(|| name.to_owned()),
            arn: c.arn,
            endpoint: c.endpoint,
            ca_data: c.certificate_authority.and_then(|ca| ca.data),
            status: c.status.map(|s| s.as_str().to_owned()),
            outpost_id: c.outpost_config.is_some().then_some(c.id).flatten(),
        })),
        // Deleted between ListClusters and DescribeCluster: it is simply gone.
        Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(classify(&format!("DescribeCluster {name}"), region, e)),
    }
}

fn collect(
    done: Result<(usize, Described), tokio::task::JoinError>,
    found: &mut Vec<(usize, Found)>,
    failure: &mut Option<Outcome>,
) {
    match done {
        Ok((i, Ok(Some(f)))) => found.push((i, f)),
        Ok((_, Ok(None))) => {}
        Ok((_, Err(outcome))) => {
            failure.get_or_insert(outcome);
        }
        Err(_) => {
            failure.get_or_insert(Outcome::Failed("internal error: task lost".into()));
        }
    }
}
