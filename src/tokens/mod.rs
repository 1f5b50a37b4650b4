//! The token engine: what a token request resolves to (flags > exec info > environment), and
//! a token for it from the token cache or newly signed, with credentials from the credential
//! cache or the AWS SDK. Every command that needs a token goes through here (`token`, `list`,
//! `verify`, `login`, `cache`, `doctor`); `cmd/token.rs` is only the exec-plugin command.
//!
//! The hot path is: hash the cache key, read one small file, compare a timestamp and the stamps
//! of the AWS files the identity came from. It builds no async runtime and no AWS client and
//! parses no AWS config; those appear only when a token has to be signed or an AWS file changed.

mod cache;
mod credentials;
mod origin;

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, Utc};

use crate::aws::{self, CredentialSource};
use crate::cache::{TokenEntry, TokenKey};
use crate::exec::{self, ClusterConfig, ExecInfo};
use crate::kubeconfig::ManagedContext;
use crate::provenance::Provenance;
use crate::store::LockWait;
use crate::token;

pub use cache::TokenCache;
pub use credentials::credentials;
pub use origin::{Origin, Validity};

/// What one token request resolved to, after flags, exec info and environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub api_version: &'static str,
    pub interactive: bool,
    pub cluster: String,
    /// `None` when nothing named a region: it then comes from the profile's config.
    pub region: Option<String>,
    pub profile: Option<String>,
    pub role_arn: Option<String>,
}

impl TokenRequest {
    /// Who signs this request's token.
    pub fn identity(&self) -> CredentialSource<'_> {
        CredentialSource {
            profile: self.profile.as_deref(),
            role_arn: self.role_arn.as_deref(),
        }
    }

    /// The request kubectl makes for a managed context (its exec extension, then the
    /// environment), for the commands that act on contexts: list, verify, login, cache clear.
    pub fn for_context(m: &ManagedContext, interactive: bool) -> Result<TokenRequest> {
        let mut config = m.exec.clone();
        if config
            .cluster_name
            .as_deref()
            .is_none_or(|c| c.trim().is_empty())
        {
            config.cluster_name = Some(m.id.cluster_name.clone());
        }
        let info = ExecInfo {
            api_version: exec::V1BETA1,
            interactive,
            config,
            has_cluster: true,
        };
        resolve(ClusterConfig::default(), Some(info), |name| {
            std::env::var(name).ok()
        })
        .with_context(|| format!("context '{}'", m.name))
    }

    /// The cache key `obtain` will use, when the region is known without reading AWS files.
    pub fn cache_key(&self) -> Option<TokenKey> {
        Some(TokenKey::new(
            &self.cluster,
            self.region.as_deref()?,
            self.profile.as_deref(),
            self.role_arn.as_deref(),
            |name| std::env::var(name).ok(),
        ))
    }
}

/// Why no cluster name was found, and the fix. `has_cluster`: whether KUBERNETES_EXEC_INFO
/// carried a cluster (`None`: there was no exec info at all).
fn no_cluster_name(has_cluster: Option<bool>) -> String {
    const FIX: &str = "run `eks-kc sync --exec-style per-context`, which gives each context a \
                       user whose args name its cluster";
    match has_cluster {
        Some(false) => format!(
            "no cluster name: the client that ran eks-kc passed no cluster (it does not support \
             provideClusterInfo); {FIX}"
        ),
        Some(true) => format!(
            "no cluster name: the cluster has no clusterName in its '{}' kubeconfig extension; \
             run `eks-kc sync` again, or pass --cluster-name",
            exec::EXEC_EXTENSION_NAME
        ),
        None => format!(
            "no cluster name: pass --cluster-name; when a Kubernetes client runs eks-kc without \
             passing the cluster (no KUBERNETES_EXEC_INFO), {FIX}"
        ),
    }
}

/// Applies the precedence flags > exec info > environment. `env` looks a variable up.
pub fn resolve(
    flags: ClusterConfig,
    exec_info: Option<ExecInfo>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<TokenRequest> {
    let (api_version, interactive, config, has_cluster) = match exec_info {
        Some(info) => (
            info.api_version,
            info.interactive,
            info.config,
            Some(info.has_cluster),
        ),
        None => (exec::V1BETA1, false, Default::default(), None),
    };
    let non_empty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let Some(cluster) = non_empty(flags.cluster_name).or(non_empty(config.cluster_name)) else {
        bail!(no_cluster_name(has_cluster));
    };
    let region = non_empty(flags.region)
        .or(non_empty(config.region))
        .or_else(|| non_empty(env("AWS_REGION")))
        .or_else(|| non_empty(env("AWS_DEFAULT_REGION")));
    let profile = non_empty(flags.profile).or(non_empty(config.profile));
    let role_arn = non_empty(flags.role_arn).or(non_empty(config.role_arn));
    Ok(TokenRequest {
        api_version,
        interactive,
        cluster,
        region,
        profile,
        role_arn,
    })
}

/// How long a call may wait: for locks held by other eks-kc processes, and for the network.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// All lock waits of one call together (`EKS_KC_LOCK_TIMEOUT`, `--lock-timeout`).
    pub lock: std::time::Duration,
    /// Network calls, retries included (`EKS_KC_TIMEOUT`, `--timeout`).
    pub network: std::time::Duration,
    started: Instant,
}

