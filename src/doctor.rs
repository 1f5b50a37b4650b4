//! `eks-kc doctor`'s judgement: from what the probes found about each link of the chain
//! (credentials, principal, cluster, access entry, API server), the status of every link, its
//! evidence, and a verdict naming the first failing link and the commands that fix it.
//!
//! Pure: the probes (`cmd::doctor` and `aws::inspect`, `aws::kubeapi`) fill in [`Facts`]; the
//! clock is a parameter. Nothing here sees a secret: [`Facts`] hold access key ids (which
//! `aws sts get-caller-identity` and CloudTrail show too), never secret keys or tokens.

use chrono::{DateTime, Utc};

use crate::access::AuthenticationMode;

mod api;
mod entry;
mod facts;
mod links;

use api::{api_link, notes};
pub use api::{parse_review, parse_version, status_message};
pub use entry::aws_auth_snippet;
use entry::{access_link, associate_command, create_entry_commands};
pub use facts::*;
use links::{cluster_link, credentials_link, endpoint_mismatch, principal_link};

/// The policy the fix commands grant: full access, as the cluster creator gets.
pub const ADMIN_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

/// What a failing link says about the fix.
#[derive(Default)]
struct Fix {
    summary: String,
    commands: Vec<String>,
    snippet: Option<String>,
}

/// Judges every link and draws the verdict. `now` is the clock, for credential expiry.
pub fn diagnose(facts: &Facts, now: DateTime<Utc>) -> Report {
    let principal = principal(facts);
    // kubectl's plugin policy comes first: when it refuses the command, nothing else is asked.
    let policy = facts.plugin_policy.as_ref().map(policy_link);
    let mut judged: Vec<(Link, Option<Fix>)> = policy.into_iter().collect();
    judged.extend([
        credentials_link(facts, now),
        principal_link(facts, principal.as_deref()),
        cluster_link(facts),
        access_link(facts, principal.as_deref()),
        api_link(facts, principal.as_deref()),
    ]);
    let mut verdict = Verdict::default();
    for (link, fix) in &mut judged {
        if link.status == Status::CouldNotCheck {
            verdict.could_not_check.push(link.id);
        }
        if link.status == Status::Failed && verdict.failed_link.is_none() {
            let fix = fix.take().unwrap_or_default();
            verdict.failed_link = Some(link.id);
            verdict.summary = format!("{} failed: {}", link.title, fix.summary);
            verdict.commands = fix.commands;
            verdict.snippet = fix.snippet;
        }
    }
    verdict.ok = verdict.failed_link.is_none();
    if verdict.ok {
        verdict.summary = if verdict.could_not_check.is_empty() {
            "every link is ok: kubectl can reach and authenticate to the cluster".to_owned()
        } else {
            format!(
                "no link failed; not checked: {} (the caller may not make those calls)",
                verdict.could_not_check.join(", ")
            )
        };
    }
    verdict.notes = notes(facts);
    if let Some(id) = &facts.cluster_id {
        verdict.notes.push(format!(
            "'{}' is an EKS local cluster on AWS Outposts: its authenticator expects the cluster \
             id, so tokens are signed for {id} (x-k8s-aws-id), not for the name",
            facts.cluster
        ));
    }
    Report {
        context: facts.context.clone(),
        command: facts.command.clone(),
        cluster: facts.cluster.clone(),
        region: facts.region.clone(),
        profile: facts.profile.clone(),
        server: facts.server.clone(),
        links: judged.into_iter().map(|(l, _)| l).collect(),
        verdict,
        facts: facts.clone(),
    }
}

/// Whether kubectl's kuberc lets it run the context's exec command (kubectl >= 1.35). The fix
/// is the allowlist entry that admits it; eks-kc never changes the file itself.
fn policy_link(p: &crate::kubeconfig::kuberc::Judged) -> (Link, Option<Fix>) {
    use crate::kubeconfig::kuberc::Verdict;
    let title = "plugin policy";
    let file = p.file.display();
    match (&p.verdict, p.problem()) {
        (Verdict::Admitted(by), _) => {
            let mut l = link(
                "plugin-policy",
                title,
                Status::Ok,
                format!("kubectl runs `{}`", p.command),
            );
            l.evidence = vec![format!("{file}: {by}")];
            (l, None)
        }
        (_, problem) => {
            let problem = problem.unwrap_or_default();
            let mut l = link("plugin-policy", title, Status::Failed, problem.clone());
            l.evidence = vec![format!(
                "kuberc: {file} (KUBERC names another; KUBERC=off none)"
            )];
            let fix = Fix {
                summary: format!(
                    "{problem}; admit it in the kuberc (eks-kc never loosens a policy itself)"
                ),
                commands: vec![],
                snippet: Some(p.admitting_snippet()),
            };
            (l, Some(fix))
        }
    }
}

/// The ARN EKS matches for the caller: the role of an assumed-role session, without its path.
fn principal(facts: &Facts) -> Option<String> {
    facts
        .caller
        .as_ref()
        .ok()
        .map(|c| crate::token::verify::mapped_arn(&c.arn))
}

fn link(id: &'static str, title: &'static str, status: Status, summary: String) -> Link {
    Link {
        id,
        title,
        status,
        summary,
        evidence: vec![],
    }
}

fn not_checked(reason: &Result<Problem, NotRun>) -> String {
    match reason {
        Ok(p) => p.text(),
        Err(why) => why.clone(),
    }
}

/// The command that signs the context's identity in again: its `aws login` session, else its
/// IAM Identity Center login; `None` when it signs with neither.
fn sign_in_again(facts: &Facts) -> Option<String> {
    facts
        .sign_in
        .clone()
        .or_else(|| facts.uses_sso.then(|| sso_login_command(facts)))
}

/// The command that signs the context's IAM Identity Center login in again.
fn sso_login_command(facts: &Facts) -> String {
    facts
        .sso_login
        .clone()
        .unwrap_or_else(|| format!("aws sso login{}", profile_flag(facts)))
}

fn profile_flag(facts: &Facts) -> String {
    facts
        .profile
        .as_deref()
        .map(|p| format!(" --profile {p}"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
