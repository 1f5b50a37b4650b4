//! `sync`'s IAM Identity Center targets: the logins, filters and regions of a run (checked
//! before any network call), and what the organisation-wide discovery found becomes: desired
//! clusters, the (label, region) pairs that may prune, and the report's targets and accounts.

use anyhow::Result;
use serde::Serialize;

use super::{TargetReport, TargetStatus};
use crate::aws::eks::{Found, Outcome};
use crate::aws::org::{self, AccountRoles, LoginOutcome, RoleResult};
use crate::aws::profiles::Profiles;
use crate::aws::sso::Login;
use crate::cli::{SsoSpec, SyncArgs};
use crate::exec::ClusterConfig;
use crate::kubeconfig::{ClusterId, DesiredCluster, NameTemplate, Naming};
use crate::regions;
use crate::source::SsoLoginRef;

/// The default name of an IAM Identity Center cluster, and with more than one role of its
/// account synced in the run.
const TEMPLATE: &str = "{cluster}.{region}.{account_name}";
const TEMPLATE_WITH_ROLE: &str = "{cluster}.{region}.{account_name}.{role}";

/// The organisation discovery requests of a run: one per login. A login that cannot be
/// resolved (no such `[sso-session]`) is an error before anything is listed.
pub(super) fn plan(
    specs: &[SsoSpec],
    args: &SyncArgs,
    profiles: &Profiles,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<org::Request>> {
    let mut out = vec![];
    for spec in specs {
        let login_ref = match (&spec.session, &spec.start_url) {
            (Some(s), _) => SsoLoginRef::Session(s),
            (None, Some(url)) => SsoLoginRef::StartUrl {
                url,
                region: spec.region.as_deref().unwrap_or_default(),
            },
            (None, None) => {
                anyhow::bail!("an IAM Identity Center target needs a session or a start URL")
            }
        };
        let mut login = Login::resolve(login_ref, profiles)?;
        if let Some(r) = &spec.region {
            login.region = r.clone();
        }
        regions::check(&login.region)
            .map_err(|why| anyhow::anyhow!("IAM Identity Center region: {why}"))?;
        let home = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .filter(|r| !r.is_empty() && regions::check(r).is_ok());
        let regions: Vec<String> = if args.all_regions {
            regions::eks_regions_like(home.as_deref().unwrap_or(&login.region))
                .iter()
                .map(|r| r.to_string())
                .collect()
        } else if !args.regions.is_empty() {
            args.regions.clone()
        } else {
            vec![home.unwrap_or_else(|| login.region.clone())]
        };
        out.push(org::Request {
            login,
            roles: spec.roles.clone(),
            accounts: spec.accounts.clone(),
            regions,
        });
    }
    Ok(out)
}

/// The label an (account, role) target carries in markers (`ClusterId::profile`): stable, and
/// apart from any profile name.
pub(super) fn label(login: &Login, account_id: &str, role: &str) -> String {
    let name = login.session.as_deref().unwrap_or(&login.start_url);
    format!("sso:{name}:{account_id}:{role}")
}

/// How the report names a login.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LoginIds {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) sso_session: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) sso_start_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) account_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) role_name: Option<String>,
}

impl LoginIds {
    fn of(login: &Login) -> Self {
        LoginIds {
            sso_session: login.session.clone(),
            sso_start_url: login.session.is_none().then(|| login.start_url.clone()),
            account_id: None,
            account_name: None,
            role_name: None,
        }
    }

    /// `corp/prod (111122223333)/ReadOnly`, for the text summary.
    pub(super) fn describe(&self) -> String {
        let mut s = self
            .sso_session
            .clone()
            .or_else(|| self.sso_start_url.clone())
            .unwrap_or_default();
        if let Some(id) = &self.account_id {
            let name = name_part(self.account_name.as_deref().unwrap_or(id), id);
            s.push_str(&format!("/{name} ({id})"));
        }
        if let Some(r) = &self.role_name {
            s.push_str(&format!("/{r}"));
        }
        s
    }
}

