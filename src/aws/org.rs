//! Organisation-wide discovery through IAM Identity Center: for each login, every account
//! (ListAccounts), each account's roles (ListAccountRoles), the chosen roles' credentials
//! (GetRoleCredentials) and, with them, every chosen region's clusters (`eks::list_target`).
//! Everything runs at once under one concurrency bound, throttled calls back off and retry
//! (`retry`), and a failed account or role never stops the others.

use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::eks::{self, Outcome, Step};
use super::retry::Tally;
use super::sso::{self, Account, Login, Portal};

mod filter;

pub use filter::{choose_roles, glob_match, wanted};

/// One login to discover through, with its filters.
#[derive(Debug, Clone)]
pub struct Request {
    pub login: Login,
    /// Preferred roles, the first an account has wins; empty: every role.
    pub roles: Vec<String>,
    /// Account id or name globs; empty: every account.
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
}

/// What became of one login.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// Why nothing of it could be listed (no valid token, ListAccounts failed).
    pub error: Option<String>,
    /// Every account ListAccounts returned (all pages), filters aside; `None` when it failed.
    pub listed_accounts: Option<std::collections::BTreeSet<String>>,
    pub accounts: Vec<AccountOutcome>,
}

/// What became of one account.
#[derive(Debug, Clone)]
pub struct AccountOutcome {
    pub account: Account,
    pub roles: AccountRoles,
}

/// An account's roles: not listed, none of the wanted ones, or the chosen ones' outcomes.
#[derive(Debug, Clone)]
pub enum AccountRoles {
    /// ListAccountRoles failed: why.
    Failed(String),
    /// The account has none of the wanted roles: the roles it has.
    NoneChosen { available: Vec<String> },
    /// What became of each chosen role; `available`: every role the account has.
    Chosen {
        roles: Vec<RoleOutcome>,
        available: Vec<String>,
    },
}

impl AccountOutcome {
    /// The chosen roles' outcomes (none when the roles could not be listed or none matched).
    pub fn chosen(&self) -> &[RoleOutcome] {
        match &self.roles {
            AccountRoles::Chosen { roles, .. } => roles,
            _ => &[],
        }
    }

    /// Every role the account has, when ListAccountRoles answered.
    pub fn available(&self) -> Option<&[String]> {
        match &self.roles {
            AccountRoles::Failed(_) => None,
            AccountRoles::NoneChosen { available } | AccountRoles::Chosen { available, .. } => {
                Some(available)
            }
        }
    }
}

/// What became of one (account, role).
#[derive(Debug, Clone)]
pub struct RoleOutcome {
    pub role: String,
    pub result: RoleResult,
}

/// A role's credentials and its regions' outcomes, or why it got no credentials.
#[derive(Debug, Clone)]
pub enum RoleResult {
    Failed(String),
    Listed {
        /// For the credential cache.
        credentials: super::sdk::AwsCredentials,
        regions: Vec<(String, Outcome)>,
    },
}

/// Counts for the report and the benchmark.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub throttled: u32,
    pub retried: u32,
}

/// Runs discovery for every request on a multi-threaded runtime; outcomes in request order.
pub fn discover(
    requests: &[Request],
    concurrency: usize,
    attempt_timeout: std::time::Duration,
    progress: Arc<dyn Fn(Step) + Send + Sync>,
) -> anyhow::Result<(Vec<LoginOutcome>, Counts)> {
    let timeouts = super::sdk::Timeouts::for_sync(attempt_timeout);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
        .enable_all()
        .build()?;
    let counts = Arc::new(Mutex::new(Counts::default()));
    let http = rt.block_on(async {
        super::trust::http_client(super::trust::ca_bundle(None).await.as_ref())
    })?;
    let outcomes = rt.block_on(async {
        let limit = Bounds::new(concurrency);
        let mut out = vec![];
        let mut logins = JoinSet::new();
        for (i, req) in requests.iter().enumerate() {
            let req = req.clone();
            let (limit, http, progress, counts) = (
                limit.clone(),
                http.clone(),
                progress.clone(),
                counts.clone(),
            );
            logins.spawn(async move {
                let outcome = discover_login(req, limit, http, timeouts, progress, counts).await;
                (i, outcome)
            });
        }
        while let Some(done) = logins.join_next().await {
            match done {
                Ok(pair) => out.push(pair),
                Err(e) => tracing::error!("a discovery task failed: {e}"),
            }
        }
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, o)| o).collect::<Vec<_>>()
    });
    let counts = counts.lock().map(|c| c.clone()).unwrap_or_default();
    Ok((outcomes, counts))
}