/// Default bound of all lock waits of one call.
pub const DEFAULT_LOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl Limits {
    pub fn new(lock: std::time::Duration, network: std::time::Duration) -> Self {
        Limits {
            lock,
            network,
            started: Instant::now(),
        }
    }

    /// From `EKS_KC_LOCK_TIMEOUT` and `EKS_KC_TIMEOUT`, for the commands without the flags.
    pub fn from_env() -> Result<Self> {
        let lock = match std::env::var("EKS_KC_LOCK_TIMEOUT") {
            Ok(text) if !text.trim().is_empty() => crate::cache::parse_duration(&text)
                .ok()
                .and_then(|d| d.to_std().ok())
                .with_context(|| {
                    format!("EKS_KC_LOCK_TIMEOUT: '{text}' is not a duration (try 10s)")
                })?,
            _ => DEFAULT_LOCK_TIMEOUT,
        };
        Ok(Limits::new(lock, aws::timeout_from_env()?))
    }

    /// The wait for the next lock: what is left of the lock budget.
    fn lock_wait(&self, interactive: bool) -> LockWait {
        LockWait {
            timeout: self.lock.saturating_sub(self.started.elapsed()),
            fail_if_prompting: !interactive,
        }
    }
}

/// The token for `req`: from the cache in `cache_dir` while it has `margin` left and the
/// configuration that produced it is unchanged, else newly signed (and cached). `None` skips
/// the cache. Warnings go to stderr.
pub fn obtain(
    req: &TokenRequest,
    cache_dir: Option<&Path>,
    margin: Duration,
    limits: &Limits,
) -> Result<TokenEntry> {
    let env = |name: &str| std::env::var(name).ok();
    let region = match &req.region {
        Some(r) => r.clone(),
        None => {
            let profile = req.profile.clone().or_else(|| env("AWS_PROFILE"));
            aws::creds::profile_region(profile.as_deref())?.with_context(|| {
                format!(
                    "no region for cluster '{}': pass --region, set region in the kubeconfig \
                     extension, AWS_REGION, or `region` in the profile",
                    req.cluster
                )
            })?
        }
    };
    token::validate_region(&region)?;

    let key = TokenKey::new(
        &req.cluster,
        &region,
        req.profile.as_deref(),
        req.role_arn.as_deref(),
        env,
    );
    let origin = Origin::new(req.identity());
    let mint = || sign(req, &region, cache_dir, limits, &origin);
    let entry = match cache_dir {
        None => {
            let m = mint()?;
            TokenEntry::new(
                key,
                m.token,
                m.signed_at,
                m.expiration,
                Provenance::environment(),
            )
        }
        Some(dir) => {
            let (entry, warning) =
                TokenCache::new(dir).cached_or_fresh(&key, margin, limits, req, &origin, mint)?;
            if let Some(w) = warning {
                eprintln!("eks-kc: warning: {w}");
            }
            entry
        }
    };
    if let Some(w) = token::size_warning(&entry.token) {
        eprintln!("eks-kc: warning: {w}");
    }
    Ok(entry)
}

/// A newly signed token.
pub(crate) struct Minted {
    token: String,
    signed_at: DateTime<Utc>,
    expiration: DateTime<Utc>,
}

/// Resolves credentials and signs a new token: the cache-miss path.
fn sign(
    req: &TokenRequest,
    region: &str,
    cache_dir: Option<&Path>,
    limits: &Limits,
    origin: &Origin<'_>,
) -> Result<Minted> {
    let creds = credentials(
        req.identity(),
        region,
        req.interactive,
        cache_dir,
        limits,
        origin,
    )?;
    let signed_at = Utc::now();
    let fips =
        std::env::var("AWS_USE_FIPS_ENDPOINT").is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let url = aws::sign::presign(
        &aws::sign::SigningCredentials {
            access_key_id: &creds.access_key_id,
            secret_access_key: creds.secret_access_key.expose(),
            session_token: creds.session_token.as_ref().map(|s| s.expose()),
        },
        region,
        &req.cluster,
        fips,
        signed_at.into(),
    )?;
    // Whole seconds: X-Amz-Date has no fraction, and the expiry is printed without one.
    let signed_at = signed_at - Duration::nanoseconds(signed_at.timestamp_subsec_nanos().into());
    Ok(Minted {
        token: token::encode(&url),
        signed_at,
        expiration: token::expiration(signed_at, creds.expiry),
    })
}