/// One account in the JSON report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AccountReport {
    #[serde(flatten)]
    pub(super) ids: LoginIds,
    /// The roles synced (chosen by `--sso-role`, else all).
    pub(super) roles: Vec<String>,
    pub(super) status: AccountStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum AccountStatus {
    Listed,
    Failed,
    /// None of the wanted roles: not synced, not a failure.
    Skipped,
}

/// What the discovery of a run found, ready for the merge and the report.
#[derive(Default)]
pub(super) struct Collected {
    pub(super) desired: Vec<DesiredCluster>,
    pub(super) skipped: Vec<String>,
    pub(super) listed: Vec<(String, String)>,
    pub(super) targets: Vec<TargetReport>,
    pub(super) accounts: Vec<AccountReport>,
    /// Filters that chose nothing (a typo, most likely).
    pub(super) warnings: Vec<String>,
}

/// Turns the outcomes of `requests` into desired clusters and reports; `own_template`: whether
/// the run has a template of its own (`--name-template`), else IAM Identity Center clusters
/// get theirs.
pub(super) fn collect(
    requests: &[org::Request],
    outcomes: &[LoginOutcome],
    own_template: bool,
) -> Result<Collected> {
    let plain = NameTemplate::parse(TEMPLATE)?;
    let with_role = NameTemplate::parse(TEMPLATE_WITH_ROLE)?;
    let mut c = Collected::default();
    for (req, outcome) in requests.iter().zip(outcomes) {
        let login = &req.login;
        if let Some(e) = &outcome.error {
            c.targets.push(failed(&LoginIds::of(login), e));
            continue;
        }
        let name = login.session.as_deref().unwrap_or(&login.start_url);
        if !req.accounts.is_empty() && outcome.accounts.is_empty() {
            c.warnings.push(format!(
                "no account of {name} matches --account {} (ids and names are matched with * \
                 and ?)",
                req.accounts.join(", ")
            ));
        } else if !req.roles.is_empty()
            && outcome
                .accounts
                .iter()
                .all(|a| !matches!(a.roles, AccountRoles::Chosen { .. }))
            && outcome
                .accounts
                .iter()
                .any(|a| matches!(a.roles, AccountRoles::NoneChosen { .. }))
        {
            c.warnings.push(format!(
                "no account of {name} has any of the roles {} (role names are exact)",
                req.roles.join(", ")
            ));
        }
        for a in &outcome.accounts {
            let mut ids = LoginIds::of(login);
            ids.account_id = Some(a.account.id.clone());
            ids.account_name = Some(a.account.name.clone());
            let roles: Vec<String> = a.chosen().iter().map(|r| r.role.clone()).collect();
            let (status, error) = match &a.roles {
                AccountRoles::Failed(e) => {
                    c.targets.push(failed(&ids, e));
                    (AccountStatus::Failed, Some(e.clone()))
                }
                AccountRoles::NoneChosen { available } => {
                    let why = format!(
                        "none of the roles {} (it has: {})",
                        req.roles.join(", "),
                        if available.is_empty() {
                            "none".to_owned()
                        } else {
                            available.join(", ")
                        }
                    );
                    (AccountStatus::Skipped, Some(why))
                }
                AccountRoles::Chosen { roles, .. } if roles.iter().any(role_failed) => {
                    (AccountStatus::Failed, None)
                }
                AccountRoles::Chosen { .. } => (AccountStatus::Listed, None),
            };
            let template = (!own_template).then(|| {
                if roles.len() > 1 {
                    with_role.clone()
                } else {
                    plain.clone()
                }
            });
            for r in a.chosen() {
                let mut ids = ids.clone();
                ids.role_name = Some(r.role.clone());
                let label = label(login, &a.account.id, &r.role);
                let regions = match &r.result {
                    RoleResult::Failed(e) => {
                        c.targets.push(failed(&ids, e));
                        continue;
                    }
                    RoleResult::Listed { regions, .. } => regions,
                };
                for (region, o) in regions {
                    let (status, clusters, error) =
                        super::findings::fold(o, super::findings::Identity::SsoRole, |f| {
                            let where_ = Where {
                                login,
                                account: &a.account,
                                role: &r.role,
                                region,
                                label: &label,
                            };
                            match desired(&where_, f, template.clone()) {
                                Some(d) => c.desired.push(d),
                                None => c.skipped.push(format!(
                                    "{} ({}/{region}: no endpoint yet, status {})",
                                    f.name,
                                    ids.describe(),
                                    f.status.as_deref().unwrap_or("unknown")
                                )),
                            }
                        });
                    if status == TargetStatus::Listed {
                        c.listed.push((label.clone(), region.clone()));
                    }
                    c.targets.push(TargetReport {
                        profile: None,
                        sso: Some(ids.clone()),
                        region: Some(region.clone()),
                        status,
                        clusters,
                        error,
                    });
                }
            }
            c.accounts.push(AccountReport {
                ids,
                roles,
                status,
                error,
            });
        }
    }
    Ok(c)
}