/// The one concurrency bound of a run, split: an eighth each for the IAM Identity Center
/// portal's listings and for its GetRoleCredentials, the rest for EKS. On one shared (first come,
/// first served) semaphore, thousands of queued EKS calls and account listings would hold back
/// the throttled GetRoleCredentials, which every account waits for.
#[derive(Clone)]
struct Bounds {
    list: Arc<Semaphore>,
    creds: Arc<Semaphore>,
    eks: Arc<Semaphore>,
}

impl Bounds {
    fn new(concurrency: usize) -> Self {
        let total = concurrency.max(3);
        let share = (total / 8).max(1);
        Bounds {
            list: Arc::new(Semaphore::new(share)),
            creds: Arc::new(Semaphore::new(share)),
            eks: Arc::new(Semaphore::new(total - 2 * share)),
        }
    }
}

/// How many accounts are discovered at once (their calls share the run's bounds).
const ACCOUNTS_IN_FLIGHT: usize = 32;

fn count(counts: &Mutex<Counts>, t: Tally) {
    if let Ok(mut c) = counts.lock() {
        c.throttled += t.throttled;
        c.retried += t.retried;
    }
}

async fn discover_login(
    req: Request,
    limit: Bounds,
    http: aws_smithy_runtime_api::client::http::SharedHttpClient,
    timeouts: super::sdk::Timeouts,
    progress: Arc<dyn Fn(Step) + Send + Sync>,
    counts: Arc<Mutex<Counts>>,
) -> LoginOutcome {
    let failed = |error: String| LoginOutcome {
        error: Some(error),
        listed_accounts: None,
        accounts: vec![],
    };
    let conf = match sso::sdk_conf(&req.login.region, Some(http.clone()), &timeouts).await {
        Ok(c) => c,
        Err(e) => return failed(format!("{e:#}")),
    };
    let token = match sso::access_token(&req.login, &conf).await {
        Ok(t) => t,
        Err(e) => return failed(format!("{e:#}")),
    };
    let portal = Portal::new(&conf, &req.login, token);
    let mut tally = Tally::default();
    let accounts = portal.accounts(&limit.list, &mut tally).await;
    count(&counts, tally);
    let accounts = match accounts {
        Ok(a) => a,
        Err(e) => return failed(format!("{e:#}")),
    };
    let listed_accounts = accounts.iter().map(|a| a.id.clone()).collect();
    // EKS calls: endpoints and timeouts from the environment and AWS config, credentials per
    // role from the portal.
    let eks_base = eks_base(http, &timeouts, &req.login.region).await;
    let run = Arc::new(LoginRun {
        portal,
        req,
        limit,
        eks_base,
        progress,
        counts,
    });
    LoginOutcome {
        error: None,
        listed_accounts: Some(listed_accounts),
        accounts: discover_accounts(accounts, &run).await,
    }
}

/// What every account of one login is discovered with.
struct LoginRun {
    portal: Portal,
    req: Request,
    limit: Bounds,
    /// The EKS clients' base: endpoints, HTTP client and timeouts, no credentials.
    eks_base: SdkConfig,
    progress: Arc<dyn Fn(Step) + Send + Sync>,
    counts: Arc<Mutex<Counts>>,
}

/// Discovers the wanted ones of `accounts`, a few at a time; outcomes in listing order.
async fn discover_accounts(accounts: Vec<Account>, run: &Arc<LoginRun>) -> Vec<AccountOutcome> {
    let mut tasks = JoinSet::new();
    // Accounts go through the portal a few at a time (roles, then credentials; their clusters
    // are listed after): all at once, every account's role listing would queue ahead of the
    // first GetRoleCredentials.
    let in_flight = Arc::new(Semaphore::new(ACCOUNTS_IN_FLIGHT));
    for (i, account) in accounts
        .into_iter()
        .filter(|a| wanted(a, &run.req.accounts))
        .enumerate()
    {
        let Ok(slot) = in_flight.clone().acquire_owned().await else {
            break;
        };
        let run = run.clone();
        tasks.spawn(async move {
            let outcome = discover_account(account, slot, &run).await;
            (i, outcome)
        });
    }
    let mut accounts = vec![];
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(pair) => accounts.push(pair),
            Err(e) => tracing::error!("an account task failed: {e}"),
        }
    }
    accounts.sort_by_key(|(i, _)| *i);
    accounts.into_iter().map(|(_, a)| a).collect()
}

