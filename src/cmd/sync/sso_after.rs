//! What an IAM Identity Center run's findings mean beyond the merge: which existing entries
//! belong to accounts and roles no longer assigned (so `--prune` may remove them), and the role
//! credentials kept for `eks-kc token`.

use crate::aws::org::{self, LoginOutcome};
use crate::kubeconfig::ClusterId;

/// The (label, region) targets of existing entries whose account or role this run found no
/// longer assigned, so `--prune` may remove them: an account ListAccounts no longer returns
/// (when the run's `--account` globs would have chosen it by id), or a role the account's
/// ListAccountRoles no longer returns (when `--sso-role` would have chosen it), in the run's
/// regions. A login, account or role listing that failed proves nothing, and prunes nothing.
pub(super) fn vanished(
    requests: &[org::Request],
    outcomes: &[LoginOutcome],
    existing: &[ClusterId],
) -> Vec<(String, String)> {
    let mut out = vec![];
    for (req, outcome) in requests.iter().zip(outcomes) {
        let Some(all) = &outcome.listed_accounts else {
            continue;
        };
        let login = &req.login;
        let prefix = format!(
            "sso:{}:",
            login.session.as_deref().unwrap_or(&login.start_url)
        );
        for id in existing {
            let Some((account, role)) = id
                .profile
                .strip_prefix(&prefix)
                .and_then(|rest| rest.split_once(':'))
            else {
                continue;
            };
            if !req.regions.contains(&id.region) {
                continue;
            }
            let gone = if all.contains(account) {
                let available = outcome
                    .accounts
                    .iter()
                    .find(|a| a.account.id == account)
                    .and_then(|a| a.available());
                available.is_some_and(|roles| {
                    !roles.iter().any(|r| r == role)
                        && (req.roles.is_empty() || req.roles.iter().any(|r| r == role))
                })
            } else {
                req.accounts.is_empty() || req.accounts.iter().any(|g| org::glob_match(g, account))
            };
            if gone {
                out.push((id.profile.clone(), id.region.clone()));
            }
        }
    }
    out
}

/// Puts every role's credentials into the credential cache, where `eks-kc token` looks for
/// them: the first kubectl call to each of these clusters then needs no GetRoleCredentials.
pub(super) fn remember_credentials(
    requests: &[org::Request],
    outcomes: &[LoginOutcome],
    settings: &crate::settings::Settings,
) {
    for (req, outcome) in requests.iter().zip(outcomes) {
        for a in &outcome.accounts {
            for r in a.chosen() {
                let org::RoleResult::Listed {
                    credentials: creds, ..
                } = &r.result
                else {
                    continue;
                };
                let source = crate::source::CredentialSource {
                    sso: Some(crate::source::SsoRole {
                        login: req.login.reference(),
                        account_id: &a.account.id,
                        role_name: &r.role,
                    }),
                    ..Default::default()
                };
                crate::engine::remember(source, creds, settings);
            }
        }
    }
}
