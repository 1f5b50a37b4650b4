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

pub(super) fn access_link(facts: &Facts, principal: Option<&str>) -> (Link, Option<Fix>) {
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
        if mode == Some(AuthenticationMode::ApiAndConfigMap) || mode.is_none() {
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
