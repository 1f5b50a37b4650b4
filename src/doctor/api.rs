//! The API-server link, its fixes, the report's notes, and the parsing of what the API server
//! answers.

use super::*;

pub(super) fn api_link(facts: &Facts, principal: Option<&str>) -> (Link, Option<Fix>) {
    const ID: &str = "api";
    const TITLE: &str = "API server";
    let server = facts.server.as_deref().unwrap_or("(no server)");
    if let Err(e) = &facts.token {
        let l = link(ID, TITLE, Status::Failed, format!("no token: {e}"));
        let fix = Fix {
            summary: format!(
                "{bin} token cannot make a token for the context: {e}",
                bin = crate::display::bin()
            ),
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
                commands: vec![format!(
                    "{bin} sync{}",
                    profile_flag(facts),
                    bin = crate::display::bin()
                )],
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

/// The fix for the API server's failure: unreachable, 401 (not authenticated), 403 (not
/// allowed), or another answer.
pub(super) fn api_fix(facts: &Facts, principal: Option<&str>, failure: &Http) -> Fix {
    match failure {
        Http::Unreachable { kind, .. } => unreachable_fix(facts, *kind),
        Http::Answered { status: 401, .. } => unauthorized_fix(facts, principal),
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

/// ` --region R --profile P` for the fix commands.
fn region_flags(facts: &Facts) -> String {
    format!(" --region {}{}", facts.region, profile_flag(facts))
}

/// The server did not answer: a stale server or certificate, a private-only endpoint, an
/// address the public endpoint does not accept, else what the network failure suggests.
fn unreachable_fix(facts: &Facts, kind: NetKind) -> Fix {
    let cluster = facts.cluster_info.as_ref().ok();
    let region_flags = region_flags(facts);
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
            commands: vec![format!(
                "{bin} sync{region_flags}",
                bin = crate::display::bin()
            )],
            snippet: None,
        };
    }
    if kind == NetKind::Tls {
        return Fix {
            summary: "the server's certificate does not match the kubeconfig's \
                      certificate-authority-data (a proxy that intercepts TLS, or \
                      stale cluster data); rewrite the context from EKS"
                .to_owned(),
            commands: vec![format!(
                "{bin} sync{region_flags}",
                bin = crate::display::bin()
            )],
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
    Fix {
        summary: network_hint(kind).to_owned(),
        ..Fix::default()
    }
}

/// What a network failure of this kind suggests checking.
fn network_hint(kind: NetKind) -> &'static str {
    match kind {
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
    }
}

/// The cluster does not accept the token (401): it went to another server, the caller is
/// unknown, the cluster reads only the aws-auth ConfigMap, the entry exists (a clock problem),
/// or nothing maps the principal.
fn unauthorized_fix(facts: &Facts, principal: Option<&str>) -> Fix {
    let region_flags = region_flags(facts);
    if let Some((server, endpoint)) = endpoint_mismatch(facts) {
        return Fix {
            summary: format!(
                "the token is for cluster '{}' but the kubeconfig sends it to {server}, \
                 which is not that cluster (its endpoint is {endpoint}): a token names \
                 its cluster and no other cluster accepts it; rewrite the context",
                facts.cluster
            ),
            commands: vec![format!(
                "{bin} sync{region_flags}",
                bin = crate::display::bin()
            )],
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
    let mode = facts
        .cluster_info
        .as_ref()
        .ok()
        .and_then(|c| c.authentication_mode.as_ref());
    let caller = facts.caller.as_ref().ok().map(|c| c.arn.as_str());
    if mode == Some(&AuthenticationMode::ConfigMap) {
        return config_map_only_fix(facts, principal, caller);
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
            commands: vec![format!(
                "{bin} cache clear --context {}",
                facts.context,
                bin = crate::display::bin()
            )],
            snippet: None,
        };
    }
    let mut commands = create_entry_commands(facts, principal);
    let mut summary =
        format!("the cluster does not map {principal} (401): create an access entry for it");
    if mode != Some(&AuthenticationMode::Api) {
        summary.push_str(", or map it in the aws-auth ConfigMap");
        commands.push("kubectl edit -n kube-system configmap/aws-auth".to_owned());
    }
    Fix {
        summary,
        commands,
        snippet: (mode != Some(&AuthenticationMode::Api))
            .then(|| aws_auth_snippet(principal, caller)),
    }
}

/// A 401 from a cluster that authenticates only through the aws-auth ConfigMap: map the
/// principal there (or switch the authentication mode and create an access entry).
fn config_map_only_fix(facts: &Facts, principal: &str, caller: Option<&str>) -> Fix {
    let region_flags = region_flags(facts);
    Fix {
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
    }
}

/// Observations that explain limited access even when nothing failed.
pub(super) fn notes(facts: &Facts) -> Vec<String> {
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
