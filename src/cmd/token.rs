//! `eks-kc token`: the client-go exec credential plugin.
//!
//! The hot path is: parse flags and `KUBERNETES_EXEC_INFO`, hash the cache key, read one small
//! file, compare a timestamp, print. It builds no async runtime and no AWS client; those appear
//! only when a token has to be signed.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, Utc};

use crate::aws;
use crate::aws::creds::AwsCredentials;
use crate::cache::{TokenEntry, TokenKey};
use crate::cli::{TokenArgs, TokenOutput};
use crate::credcache::{self, CredEntry, IdentityKey};
use crate::exec::{self, ClusterConfig, ExecInfo};
use crate::kubeconfig::ManagedContext;
use crate::store::PrivateDir;
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
    let cache = (!args.no_cache).then_some(cache_dir);
    let entry = obtain(&req, cache, args.refresh_margin)?;
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

/// The token for `req`: from the cache in `cache_dir` while it has `margin` left, else newly
/// signed (and cached). `None` skips the cache. Warnings go to stderr.
pub fn obtain(
    req: &TokenRequest,
    cache_dir: Option<&Path>,
    margin: Duration,
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
    let mint = || sign(req, &region, &key, cache_dir);
    let entry = match cache_dir {
        None => {
            let m = mint()?;
            TokenEntry::new(key, m.token, m.signed_at, m.expiration)
        }
        Some(dir) => {
            let (entry, warning) = cached_or_fresh(&PrivateDir::new(dir), &key, margin, mint)?;
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
) -> Result<Minted> {
    let creds = credentials(req, region, key, cache_dir)?;
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
/// the credential margin left, else resolved through the SDK (and cached when temporary). Static
/// keys from the environment skip the cache: there is nothing to save.
pub fn credentials(
    req: &TokenRequest,
    region: &str,
    key: &TokenKey,
    cache_dir: Option<&Path>,
) -> Result<AwsCredentials> {
    let prompt = |message: &str| tty_prompt(message);
    let resolve = || {
        aws::creds::resolve(&aws::creds::CredentialRequest {
            profile: req.profile.as_deref(),
            region,
            role_arn: req.role_arn.as_deref(),
            prompt: req.interactive.then_some(&prompt as aws::creds::Prompt<'_>),
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
        store
            .get(&identity)
            .filter(|e| e.is_fresh(Utc::now(), margin))
    };
    if let Some(e) = fresh(&store) {
        return Ok(e.into());
    }
    // One resolution per identity, however many clusters are cold at once.
    let _lock = store.dir().lock(&identity.file_stem()).ok();
    if let Some(e) = fresh(&store) {
        return Ok(e.into());
    }
    let creds = resolve()?;
    if let Some(expiration) = creds.expiry {
        let entry = CredEntry {
            version: credcache::VERSION,
            key: identity,
            access_key_id: creds.access_key_id.clone(),
            secret_access_key: creds.secret_access_key.clone(),
            session_token: creds.session_token.clone(),
            expiration,
        };
        if let Err(e) = store.put(&entry) {
            tracing::debug!("not caching credentials: {e:#}");
        }
    }
    Ok(creds)
}

/// Asks on the controlling terminal (not stdin/stdout: kubectl owns those) and reads one line.
fn tty_prompt(message: &str) -> Result<String> {
    use std::io::{BufRead, BufReader};
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("opening the terminal (/dev/tty) to ask for the MFA code")?;
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

/// Serves a fresh cached token, or mints one under the key's lock and stores it.
///
/// The cache never fails a request: any problem (corrupt or foreign entry, unreadable or
/// unwritable directory, lock unavailable) becomes a miss, and the first problem is returned as
/// the one warning to print.
fn cached_or_fresh(
    dir: &PrivateDir,
    key: &TokenKey,
    margin: Duration,
    mint: impl FnOnce() -> Result<Minted>,
) -> Result<(TokenEntry, Option<String>)> {
    let stem = key.file_stem();
    let name = format!("{stem}.json");
    let mut warning: Option<String> = None;
    let lookup = |warning: &mut Option<String>| -> Option<TokenEntry> {
        let found = match dir.read(&name) {
            Ok(Some(bytes)) => TokenEntry::from_bytes(&bytes, key).map_err(|e| {
                format!(
                    "ignoring damaged cache entry {} ({e:#}); signed a new token",
                    dir.file(&name).display()
                )
            }),
            Ok(None) => return None,
            Err(e) => Err(format!(
                "cannot read {} ({e}); signed a new token",
                dir.file(&name).display()
            )),
        };
        match found {
            Ok(entry) if entry.is_fresh(Utc::now(), margin) => Some(entry),
            Ok(_) => None,
            Err(w) => {
                warning.get_or_insert(w);
                None
            }
        }
    };

    // Optimistic read without the lock: writes are atomic renames, so this sees a whole file.
    if let Some(entry) = lookup(&mut warning) {
        return Ok((entry, None));
    }
    let lock = match dir.lock(&stem) {
        Ok(lock) => Some(lock),
        Err(e) => {
            warning.get_or_insert(format!(
                "cannot lock the token cache in {} ({e}); the token is not cached",
                dir.path().display()
            ));
            None
        }
    };
    // Someone else may have refreshed it while we waited for the lock.
    if lock.is_some()
        && let Some(entry) = lookup(&mut None)
    {
        return Ok((entry, None));
    }
    let m = mint()?;
    let entry = TokenEntry::new(key.clone(), m.token, m.signed_at, m.expiration);
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