/// Whether a chosen role failed, itself or in one of its regions.
fn role_failed(r: &org::RoleOutcome) -> bool {
    match &r.result {
        RoleResult::Failed(_) => true,
        RoleResult::Listed { regions, .. } => regions.iter().any(|(_, o)| {
            matches!(
                o,
                Outcome::Failed(_) | Outcome::Rejected(_) | Outcome::NotSetUp(_)
            )
        }),
    }
}

/// An account name as a part of context names: control characters and whitespace (an account
/// name is free text) become `-`, so names print safely in terminals and prompts; an empty name
/// is the account id.
fn name_part(name: &str, id: &str) -> String {
    let clean: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_control() || c.is_whitespace() {
                '-'
            } else {
                c
            }
        })
        .collect();
    if clean.is_empty() {
        id.to_owned()
    } else {
        clean
    }
}

/// The report of a login, account or role that failed before any region could be listed.
fn failed(ids: &LoginIds, error: &str) -> TargetReport {
    TargetReport {
        profile: None,
        sso: Some(ids.clone()),
        region: None,
        status: TargetStatus::Failed,
        clusters: 0,
        error: Some(error.to_owned()),
    }
}

/// Where a cluster was found.
struct Where<'a> {
    login: &'a Login,
    account: &'a crate::aws::sso::Account,
    role: &'a str,
    region: &'a str,
    label: &'a str,
}

fn desired(w: &Where<'_>, f: &Found, template: Option<NameTemplate>) -> Option<DesiredCluster> {
    let server = f.endpoint.as_deref()?.trim_end_matches('/').to_owned();
    if server.is_empty() {
        return None;
    }
    let (sso_session, sso_start_url, sso_region) = match &w.login.session {
        Some(s) => (Some(s.clone()), None, None),
        None => (
            None,
            Some(w.login.start_url.clone()),
            Some(w.login.region.clone()),
        ),
    };
    Some(DesiredCluster {
        id: ClusterId {
            profile: w.label.to_owned(),
            region: w.region.to_owned(),
            cluster_name: f.name.clone(),
        },
        arn: f.arn.clone(),
        account: Some(w.account.id.clone()),
        server,
        ca_data: f.ca_data.clone(),
        exec: ClusterConfig {
            cluster_name: Some(f.name.clone()),
            cluster_id: f.outpost_id.clone(),
            region: Some(w.region.to_owned()),
            sso_session,
            sso_start_url,
            sso_region,
            account_id: Some(w.account.id.clone()),
            role_name: Some(w.role.to_owned()),
            ..ClusterConfig::default()
        },
        naming: Naming {
            account_name: Some(name_part(&w.account.name, &w.account.id)),
            role: Some(w.role.to_owned()),
            sso_session: Some(
                w.login
                    .session
                    .clone()
                    .unwrap_or_else(|| w.login.start_url.clone()),
            ),
            template,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_become_safe_name_parts() {
        assert_eq!(name_part("prod", "1"), "prod");
        assert_eq!(name_part("new\nline", "1"), "new-line");
        assert_eq!(name_part("esc\u{1b}[31mRED", "1"), "esc-[31mRED");
        assert_eq!(name_part("tab\there  x", "1"), "tab-here--x");
        assert_eq!(name_part("  ", "111122223333"), "111122223333");
        assert_eq!(name_part("", "111122223333"), "111122223333");
    }
}
