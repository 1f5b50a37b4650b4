//! Removing everything eks-kc wrote: the undo of `sync` (`eks-kc forget`). Pure, like the merge.

use serde::Serialize;
use serde_yaml::Value;

use super::{Kubeconfig, Section, context_user, is_marked, marker_of, name_of};

/// What [`Kubeconfig::forget_managed`] removed, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Forgotten {
    pub contexts: Vec<String>,
    pub clusters: Vec<String>,
    /// Whether the shared `eks-kc` user was removed.
    pub user: bool,
    /// The current context, when it was one of the removed contexts (it is cleared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleared_current_context: Option<String>,
}

impl Forgotten {
    pub fn is_empty(&self) -> bool {
        self.contexts.is_empty() && self.clusters.is_empty() && !self.user
    }
}

impl Kubeconfig {
    /// Removes every cluster and context carrying eks-kc's marker, and the shared user once no
    /// marked context is left. Entries whose marker names no cluster (copied by hand) are
    /// nobody's and stay, as in the merge. A current context that named a removed context is
    /// cleared, so kubectl does not point at a context that is gone.
    pub fn forget_managed(&mut self) -> Forgotten {
        let mut gone = Forgotten::default();
        for (list, names) in [
            (Section::Clusters, &mut gone.clusters),
            (Section::Contexts, &mut gone.contexts),
        ] {
            self.list_mut(list).retain(|e: &Value| {
                let ours = marker_of(e).is_some();
                if ours && let Some(n) = name_of(e) {
                    names.push(n.to_owned());
                }
                !ours
            });
            names.sort();
        }
        // eks-kc's users (the shared one, per-context ones) go once no marked context is left
        // (a hand-copied one might still need them), unless another context still uses them.
        if !self.list(Section::Contexts).iter().any(is_marked) {
            let referenced: Vec<String> = self
                .list(Section::Contexts)
                .iter()
                .filter_map(|c| context_user(c).map(str::to_owned))
                .collect();
            let users = self.list_mut(Section::Users);
            let before = users.len();
            users.retain(|u| {
                !is_marked(u) || name_of(u).is_some_and(|n| referenced.iter().any(|r| r == n))
            });
            gone.user = users.len() != before;
        }
        if let Some(current) = self.current_context()
            && gone.contexts.iter().any(|c| c == current)
        {
            gone.cleared_current_context = Some(current.to_owned());
            self.set_current_context("");
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
clusters:
- name: ours
  cluster:
    server: https://a
    extensions:
    - {name: eks-kc, extension: {managedBy: eks-kc, profile: p, region: eu-west-1, clusterName: c}}
- name: theirs
  cluster: {server: https://b}
contexts:
- name: ours
  context:
    cluster: ours
    user: eks-kc
    extensions:
    - {name: eks-kc, extension: {managedBy: eks-kc, profile: p, region: eu-west-1, clusterName: c}}
- name: copied
  context:
    cluster: theirs
    user: me
    extensions:
    - {name: eks-kc, extension: {managedBy: eks-kc}}
- name: theirs
  context: {cluster: theirs, user: me}
users:
- name: eks-kc
  user:
    exec: {command: eks-kc}
    extensions:
    - {name: eks-kc, extension: {managedBy: eks-kc}}
- name: me
  user: {token: x}
current-context: ours
";

    #[test]
    fn only_entries_with_a_usable_marker_go() {
        let mut k = Kubeconfig::parse(DOC).unwrap();
        let gone = k.forget_managed();
        assert_eq!(gone.clusters, ["ours"]);
        assert_eq!(gone.contexts, ["ours"]);
        // A hand-copied marker without a cluster is nobody's: it stays, and so does the user
        // it might still need.
        assert_eq!(k.context_names(), ["copied", "theirs"]);
        assert!(!gone.user);
        assert_eq!(gone.cleared_current_context.as_deref(), Some("ours"));
        assert_eq!(k.current_context(), None);
        assert!(k.forget_managed().is_empty());
    }

    #[test]
    fn the_user_goes_with_the_last_marked_context() {
        let doc = DOC.replace(
            "    - {name: eks-kc, extension: {managedBy: eks-kc}}\n- name: theirs\n  context",
            "- name: theirs\n  context",
        );
        let mut k = Kubeconfig::parse(&doc).unwrap();
        let gone = k.forget_managed();
        assert!(gone.user, "{gone:?}");
        assert_eq!(k.names(Section::Users), ["me"]);
    }
}
