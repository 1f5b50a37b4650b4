//! `eks-kc doctor`'s judgement: from what the probes found about each link of the chain
//! (credentials, principal, cluster, access entry, API server), the status of every link, its
//! evidence, and a verdict naming the first failing link and the commands that fix it.
//!
//! Pure: the probes (`cmd::doctor` and `aws::access`, `aws::kubeapi`) fill in [`Facts`]; the
//! clock is a parameter. Nothing here sees a secret: [`Facts`] hold access key ids (which
//! `aws sts get-caller-identity` and CloudTrail show too), never secret keys or tokens.

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

    fn code_is(&self, codes: &[&str]) -> bool {
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

    fn text(&self) -> String {
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

    fn describe(&self) -> String {
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

    fn label(self) -> &'static str {
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
    fn describe(&self) -> String {
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

fn reason(status: u16) -> &'static str {
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
    let mut judged: Vec<(Link, Option<Fix>)> = vec![
        credentials_link(facts, now),
        principal_link(facts, principal.as_deref()),
        cluster_link(facts),
        access_link(facts, principal.as_deref()),
        api_link(facts, principal.as_deref()),
    ];
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
    Report {
        context: facts.context.clone(),
        cluster: facts.cluster.clone(),
        region: facts.region.clone(),
        profile: facts.profile.clone(),
        server: facts.server.clone(),
        links: judged.into_iter().map(|(l, _)| l).collect(),
        verdict,
        facts: facts.clone(),
    }
}

/// The ARN EKS matches for the caller: the role of an assumed-role session, without its path.
fn principal(facts: &Facts) -> Option<String> {
    facts
        .caller
        .as_ref()
        .ok()
        .map(|c| crate::verify::mapped_arn(&c.arn))
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

/// `profile 'ops'` / `--profile ops` helpers for the fix commands.
fn profile_flag(facts: &Facts) -> String {
    facts
        .profile
        .as_deref()
        .map(|p| format!(" --profile {p}"))
        .unwrap_or_default()
}

fn expired_fix(facts: &Facts, what: &str) -> Fix {
    let mut commands = vec![];
    if facts.uses_sso {
        commands.push(format!("aws sso login{}", profile_flag(facts)));
    }
    commands.push(format!("eks-kc cache clear --context {}", facts.context));
    let how = if facts.uses_sso {
        "sign in again"
    } else {
        "renew them (new session keys in the credentials file or environment, or `eks-kc \
         login` for an MFA profile)"
    };
    Fix {
        summary: format!("{what}; {how}, then drop the tokens signed with the old ones"),
        commands,
        snippet: None,
    }
}

fn credentials_link(facts: &Facts, now: DateTime<Utc>) -> (Link, Option<Fix>) {
    const ID: &str = "credentials";
    const TITLE: &str = "credentials";
    let creds = match &facts.credentials {
        Ok(c) => c,
        Err(e) => {
            let l = link(ID, TITLE, Status::Failed, format!("none usable: {e}"));
            let fix = Fix {
                summary: format!("eks-kc cannot get AWS credentials for the context: {e}"),
                commands: facts
                    .uses_sso
                    .then(|| format!("aws sso login{}", profile_flag(facts)))
                    .into_iter()
                    .collect(),
                snippet: None,
            };
            return (l, Some(fix));
        }
    };
    let kind = if creds.temporary {
        "temporary session credentials"
    } else {
        "long-term access keys"
    };
    let expiry = match creds.expiry {
        Some(at) if at <= now => format!(", expired {}", at.format("%Y-%m-%dT%H:%M:%SZ")),
        Some(at) => format!(
            ", expire {} (in {} min)",
            at.format("%Y-%m-%dT%H:%M:%SZ"),
            (at - now).num_minutes()
        ),
        None => String::new(),
    };
    let mut evidence = vec![format!(
        "{} from {}{expiry}",
        creds.access_key_id, creds.source
    )];
    let summary = format!("{kind} from {}", creds.source);
    if let Some(at) = creds.expiry.filter(|at| *at <= now) {
        let mut l = link(ID, TITLE, Status::Failed, format!("{summary}, expired"));
        l.evidence = evidence;
        let what = format!(
            "the credentials expired at {}",
            at.format("%Y-%m-%dT%H:%M:%SZ")
        );
        return (l, Some(expired_fix(facts, &what)));
    }
    match &facts.caller {
        Ok(c) => {
            evidence.push(format!(
                "STS GetCallerIdentity: {}{}",
                c.arn,
                c.account
                    .as_deref()
                    .map(|a| format!(" (account {a})"))
                    .unwrap_or_default()
            ));
            let mut l = link(
                ID,
                TITLE,
                Status::Ok,
                format!("{summary}, caller {}", c.arn),
            );
            l.evidence = evidence;
            (l, None)
        }
        Err(Ok(p)) if p.rejects_credentials() => {
            evidence.push(format!("STS GetCallerIdentity: {}", p.text()));
            let mut l = link(
                ID,
                TITLE,
                Status::Failed,
                format!(
                    "{summary}, rejected by STS ({})",
                    p.code.as_deref().unwrap_or("")
                ),
            );
            l.evidence = evidence;
            let fix = if p.is_expired() {
                expired_fix(facts, "AWS says the credentials have expired")
            } else {
                Fix {
                    summary: format!(
                        "AWS does not accept the credentials ({}): the access key was deleted \
                         or deactivated, or the secret key is wrong; configure valid keys for \
                         {}",
                        p.text(),
                        creds.source
                    ),
                    commands: vec![format!("aws configure{}", profile_flag(facts))],
                    snippet: None,
                }
            };
            (l, Some(fix))
        }
        Err(reason) => {
            evidence.push(format!(
                "STS GetCallerIdentity could not be asked: {}",
                not_checked(reason)
            ));
            let mut l = link(
                ID,
                TITLE,
                Status::CouldNotCheck,
                format!("{summary}; the caller is unknown"),
            );
            l.evidence = evidence;
            (l, None)
        }
    }
}

fn principal_link(facts: &Facts, principal: Option<&str>) -> (Link, Option<Fix>) {
    const ID: &str = "principal";
    const TITLE: &str = "principal";
    let (Ok(caller), Some(principal)) = (&facts.caller, principal) else {
        return (
            link(
                ID,
                TITLE,
                Status::CouldNotCheck,
                "unknown: needs the caller ARN".to_owned(),
            ),
            None,
        );
    };
    let mut l = link(ID, TITLE, Status::Ok, principal.to_owned());
    if principal != caller.arn {
        l.evidence.push(format!(
            "the assumed-role session {} maps to its role {principal}",
            caller.arn
        ));
        l.evidence.push(
            "EKS matches the role ARN without its path (an assumed-role ARN carries none): an \
             access entry or aws-auth mapping for arn:…:role/PATH/NAME does not match"
                .to_owned(),
        );
    } else {
        l.evidence
            .push("EKS matches this ARN as it is (an IAM user or role ARN)".to_owned());
    }
    (l, None)
}

fn same_url(a: &str, b: &str) -> bool {
    let norm = |u: &str| u.trim().trim_end_matches('/').to_ascii_lowercase();
    norm(a) == norm(b)
}

/// The kubeconfig sends the token to another server than the cluster's endpoint.
fn endpoint_mismatch(facts: &Facts) -> Option<(String, String)> {
    let c = facts.cluster_info.as_ref().ok()?;
    let endpoint = c.endpoint.as_deref()?;
    let server = facts.server.as_deref()?;
    (!same_url(endpoint, server)).then(|| (server.to_owned(), endpoint.to_owned()))
}

fn access_mode(c: &Cluster) -> String {
    match (c.public_access, c.private_access) {
        (Some(true), Some(true)) => "public and private".to_owned(),
        (Some(true), _) => "public".to_owned(),
        (Some(false), Some(true)) => "private only".to_owned(),
        (Some(false), _) => "neither public nor private".to_owned(),
        (None, _) => "access unknown".to_owned(),
    }
}

fn cluster_link(facts: &Facts) -> (Link, Option<Fix>) {
    const ID: &str = "cluster";
    const TITLE: &str = "cluster";
    let c = match &facts.cluster_info {
        Ok(c) => c,
        Err(Ok(p)) if p.is_not_found() => {
            let mut l = link(
                ID,
                TITLE,
                Status::Failed,
                format!("no cluster '{}' in {}", facts.cluster, facts.region),
            );
            l.evidence
                .push(format!("EKS DescribeCluster: {}", p.text()));
            let fix = Fix {
                summary: format!(
                    "EKS has no cluster '{}' in {} for this account: it was deleted, or the \
                     context uses the wrong profile, account or region; remove stale contexts \
                     with sync --prune",
                    facts.cluster, facts.region
                ),
                commands: vec![format!(
                    "eks-kc sync{} --region {} --prune",
                    profile_flag(facts),
                    facts.region
                )],
                snippet: None,
            };
            return (l, Some(fix));
        }
        Err(reason) => {
            let mut l = link(ID, TITLE, Status::CouldNotCheck, "unknown".to_owned());
            l.evidence.push(format!(
                "EKS DescribeCluster could not be asked: {}",
                not_checked(reason)
            ));
            return (l, None);
        }
    };
    let status = c.status.as_deref().unwrap_or("UNKNOWN");
    let mode = c.authentication_mode.as_deref().unwrap_or("unknown");
    let summary = format!(
        "{status}{}, endpoint {}, authentication mode {mode}",
        c.version
            .as_deref()
            .map(|v| format!(", Kubernetes {v}"))
            .unwrap_or_default(),
        access_mode(c)
    );
    let usable = matches!(status, "ACTIVE" | "UPDATING");
    let mut l = link(
        ID,
        TITLE,
        if usable { Status::Ok } else { Status::Failed },
        summary,
    );
    if let Some(e) = &c.endpoint {
        l.evidence.push(format!("endpoint {e}"));
    }
    if c.public_access == Some(true)
        && !c.public_access_cidrs.is_empty()
        && !c.public_access_cidrs.iter().any(|x| x == "0.0.0.0/0")
    {
        l.evidence.push(format!(
            "public access only from {}",
            c.public_access_cidrs.join(", ")
        ));
    }
    if let Some((server, endpoint)) = endpoint_mismatch(facts) {
        l.evidence.push(format!(
            "the kubeconfig's server {server} is not this cluster's endpoint {endpoint}"
        ));
    }
    let fix = (!usable).then(|| Fix {
        summary: format!(
            "the cluster is {status}; only an ACTIVE (or UPDATING) cluster serves kubectl"
        ),
        commands: vec![format!(
            "aws eks describe-cluster --name {} --region {}{} --query cluster.status",
            facts.cluster,
            facts.region,
            profile_flag(facts)
        )],
        snippet: None,
    });
    (l, fix)
}

fn create_entry_commands(facts: &Facts, principal: &str) -> Vec<String> {
    vec![
        format!(
            "aws eks create-access-entry --cluster-name {} --region {} --principal-arn {principal}",
            facts.cluster, facts.region
        ),
        associate_command(facts, principal),
    ]
}

fn associate_command(facts: &Facts, principal: &str) -> String {
    format!(
        "aws eks associate-access-policy --cluster-name {} --region {} --principal-arn \
         {principal} --policy-arn {ADMIN_POLICY} --access-scope type=cluster",
        facts.cluster, facts.region
    )
}

/// The aws-auth ConfigMap entry that maps `principal` to cluster-admin.
pub fn aws_auth_snippet(principal: &str, caller: Option<&str>) -> String {
    let is_role = principal.contains(":role/");
    let name = principal.rsplit('/').next().unwrap_or(principal);
    if is_role {
        // An assumed-role session's username: the session name is filled in per request.
        let username = if caller.is_some_and(|c| c.contains(":assumed-role/")) {
            format!("{name}:{{{{SessionName}}}}")
        } else {
            name.to_owned()
        };
        format!(
            "mapRoles: |\n  - rolearn: {principal}\n    username: {username}\n    groups:\n      \
             - system:masters\n"
        )
    } else {
        format!(
            "mapUsers: |\n  - userarn: {principal}\n    username: {name}\n    groups:\n      \
             - system:masters\n"
        )
    }
}

/// Entries for the same role or user name under another path: a path EKS does not match.
fn near_misses(principals: &[String], principal: &str) -> Vec<String> {
    // `arn:aws:iam::A:role` and `NAME` of `arn:aws:iam::A:role/PATH/NAME`.
    let (Some((head, _)), Some((_, name))) =
        (principal.split_once('/'), principal.rsplit_once('/'))
    else {
        return vec![];
    };
    principals
        .iter()
        .filter(|p| p.as_str() != principal && p.starts_with(&format!("{head}/")))
        .filter(|p| p.rsplit('/').next() == Some(name))
        .cloned()
        .collect()
}

fn access_link(facts: &Facts, principal: Option<&str>) -> (Link, Option<Fix>) {
    const ID: &str = "access";
    const TITLE: &str = "access entry";
    let mode = facts
        .cluster_info
        .as_ref()
        .ok()
        .and_then(|c| c.authentication_mode.clone());
    let access = match &facts.access {
        Ok(a) => a,
        Err(why) => {
            let status = if mode.as_deref() == Some("CONFIG_MAP") {
                Status::Skipped
            } else {
                Status::CouldNotCheck
            };
            return (link(ID, TITLE, status, why.clone()), None);
        }
    };
    let config_map_only = mode.as_deref() == Some("CONFIG_MAP")
        || [
            &access.principals.as_ref().err(),
            &access.entry.as_ref().err(),
        ]
        .iter()
        .any(|e| e.is_some_and(Problem::is_config_map_only));
    if config_map_only {
        return (
            link(
                ID,
                TITLE,
                Status::Skipped,
                "the cluster's authentication mode is CONFIG_MAP: it ignores access entries and \
                 maps IAM principals only through the aws-auth ConfigMap"
                    .to_owned(),
            ),
            None,
        );
    }
    let Some(principal) = principal else {
        return (
            link(
                ID,
                TITLE,
                Status::CouldNotCheck,
                "unknown: needs the principal".to_owned(),
            ),
            None,
        );
    };
    let listed_has = access
        .principals
        .as_ref()
        .ok()
        .map(|all| all.iter().any(|p| p == principal));
    let misses = access
        .principals
        .as_ref()
        .map(|all| near_misses(all, principal))
        .unwrap_or_default();
    let entry = match (&access.entry, listed_has) {
        (Ok(e), _) => e.clone(),
        (Err(_), Some(false)) => None,
        (Err(p), _) => {
            let mut l = link(ID, TITLE, Status::CouldNotCheck, "unknown".to_owned());
            if listed_has == Some(true) {
                l.summary = format!("an entry for {principal} exists; its details are unknown");
            }
            l.evidence
                .push(format!("EKS DescribeAccessEntry: {}", p.text()));
            if let Err(lp) = &access.principals {
                l.evidence
                    .push(format!("EKS ListAccessEntries: {}", lp.text()));
            }
            return (l, None);
        }
    };
    let authenticated = matches!(
        &facts.api,
        Ok(Api {
            review: Some(Ok(_)),
            ..
        })
    );
    let Some(entry) = entry else {
        let mut l = link(
            ID,
            TITLE,
            Status::Failed,
            format!("no access entry for {principal}"),
        );
        for m in &misses {
            l.evidence.push(format!(
                "an entry exists for {m}, but EKS matches {principal} (no path)"
            ));
        }
        if mode.as_deref() == Some("API_AND_CONFIG_MAP") || mode.is_none() {
            if authenticated {
                l.status = Status::Ok;
                l.summary = format!(
                    "no access entry for {principal}; the cluster maps it through the aws-auth \
                     ConfigMap"
                );
                return (l, None);
            }
            l.evidence.push(
                "the authentication mode also reads the aws-auth ConfigMap, which eks-kc cannot \
                 read without access"
                    .to_owned(),
            );
        }
        let fix = Fix {
            summary: format!(
                "the cluster has no access entry for {principal}; someone with access to the \
                 cluster's EKS API creates one and grants it an access policy"
            ),
            commands: create_entry_commands(facts, principal),
            snippet: None,
        };
        return (l, Some(fix));
    };
    let kind = entry.kind.as_deref().unwrap_or("STANDARD");
    let mut summary = format!("{kind} entry for {}", entry.principal_arn);
    let mut evidence = vec![];
    if let Some(u) = &entry.username {
        evidence.push(format!("Kubernetes username {u}"));
    }
    if !entry.kubernetes_groups.is_empty() {
        evidence.push(format!(
            "Kubernetes groups {} (what they may do is up to RBAC bindings in the cluster)",
            entry.kubernetes_groups.join(", ")
        ));
    }
    let status;
    let mut fix = None;
    match &access.policies {
        Ok(policies) if !policies.is_empty() => {
            let list: Vec<String> = policies.iter().map(Policy::describe).collect();
            summary.push_str(&format!(", policies {}", list.join("; ")));
            status = Status::Ok;
            if policies
                .iter()
                .all(|p| matches!(p.scope, Scope::Namespace(_)))
            {
                evidence.push(
                    "every policy is namespace-scoped: cluster-wide requests (kubectl get nodes, \
                     get ns, -A) are forbidden"
                        .to_owned(),
                );
            }
        }
        Ok(_) if !entry.kubernetes_groups.is_empty() => {
            summary.push_str(", no access policy");
            status = Status::Ok;
        }
        Ok(_) if kind != "STANDARD" => {
            summary.push_str(", no access policy");
            evidence.push(format!(
                "a {kind} entry is for nodes: it grants node permissions, not kubectl access"
            ));
            status = Status::Failed;
            fix = Some(Fix {
                summary: format!(
                    "the entry for {principal} is a {kind} (node) entry, which cannot carry \
                     access policies; use another principal for kubectl"
                ),
                commands: vec![],
                snippet: None,
            });
        }
        Ok(_) => {
            summary.push_str(", no access policy and no Kubernetes groups");
            evidence.push(
                "the principal can authenticate but is allowed nothing (every request but \
                 /version and whoami is 403 Forbidden)"
                    .to_owned(),
            );
            status = Status::Failed;
            fix = Some(Fix {
                summary: format!(
                    "the access entry for {principal} grants nothing: associate an access policy"
                ),
                commands: vec![associate_command(facts, principal)],
                snippet: None,
            });
        }
        Err(p) => {
            evidence.push(format!("EKS ListAssociatedAccessPolicies: {}", p.text()));
            status = if entry.kubernetes_groups.is_empty() {
                Status::CouldNotCheck
            } else {
                Status::Ok
            };
        }
    }
    let mut l = link(ID, TITLE, status, summary);
    l.evidence = evidence;
    (l, fix)
}

fn api_link(facts: &Facts, principal: Option<&str>) -> (Link, Option<Fix>) {
    const ID: &str = "api";
    const TITLE: &str = "API server";
    let server = facts.server.as_deref().unwrap_or("(no server)");
    if let Err(e) = &facts.token {
        let l = link(ID, TITLE, Status::Failed, format!("no token: {e}"));
        let fix = Fix {
            summary: format!("eks-kc token cannot make a token for the context: {e}"),
            ..Fix::default()
        };
        return (l, Some(fix));
    }
    let api = match &facts.api {
        Ok(api) => api,
        Err(why) => {
            let l = link(ID, TITLE, Status::Failed, why.clone());
            let fix = Fix {
                summary: why.clone(),
                commands: vec![format!("eks-kc sync{}", profile_flag(facts))],
                snippet: None,
            };
            return (l, Some(fix));
        }
    };
    let mut evidence = vec![];
    match &api.version {
        Ok(v) => evidence.push(format!("GET /version: {v}")),
        Err(h) => evidence.push(format!("GET /version: {}", h.describe())),
    }
    match &api.review {
        Some(Ok(u)) => evidence.push(format!(
            "SelfSubjectReview: username {}, groups {}",
            u.username,
            u.groups.join(", ")
        )),
        Some(Err(h)) => evidence.push(format!("SelfSubjectReview: {}", h.describe())),
        None => {}
    }
    // The first failure decides; SelfSubjectReview is the more telling when both answered.
    let failure = match (&api.version, &api.review) {
        (_, Some(Ok(u))) => {
            let mut l = link(
                ID,
                TITLE,
                Status::Ok,
                format!(
                    "{server} authenticates the token as {} (groups {})",
                    u.username,
                    u.groups.join(", ")
                ),
            );
            l.evidence = evidence;
            return (l, None);
        }
        (Err(h @ Http::Unreachable { .. }), _) => h,
        (_, Some(Err(Http::Answered { status: 404, .. }))) if api.version.is_ok() => {
            let mut l = link(
                ID,
                TITLE,
                Status::Ok,
                format!(
                    "{server} answers; it does not serve SelfSubjectReview (Kubernetes before \
                     1.27), so the identity it assigns is not known"
                ),
            );
            l.evidence = evidence;
            return (l, None);
        }
        (_, Some(Err(h))) => h,
        (Err(h), None) => h,
        (Ok(_), None) => {
            let mut l = link(ID, TITLE, Status::Ok, format!("{server} answers"));
            l.evidence = evidence;
            return (l, None);
        }
    };
    let mut l = link(
        ID,
        TITLE,
        Status::Failed,
        format!("{server}: {}", failure.describe()),
    );
    l.evidence = evidence;
    let fix = api_fix(facts, principal, failure);
    (l, Some(fix))
}

fn api_fix(facts: &Facts, principal: Option<&str>, failure: &Http) -> Fix {
    let cluster = facts.cluster_info.as_ref().ok();
    let region_flags = format!(" --region {}{}", facts.region, profile_flag(facts));
    match failure {
        Http::Unreachable { kind, .. } => {
            let private_only = cluster.is_some_and(|c| c.public_access == Some(false));
            let cidrs: Vec<String> = cluster
                .map(|c| c.public_access_cidrs.clone())
                .unwrap_or_default()
                .into_iter()
                .filter(|c| c != "0.0.0.0/0")
                .collect();
            if let Some((server, endpoint)) = endpoint_mismatch(facts) {
                return Fix {
                    summary: format!(
                        "the kubeconfig's server {server} is not the cluster's endpoint \
                         {endpoint}; rewrite the context"
                    ),
                    commands: vec![format!("eks-kc sync{region_flags}")],
                    snippet: None,
                };
            }
            if *kind == NetKind::Tls {
                return Fix {
                    summary: "the server's certificate does not match the kubeconfig's \
                              certificate-authority-data (a proxy that intercepts TLS, or \
                              stale cluster data); rewrite the context from EKS"
                        .to_owned(),
                    commands: vec![format!("eks-kc sync{region_flags}")],
                    snippet: None,
                };
            }
            if private_only {
                return Fix {
                    summary: "the cluster's endpoint is private only: it answers only inside \
                              its VPC (and networks connected to it by VPN, Direct Connect or \
                              peering); run kubectl from there, or enable public access"
                        .to_owned(),
                    commands: vec![format!(
                        "aws eks update-cluster-config --name {}{region_flags} \
                         --resources-vpc-config endpointPublicAccess=true,publicAccessCidrs=YOUR_IP/32",
                        facts.cluster
                    )],
                    snippet: None,
                };
            }
            if !cidrs.is_empty() && matches!(kind, NetKind::Timeout | NetKind::Refused) {
                return Fix {
                    summary: format!(
                        "the public endpoint accepts only {}: add this network's address",
                        cidrs.join(", ")
                    ),
                    commands: vec![format!(
                        "aws eks update-cluster-config --name {}{region_flags} \
                         --resources-vpc-config publicAccessCidrs={},YOUR_IP/32",
                        facts.cluster,
                        cidrs.join(",")
                    )],
                    snippet: None,
                };
            }
            let hint = match kind {
                NetKind::Dns => {
                    "the server's name does not resolve: a private endpoint's name resolves only \
                     inside its VPC; check VPN and DNS settings"
                }
                NetKind::Timeout => {
                    "the server did not answer in time: check the network, VPN, proxy \
                     (HTTPS_PROXY) and firewall (EKS_KC_TIMEOUT sets the limit)"
                }
                NetKind::Refused => {
                    "the server refused the connection: nothing listens at that address; check \
                     the kubeconfig's server"
                }
                _ => "check the network, VPN and proxy settings",
            };
            Fix {
                summary: hint.to_owned(),
                ..Fix::default()
            }
        }
        Http::Answered { status: 401, .. } => {
            if let Some((server, endpoint)) = endpoint_mismatch(facts) {
                return Fix {
                    summary: format!(
                        "the token is for cluster '{}' but the kubeconfig sends it to {server}, \
                         which is not that cluster (its endpoint is {endpoint}): a token names \
                         its cluster and no other cluster accepts it; rewrite the context",
                        facts.cluster
                    ),
                    commands: vec![format!("eks-kc sync{region_flags}")],
                    snippet: None,
                };
            }
            let Some(principal) = principal else {
                return Fix {
                    summary: "the cluster does not accept the token (401): the caller is \
                              unknown, so eks-kc cannot say which mapping is missing"
                        .to_owned(),
                    ..Fix::default()
                };
            };
            let mode = cluster.and_then(|c| c.authentication_mode.as_deref());
            let caller = facts.caller.as_ref().ok().map(|c| c.arn.as_str());
            if mode == Some("CONFIG_MAP") {
                return Fix {
                    summary: format!(
                        "the cluster authenticates only through the aws-auth ConfigMap \
                         (authentication mode CONFIG_MAP), and it does not map {principal}; \
                         someone with cluster access adds the mapping below to the ConfigMap's \
                         data (or switches the cluster to API_AND_CONFIG_MAP and creates an \
                         access entry)"
                    ),
                    commands: vec![
                        "kubectl edit -n kube-system configmap/aws-auth".to_owned(),
                        format!(
                            "aws eks update-cluster-config --name {}{region_flags} \
                             --access-config authenticationMode=API_AND_CONFIG_MAP",
                            facts.cluster
                        ),
                    ],
                    snippet: Some(aws_auth_snippet(principal, caller)),
                };
            }
            let has_entry = matches!(
                &facts.access,
                Ok(Access {
                    entry: Ok(Some(_)),
                    ..
                })
            );
            if has_entry {
                return Fix {
                    summary: format!(
                        "the access entry for {principal} exists, yet the cluster rejects the \
                         token (401): check the machine's clock (the token carries its signing \
                         time) and sign a new token"
                    ),
                    commands: vec![format!("eks-kc cache clear --context {}", facts.context)],
                    snippet: None,
                };
            }
            let mut commands = create_entry_commands(facts, principal);
            let mut summary = format!(
                "the cluster does not map {principal} (401): create an access entry for it"
            );
            if mode != Some("API") {
                summary.push_str(", or map it in the aws-auth ConfigMap");
                commands.push("kubectl edit -n kube-system configmap/aws-auth".to_owned());
            }
            Fix {
                summary,
                commands,
                snippet: (mode != Some("API")).then(|| aws_auth_snippet(principal, caller)),
            }
        }
        Http::Answered { status: 403, .. } => Fix {
            summary: match principal {
                Some(p) => format!(
                    "the cluster authenticates {p} but forbids the request: grant it an \
                     access policy"
                ),
                None => "the cluster forbids the request (403)".to_owned(),
            },
            commands: principal
                .map(|p| vec![associate_command(facts, p)])
                .unwrap_or_default(),
            snippet: None,
        },
        Http::Answered { status, .. } => Fix {
            summary: format!("the API server answered HTTP {status}"),
            ..Fix::default()
        },
    }
}

/// Observations that explain limited access even when nothing failed.
fn notes(facts: &Facts) -> Vec<String> {
    let mut notes = vec![];
    if let Ok(Access {
        policies: Ok(policies),
        ..
    }) = &facts.access
        && !policies.is_empty()
        && policies
            .iter()
            .all(|p| matches!(p.scope, Scope::Namespace(_)))
        && let Some(principal) = principal(facts)
    {
        let namespaces: Vec<String> = policies
            .iter()
            .flat_map(|p| match &p.scope {
                Scope::Namespace(ns) => ns.clone(),
                Scope::Cluster => vec![],
            })
            .collect();
        notes.push(format!(
            "access is limited to the namespaces {}: anything else (other namespaces, nodes, \
             namespaces themselves, -A) answers 403 Forbidden; for cluster-wide access: {}",
            namespaces.join(", "),
            associate_command(facts, &principal)
        ));
    }
    if let Some((server, endpoint)) = endpoint_mismatch(facts)
        && matches!(
            &facts.api,
            Ok(Api {
                review: Some(Ok(_)),
                ..
            })
        )
    {
        notes.push(format!(
            "the kubeconfig's server {server} differs from the cluster's endpoint {endpoint} \
             (a proxy or alias?)"
        ));
    }
    notes
}

/// The username, groups and ARN from a SelfSubjectReview response body.
pub fn parse_review(body: &str) -> Option<UserInfo> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let info = v.get("status")?.get("userInfo")?;
    let strings = |x: Option<&serde_json::Value>| -> Vec<String> {
        x.and_then(|g| g.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(UserInfo {
        username: info.get("username")?.as_str()?.to_owned(),
        groups: strings(info.get("groups")),
        arn: strings(info.get("extra").and_then(|e| e.get("arn")))
            .into_iter()
            .next(),
    })
}

/// The gitVersion of a `/version` response.
pub fn parse_version(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    Some(v.get("gitVersion")?.as_str()?.to_owned())
}

/// The message of a Kubernetes `Status` error body, else the body's first line (shortened).
pub fn status_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body)
        && let Some(m) = v.get("message").and_then(|m| m.as_str())
    {
        return m.to_owned();
    }
    let line = body.lines().next().unwrap_or_default().trim();
    line.chars().take(200).collect()
}

#[cfg(test)]
mod tests;
