//! What the picker of `use` offers, in which order, and the line it shows under each context:
//! its cluster, region, who signs (account and role, or profile), namespace and cached token,
//! all from local files (the kubeconfig digest and the token cache: no AWS call, no YAML).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::pick::Row;
use crate::engine::TokenCache;
use crate::exec::ClusterConfig;
use crate::kubeconfig::ManagedContext;
use crate::kubeconfig::digest::Summary;

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
    let known: HashSet<&str> = names.iter().map(String::as_str).collect();
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    let mut taken = HashSet::new();
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

/// What the line under each context is made of, from the kubeconfig's digest: owned, so the
/// rows past the first screen can be made on another thread while the picker is open.
///
/// Contexts eks-kc neither wrote nor adopted are described by what the digest judged of them
/// (the first `digest::FOREIGN_JUDGED` such ones: EKS or not); the others past those show their
/// namespace only, since telling whether they are EKS contexts would need the YAML parsed.
pub struct Details {
    eks: HashMap<String, ManagedContext>,
    namespaces: BTreeMap<String, String>,
    /// Contexts the digest judged not to be EKS ones.
    not_eks: HashSet<String>,
    current: Option<String>,
    tokens: Tokens,
}

impl Details {
    /// The details of `summary`'s contexts; `tokens` the token cache to tell their token state
    /// from (none: no token state shown).
    pub fn new(summary: Summary, tokens: Tokens) -> Details {
        let Summary {
            names,
            current,
            managed,
            adopted,
            foreign,
            namespaces,
            judged,
            ..
        } = summary;
        let mut eks = HashMap::with_capacity(managed.len() + adopted.len() + foreign.len());
        for m in managed.into_iter().chain(adopted).chain(foreign) {
            eks.entry(m.name.clone()).or_insert(m);
        }
        let not_eks = (names.into_iter().take(judged))
            .filter(|n| !eks.contains_key(n))
            .collect();
        Details {
            eks,
            namespaces,
            not_eks,
            current,
            tokens,
        }
    }

    /// The row of context `name`, with its line of detail.
    pub fn row(&self, name: &str) -> Row {
        let ns = super::effective(self.namespaces.get(name).map(String::as_str));
        let detail = match self.eks.get(name) {
            Some(m) => eks_detail(m, ns, &self.tokens),
            None if self.not_eks.contains(name) => format!("not an EKS context | namespace {ns}"),
            None => format!("namespace {ns}"),
        };
        Row::new(name, self.current.as_deref() == Some(name), &detail)
    }
}

/// The token cache as one listing of its directory (so only the entries that exist are read),
/// its refresh margin and the time to judge the entries at.
pub struct Tokens(Option<(TokenCache, HashSet<String>, chrono::Duration, DateTime<Utc>)>);

impl Tokens {
    /// The token cache in `cache_dir`, with the refresh margin `margin`; `None`: no token state.
    pub fn new(cache_dir: Option<&std::path::Path>, margin: chrono::Duration) -> Tokens {
        Tokens(cache_dir.map(|dir| {
            let cache = TokenCache::new(dir.to_path_buf());
            // A cache that cannot be listed has no entries to tell of.
            let present = cache.present().unwrap_or_default();
            (cache, present, margin, Utc::now())
        }))
    }

    fn text(&self, m: &ManagedContext) -> Option<String> {
        let (cache, present, margin, now) = self.0.as_ref()?;
        let (token, left) = crate::cmd::list::token_state(m, cache, Some(present), *now, *margin);
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
- name: aws
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, us-east-1, eks, get-token, --cluster-name, old]
      env: [{name: AWS_PROFILE, value: legacy}]
contexts:
- name: prod
  context: {cluster: c1, user: eks-kc, namespace: web}
- name: kind
  context: {cluster: k, user: kind}
- name: old
  context: {cluster: k, user: aws}
current-context: kind
";
        let view = crate::kubeconfig::file::View {
            files: vec![(
                "/k".into(),
                crate::kubeconfig::Kubeconfig::parse(text).unwrap(),
            )],
        };
        let summary = Summary::of(&view);
        let none = || Tokens::new(None, chrono::Duration::minutes(5));
        let details = Details::new(summary.clone(), none());
        let rows: Vec<Row> = ["prod", "kind"].map(|n| details.row(n)).to_vec();
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
        // `aws eks update-kubeconfig`'s kind of context: identified when the digest is made.
        assert_eq!(
            details.row("old").shown,
            "old\n    cluster old | us-east-1 | profile legacy | namespace default"
        );
        // A context the digest did not judge (past its bound) shows its namespace only.
        let details = Details::new(
            Summary {
                judged: 0,
                ..summary
            },
            none(),
        );
        assert_eq!(
            details.row("kind").shown,
            "kind  (current)\n    namespace default"
        );
    }
}