async fn eks_base(
    http: aws_smithy_runtime_api::client::http::SharedHttpClient,
    timeouts: &super::sdk::Timeouts,
    region: &str,
) -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_owned()))
        .timeout_config(timeouts.config())
        .no_credentials()
        .http_client(http)
        .load()
        .await
}

/// One account: its roles, the chosen ones' credentials (one after the other, holding `slot`),
/// then every chosen role's regions.
async fn discover_account(
    account: Account,
    slot: tokio::sync::OwnedSemaphorePermit,
    run: &LoginRun,
) -> AccountOutcome {
    let mut tally = Tally::default();
    let available = run
        .portal
        .roles(&account.id, &run.limit.list, &mut tally)
        .await;
    count(&run.counts, tally);
    let available = match available {
        Ok(r) => r,
        Err(e) => {
            return AccountOutcome {
                account,
                roles: AccountRoles::Failed(format!("{e:#}")),
            };
        }
    };
    let chosen = choose_roles(&available, &run.req.roles);
    if chosen.is_empty() {
        return AccountOutcome {
            account,
            roles: AccountRoles::NoneChosen { available },
        };
    }
    (run.progress)(Step::Targets(chosen.len() * run.req.regions.len()));
    let mut roles = JoinSet::new();
    for (i, role) in chosen.into_iter().enumerate() {
        run.start_role(&account.id, i, role, &mut roles).await;
    }
    // Done with the portal: the next account may start while these clusters are listed.
    drop(slot);
    let mut out = vec![];
    while let Some(Ok(r)) = roles.join_next().await {
        out.push(r);
    }
    out.sort_by_key(|(i, _)| *i);
    AccountOutcome {
        account,
        roles: AccountRoles::Chosen {
            roles: out.into_iter().map(|(_, r)| r).collect(),
            available,
        },
    }
}

impl LoginRun {
    /// Gets the credentials of `role` (the `i`th chosen of `account_id`) and starts listing its
    /// regions with them; its outcome comes out of `roles` once they are done.
    async fn start_role(
        &self,
        account_id: &str,
        i: usize,
        role: String,
        roles: &mut JoinSet<(usize, RoleOutcome)>,
    ) {
        let mut tally = Tally::default();
        let creds = self
            .portal
            .role_credentials(account_id, &role, &self.limit.creds, &mut tally)
            .await;
        count(&self.counts, tally);
        match creds {
            Ok(credentials) => {
                let regions = self.list_regions(&credentials);
                roles.spawn(async move { (i, listed_role(role, credentials, regions).await) });
            }
            Err(e) => {
                for _ in &self.req.regions {
                    (self.progress)(Step::TargetDone);
                }
                let result = RoleResult::Failed(format!("{e:#}"));
                roles.spawn(async move { (i, RoleOutcome { role, result }) });
            }
        }
    }

    /// Starts listing every region of the run with `creds`: one task per region, in flight
    /// at once (under the EKS bound).
    fn list_regions(
        &self,
        creds: &super::sdk::AwsCredentials,
    ) -> JoinSet<(usize, String, Outcome)> {
        let mut regions = JoinSet::new();
        for (j, region) in self.req.regions.iter().enumerate() {
            let client = eks::client(&self.eks_base, region, Some(creds));
            let (limit, progress, region) = (
                self.limit.eks.clone(),
                self.progress.clone(),
                region.clone(),
            );
            regions.spawn(async move {
                let outcome = eks::list_target(client, limit, progress.clone()).await;
                progress(Step::TargetDone);
                (j, region, outcome)
            });
        }
        regions
    }
}

/// A role's outcome once its regions' listings (`list_regions`) are done, in region order.
async fn listed_role(
    role: String,
    credentials: super::sdk::AwsCredentials,
    mut regions: JoinSet<(usize, String, Outcome)>,
) -> RoleOutcome {
    let mut done = vec![];
    while let Some(r) = regions.join_next().await {
        if let Ok(r) = r {
            done.push(r);
        }
    }
    done.sort_by_key(|(j, _, _)| *j);
    RoleOutcome {
        role,
        result: RoleResult::Listed {
            credentials,
            regions: done.into_iter().map(|(_, r, o)| (r, o)).collect(),
        },
    }
}

#[cfg(test)]
mod tests;
