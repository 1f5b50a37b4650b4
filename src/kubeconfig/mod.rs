//! The kubeconfig: the document model and eks-kc's view of it (this file), the merge that
//! `sync` applies (`merge`), context names (`template`), and YAML text as kubectl reads it
//! (`yaml`, the only place that parses or writes YAML). Pure: text in, text out.
//!
//! The document is kept as a YAML tree, so keys eks-kc does not know (preferences, extensions,
//! fields of newer kubectl versions) survive a rewrite. eks-kc owns exactly the entries that
//! carry its marker extension (named [`MARKER`]); it never changes or removes anything else, and
//! sets `current-context` only where none is set.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use serde_yaml::{Mapping, Value};

use crate::exec::{ClusterConfig, EXEC_EXTENSION_NAME};

/// Name of the extension that marks an entry as written by eks-kc.
pub const MARKER: &str = "eks-kc";
/// Name of the one generic user the managed contexts of the shared exec style use.
pub const USER_NAME: &str = "eks-kc";
/// Default context name template.
pub const DEFAULT_TEMPLATE: &str = "{cluster}.{region}.{profile}";

/// Which discovered cluster an entry stands for: one EKS cluster seen through one profile.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterId {
    /// The profile label (`default` when sync ran on the default credential chain).
    pub profile: String,
    pub region: String,
    pub cluster_name: String,
}

/// The marker extension: who wrote the entry, and for which cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Marker {
    managed_by: String,
    #[serde(flatten)]
    id: ClusterId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    arn: Option<String>,
}

/// A managed context, as `list` and `use` see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedContext {
    pub name: String,
    pub cluster_entry: String,
    #[serde(flatten)]
    pub id: ClusterId,
    pub exec: ClusterConfig,
    pub server: Option<String>,
}

/// A parsed kubeconfig.
#[derive(Debug, Clone, PartialEq)]
pub struct Kubeconfig {
    root: Mapping,
}

/// The three named lists of a kubeconfig; each entry is `{name, <body>: {...}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Clusters,
    Contexts,
    Users,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::Clusters, Section::Contexts, Section::Users];

    /// The top-level key of the list.
    pub fn key(self) -> &'static str {
        match self {
            Section::Clusters => "clusters",
            Section::Contexts => "contexts",
            Section::Users => "users",
        }
    }

    /// The key of an entry's body.
    pub fn body(self) -> &'static str {
        match self {
            Section::Clusters => "cluster",
            Section::Contexts => "context",
            Section::Users => "user",
        }
    }
}

impl Kubeconfig {
    /// An empty kubeconfig, as kubectl would start one.
    pub fn new() -> Self {
        let mut root = Mapping::new();
        root.insert("apiVersion".into(), "v1".into());
        root.insert("kind".into(), "Config".into());
        root.insert("preferences".into(), Value::Mapping(Mapping::new()));
        for section in Section::ALL {
            root.insert(section.key().into(), Value::Sequence(vec![]));
        }
        root.insert("current-context".into(), "".into());
        Kubeconfig { root }
    }

    /// Parses kubeconfig text. An empty document is an empty kubeconfig. The error says where
    /// the problem is (line and column, or the field).
    pub fn parse(text: &str) -> Result<Self> {
        if text.trim().is_empty() {
            return Ok(Self::new());
        }
        let value = yaml::from_str(text)?;
        let root = match value {
            Value::Mapping(m) => m,
            Value::Null => return Ok(Self::new()),
            other => bail!(
                "the document is a {}, not a mapping of kubeconfig fields",
                kind_of(&other)
            ),
        };
        for section in Section::ALL {
            match root.get(section.key()) {
                None | Some(Value::Null) | Some(Value::Sequence(_)) => {}
                Some(other) => bail!(
                    "field '{}' is a {}, not a list",
                    section.key(),
                    kind_of(other)
                ),
            }
        }
        if let Some(v) = root.get("current-context")
            && !matches!(v, Value::String(_) | Value::Null)
        {
            bail!("field 'current-context' is a {}, not a string", kind_of(v));
        }
        Ok(Kubeconfig { root })
    }

