//! What the organisation-wide discovery of `sync`'s IAM Identity Center targets found becomes:
//! desired clusters, the (label, region) pairs that may prune, and the report's targets and
//! accounts.

use anyhow::Result;

use super::sso::{
    AccountReport, AccountStatus, LoginIds, TEMPLATE, TEMPLATE_WITH_ROLE, label, name_part,
};
use super::{TargetReport, TargetStatus};
use crate::aws::eks::{Found, Outcome};
use crate::aws::org::{self, AccountOutcome, AccountRoles, LoginOutcome, RoleResult};
use crate::aws::sso::Login;
use crate::exec::ClusterConfig;
use crate::kubeconfig::{ClusterId, DesiredCluster, NameTemplate, Naming};

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
    let templates = Templates {
        plain: NameTemplate::parse(TEMPLATE)?,
        with_role: NameTemplate::parse(TEMPLATE_WITH_ROLE)?,
        own: own_template,
    };
    let mut c = Collected::default();
    for (req, outcome) in requests.iter().zip(outcomes) {
        if let Some(e) = &outcome.error {
            c.targets.push(failed(&LoginIds::of(&req.login), e));
            continue;
        }
        c.warnings.extend(filter_warning(req, outcome));
        for a in &outcome.accounts {
            c.add_account(req, a, &templates);
        }
    }
    Ok(c)
}

/// The name templates of IAM Identity Center clusters, unless the run has its own.
struct Templates {
    plain: NameTemplate,
    with_role: NameTemplate,
    /// The run has a template of its own (`--name-template`).
    own: bool,
}

impl Templates {
    /// The template of an account's clusters when `roles` of its roles are synced.
    fn for_account(&self, roles: usize) -> Option<NameTemplate> {
        (!self.own).then(|| {
            if roles > 1 {
                self.with_role.clone()
            } else {
                self.plain.clone()
            }
        })
    }
}

/// The warning when a filter of `req` chose nothing (a typo, most likely): no account matches
/// `--account`, or no listed account has any of the `--sso-role`s.
fn filter_warning(req: &org::Request, outcome: &LoginOutcome) -> Option<String> {
    let login = &req.login;
    let name = login.session.as_deref().unwrap_or(&login.start_url);
    if !req.accounts.is_empty() && outcome.accounts.is_empty() {
        Some(format!(
            "no account of {name} matches --account {} (ids and names are matched with * \
             and ?)",
            req.accounts.join(", ")
        ))
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
        Some(format!(
            "no account of {name} has any of the roles {} (role names are exact)",
            req.roles.join(", ")
        ))
    } else {
        None
    }
}

/// An account's status in the report, and why when it is not listed; `wanted`: the request's
/// role preference.
fn account_status(wanted: &[String], roles: &AccountRoles) -> (AccountStatus, Option<String>) {
    match roles {
        AccountRoles::Failed(e) => (AccountStatus::Failed, Some(e.clone())),
        AccountRoles::NoneChosen { available } => {
            let why = format!(
                "none of the roles {} (it has: {})",
                wanted.join(", "),
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
    }
}

impl Collected {
    /// One account of a login: its report, and its chosen roles' targets and clusters.
    fn add_account(&mut self, req: &org::Request, a: &AccountOutcome, templates: &Templates) {
        let login = &req.login;
        let mut ids = LoginIds::of(login);
        ids.account_id = Some(a.account.id.clone());
        ids.account_name = Some(a.account.name.clone());
        let roles: Vec<String> = a.chosen().iter().map(|r| r.role.clone()).collect();
        if let AccountRoles::Failed(e) = &a.roles {
            self.targets.push(failed(&ids, e));
        }
        let (status, error) = account_status(&req.roles, &a.roles);
        let template = templates.for_account(roles.len());
        for r in a.chosen() {
            let mut ids = ids.clone();
            ids.role_name = Some(r.role.clone());
            let label = label(login, &a.account.id, &r.role);
            let regions = match &r.result {
                RoleResult::Failed(e) => {
                    self.targets.push(failed(&ids, e));
                    continue;
                }
                RoleResult::Listed { regions, .. } => regions,
            };
            for (region, o) in regions {
                let where_ = Where {
                    login,
                    account: &a.account,
                    role: &r.role,
                    region,
                    label: &label,
                };
                self.add_region(&where_, &ids, o, template.as_ref());
            }
        }
        self.accounts.push(AccountReport {
            ids,
            roles,
            status,
            error,
        });
    }

    /// One (account, role, region) target: its report, its clusters (or why one is not
    /// written yet), and whether it may prune.
    fn add_region(
        &mut self,
        w: &Where<'_>,
        ids: &LoginIds,
        outcome: &Outcome,
        template: Option<&NameTemplate>,
    ) {
        let region = w.region;
        let (status, clusters, error) = super::findings::fold(
            outcome,
            super::findings::Identity::SsoRole,
            |f| match desired(w, f, template.cloned()) {
                Some(d) => self.desired.push(d),
                None => self.skipped.push(format!(
                    "{} ({}/{region}: no endpoint yet, status {})",
                    f.name,
                    ids.describe(),
                    f.status.as_deref().unwrap_or("unknown")
                )),
            },
        );
        if status == TargetStatus::Listed {
            self.listed.push((w.label.to_owned(), w.region.to_owned()));
        }
        self.targets.push(TargetReport {
            profile: None,
            sso: Some(ids.clone()),
            region: Some(w.region.to_owned()),
            status,
            clusters,
            error,
        });
    }
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
