//! What the picker of `use` offers, in which order, and the line it shows under each context:
//! its cluster, region, who signs (account and role, or profile), namespace and cached token,
//! all from local files (the kubeconfig and the token cache: no AWS call).

use std::collections::HashMap;

use chrono::Utc;

use super::pick::Row;
use crate::engine::TokenCache;
use crate::exec::ClusterConfig;
use crate::kubeconfig::file::View;
use crate::kubeconfig::{Kubeconfig, ManagedContext, identify_context};

/// Contexts eks-kc did not write are identified (which EKS identity their user signs as) one
/// by one, each a walk through the files: past this many, the rest show their namespace only.
const FOREIGN_LOOKUPS: usize = 200;

/// The order of the candidates while the query is empty: the `recent` ones (most recent first),
/// then the others in the kubeconfig's order. The current context is not offered as a recent
/// one (it always is the most recent); `current_first` puts it before everything instead
/// (`use --shell`, where Enter on it keeps it for the shell). Pure.
pub fn order(
    names: &[String],
    recent: &[String],
    current: Option<&str>,
    current_first: bool,
) -> Vec<String> {
    let known: std::collections::HashSet<&str> = names.iter().map(String::as_str).collect();
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    let mut taken = std::collections::HashSet::new();
    let head = current.filter(|_| current_first).map(str::to_owned);
    let recent = recent
        .iter()
        .filter(|n| Some(n.as_str()) != current)
        .cloned();
    for name in head.into_iter().chain(recent).chain(names.iter().cloned()) {
        if known.contains(name.as_str()) && taken.insert(name.clone()) {
            out.push(name);
        }
    }
    out
}

/// A row for each of `order` (names of `view`), with its line of detail.
pub fn contexts(view: &View, order: &[String], current: Option<&str>) -> Vec<Row> {
    let managed: HashMap<String, ManagedContext> = view
        .managed()
        .into_iter()
        .map(|m| (m.name.clone(), m))
        .collect();
    let mut namespaces: HashMap<String, Option<String>> = HashMap::new();
    for (_, k) in &view.files {
        for (name, ns) in k.context_namespaces() {
            namespaces.entry(name).or_insert(ns);
        }
    }
    let files: Vec<&Kubeconfig> = view.files.iter().map(|(_, k)| k).collect();
    let tokens = Tokens::new();
    let mut lookups = 0;
    order
        .iter()
        .map(|name| {
            let foreign = match managed.get(name) {
                Some(_) => None,
                None if lookups < FOREIGN_LOOKUPS => {
                    lookups += 1;
                    identify_context(&files, name).ok().map(|i| i.to_managed())
                }
                None => None,
            };
            let ns = super::effective(namespaces.get(name.as_str()).and_then(|n| n.as_deref()));
            let detail = match managed.get(name).or(foreign.as_ref()) {
                Some(m) => eks_detail(m, ns, &tokens),
                None => format!("not an EKS context | namespace {ns}"),
            };
            Row::new(name, current == Some(name.as_str()), &detail)
        })
        .collect()
}

/// The token cache and its refresh margin, when there is one to read.
struct Tokens(Option<(TokenCache, chrono::Duration)>);

impl Tokens {
    fn new() -> Tokens {
        let settings = crate::settings::Settings::from_env().ok();
        Tokens(settings.and_then(|s| {
            let dir = s.cache_dir().ok()?.to_path_buf();
            Some((TokenCache::new(dir), s.refresh_margin))
        }))
    }

    fn text(&self, m: &ManagedContext) -> Option<String> {
        let (cache, margin) = self.0.as_ref()?;
        let (token, left) = crate::cmd::list::token_state(m, cache, None, Utc::now(), *margin);
        Some(match token {
            "none" => "no token cached".to_owned(),
            _ => format!(
                "token {}",
                crate::cmd::list::token_text(token, left, *margin)
            ),
        })
    }
}

fn eks_detail(m: &ManagedContext, ns: &str, tokens: &Tokens) -> String {
    let mut parts = vec![
        format!("cluster {}", m.id.cluster_name),
        m.id.region.clone(),
        signer(&m.exec, &m.id.profile),
        format!("namespace {ns}"),
    ];
    parts.extend(tokens.text(m));
    parts.join(" | ")
}

/// Who signs for the cluster: the IAM Identity Center account and role, the role a profile
/// assumes (its account and name), or the profile.
fn signer(exec: &ClusterConfig, profile: &str) -> String {
    if let (Some(account), Some(role)) = (&exec.account_id, &exec.role_name) {
        return format!("account {account}, role {role}");
    }
    match exec.role_arn.as_deref() {
        Some(arn) => match role_of(arn) {
            Some((account, role)) => format!("account {account}, role {role} (profile {profile})"),
            None => format!("role {arn} (profile {profile})"),
        },
        None => format!("profile {profile}"),
    }
}

/// The account and role name of `arn:P:iam::ACCOUNT:role/PATH/NAME`.
fn role_of(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, _, _, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    (!account.is_empty() && !name.is_empty()).then_some((account, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recent_contexts_come_first_and_the_current_one_is_not_among_them() {
        let names = strings(&["a", "b", "c", "d"]);
        let recent = strings(&["c", "gone", "b", "c"]);
        assert_eq!(
            order(&names, &recent, Some("c"), false),
            strings(&["b", "a", "c", "d"])
        );
        assert_eq!(
            order(&names, &recent, Some("c"), true),
            strings(&["c", "b", "a", "d"])
        );
        assert_eq!(order(&names, &[], None, true), names);
    }

    #[test]
    fn the_signer_is_the_account_and_role_when_they_are_known() {
        let sso = ClusterConfig {
            account_id: Some("111122223333".into()),
            role_name: Some("Admin".into()),
            ..ClusterConfig::default()
        };
        assert_eq!(signer(&sso, "default"), "account 111122223333, role Admin");
        let assumed = ClusterConfig {
            role_arn: Some("arn:aws:iam::444455556666:role/team/Deploy".into()),
            ..ClusterConfig::default()
        };
        assert_eq!(
            signer(&assumed, "ops"),
            "account 444455556666, role Deploy (profile ops)"
        );
        let odd = ClusterConfig {
            role_arn: Some("not-an-arn".into()),
            ..ClusterConfig::default()
        };
        assert_eq!(signer(&odd, "ops"), "role not-an-arn (profile ops)");
        assert_eq!(signer(&ClusterConfig::default(), "ops"), "profile ops");
    }

    #[test]
    fn rows_describe_eks_and_other_contexts() {
        let text = "\
clusters:
- name: c1
  cluster:
    server: https://c1.example
    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {clusterName: prod, region: eu-west-1, profile: ops}
- name: k
  cluster: {server: 'https://127.0.0.1:6443'}
users:
- name: eks-kc
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: eks-kc, args: [token]}
- name: kind
  user: {token: t}
contexts:
- name: prod
  context: {cluster: c1, user: eks-kc, namespace: web}
- name: kind
  context: {cluster: k, user: kind}
current-context: kind
";
        let view = View {
            files: vec![("/k".into(), Kubeconfig::parse(text).unwrap())],
        };
        let rows = contexts(&view, &strings(&["prod", "kind"]), Some("kind"));
        assert_eq!(rows[0].value, "prod");
        assert!(
            rows[0]
                .shown
                .starts_with("prod\n    cluster prod | eu-west-1 | profile ops | namespace web"),
            "{}",
            rows[0].shown
        );
        assert_eq!(
            rows[1].shown,
            "kind  (current)\n    not an EKS context | namespace default"
        );
    }
}