    /// Why kubectl refuses to load this document, when it is for a name it holds twice: two
    /// clusters, contexts or users of one name, or two extensions of one name in one list
    /// ("duplicate name in list"). A rewrite of such a file could change the wrong entry.
    pub fn duplicate_name(&self) -> Option<String> {
        fn twice<'a>(list: impl IntoIterator<Item = &'a Value>) -> Option<&'a str> {
            let mut seen = BTreeSet::new();
            list.into_iter()
                .map(|e| e.get("name").and_then(Value::as_str).unwrap_or_default())
                .find(|n| !seen.insert(*n))
        }
        fn extensions(list: Option<&Value>) -> &[Value] {
            match list {
                Some(Value::Sequence(list)) => list,
                _ => &[],
            }
        }
        if let Some(n) = twice(extensions(self.root.get("extensions"))) {
            return Some(format!("two extensions named '{n}'"));
        }
        let preferences = self.root.get("preferences");
        if let Some(n) = twice(extensions(preferences.and_then(|p| p.get("extensions")))) {
            return Some(format!("two extensions named '{n}' in its preferences"));
        }
        for section in Section::ALL {
            let list = self.list(section);
            if let Some(n) = twice(list) {
                return Some(format!("two {} named '{n}'", section.key()));
            }
            for entry in list {
                let body = entry.get(section.body());
                if let Some(n) = twice(extensions(body.and_then(|b| b.get("extensions")))) {
                    let entry = name_of(entry).unwrap_or_default();
                    return Some(format!(
                        "two extensions named '{n}' in {} '{entry}'",
                        section.body()
                    ));
                }
            }
        }
        None
    }

    /// The document as YAML text that kubectl reads back to the same values.
    pub fn to_yaml(&self) -> Result<String> {
        yaml::to_string(&self.root)
    }

    pub fn current_context(&self) -> Option<&str> {
        self.root
            .get("current-context")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    pub fn set_current_context(&mut self, name: &str) {
        self.root
            .insert("current-context".into(), Value::String(name.to_owned()));
    }

    fn list(&self, section: Section) -> &[Value] {
        match self.root.get(section.key()) {
            Some(Value::Sequence(s)) => s,
            _ => &[],
        }
    }

    fn list_mut(&mut self, section: Section) -> &mut Vec<Value> {
        let slot = self
            .root
            .entry(section.key().into())
            .or_insert(Value::Sequence(vec![]));
        if !slot.is_sequence() {
            *slot = Value::Sequence(vec![]);
        }
        slot.as_sequence_mut().expect("just made a sequence")
    }

    /// Names of all entries of a section.
    pub fn names(&self, section: Section) -> Vec<String> {
        self.list(section)
            .iter()
            .filter_map(|e| e.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }

    pub fn context_names(&self) -> Vec<String> {
        self.names(Section::Contexts)
    }

    /// A string field of the body of cluster entry `name` (`certificate-authority-data`, say).
    pub fn cluster_field(&self, name: &str, key: &str) -> Option<&str> {
        self.list(Section::Clusters)
            .iter()
            .find(|e| name_of(e) == Some(name))?
            .get(Section::Clusters.body())?
            .get(key)?
            .as_str()
    }

    /// Whether any entry carries eks-kc's marker.
    pub fn has_managed_entries(&self) -> bool {
        Section::ALL
            .iter()
            .any(|&section| self.list(section).iter().any(is_marked))
    }

    /// Contexts that carry eks-kc's marker without a usable cluster identity (no clusterName,
    /// say, in a marker copied by hand). They are nobody's: skipped, reported, never changed.
    pub fn unusable_contexts(&self) -> Vec<String> {
        self.list(Section::Contexts)
            .iter()
            .filter(|c| is_marked(c) && marker_of(c).is_none())
            .filter_map(|c| name_of(c).map(str::to_owned))
            .collect()
    }

    /// The names of this file's clusters and contexts, and whether it has a user named
    /// `eks-kc` that eks-kc did not write: what a merge into another file of the same
    /// KUBECONFIG must not shadow or be shadowed by.
    pub fn names_for_others(&self) -> (BTreeSet<String>, bool) {
        let mut names: BTreeSet<String> = self.names(Section::Clusters).into_iter().collect();
        names.extend(self.names(Section::Contexts));
        names.extend(
            self.list(Section::Users)
                .iter()
                .filter(|u| !is_marked(u))
                .filter_map(|u| name_of(u).map(str::to_owned)),
        );
        (names, self.has_foreign_user())
    }

    /// The style the file's managed contexts use: per-context when any has its own user.
    pub fn exec_style(&self) -> ExecStyle {
        let per_context = self.list(Section::Contexts).iter().any(|c| {
            is_marked(c) && context_user(c).is_some_and(|u| u.starts_with(&format!("{USER_NAME}@")))
        });
        if per_context {
            ExecStyle::PerContext
        } else {
            ExecStyle::Shared
        }
    }

    fn has_foreign_user(&self) -> bool {
        self.list(Section::Users)
            .iter()
            .any(|u| name_of(u) == Some(USER_NAME) && !is_marked(u))
    }

    /// The contexts eks-kc manages, in file order.
    pub fn managed_contexts(&self) -> Vec<ManagedContext> {
        let clusters: BTreeMap<&str, &Value> = self
            .list(Section::Clusters)
            .iter()
            .filter_map(|e| Some((e.get("name")?.as_str()?, e)))
            .collect();
        self.list(Section::Contexts)
            .iter()
            .filter_map(|ctx| {
                let marker = marker_of(ctx)?;
                let name = ctx.get("name")?.as_str()?.to_owned();
                let cluster_entry = ctx.get("context")?.get("cluster")?.as_str()?.to_owned();
                let cluster = clusters.get(cluster_entry.as_str());
                let exec = cluster
                    .and_then(|c| extension(c.get("cluster")?, EXEC_EXTENSION_NAME))
                    .and_then(|v| serde_yaml::from_value(v.clone()).ok())
                    .unwrap_or_default();
                let server = cluster
                    .and_then(|c| c.get("cluster")?.get("server")?.as_str())
                    .map(str::to_owned);
                Some(ManagedContext {
                    name,
                    cluster_entry,
                    id: marker.id,
                    exec,
                    server,
                })
            })
            .collect()
    }

    /// Entry positions by name in `clusters`, `contexts` or `users`.
    fn positions(&self, section: Section) -> HashMap<String, usize> {
        self.list(section)
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((name_of(e)?.to_owned(), i)))
            .collect()
    }

    /// Finds the entry `name` in `section` (appending `{name, <body>: {}}` when missing),
    /// applies `edit` to its body mapping, and says whether anything changed. Keys `edit` does
    /// not set (a proxy-url or namespace a person added, say) are kept. `positions` indexes the
    /// section.
    fn edit_entry(
        &mut self,
        section: Section,
        name: &str,
        positions: &mut HashMap<String, usize>,
        edit: impl FnOnce(&mut Mapping),
    ) -> bool {
        let body = section.body();
        let list = self.list_mut(section);
        let idx = *positions.entry(name.to_owned()).or_insert_with(|| {
            list.push(named_entry(name, body));
            list.len() - 1
        });
        let before = list[idx].clone();
        edit(body_mut(&mut list[idx], body));
        list[idx] != before
    }
}

