//! The access-entry link and the commands that create or fix an entry (or the aws-auth
//! mapping, for clusters that read only the ConfigMap).

use super::*;

pub(super) fn create_entry_commands(facts: &Facts, principal: &str) -> Vec<String> {
    vec![
        format!(
            "aws eks create-access-entry --cluster-name {} --region {} --principal-arn {principal}",
            facts.cluster, facts.region
        ),
        associate_command(facts, principal),
    ]
}

pub(super) fn associate_command(facts: &Facts, principal: &str) -> String {
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
pub(super) fn near_misses(principals: &[String], principal: &str) -> Vec<String> {
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

/// The access-entry link's id and title.
const ID: &str = "access";
const TITLE: &str = "access entry";

/// Whether the principal has an access entry, and what it grants: skipped on a cluster that
/// reads only the aws-auth ConfigMap, unknown without the principal or the entry's details.
pub(super) fn access_link(facts: &Facts, principal: Option<&str>) -> (Link, Option<Fix>) {
    let mode = facts
        .cluster_info
        .as_ref()
        .ok()
        .and_then(|c| c.authentication_mode.clone());
    let access = match &facts.access {
        Ok(a) => a,
        Err(why) => {
            let status = if mode == Some(AuthenticationMode::ConfigMap) {
                Status::Skipped
            } else {
                Status::CouldNotCheck
            };
            return (link(ID, TITLE, status, why.clone()), None);
        }
    };
    let config_map_only = mode == Some(AuthenticationMode::ConfigMap)
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
    match principal_entry(access, principal) {
        Err(unknown) => (unknown, None),
        Ok(None) => no_entry_link(facts, access, principal, mode.as_ref()),
        Ok(Some(entry)) => entry_link(facts, access, &entry, principal),
    }
}

/// The principal's entry, `None` when it has none (DescribeAccessEntry, else
/// ListAccessEntries); or, when neither says, the link that says it is unknown.
fn principal_entry(access: &Access, principal: &str) -> Result<Option<Entry>, Link> {
    let listed_has = access
        .principals
        .as_ref()
        .ok()
        .map(|all| all.iter().any(|p| p == principal));
    match (&access.entry, listed_has) {
        (Ok(e), _) => Ok(e.clone()),
        (Err(_), Some(false)) => Ok(None),
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
            Err(l)
        }
    }
}

/// The principal has no entry: a failure with its fix, unless the cluster also reads the
/// aws-auth ConfigMap and the API server authenticated the caller (mapped there, then).
fn no_entry_link(
    facts: &Facts,
    access: &Access,
    principal: &str,
    mode: Option<&AuthenticationMode>,
) -> (Link, Option<Fix>) {
    let misses = access
        .principals
        .as_ref()
        .map(|all| near_misses(all, principal))
        .unwrap_or_default();
    let authenticated = matches!(
        &facts.api,
        Ok(Api {
            review: Some(Ok(_)),
            ..
        })
    );
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
    if mode == Some(&AuthenticationMode::ApiAndConfigMap) || mode.is_none() {
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
    (l, Some(fix))
}

/// The principal's entry: its kind, Kubernetes username and groups, and what its access
/// policies grant (`judge_policies`).
fn entry_link(
    facts: &Facts,
    access: &Access,
    entry: &Entry,
    principal: &str,
) -> (Link, Option<Fix>) {
    let kind = entry_kind(entry);
    let summary = format!("{kind} entry for {}", entry.principal_arn);
    let mut l = link(ID, TITLE, Status::Ok, summary);
    if let Some(u) = &entry.username {
        l.evidence.push(format!("Kubernetes username {u}"));
    }
    if !entry.kubernetes_groups.is_empty() {
        l.evidence.push(format!(
            "Kubernetes groups {} (what they may do is up to RBAC bindings in the cluster)",
            entry.kubernetes_groups.join(", ")
        ));
    }
    let fix = judge_policies(&mut l, facts, &access.policies, entry, principal);
    (l, fix)
}

/// Completes the entry's link `l` from its access policies: ok with policies or Kubernetes
/// groups, failed for a node entry or an entry that grants nothing (with the fix), unknown
/// when the policies could not be listed and the entry has no groups.
fn judge_policies(
    l: &mut Link,
    facts: &Facts,
    policies: &Result<Vec<Policy>, Problem>,
    entry: &Entry,
    principal: &str,
) -> Option<Fix> {
    let kind = entry_kind(entry);
    match policies {
        Ok(policies) if !policies.is_empty() => {
            let list: Vec<String> = policies.iter().map(Policy::describe).collect();
            l.summary
                .push_str(&format!(", policies {}", list.join("; ")));
            l.status = Status::Ok;
            if policies
                .iter()
                .all(|p| matches!(p.scope, Scope::Namespace(_)))
            {
                l.evidence.push(
                    "every policy is namespace-scoped: cluster-wide requests (kubectl get nodes, \
                     get ns, -A) are forbidden"
                        .to_owned(),
                );
            }
            None
        }
        Ok(_) if !entry.kubernetes_groups.is_empty() => {
            l.summary.push_str(", no access policy");
            l.status = Status::Ok;
            None
        }
        Ok(_) if kind != "STANDARD" => {
            l.summary.push_str(", no access policy");
            l.evidence.push(format!(
                "a {kind} entry is for nodes: it grants node permissions, not kubectl access"
            ));
            l.status = Status::Failed;
            Some(node_entry_fix(principal, kind))
        }
        Ok(_) => {
            l.summary
                .push_str(", no access policy and no Kubernetes groups");
            l.evidence.push(
                "the principal can authenticate but is allowed nothing (every request but \
                 /version and whoami is 403 Forbidden)"
                    .to_owned(),
            );
            l.status = Status::Failed;
            Some(grants_nothing_fix(facts, principal))
        }
        Err(p) => {
            l.evidence
                .push(format!("EKS ListAssociatedAccessPolicies: {}", p.text()));
            l.status = if entry.kubernetes_groups.is_empty() {
                Status::CouldNotCheck
            } else {
                Status::Ok
            };
            None
        }
    }
}

/// An entry's type, `STANDARD` when EKS did not say.
fn entry_kind(entry: &Entry) -> &str {
    entry.kind.as_deref().unwrap_or("STANDARD")
}

/// A node entry (`kind`, not STANDARD) without policies: it cannot carry any.
fn node_entry_fix(principal: &str, kind: &str) -> Fix {
    Fix {
        summary: format!(
            "the entry for {principal} is a {kind} (node) entry, which cannot carry \
             access policies; use another principal for kubectl"
        ),
        commands: vec![],
        snippet: None,
    }
}

/// A STANDARD entry with neither access policies nor Kubernetes groups.
fn grants_nothing_fix(facts: &Facts, principal: &str) -> Fix {
    Fix {
        summary: format!(
            "the access entry for {principal} grants nothing: associate an access policy"
        ),
        commands: vec![associate_command(facts, principal)],
        snippet: None,
    }
}
