//! Removing everything eks-kc wrote: the undo of `sync` (`eks-kc forget`). Pure, like the merge.

use serde::Serialize;
use serde_yaml::Value;

use super::{Kubeconfig, USER_NAME, is_marked, marker_of, name_of};

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
            ("clusters", &mut gone.clusters),
            ("contexts", &mut gone.contexts),
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
        if !self.list("contexts").iter().any(is_marked) {
            let users = self.list_mut("users");
            let before = users.len();
            users.retain(|u| !(name_of(u) == Some(USER_NAME) && is_marked(u)));
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
