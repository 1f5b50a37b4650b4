//! `eks-kc token`: the client-go exec credential plugin.
//!
//! The hot path is: parse flags and `KUBERNETES_EXEC_INFO`, hash the cache key, read one small
//! file, compare a timestamp and the stamps of the AWS files the identity came from, print. It
//! builds no async runtime and no AWS client and parses no AWS config; those appear only when a
//! token has to be signed or an AWS file changed.

use std::cell::OnceCell;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, Utc};

use crate::aws;
use crate::aws::creds::AwsCredentials;
use crate::cache::{TokenEntry, TokenKey};
use crate::cli::{TokenArgs, TokenOutput};
use crate::credcache::{self, CredEntry, IdentityKey};
use crate::exec::{self, ClusterConfig, ExecInfo};
use crate::kubeconfig::ManagedContext;
use crate::provenance::{self, Provenance};
use crate::store::{LockError, LockWait, PrivateDir};
use crate::token;

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

/// Applies the precedence flags > exec info > environment. `env` looks a variable up.
pub fn resolve_request(
    args: &TokenArgs,
    exec_info: Option<ExecInfo>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<TokenRequest> {
    let flags = ClusterConfig {
        cluster_name: args.cluster_name.clone(),
        region: args.region.clone(),
        profile: args.profile.clone(),
        role_arn: args.role_arn.clone(),
    };
    resolve(flags, exec_info, env)
}

impl TokenRequest {
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

fn resolve(
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

pub fn run(args: &TokenArgs, cache_dir: &Path, out: &mut dyn Write) -> Result<()> {
    let exec_info = match std::env::var("KUBERNETES_EXEC_INFO") {
        Ok(raw) if !raw.trim().is_empty() => Some(exec::parse_exec_info(&raw)?),
        _ => None,
    };
    let run_by_kubectl = exec_info.is_some();
    let mut req = resolve_request(args, exec_info, |name| std::env::var(name).ok())?;
    if !run_by_kubectl {
        // Run by a person (or a script): it may ask when there is a terminal to ask on.
        req.interactive = std::io::stdin().is_terminal() || std::io::stderr().is_terminal();
    }
    let limits = Limits::new(
        args.lock_timeout.to_std().unwrap_or(DEFAULT_LOCK_TIMEOUT),
        args.timeout.to_std().unwrap_or(aws::DEFAULT_TIMEOUT),
    );
    let cache = (!args.no_cache).then_some(cache_dir);
    let entry = obtain(&req, cache, args.refresh_margin, &limits)?;
    let line = match args.output {
        TokenOutput::ExecCredential => exec::exec_credential_json(
            req.api_version,
            &entry.token,
            &token::format_timestamp(entry.expiration),
        ),
        TokenOutput::Token => entry.token.clone(),
    };
    writeln!(out, "{line}")?;
    Ok(())
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
    let origin = Origin::new(req);
    let mint = || sign(req, &region, &key, cache_dir, limits, &origin);
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
            let dir = PrivateDir::new(dir);
            let (entry, warning) = cached_or_fresh(&dir, &key, margin, limits, req, &origin, mint)?;
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

/// Where the identity of a request comes from, worked out at most once per call and only when
/// needed: when a cache entry's file stamps changed, or to store with a new entry.
pub struct Origin<'a> {
    req: &'a TokenRequest,
    current: OnceCell<Option<Provenance>>,
}

impl<'a> Origin<'a> {
    pub fn new(req: &'a TokenRequest) -> Self {
        Origin {
            req,
            current: OnceCell::new(),
        }
    }

    /// The provenance now; `None` when it cannot be worked out (a malformed AWS config): then
    /// nothing is served from, or stored in, the caches.
    pub fn current(&self) -> Option<&Provenance> {
        self.current
            .get_or_init(|| match current_provenance(self.req) {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::debug!("cannot tell where the identity comes from: {e:#}");
                    None
                }
            })
            .as_ref()
    }

    /// Whether an entry made under `stored` may still be used: its files are untouched (a few
    /// `stat`s, the cache-hit path), or they changed in ways that leave this identity alone (the
    /// fingerprint of the profile chain and SSO login is the same).
    pub fn still_valid(&self, stored: &Provenance) -> Validity {
        if stored.stamps_match(stat) {
            return Validity::Unchanged;
        }
        match self.current() {
            Some(now) if now.fingerprint == stored.fingerprint => Validity::Restamp,
            _ => Validity::Changed,
        }
    }
}

/// What [`Origin::still_valid`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    Unchanged,
    /// Valid, but the files were touched: store the new stamps so the next hit is cheap again.
    Restamp,
    Changed,
}

/// The provenance of `req`'s identity: stamps first, then the files are read, so an edit in
/// between leaves a stale stamp (and a recheck), never a wrong fingerprint that looks current.
fn current_provenance(req: &TokenRequest) -> Result<Provenance> {
    if aws::creds::uses_env_keys(req.profile.as_deref(), req.role_arn.as_deref()) {
        return Ok(Provenance::environment());
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let files = crate::paths::aws_files(env);
    let mut stamps = vec![stamp(&files.config), stamp(&files.credentials)];
    let profiles = aws::profiles::load_files_blocking()?;
    let start = req
        .profile
        .clone()
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let chain = provenance::walk(&profiles, &start);
    let mut states = vec![];
    for login in &chain.sso_logins {
        let path = files.sso_cache.join(login.cache_file_name());
        stamps.push(stamp(&path));
        let content = match crate::store::read_private_file(&path) {
            Ok(c) => c,
            Err(_) => Some(vec![]),
        };
        states.push(provenance::sso_login_state(content.as_deref()));
    }
    Ok(Provenance {
        files: stamps,
        fingerprint: provenance::fingerprint(&chain, &states),
    })
}

fn stat(path: &Path) -> Option<provenance::Stat> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
    Some(provenance::Stat {
        size: m.size(),
        ino: m.ino(),
        dev: m.dev(),
        mtime: ns(m.mtime(), m.mtime_nsec()),
        ctime: ns(m.ctime(), m.ctime_nsec()),
    })
}

fn stamp(path: &Path) -> provenance::FileStamp {
    provenance::FileStamp {
        path: path.to_path_buf(),
        stat: stat(path),
    }
}

/// A newly signed token.
struct Minted {
    token: String,
    signed_at: DateTime<Utc>,
    expiration: DateTime<Utc>,
}

/// Resolves credentials and signs a new token: the cache-miss path.
fn sign(
    req: &TokenRequest,
    region: &str,
    key: &TokenKey,
    cache_dir: Option<&Path>,
    limits: &Limits,
    origin: &Origin<'_>,
) -> Result<Minted> {
    let creds = credentials(req, region, key, cache_dir, limits, origin)?;
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

/// The credentials that sign for `key`: temporary ones from the credential cache while they have
/// the credential margin left and their configuration is unchanged, else resolved through the
/// SDK (and cached when temporary). Static keys from the environment skip the cache: there is
/// nothing to save.
pub fn credentials(
    req: &TokenRequest,
    region: &str,
    key: &TokenKey,
    cache_dir: Option<&Path>,
    limits: &Limits,
    origin: &Origin<'_>,
) -> Result<AwsCredentials> {
    // Provenance first: it must describe the files as they were before credentials are read.
    let provenance = cache_dir.and(origin.current()).cloned();
    let prompt = |message: &str| tty_prompt(message);
    let resolve = || {
        aws::creds::resolve(&aws::creds::CredentialRequest {
            profile: req.profile.as_deref(),
            region,
            role_arn: req.role_arn.as_deref(),
            prompt: req.interactive.then_some(&prompt as aws::creds::Prompt<'_>),
            timeouts: aws::Timeouts::within(limits.network),
        })
    };
    let Some(dir) = cache_dir
        .filter(|_| !aws::creds::uses_env_keys(req.profile.as_deref(), req.role_arn.as_deref()))
    else {
        return resolve();
    };
    let margin = match std::env::var("EKS_KC_CREDENTIAL_REFRESH_MARGIN") {
        Ok(text) => crate::cache::parse_duration(&text)
            .map_err(|e| anyhow::anyhow!("EKS_KC_CREDENTIAL_REFRESH_MARGIN: {e}"))?,
        Err(_) => credcache::DEFAULT_MARGIN,
    };
    let store = credcache::Store::open(PrivateDir::new(dir), &mut |w| {
        eprintln!("eks-kc: warning: {w}")
    });
    let identity = IdentityKey::of(key);
    let fresh = |store: &credcache::Store| {
        store.get(&identity).filter(|e| {
            e.is_fresh(Utc::now(), margin) && origin.still_valid(&e.provenance) != Validity::Changed
        })
    };
    if let Some(e) = fresh(&store) {
        return Ok(e.into());
    }
    // One resolution per identity, however many clusters are cold at once.
    let _lock = match store
        .dir()
        .lock(&identity.file_stem(), &limits.lock_wait(req.interactive))
    {
        Ok(lock) => Some(lock),
        Err(LockError::Io(e)) => {
            tracing::debug!("credential cache not locked: {e}");
            None
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(e) = fresh(&store) {
        return Ok(e.into());
    }
    let creds = resolve()?;
    if let (Some(expiration), Some(provenance)) = (creds.expiry, provenance) {
        let entry = CredEntry {
            version: credcache::VERSION,
            key: identity,
            access_key_id: creds.access_key_id.clone(),
            secret_access_key: creds.secret_access_key.clone(),
            session_token: creds.session_token.clone(),
            expiration,
            provenance,
        };
        if let Err(e) = store.put(&entry) {
            tracing::debug!("not caching credentials: {e:#}");
        }
    }
    Ok(creds)
}

/// Asks on the controlling terminal (not stdin/stdout: kubectl owns those) and reads one line.
/// Other eks-kc processes waiting for the locks this one holds learn that it is prompting, so
/// the non-interactive ones give up at once instead of queueing behind a person.
fn tty_prompt(message: &str) -> Result<String> {
    use std::io::{BufRead, BufReader};
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("opening the terminal (/dev/tty) to ask for the MFA code")?;
    crate::store::note_prompting();
    tty.write_all(message.as_bytes())?;
    tty.flush()?;
    let mut line = String::new();
    BufReader::new(tty).read_line(&mut line)?;
    let code = line.trim().to_owned();
    if code.is_empty() {
        bail!("no MFA code entered");
    }
    Ok(code)
}

/// Serves a fresh, still valid cached token, or mints one under the key's lock and stores it.
///
/// The cache never fails a request: any problem (corrupt or foreign entry, unreadable or
/// unwritable directory) becomes a miss, and the first problem is returned as the one warning
/// to print. A lock another process holds past the wait bound is an error naming it: minting
/// beside it would repeat its prompt or its slow credential source.
fn cached_or_fresh(
    dir: &PrivateDir,
    key: &TokenKey,
    margin: Duration,
    limits: &Limits,
    req: &TokenRequest,
    origin: &Origin<'_>,
    mint: impl FnOnce() -> Result<Minted>,
) -> Result<(TokenEntry, Option<String>)> {
    let stem = key.file_stem();
    let name = format!("{stem}.json");
    let mut warning: Option<String> = None;
    let lookup = |warning: &mut Option<String>| -> Option<(TokenEntry, Validity)> {
        let found = match dir.read(&name) {
            Ok(Some(bytes)) => TokenEntry::from_bytes(&bytes, key).map_err(|e| {
                format!(
                    "ignoring damaged cache entry {} ({e:#}); signed a new token",
                    dir.file(&name).display()
                )
            }),
            Ok(None) => return None,
            Err(e) => Err(format!(
                "ignoring cache entry {} ({e}); signed a new token",
                dir.file(&name).display()
            )),
        };
        match found {
            Ok(entry) if entry.is_fresh(Utc::now(), margin) => {
                match origin.still_valid(&entry.provenance) {
                    Validity::Changed => None,
                    v => Some((entry, v)),
                }
            }
            Ok(_) => None,
            Err(w) => {
                warning.get_or_insert(w);
                None
            }
        }
    };

    // Optimistic read without the lock: writes are atomic renames, so this sees a whole file.
    if let Some((entry, validity)) = lookup(&mut warning) {
        if validity == Validity::Restamp {
            restamp(dir, &name, &stem, &entry, origin);
        }
        return Ok((entry, None));
    }
    let lock = match dir.lock(&stem, &limits.lock_wait(req.interactive)) {
        Ok(lock) => Some(lock),
        Err(LockError::Io(e)) => {
            warning.get_or_insert(format!(
                "cannot lock the token cache in {} ({e}); the token is not cached",
                dir.path().display()
            ));
            None
        }
        Err(e) => return Err(e.into()),
    };
    // Someone else may have refreshed it while we waited for the lock.
    if lock.is_some()
        && let Some((entry, _)) = lookup(&mut None)
    {
        return Ok((entry, None));
    }
    let m = mint()?;
    // Cached only with a known provenance: an entry that cannot be checked is never served.
    let Some(provenance) = origin.current().cloned() else {
        let entry = TokenEntry::new(
            key.clone(),
            m.token,
            m.signed_at,
            m.expiration,
            Provenance::environment(),
        );
        return Ok((entry, warning));
    };
    let entry = TokenEntry::new(key.clone(), m.token, m.signed_at, m.expiration, provenance);
    if lock.is_some()
        && let Err(e) = dir.write(&name, &entry.to_bytes())
    {
        warning.get_or_insert(format!(
            "cannot write the token cache {} ({e}); the token is not cached",
            dir.file(&name).display()
        ));
    }
    Ok((entry, warning))
}

/// Stores the current file stamps with a still valid entry (an unrelated profile was edited),
/// so the next hit is a few `stat`s again. Only when the lock is free this instant: it is an
/// optimisation, never worth a wait.
fn restamp(dir: &PrivateDir, name: &str, stem: &str, entry: &TokenEntry, origin: &Origin<'_>) {
    let Some(current) = origin.current() else {
        return;
    };
    let wait = LockWait {
        timeout: std::time::Duration::ZERO,
        fail_if_prompting: true,
    };
    if let Ok(_lock) = dir.lock(stem, &wait) {
        let mut entry = entry.clone();
        entry.provenance = current.clone();
        let _ = dir.write(name, &entry.to_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> TokenArgs {
        let cli = crate::cli::Cli::try_parse_from(
            ["eks-kc", "token"].iter().chain(extra.iter()).copied(),
        )
        .unwrap();
        match cli.command {
            crate::cli::Command::Token(a) => a,
            _ => unreachable!(),
        }
    }

    fn info(config: &str) -> Option<ExecInfo> {
        Some(
            exec::parse_exec_info(&format!(
                r#"{{"apiVersion":"{}","spec":{{"cluster":{{"config":{config}}}}}}}"#,
                exec::V1
            ))
            .unwrap(),
        )
    }

    #[test]
    fn flags_beat_exec_info_beat_environment() {
        let env = |k: &str| match k {
            "AWS_REGION" => Some("us-east-1".to_owned()),
            _ => None,
        };
        let from_info = info(r#"{"clusterName":"a","region":"eu-west-1","profile":"p"}"#);
        let r = resolve_request(&args(&[]), from_info.clone(), env).unwrap();
        assert_eq!(
            (
                r.cluster.as_str(),
                r.region.as_deref(),
                r.profile.as_deref()
            ),
            ("a", Some("eu-west-1"), Some("p"))
        );
        assert_eq!(r.api_version, exec::V1);

        let r = resolve_request(
            &args(&[
                "--cluster-name",
                "b",
                "--region",
                "ap-south-1",
                "--profile",
                "q",
            ]),
            from_info,
            env,
        )
        .unwrap();
        assert_eq!(
            (
                r.cluster.as_str(),
                r.region.as_deref(),
                r.profile.as_deref()
            ),
            ("b", Some("ap-south-1"), Some("q"))
        );

        let r = resolve_request(&args(&["-c", "c"]), None, env).unwrap();
        assert_eq!(r.region.as_deref(), Some("us-east-1"));
        assert_eq!(r.api_version, exec::V1BETA1);
        assert_eq!(r.profile, None);
    }

    #[test]
    fn a_cluster_name_is_required() {
        let err = resolve_request(&args(&[]), info(r#"{"region":"eu-west-1"}"#), |_| None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--cluster-name"), "{err}");
        assert!(resolve_request(&args(&["-c", " "]), None, |_| None).is_err());
    }
}
