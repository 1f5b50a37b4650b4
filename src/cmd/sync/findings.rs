//! What the targets found, folded into what sync writes and reports: one fold of a target's
//! outcome for profile and IAM Identity Center targets alike, and the words of its failures.

use std::collections::BTreeSet;

use anyhow::Result;

use super::plan::{credential_profile, desired_cluster};
use super::{Discovered, Prepared, TargetReport, TargetStatus, sso, sso_found};
use crate::advice;
use crate::aws::eks::{self, Outcome};
use crate::cli::SyncArgs;

/// What the targets found, folded: the clusters to write, those not written yet, the targets
/// listed (the only ones that may prune), and a report per target and account.
pub(super) struct Findings {
    pub(super) desired: Vec<crate::kubeconfig::DesiredCluster>,
    pub(super) skipped: Vec<String>,
    pub(super) listed: BTreeSet<(String, String)>,
    pub(super) reports: Vec<TargetReport>,
    pub(super) accounts: Vec<sso::AccountReport>,
}

pub(super) fn findings(
    run: &Prepared,
    discovered: &Discovered,
    args: &SyncArgs,
) -> Result<Findings> {
    let mut desired = vec![];
    let mut skipped = vec![];
    let mut listed = BTreeSet::new();
    let mut reports = vec![];
    for (target, outcome) in run.plan.targets.iter().zip(&discovered.outcomes) {
        let who = Identity::Profile(target.profile.as_deref());
        let (status, clusters, error) =
            fold(outcome, who, |f| match desired_cluster(target, f, args) {
                Some(d) => desired.push(d),
                None => skipped.push(format!(
                    "{} ({}/{}: no endpoint yet, status {})",
                    f.name,
                    target.label,
                    target.region,
                    f.status.as_deref().unwrap_or("unknown")
                )),
            });
        if status == TargetStatus::Listed {
            listed.insert((target.label.clone(), target.region.clone()));
        }
        reports.push(TargetReport {
            profile: Some(target.label.clone()),
            sso: None,
            region: Some(target.region.clone()),
            status,
            clusters,
            error,
        });
    }
    for u in &run.plan.unplanned {
        let profile = credential_profile(&u.label, &crate::settings::env::var);
        reports.push(TargetReport {
            profile: Some(u.label.clone()),
            sso: None,
            region: u.region.clone(),
            status: TargetStatus::Failed,
            clusters: 0,
            error: Some(match u.missing {
                Some(missing) => {
                    let e = crate::problem::SetupError {
                        missing,
                        profile: profile.clone(),
                        message: u.reason.clone(),
                    };
                    advice(&e, profile.as_deref())
                }
                None => u.reason.clone(),
            }),
        });
    }
    let found = sso_found::collect(
        &run.sso_requests,
        &discovered.sso_outcomes,
        args.name_template.is_some(),
    )?;
    for w in &found.warnings {
        eprintln!("eks-kc: warning: {w}");
    }
    desired.extend(found.desired);
    skipped.extend(found.skipped);
    listed.extend(found.listed);
    reports.extend(found.targets);
    Ok(Findings {
        desired,
        skipped,
        listed,
        reports,
        accounts: found.accounts,
    })
}

/// Whose target an outcome is, for the words of its failures.
#[derive(Clone, Copy)]
pub(super) enum Identity<'a> {
    /// A profile target (`None`: the default chain).
    Profile(Option<&'a str>),
    /// An IAM Identity Center role: its credentials come from the portal.
    SsoRole,
}

/// The one fold of a target's outcome, for profile and IAM Identity Center targets alike:
/// its status, how many clusters it listed (each handed to `each`), and what went wrong.
pub(super) fn fold(
    outcome: &Outcome,
    who: Identity<'_>,
    mut each: impl FnMut(&eks::Found),
) -> (TargetStatus, usize, Option<String>) {
    match (outcome, who) {
        (Outcome::Listed(found), _) => {
            found.iter().for_each(&mut each);
            (TargetStatus::Listed, found.len(), None)
        }
        (Outcome::NotEnabled(why), _) => (TargetStatus::NotEnabled, 0, Some(why.clone())),
        (Outcome::Rejected(why), Identity::Profile(p)) => {
            (TargetStatus::Failed, 0, Some(rejected(why, p)))
        }
        (Outcome::Rejected(why), Identity::SsoRole) => (
            TargetStatus::Failed,
            0,
            Some(format!("AWS rejected the role's credentials: {why}")),
        ),
        (Outcome::NotSetUp(e), Identity::Profile(p)) => {
            (TargetStatus::Failed, 0, Some(advice(e, p)))
        }
        // The role's credentials come from the portal: nothing to set up here.
        (Outcome::NotSetUp(e), Identity::SsoRole) => {
            (TargetStatus::Failed, 0, Some(e.message.clone()))
        }
        (Outcome::Failed(why), _) => (TargetStatus::Failed, 0, Some(why.clone())),
    }
}

/// The line for a target whose access key AWS refused: what happened and what to check.
fn rejected(reason: &str, profile: Option<&str>) -> String {
    let check = match profile {
        Some(p) => format!("aws sts get-caller-identity --profile {p}"),
        None => "aws sts get-caller-identity".to_owned(),
    };
    format!(
        "AWS rejected the access key ({reason}): it is unknown, deactivated or deleted; check it \
         with `{check}`, and replace it with `aws configure` if that fails too"
    )
}

/// The line for a target that lacks set-up: the diagnosis of what is configured here (the
/// original goes to the `-v` log), else the original. `profile` is the target's explicit one.
fn advice(e: &crate::problem::SetupError, profile: Option<&str>) -> String {
    let e = crate::problem::SetupError {
        profile: profile.map(str::to_owned).or_else(|| e.profile.clone()),
        ..e.clone()
    };
    match advice::describe(&e) {
        Some(line) => {
            tracing::debug!("{}", e.message);
            line
        }
        None => e.message,
    }
}
