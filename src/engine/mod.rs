//! The token engine: what a token request resolves to (flags > exec info > environment), and
//! a token for it from the token cache or newly signed, with credentials from the credential
//! cache or the AWS SDK. Every command that needs a token goes through here (`token`, `list`,
//! `verify`, `login`, `cache`, `doctor`); `cmd/token.rs` is only the exec-plugin command.
//!
//! The hot path is: hash the cache key, read one small file, compare a timestamp and the stamps
//! of the AWS files the identity came from. It builds no async runtime and no AWS client and
//! parses no AWS config; those appear only when a token has to be signed or an AWS file changed.

mod credentials;
mod origin;
mod serve;
mod signin;
pub mod sso_login;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, Utc};

use crate::aws::{self, CredentialSource};
use crate::cache::provenance::Provenance;
use crate::cache::token::{SsoKey, TokenEntry, TokenKey};
use crate::exec::{self, ClusterConfig, ExecInfo};
use crate::kubeconfig::ManagedContext;
use crate::settings::Settings;
use crate::token;

pub use crate::cache::signin::Kind as SignInKind;
pub use crate::settings::Limits;
pub use credentials::{credentials, end_cool_down, remember};
pub use origin::{Origin, Validity};
pub use serve::TokenCache;
pub use signin::by_hand as sign_in_by_hand;

/// What one token request resolved to, after flags, exec info and environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub api_version: &'static str,
    pub interactive: bool,
    /// What the token is signed for (`x-k8s-aws-id`): the cluster name, or the id of an EKS
    /// local cluster on Outposts.
    pub cluster: String,
    /// `None` when nothing named a region: it then comes from the profile's config.
    pub region: Option<String>,
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    /// The role session name asked for (`--role-session-name`, the exec extension).
    pub role_session_name: Option<String>,
    /// An IAM Identity Center role, when that signs (then profile and role are unused).
    pub sso: Option<SsoKey>,
}

impl TokenRequest {
    /// The region the token is signed for: the request's, else the profile's `region` (the
    /// AWS config files, never IMDS); checked, so a typo never ends up in a host name.
    pub fn signing_region(&self) -> Result<String> {
        let region = match &self.region {
            Some(r) => r.clone(),
            None if self.sso.is_some() => bail!(
                "no region for cluster '{}': pass --region, or set region in the kubeconfig \
                 extension (run `{bin} sync` again) or AWS_REGION",
                self.cluster,
                bin = crate::display::bin()
            ),
            None => {
                let profile = self
                    .profile
                    .clone()
                    .or_else(|| crate::settings::env::var("AWS_PROFILE"));
                aws::creds::profile_region(profile.as_deref())?.ok_or_else(|| {
                    crate::problem::SetupError::region(
                        self.profile.as_deref(),
                        format!(
                            "no region for cluster '{}': pass --region, set region in the \
                             kubeconfig extension, AWS_REGION, or `region` in the profile",
                            self.cluster
                        ),
                    )
                })?
            }
        };
        token::validate_region(&region)?;
        Ok(region)
    }

    /// Who signs this request's token.
    pub fn identity(&self) -> CredentialSource<'_> {
        CredentialSource {
            profile: self.profile.as_deref(),
            role_arn: self.role_arn.as_deref(),
            session_name: self.role_session_name.as_deref(),
            sso: self.sso.as_ref().and_then(SsoKey::role),
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
            crate::settings::env::var(name)
        })
        .with_context(|| format!("context '{}'", m.name))
    }

    /// The cache key `obtain` will use, when the region is known without reading AWS files.
    pub fn cache_key(&self) -> Option<TokenKey> {
        Some(TokenKey::for_source(
            &self.cluster,
            self.region.as_deref()?,
            self.identity(),
            crate::settings::env::var,
        ))
    }
}

