//! The credentials, principal and cluster links.

use chrono::{DateTime, Utc};

use super::*;

pub(super) fn expired_fix(facts: &Facts, what: &str) -> Fix {
    let mut commands: Vec<String> = sign_in_again(facts).into_iter().collect();
    let signs_in = !commands.is_empty();
    commands.push(format!(
        "{bin} cache clear --context {}",
        facts.context,
        bin = crate::display::bin()
    ));
    let how = if signs_in {
        "sign in again".to_owned()
    } else {
        format!(
            "renew them (new session keys in the credentials file or environment, or `{} login` \
             for an MFA profile)",
            crate::display::bin()
        )
    };
    Fix {
        summary: format!("{what}; {how}, then drop the tokens signed with the old ones"),
        commands,
        snippet: None,
    }
}

/// What STS said about the caller: its ARN and account, and the role session name the cluster
/// sees (in an assumed-role ARN).
fn caller_evidence(c: &Caller) -> Vec<String> {
    let account = c
        .account
        .as_deref()
        .map(|a| format!(" (account {a})"))
        .unwrap_or_default();
    let mut lines = vec![format!("STS GetCallerIdentity: {}{account}", c.arn)];
    if let Some(session) = crate::token::verify::session_name(&c.arn) {
        lines.push(format!(
            "role session name {session}: what the cluster and CloudTrail see \
             (--role-session-name or the profile's role_session_name sets it)"
        ));
    }
    lines
}

/// Whether eks-kc has credentials for the context, of what kind, whether they expired, and
/// what STS says of them (`caller_verdict`).
pub(super) fn credentials_link(facts: &Facts, now: DateTime<Utc>) -> (Link, Option<Fix>) {
    let creds = match &facts.credentials {
        Ok(c) => c,
        Err(e) => {
            let l = creds_link(Status::Failed, format!("none usable: {e}"), vec![]);
            let fix = Fix {
                summary: format!("eks-kc cannot get AWS credentials for the context: {e}"),
                commands: sign_in_again(facts).into_iter().collect(),
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
    let expiry = expiry_text(creds.expiry, now);
    let evidence = vec![format!(
        "{} from {}{expiry}",
        creds.access_key_id, creds.source
    )];
    let summary = format!("{kind} from {}", creds.source);
    if let Some(at) = creds.expiry.filter(|at| *at <= now) {
        let l = creds_link(Status::Failed, format!("{summary}, expired"), evidence);
        let what = format!(
            "the credentials expired at {}",
            at.format("%Y-%m-%dT%H:%M:%SZ")
        );
        return (l, Some(expired_fix(facts, &what)));
    }
    caller_verdict(facts, creds, summary, evidence)
}

/// `, expired T` / `, expire T (in N min)` / nothing, for the credentials' evidence.
fn expiry_text(expiry: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match expiry {
        Some(at) if at <= now => format!(", expired {}", at.format("%Y-%m-%dT%H:%M:%SZ")),
        Some(at) => format!(
            ", expire {} (in {} min)",
            at.format("%Y-%m-%dT%H:%M:%SZ"),
            (at - now).num_minutes()
        ),
        None => String::new(),
    }
}

/// The credentials link from what STS GetCallerIdentity said: the caller, credentials it
/// rejects (with the fix), or that it could not be asked.
fn caller_verdict(
    facts: &Facts,
    creds: &Credentials,
    summary: String,
    mut evidence: Vec<String>,
) -> (Link, Option<Fix>) {
    match &facts.caller {
        Ok(c) => {
            evidence.extend(caller_evidence(c));
            let l = creds_link(Status::Ok, format!("{summary}, caller {}", c.arn), evidence);
            (l, None)
        }
        Err(Ok(p)) if p.rejects_credentials() => {
            evidence.push(format!("STS GetCallerIdentity: {}", p.text()));
            let l = creds_link(
                Status::Failed,
                format!(
                    "{summary}, rejected by STS ({})",
                    p.code.as_deref().unwrap_or("")
                ),
                evidence,
            );
            (l, Some(rejected_fix(facts, creds, p)))
        }
        Err(reason) => {
            evidence.push(format!(
                "STS GetCallerIdentity could not be asked: {}",
                not_checked(reason)
            ));
            let l = creds_link(
                Status::CouldNotCheck,
                format!("{summary}; the caller is unknown"),
                evidence,
            );
            (l, None)
        }
    }
}

/// The credentials link.
fn creds_link(status: Status, summary: String, evidence: Vec<String>) -> Link {
    let mut l = link("credentials", "credentials", status, summary);
    l.evidence = evidence;
    l
}

/// STS rejected the credentials: expired ones are renewed, others replaced.
fn rejected_fix(facts: &Facts, creds: &Credentials, p: &Problem) -> Fix {
    if p.is_expired() {
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
    }
}

pub(super) fn principal_link(facts: &Facts, principal: Option<&str>) -> (Link, Option<Fix>) {
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

pub(super) fn same_url(a: &str, b: &str) -> bool {
    let norm = |u: &str| u.trim().trim_end_matches('/').to_ascii_lowercase();
    norm(a) == norm(b)
}

/// The kubeconfig sends the token to another server than the cluster's endpoint.
pub(super) fn endpoint_mismatch(facts: &Facts) -> Option<(String, String)> {
    let c = facts.cluster_info.as_ref().ok()?;
    let endpoint = c.endpoint.as_deref()?;
    let server = facts.server.as_deref()?;
    (!same_url(endpoint, server)).then(|| (server.to_owned(), endpoint.to_owned()))
}

pub(super) fn access_mode(c: &Cluster) -> String {
    match (c.public_access, c.private_access) {
        (Some(true), Some(true)) => "public and private".to_owned(),
        (Some(true), _) => "public".to_owned(),
        (Some(false), Some(true)) => "private only".to_owned(),
        (Some(false), _) => "neither public nor private".to_owned(),
        (None, _) => "access unknown".to_owned(),
    }
}

pub(super) fn cluster_link(facts: &Facts) -> (Link, Option<Fix>) {
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
                    "{bin} sync{} --region {} --prune",
                    profile_flag(facts),
                    facts.region,
                    bin = crate::display::bin()
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
    let mode = c
        .authentication_mode
        .as_ref()
        .map_or("unknown", AuthenticationMode::as_str);
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