impl Default for Kubeconfig {
    fn default() -> Self {
        Self::new()
    }
}

fn to_value(v: impl Serialize) -> Value {
    serde_yaml::to_value(v).expect("eks-kc's own plain data always serializes")
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Sequence(_) => "list",
        Value::Mapping(_) => "mapping",
        Value::Tagged(_) => "tagged value",
    }
}

fn name_of(entry: &Value) -> Option<&str> {
    entry.get("name")?.as_str()
}

fn named_entry(name: &str, body: &str) -> Value {
    let mut m = Mapping::new();
    m.insert("name".into(), name.into());
    m.insert(body.into(), Value::Mapping(Mapping::new()));
    Value::Mapping(m)
}

fn body_mut<'a>(entry: &'a mut Value, body: &str) -> &'a mut Mapping {
    let m = entry
        .as_mapping_mut()
        .expect("entries eks-kc edits are mappings");
    let slot = m
        .entry(body.into())
        .or_insert(Value::Mapping(Mapping::new()));
    if !slot.is_mapping() {
        *slot = Value::Mapping(Mapping::new());
    }
    slot.as_mapping_mut().expect("just made a mapping")
}

/// The value of the extension `name` in an entry body (`cluster`, `context` or `user` mapping).
fn extension<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body.get("extensions")?
        .as_sequence()?
        .iter()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(name))?
        .get("extension")
}

fn set_extension(body: &mut Mapping, name: &str, value: Value) {
    let slot = body
        .entry("extensions".into())
        .or_insert(Value::Sequence(vec![]));
    if !slot.is_sequence() {
        *slot = Value::Sequence(vec![]);
    }
    let list = slot.as_sequence_mut().expect("just made a sequence");
    let mut entry = Mapping::new();
    entry.insert("name".into(), name.into());
    entry.insert("extension".into(), value);
    match list
        .iter_mut()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(name))
    {
        Some(existing) => *existing = Value::Mapping(entry),
        None => list.push(Value::Mapping(entry)),
    }
}

/// The user a context entry names.
fn context_user(entry: &Value) -> Option<&str> {
    entry.get("context")?.get("user")?.as_str()
}

/// The value of eks-kc's marker extension on an entry, whatever its content.
fn marker_value(entry: &Value) -> Option<&Value> {
    let body = Section::ALL.iter().find_map(|s| entry.get(s.body()))?;
    let value = extension(body, MARKER)?;
    (value.get("managedBy").and_then(Value::as_str) == Some(MARKER)).then_some(value)
}

/// Whether the entry carries eks-kc's marker (the shared user's marker has no cluster identity).
fn is_marked(entry: &Value) -> bool {
    marker_value(entry).is_some()
}

/// eks-kc's marker on a cluster or context entry, when it names a cluster: a marker without a
/// usable identity (copied by hand, edited) makes the entry nobody's, so it is never changed.
fn marker_of(entry: &Value) -> Option<Marker> {
    let marker: Marker = serde_yaml::from_value(marker_value(entry)?.clone()).ok()?;
    let id = &marker.id;
    let blank = |s: &str| s.trim().is_empty();
    (!blank(&id.cluster_name) && !blank(&id.region)).then_some(marker)
}

mod adopt;
mod changes;
mod contexts;
pub mod current;
pub mod digest;
pub mod file;
mod foreign;
mod forget;
pub mod kuberc;
mod merge;
mod served;
mod template;
pub(crate) mod yaml;

pub use adopt::{Adopted, Adoption, Undone};
pub use foreign::{Identified, identify_context, stanza_of};
pub use forget::Forgotten;
pub use merge::{
    ChangeSet, Conflict, DesiredCluster, ExecStyle, MergeOptions, Naming, per_context_user,
};
pub use template::NameTemplate;

#[cfg(test)]
mod tests;
