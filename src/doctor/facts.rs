//! What the probes found about each link, and the report made of it (plain data).

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::access::{Caller, Cluster, Entry, NetKind, Policy, Problem, Scope};
/// The status of one link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    Failed,
    /// The check itself could not be made (a diagnostic call was denied or did not answer):
    /// says nothing about the link, and does not fail the run.
    CouldNotCheck,
    /// The link does not apply (access entries on a CONFIG_MAP cluster).
    Skipped,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "FAILED",
            Status::CouldNotCheck => "could not check",
            Status::Skipped => "skipped",
        }
    }
}

/// The credentials eks-kc signs with for the context (never the secret parts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    /// Where they come from, in words: `profile 'ops'`, `role R assumed with profile 'ops'`…
    pub source: String,
    pub access_key_id: String,
    /// Session credentials (with a session token), as opposed to long-term keys.
    pub temporary: bool,
    pub expiry: Option<DateTime<Utc>>,
}

/// What the access-entry APIs said about the principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Access {
    /// Every principal with an entry (ListAccessEntries).
    pub principals: Result<Vec<String>, Problem>,
    /// The principal's entry (DescribeAccessEntry): `Ok(None)` when it has none.
    pub entry: Result<Option<Entry>, Problem>,
    /// Its access policies; `Ok(vec![])` without an entry.
    pub policies: Result<Vec<Policy>, Problem>,
}

/// One request to the API server: its HTTP status and the message of a non-2xx answer, or why
/// there was no answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum Http {
    Answered { status: u16, message: String },
    Unreachable { kind: NetKind, message: String },
}

impl Http {
    pub(super) fn describe(&self) -> String {
        match self {
            Http::Answered { status, message } if message.is_empty() => {
                format!("HTTP {status} {}", reason(*status))
            }
            Http::Answered { status, message } => {
                format!("HTTP {status} {}: {message}", reason(*status))
            }
            Http::Unreachable { kind, message } => format!("{}: {message}", kind.label()),
        }
    }
}

pub(super) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Who the API server says the caller is (SelfSubjectReview).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    pub username: String,
    pub groups: Vec<String>,
    /// The IAM ARN EKS recorded (`extra.arn`), when it says.
    pub arn: Option<String>,
}

/// What the API server answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Api {
    /// `/version`: the server's gitVersion, or the failure.
    pub version: Result<String, Http>,
    /// SelfSubjectReview; `None` when it was not asked (the server was not reachable).
    pub review: Option<Result<UserInfo, Http>>,
}

/// A probe that was not made, with the reason.
pub type NotRun = String;

/// Everything the probes found, in link order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Facts {
    pub context: String,
    /// kubectl's credential plugin policy on the context's exec command, when kubectl reads a
    /// kuberc (`None`: no kuberc, kubectl runs every plugin).
    pub plugin_policy: Option<crate::kubeconfig::kuberc::Judged>,
    /// The command the context's user runs, whose identity (profile, role, region) every link
    /// is evaluated with.
    pub command: String,
    pub cluster: String,
    /// An EKS local cluster on AWS Outposts: the cluster id its tokens are signed for.
    pub cluster_id: Option<String>,
    pub region: String,
    /// The profile the context names (or AWS_PROFILE), for the fix commands.
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    /// The kubeconfig's server URL for the context.
    pub server: Option<String>,
    /// The profile signs in through IAM Identity Center (SSO).
    pub uses_sso: bool,
    /// For a context `sync --sso-session` wrote (an IAM Identity Center role, no profile): the
    /// command that signs its login in again.
    pub sso_login: Option<String>,
    /// The profile chain signs with an `aws login` session: the command that starts it again
    /// (`aws login --profile P`).
    pub sign_in: Option<String>,
    pub credentials: Result<Credentials, String>,
    pub caller: Result<Caller, Result<Problem, NotRun>>,
    pub cluster_info: Result<Cluster, Result<Problem, NotRun>>,
    pub access: Result<Access, NotRun>,
    /// The token: `Err` when none could be had.
    pub token: Result<(), String>,
    pub api: Result<Api, NotRun>,
}

/// One link of the chain, judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub id: &'static str,
    pub title: &'static str,
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<String>,
}

/// The conclusion: the first failing link and what fixes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub ok: bool,
    /// The id of the first failing link.
    pub failed_link: Option<&'static str>,
    pub summary: String,
    /// Commands that fix it, in order, exactly as they run (placeholders in CAPITALS).
    pub commands: Vec<String>,
    /// A snippet to add to a file or object (the aws-auth ConfigMap), when that is the fix.
    pub snippet: Option<String>,
    /// The links that could not be checked.
    pub could_not_check: Vec<&'static str>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub context: String,
    /// The command evaluated (see [`Facts::command`]).
    pub command: String,
    pub cluster: String,
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    pub links: Vec<Link>,
    pub verdict: Verdict,
    pub facts: Facts,
}
