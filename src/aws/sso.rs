//! IAM Identity Center: which login a role uses, that login's portal access token (from the AWS
//! CLI's cache, refreshed through OIDC exactly as the CLI does, the file rewritten atomically),
//! the portal's accounts, roles and role credentials, and the device sign-in of
//! `eks-kc login --sso-session`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sso::error::SdkError;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use chrono::Utc;
use tokio::sync::Semaphore;

use super::profiles::Profiles;
use super::retry::{Backoff, Pacer, Tally, retrying};
use super::sdk::{AwsCredentials, Timeouts, error_text};
use crate::cache::provenance::SsoLogin;
use crate::secret::Secret;
use crate::source::SsoLoginRef;
use crate::ssotoken::{Plan, TokenFile};

/// An IAM Identity Center login, resolved: where its portal is and how its token file is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The `[sso-session]` name; `None` for a start-URL (legacy) login.
    pub session: Option<String>,
    pub start_url: String,
    pub region: String,
}

impl Login {
    /// The login `r` names: a session's start URL and region come from its `[sso-session]`
    /// section of the AWS config (a region given with it wins).
    pub fn resolve(r: SsoLoginRef<'_>, profiles: &Profiles) -> Result<Login> {
        match r {
            SsoLoginRef::StartUrl { url, region } => Ok(Login {
                session: None,
                start_url: url.to_owned(),
                region: region.to_owned(),
            }),
            SsoLoginRef::Session(name) => {
                let config = crate::paths::aws_files(crate::settings::env::var).config;
                let Some(section) = profiles.sso_sessions.get(name) else {
                    bail!(
                        "no [sso-session {name}] section in {}: create it with `aws configure \
                         sso-session`, or use --sso-start-url and --sso-region",
                        config.display()
                    );
                };
                let missing = |key: &str| {
                    anyhow!(
                        "[sso-session {name}] in {} has no {key}: add it (`aws configure \
                         sso-session`)",
                        config.display()
                    )
                };
                Ok(Login {
                    session: Some(name.to_owned()),
                    start_url: section
                        .start_url
                        .clone()
                        .ok_or_else(|| missing("sso_start_url"))?,
                    region: section
                        .region
                        .clone()
                        .ok_or_else(|| missing("sso_region"))?,
                })
            }
        }
    }

    pub fn reference(&self) -> SsoLoginRef<'_> {
        match &self.session {
            Some(s) => SsoLoginRef::Session(s),
            None => SsoLoginRef::StartUrl {
                url: &self.start_url,
                region: &self.region,
            },
        }
    }

    /// The AWS CLI's token file for this login.
    pub fn token_file(&self) -> PathBuf {
        let login = match &self.session {
            Some(s) => SsoLogin::Session(s.clone()),
            None => SsoLogin::StartUrl(self.start_url.clone()),
        };
        crate::paths::aws_files(crate::settings::env::var)
            .sso_cache
            .join(login.cache_file_name())
    }
}

/// An SDK configuration for IAM Identity Center calls in `region`: no credentials (the portal
/// takes the bearer token), SDK retries off ([`super::retry`] retries), bounded timeouts.
pub async fn sdk_conf(
    region: &str,
    http: Option<SharedHttpClient>,
    timeouts: &Timeouts,
) -> Result<SdkConfig> {
    let http = match http {
        Some(http) => http,
        None => super::trust::http_client(super::trust::ca_bundle(None).await.as_ref())?,
    };
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .timeout_config(timeouts.config())
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
        .no_credentials()
        .http_client(http);
    Ok(loader.load().await)
}

