//! `sync`'s IAM Identity Center targets: the logins, filters and regions of a run (checked
//! before any network call), and how the report names logins, accounts and roles. What the
//! organisation-wide discovery found becomes is `sso_found`'s.

use anyhow::Result;
use serde::Serialize;

use crate::aws::org;
use crate::aws::profiles::Profiles;
use crate::aws::sso::Login;
use crate::cli::{SsoSpec, SyncArgs};
use crate::regions;
use crate::source::SsoLoginRef;

/// The default name of an IAM Identity Center cluster, and with more than one role of its
/// account synced in the run.
pub(super) const TEMPLATE: &str = "{cluster}.{region}.{account_name}";
pub(super) const TEMPLATE_WITH_ROLE: &str = "{cluster}.{region}.{account_name}.{role}";

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
    pub(super) fn of(login: &Login) -> Self {
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

/// An account name as a part of context names: control characters and whitespace (an account
/// name is free text) become `-`, so names print safely in terminals and prompts; an empty name
/// is the account id.
pub(super) fn name_part(name: &str, id: &str) -> String {
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
