//! Context and cluster names from a template (`--name-template`).

use anyhow::{Result, bail};

use super::DesiredCluster;

/// Context names from a template with `{cluster}`, `{region}`, `{profile}` and `{account}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameTemplate(String);

impl NameTemplate {
    pub fn parse(template: &str) -> Result<Self> {
        let mut rest = template;
        let mut has_cluster = false;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                bail!("unclosed '{{' in name template '{template}'");
            };
            let var = &rest[open + 1..open + close];
            match var {
                "cluster" => has_cluster = true,
                "region" | "profile" | "account" | "account_name" | "role" | "sso_session" => {}
                other => bail!(
                    "unknown variable '{{{other}}}' in name template '{template}' (known: \
                     {{cluster}} {{region}} {{profile}} {{account}} {{account_name}} {{role}} \
                     {{sso_session}})"
                ),
            }
            rest = &rest[open + close + 1..];
        }
        if !has_cluster {
            bail!("the name template '{template}' must contain {{cluster}}");
        }
        Ok(NameTemplate(template.to_owned()))
    }

    /// The name of `c`: its own template when it has one, else this one. Fields a target
    /// cannot know render as `unknown` (`{account_name}` falls back to the account id).
    pub fn render(&self, c: &DesiredCluster) -> String {
        let template = c.naming.template.as_ref().unwrap_or(self);
        let account = c.account.as_deref().unwrap_or("unknown");
        template
            .0
            .replace("{cluster}", &c.id.cluster_name)
            .replace("{region}", &c.id.region)
            .replace("{profile}", &c.id.profile)
            .replace("{account}", account)
            .replace(
                "{account_name}",
                c.naming.account_name.as_deref().unwrap_or(account),
            )
            .replace("{role}", c.naming.role.as_deref().unwrap_or("unknown"))
            .replace(
                "{sso_session}",
                c.naming.sso_session.as_deref().unwrap_or("unknown"),
            )
    }
}