/// The login's portal access token: the cached one while it has more than the refresh window
/// left, else refreshed (OIDC CreateToken) and written back where the AWS CLI keeps it. An
/// expired login that cannot be refreshed is an error with the one-line fix, at once.
pub async fn access_token(login: &Login, conf: &SdkConfig) -> Result<String> {
    let path = login.token_file();
    let fix = login.reference().login_fix();
    let read = || -> Result<Option<TokenFile>> {
        let Some(bytes) = crate::store::read_user_file(&path)
            .with_context(|| format!("reading {}", path.display()))?
        else {
            return Ok(None);
        };
        TokenFile::parse(&bytes)
            .map(Some)
            .with_context(|| format!("{} is not an AWS SSO token file; {fix}", path.display()))
    };
    let Some(file) = read()? else {
        bail!(
            "not signed in to IAM Identity Center ({}): {fix}",
            login.reference().flags()
        );
    };
    match file.plan(Utc::now()) {
        Plan::Use(token) | Plan::SignIn(Some(token)) => Ok(token),
        Plan::SignIn(None) => bail!(
            "the IAM Identity Center login ({}) has expired: {fix}",
            login.reference().flags()
        ),
        Plan::Refresh { grant, fallback } => {
            let client = aws_sdk_ssooidc::Client::new(conf);
            let answer = client
                .create_token()
                .grant_type("refresh_token")
                .client_id(&grant.client_id)
                .client_secret(&grant.client_secret)
                .refresh_token(&grant.refresh_token)
                .send()
                .await;
            let now = Utc::now();
            match answer {
                Ok(out) if out.access_token().is_some_and(|t| !t.is_empty()) => {
                    let token = out.access_token().unwrap_or_default().to_owned();
                    let updated = file.refreshed(
                        &token,
                        chrono::Duration::seconds(out.expires_in().max(0).into()),
                        out.refresh_token(),
                        now,
                    );
                    // Through a symlink to its target; 0600, as the AWS CLI writes it.
                    let target = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                    if let Err(e) = crate::store::write_atomic(&target, &updated.to_bytes(), 0o600)
                    {
                        tracing::warn!("could not save the refreshed SSO token: {e}");
                    }
                    tracing::debug!("refreshed the IAM Identity Center token");
                    Ok(token)
                }
                other => {
                    let (why, transient) = match other {
                        Err(e) => (error_text(&e), unanswered(&e)),
                        Ok(_) => ("no access token in the answer".into(), false),
                    };
                    // Another process may have refreshed it meanwhile (a refresh token can be
                    // single-use): its result is in the file.
                    if let Ok(Some(f)) = read()
                        && let Plan::Use(t) = f.plan(now)
                    {
                        return Ok(t);
                    }
                    match fallback {
                        Some(t) => {
                            tracing::debug!("SSO token refresh failed ({why}); using the old one");
                            Ok(t)
                        }
                        None => {
                            let line = format!(
                                "the IAM Identity Center login ({}) has expired and could not \
                                 be refreshed ({why}): {fix}",
                                login.reference().flags()
                            );
                            Err(if transient {
                                Unanswered(line).into()
                            } else {
                                anyhow!(line)
                            })
                        }
                    }
                }
            }
        }
    }
}

/// An AWS account the portal lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
}

/// The IAM Identity Center portal, as one signed-in user.
pub struct Portal {
    client: aws_sdk_sso::Client,
    token: Secret,
    fix: String,
    backoff: Backoff,
    /// One pace per operation: the portal throttles each on its own.
    pace_list: Pacer,
    pace_creds: Pacer,
}

impl Portal {
    pub fn new(conf: &SdkConfig, login: &Login, token: String) -> Self {
        Portal {
            client: aws_sdk_sso::Client::new(conf),
            token: Secret::new(&token),
            fix: login.reference().login_fix(),
            backoff: Backoff::default(),
            pace_list: Pacer::default(),
            pace_creds: Pacer::default(),
        }
    }

