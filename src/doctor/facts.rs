//! What the probes found about each link, and the report made of it (plain data).

use chrono::{DateTime, Utc};
use serde::Serialize;

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

/// Why an AWS call did not give an answer: the AWS error code (`AccessDeniedException`,
/// `ResourceNotFoundException`, `ExpiredToken`…) when AWS answered, `None` when nothing did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn new(code: Option<&str>, message: impl Into<String>) -> Self {
        Problem {
            code: code.map(str::to_owned),
            message: message.into(),
        }
    }

    pub(super) fn code_is(&self, codes: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|c| codes.contains(&c))
    }

    /// The caller may not make this diagnostic call (an IAM or SCP deny): "could not check".
    pub fn is_denied(&self) -> bool {
        self.code_is(&[
            "AccessDenied",
            "AccessDeniedException",
            "UnauthorizedOperation",
            "UnauthorizedException",
        ])
    }

    pub fn is_not_found(&self) -> bool {
        self.code_is(&["ResourceNotFoundException", "NotFoundException"])
    }

    /// AWS refused the credentials themselves (expired, deleted, wrong secret).
    pub fn rejects_credentials(&self) -> bool {
        self.code_is(&[
            "ExpiredToken",
            "ExpiredTokenException",
            "RequestExpired",
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "SignatureDoesNotMatch",
            "InvalidSignatureException",
            "InvalidAccessKeyId",
        ])
    }

    pub fn is_expired(&self) -> bool {
        self.code_is(&["ExpiredToken", "ExpiredTokenException", "RequestExpired"])
    }

    /// The access-entry API's answer on a cluster that authenticates only through aws-auth.
    pub fn is_config_map_only(&self) -> bool {
        self.code_is(&["InvalidRequestException", "InvalidParameterException"])
            && self
                .message
                .to_ascii_lowercase()
                .contains("authentication mode")
    }

    pub(super) fn text(&self) -> String {
        match &self.code {
            Some(code) if !self.message.is_empty() => format!("{code}: {}", self.message),
            Some(code) => code.clone(),
            None => self.message.clone(),
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

/// GetCallerIdentity's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Caller {
    pub arn: String,
    pub account: Option<String>,
}

/// DescribeCluster's answer, the parts that decide access.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    pub status: Option<String>,
    pub version: Option<String>,
    pub endpoint: Option<String>,
    pub public_access: Option<bool>,
    pub private_access: Option<bool>,
    pub public_access_cidrs: Vec<String>,
    /// `CONFIG_MAP`, `API` or `API_AND_CONFIG_MAP`.
    pub authentication_mode: Option<String>,
}

/// An access entry (DescribeAccessEntry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub principal_arn: String,
    /// `STANDARD`, `EC2_LINUX`, `FARGATE_LINUX`…
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub username: Option<String>,
    pub kubernetes_groups: Vec<String>,
}

/// Where an associated access policy applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "namespaces")]
pub enum Scope {
    Cluster,
    Namespace(Vec<String>),
}

/// An access policy associated with the entry (ListAssociatedAccessPolicies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub policy_arn: String,
    pub scope: Scope,
}

impl Policy {
    /// `AmazonEKSClusterAdminPolicy` for the AWS managed policy ARNs.
    pub fn name(&self) -> &str {
        self.policy_arn
            .rsplit('/')
            .next()
            .unwrap_or(&self.policy_arn)
    }

    pub(super) fn describe(&self) -> String {
        match &self.scope {
            Scope::Cluster => format!("{} (cluster-wide)", self.name()),
            Scope::Namespace(ns) => format!("{} (namespaces {})", self.name(), ns.join(", ")),
        }
    }
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

/// Why a request to the API server got no HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetKind {
    Dns,
    Tls,
    Timeout,
    Refused,
    Other,
}

impl NetKind {
    /// Classifies a connection error from its text (the error chain on one line) and whether
    /// the HTTP client reported a timeout.
    pub fn classify(text: &str, timed_out: bool) -> NetKind {
        let t = text.to_ascii_lowercase();
        if timed_out || t.contains("timed out") || t.contains("timeout") {
            NetKind::Timeout
        } else if t.contains("dns error")
            || t.contains("failed to lookup")
            || t.contains("name or service not known")
            || t.contains("no such host")
            || t.contains("nodename nor servname")
        {
            NetKind::Dns
        } else if t.contains("certificate")
            || t.contains("tls")
            || t.contains("handshake")
            || t.contains("ssl")
        {
            NetKind::Tls
        } else if t.contains("connection refused") {
            NetKind::Refused
        } else {
            NetKind::Other
        }
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            NetKind::Dns => "DNS failure",
            NetKind::Tls => "TLS failure",
            NetKind::Timeout => "timeout",
            NetKind::Refused => "connection refused",
            NetKind::Other => "network failure",
        }
    }
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
    pub cluster: String,
    pub region: String,
    /// The profile the context names (or AWS_PROFILE), for the fix commands.
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    /// The kubeconfig's server URL for the context.
    pub server: Option<String>,
    /// The profile signs in through IAM Identity Center (SSO).
    pub uses_sso: bool,
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