/// Why no cluster name was found, and the fix. `has_cluster`: whether KUBERNETES_EXEC_INFO
/// carried a cluster (`None`: there was no exec info at all).
fn no_cluster_name(has_cluster: Option<bool>) -> String {
    let fix = format!(
        "run `{} sync --exec-style per-context`, which gives each context a user whose args \
         name its cluster",
        crate::display::bin()
    );
    match has_cluster {
        Some(false) => format!(
            "no cluster name: the client that ran eks-kc passed no cluster (it does not support \
             provideClusterInfo); {fix}"
        ),
        Some(true) => format!(
            "no cluster name: the cluster has no clusterName in its '{}' kubeconfig extension; \
             run `{bin} sync` again, or pass --cluster-name",
            exec::EXEC_EXTENSION_NAME,
            bin = crate::display::bin()
        ),
        None => format!(
            "no cluster name: kubectl runs `{bin} token` with the cluster in \
             KUBERNETES_EXEC_INFO; by hand, name it: `{bin} token -c NAME --region R` (add \
             --profile P for another identity, -o token for the bare token); when a Kubernetes \
             client runs eks-kc without passing the cluster, {fix}",
            bin = crate::display::bin()
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
    // An IAM Identity Center role is one setting: taken whole from the flags, else (unless the
    // flags name a profile, which then wins as `--profile` does) whole from the exec info.
    let sso_from = if flags.names_sso() {
        Some(&flags)
    } else if flags.profile.is_none() && config.names_sso() {
        Some(&config)
    } else {
        None
    };
    let sso = match sso_from {
        None => None,
        Some(c) => Some(c.sso_role().map(|r| SsoKey::of(&r)).with_context(|| {
            format!(
                "incomplete IAM Identity Center settings: a role needs an account id, a role \
                 name and a login (an sso-session, or a start URL and its region); run `{} \
                 sync` again, or pass --sso-session, --account-id and --role-name",
                crate::display::bin()
            )
        })?),
    };
    let non_empty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    // What the token is signed for: the flags' cluster, else the extension's; an Outposts
    // local cluster's id over its name.
    let flagged = non_empty(flags.cluster_id).or(non_empty(flags.cluster_name));
    let configured = non_empty(config.cluster_id).or(non_empty(config.cluster_name));
    let Some(cluster) = flagged.or(configured) else {
        bail!(no_cluster_name(has_cluster));
    };
    let region = non_empty(flags.region)
        .or(non_empty(config.region))
        .or_else(|| non_empty(env("AWS_REGION")))
        .or_else(|| non_empty(env("AWS_DEFAULT_REGION")));
    let (profile, role_arn, role_session_name) = if sso.is_some() {
        (None, None, None)
    } else {
        (
            non_empty(flags.profile).or(non_empty(config.profile)),
            non_empty(flags.role_arn).or(non_empty(config.role_arn)),
            non_empty(flags.role_session_name).or(non_empty(config.role_session_name)),
        )
    };
    Ok(TokenRequest {
        api_version,
        interactive,
        cluster,
        region,
        profile,
        role_arn,
        role_session_name,
        sso,
    })
}

/// The token for `req`: from the token cache while it has the refresh margin left and the
/// configuration that produced it is unchanged, else newly signed (and cached). `use_cache`
/// false (`--no-cache`) skips both caches. Warnings go to stderr.
pub fn obtain(req: &TokenRequest, settings: &Settings, use_cache: bool) -> Result<TokenEntry> {
    let limits = &settings.limits;
    let margin = settings.refresh_margin;
    let env = crate::settings::env::var;
    let region = req.signing_region()?;

    let key = TokenKey::for_source(&req.cluster, &region, req.identity(), env);
    let origin = Origin::new(req.identity());
    let mint = || sign(req, &region, settings, use_cache, &origin);
    // A wait for a person's sign-in is not a lock wait: it leaves the lock budget alone.
    let gate = || {
        let at_gate = std::time::Instant::now();
        let ready = ready(req, settings, use_cache, &origin);
        limits.excuse(at_gate.elapsed());
        ready
    };
    let cache_dir = if use_cache {
        Some(settings.cache_dir()?)
    } else {
        None
    };
    let lock_wait = || limits.lock_wait();
    let entry = match cache_dir {
        None => {
            gate()?;
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
            let (entry, warning) = TokenCache::new(dir)
                .cached_or_fresh(&key, margin, &origin, lock_wait, gate, mint)?;
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

/// Before signing on a miss: an IAM Identity Center login that has to be refreshed or signed
/// in again is, once for every caller (see `signin`), unless the credential cache still has
/// the role's credentials.
fn ready(
    req: &TokenRequest,
    settings: &Settings,
    use_cache: bool,
    origin: &Origin<'_>,
) -> Result<()> {
    let logins: Vec<ProfileLogin> = match req.identity().sso {
        Some(_) => vec![],
        None => profile_logins(req),
    };
    if req.identity().sso.is_none() && logins.is_empty()
        || use_cache && credentials::cached(req.identity(), settings, origin)
    {
        return Ok(());
    }
    if let Some(role) = req.identity().sso {
        return signin::sso_ready(role.login, req.interactive, settings);
    }
    for login in &logins {
        signin::sso_ready(login.reference(), req.interactive, settings)?;
    }
    Ok(())
}

/// An IAM Identity Center login a profile's chain signs in through.
enum ProfileLogin {
    /// Through an `[sso-session]` (what `aws configure sso` writes).
    Session(String),
    /// A legacy profile's own `sso_start_url` and `sso_region`.
    StartUrl { url: String, region: String },
}

impl ProfileLogin {
    fn reference(&self) -> crate::source::SsoLoginRef<'_> {
        use crate::source::SsoLoginRef;
        match self {
            ProfileLogin::Session(name) => SsoLoginRef::Session(name),
            ProfileLogin::StartUrl { url, region } => SsoLoginRef::StartUrl { url, region },
        }
    }
}

/// The IAM Identity Center logins a profile's chain signs in through. The SDK would refresh
/// such a login itself, once per process (and a legacy one not at all); through the login's
/// gate one refresh or sign-in serves every caller, and the SDK then reads the refreshed file.
fn profile_logins(req: &TokenRequest) -> Vec<ProfileLogin> {
    let env = crate::settings::env::var;
    if req.identity().uses_env_keys(env) {
        return vec![];
    }
    let Ok(files) = aws::profiles::load_files_blocking() else {
        return vec![];
    };
    let start = req
        .profile
        .clone()
        .or_else(|| env("AWS_PROFILE").filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".into());
    let chain = crate::cache::provenance::walk(&files, &start);
    chain
        .sso_logins
        .into_iter()
        .filter_map(|login| match login {
            crate::cache::provenance::SsoLogin::Session(name) => Some(ProfileLogin::Session(name)),
            // Without its sso_region the SDK's own error says what is missing.
            crate::cache::provenance::SsoLogin::StartUrl(url) => {
                let region = chain.sso_regions.get(&url)?.clone();
                Some(ProfileLogin::StartUrl { url, region })
            }
        })
        .collect()
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
    settings: &Settings,
    use_cache: bool,
    origin: &Origin<'_>,
) -> Result<Minted> {
    let creds = credentials(
        req.identity(),
        region,
        req.interactive,
        settings,
        use_cache,
        origin,
    )?;
    let signed_at = Utc::now();
    let fips = aws::profiles::use_fips_endpoint(req.identity().profile);
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