    fn explain<E>(&self, what: &str, err: SdkError<E>) -> anyhow::Error
    where
        E: std::error::Error + aws_sdk_sso::error::ProvideErrorMetadata + Send + Sync + 'static,
    {
        use aws_sdk_sso::error::ProvideErrorMetadata;
        let code = err.code().unwrap_or_default().to_owned();
        let text = match (err.code(), err.message()) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c.to_owned(),
            _ => error_text(&err),
        };
        if code == "UnauthorizedException" {
            anyhow!(
                "IAM Identity Center {what}: the login is no longer valid ({text}): {}",
                self.fix
            )
        } else {
            anyhow!("IAM Identity Center {what}: {text}")
        }
    }

    /// Every account (all pages).
    pub async fn accounts(
        &self,
        limit: &Arc<Semaphore>,
        tally: &mut Tally,
    ) -> Result<Vec<Account>> {
        let mut out = vec![];
        let mut next: Option<String> = None;
        loop {
            let (page, t) = retrying(limit, None, &self.backoff, Some(&self.pace_list), || {
                self.client
                    .list_accounts()
                    .access_token(self.token.expose())
                    .max_results(100)
                    .set_next_token(next.clone())
                    .send()
            })
            .await;
            add(tally, t);
            let page = page.map_err(|e| self.explain("ListAccounts", e))?;
            for a in page.account_list() {
                if let Some(id) = a.account_id() {
                    out.push(Account {
                        id: id.to_owned(),
                        name: a.account_name().unwrap_or(id).to_owned(),
                    });
                }
            }
            next = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if next.is_none() || out.len() > MAX_ITEMS {
                return Ok(out);
            }
        }
    }

    /// The roles (permission sets) the user has in `account` (all pages).
    pub async fn roles(
        &self,
        account: &str,
        limit: &Arc<Semaphore>,
        tally: &mut Tally,
    ) -> Result<Vec<String>> {
        let mut out = vec![];
        let mut next: Option<String> = None;
        loop {
            let (page, t) = retrying(limit, None, &self.backoff, Some(&self.pace_list), || {
                self.client
                    .list_account_roles()
                    .access_token(self.token.expose())
                    .account_id(account)
                    .max_results(100)
                    .set_next_token(next.clone())
                    .send()
            })
            .await;
            add(tally, t);
            let page = page.map_err(|e| self.explain("ListAccountRoles", e))?;
            out.extend(
                page.role_list()
                    .iter()
                    .filter_map(|r| r.role_name().map(str::to_owned)),
            );
            next = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if next.is_none() || out.len() > MAX_ITEMS {
                return Ok(out);
            }
        }
    }

    /// Temporary credentials for `role` in `account`.
    pub async fn role_credentials(
        &self,
        account: &str,
        role: &str,
        limit: &Arc<Semaphore>,
        tally: &mut Tally,
    ) -> Result<AwsCredentials> {
        let (answer, t) = retrying(limit, None, &self.backoff, Some(&self.pace_creds), || {
            self.client
                .get_role_credentials()
                .access_token(self.token.expose())
                .account_id(account)
                .role_name(role)
                .send()
        })
        .await;
        add(tally, t);
        let answer = answer.map_err(|e| self.explain("GetRoleCredentials", e))?;
        let c = answer
            .role_credentials()
            .ok_or_else(|| anyhow!("IAM Identity Center GetRoleCredentials returned nothing"))?;
        let (Some(id), Some(secret)) = (c.access_key_id(), c.secret_access_key()) else {
            bail!("IAM Identity Center GetRoleCredentials returned incomplete credentials");
        };
        Ok(AwsCredentials {
            access_key_id: id.to_owned(),
            secret_access_key: Secret::new(secret),
            session_token: c.session_token().map(Secret::new),
            expiry: chrono::DateTime::from_timestamp_millis(c.expiration()),
        })
    }
}

/// A bound on what one listing may return (a misbehaving endpoint must not loop forever).
const MAX_ITEMS: usize = 100_000;

fn add(total: &mut Tally, t: Tally) {
    total.throttled += t.throttled;
    total.retried += t.retried;
}

/// Credentials for one IAM Identity Center role (`eks-kc token`'s path): the login's token, then
/// GetRoleCredentials, all within `timeouts`.
pub async fn role_credentials(
    role: &crate::source::SsoRole<'_>,
    timeouts: &Timeouts,
) -> Result<AwsCredentials> {
    let profiles = super::profiles::load().await?;
    let login = Login::resolve(role.login, &profiles)?;
    let conf = sdk_conf(&login.region, None, timeouts).await?;
    let token = access_token(&login, &conf).await?;
    let portal = Portal::new(&conf, &login, token);
    let limit = Arc::new(Semaphore::new(1));
    portal
        .role_credentials(
            role.account_id,
            role.role_name,
            &limit,
            &mut Tally::default(),
        )
        .await
}

/// What the login's token file says now (`None`: no readable login file): the sign-in gate
/// looks before it refreshes or signs in.
pub fn login_plan(login: &Login) -> Option<Plan> {
    let bytes = crate::store::read_user_file(&login.token_file()).ok()??;
    Some(TokenFile::parse(&bytes).ok()?.plan(Utc::now()))
}

/// A refresh that IAM Identity Center did not answer (no connection, a time limit, a 5xx), as
/// opposed to one it refused: the refresh token may still be good a moment later.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unanswered(pub String);

/// Whether a CreateToken call failed without IAM Identity Center's verdict on the grant.
fn unanswered<E>(e: &SdkError<E>) -> bool {
    match e {
        SdkError::ServiceError(se) => se.raw().status().is_server_error(),
        SdkError::ConstructionFailure(_) => false,
        _ => true,
    }
}

/// A usable portal token for `login`, refreshed (one CreateToken) when it needs to be: the
/// sign-in gate's refresh, run by one process for all (see `engine::signin`).
pub fn refresh_blocking(login: &Login, timeouts: &Timeouts) -> Result<()> {
    super::sdk::runtime()?.block_on(async {
        let conf = sdk_conf(&login.region, None, timeouts).await?;
        access_token(login, &conf).await.map(|_| ())
    })
}

/// The login a role uses, resolved from the AWS config.
pub fn login_of(r: SsoLoginRef<'_>) -> Result<Login> {
    Login::resolve(r, &super::profiles::load_blocking()?)
}
