//! What a merge did: the changes by context name, and each conflict (a cluster not written
//! under a name) with its reason as data and as the sentence the summary and JSON report show.

use serde::Serialize;

use super::ClusterId;

/// What a merge changed, by context name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChangeSet {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    pub pruned: Vec<String>,
    pub conflicts: Vec<Conflict>,
    /// Set when `current-context` names a context this merge pruned (it is left as it was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dangling_current_context: Option<String>,
    /// Whether a managed user was created, changed or removed.
    #[serde(skip)]
    pub user_changed: bool,
    /// Set when the kubeconfig had no current context and this merge chose one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_context_set: Option<String>,
}

impl ChangeSet {
    /// Whether the merge changed the document at all (so the file must be written).
    pub fn writes(&self) -> bool {
        self.user_changed
            || self.current_context_set.is_some()
            || !(self.added.is_empty() && self.updated.is_empty() && self.pruned.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub name: String,
    pub cluster: ClusterId,
    /// Written as its sentence in the JSON report.
    pub reason: ConflictReason,
}

/// Why a cluster of this run was not written under a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictReason {
    /// Another file of KUBECONFIG (`file`) defines the name: kubectl would merge the two.
    NameInOtherFile { name: String, file: String },
    /// Another cluster or context of this file has the name.
    NameTaken { name: String },
    /// The context of a managed cluster was replaced by one eks-kc did not write.
    ForeignContext { name: String },
    /// The per-context user's name is used by a user eks-kc did not write, in `file` (`None`:
    /// this file).
    ForeignUser { user: String, file: Option<String> },
}

impl std::fmt::Display for ConflictReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConflictReason::NameInOtherFile { name, file } => write!(
                f,
                "the name '{name}' is already used in {file}, another file of KUBECONFIG \
                 (kubectl merges files by name); choose another with --name-template"
            ),
            ConflictReason::NameTaken { name } => write!(
                f,
                "the name '{name}' is already used by another cluster or context; choose \
                 another with --name-template"
            ),
            ConflictReason::ForeignContext { name } => write!(
                f,
                "a context named '{name}' exists and was not written by eks-kc"
            ),
            ConflictReason::ForeignUser {
                user,
                file: Some(file),
            } => write!(
                f,
                "the user name '{user}' is already used in {file}, another file of KUBECONFIG"
            ),
            ConflictReason::ForeignUser { user, file: None } => {
                write!(
                    f,
                    "a user named '{user}' exists and was not written by eks-kc"
                )
            }
        }
    }
}

impl Serialize for ConflictReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
