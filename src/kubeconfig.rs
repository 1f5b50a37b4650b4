//! The kubeconfig: parsing, eks-kc's view of it, and the merge that `sync` applies. Pure: text
//! in, text out. This is the only module that touches YAML (serde_yaml is deprecated upstream;
//! switching to a fork is a change to this file alone).
//!
//! The document is kept as a YAML tree, so keys eks-kc does not know (preferences, extensions,
//! fields of newer kubectl versions) survive a rewrite. eks-kc owns exactly the entries that
//! carry its marker extension (named [`MARKER`]); it never changes or removes anything else, and
//! never touches `current-context` during a merge.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use serde_yaml::{Mapping, Value};

use crate::exec::{ClusterConfig, EXEC_EXTENSION_NAME};

/// Name of the extension that marks an entry as written by eks-kc.
pub const MARKER: &str = "eks-kc";
/// Name of the one user every managed context uses.
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

/// A cluster `sync` found and wants in the kubeconfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredCluster {
    pub id: ClusterId,
    pub arn: Option<String>,
    /// AWS account id, for the `{account}` template variable.
    pub account: Option<String>,
    pub server: String,
    pub ca_data: Option<String>,
    /// What `eks-kc token` will read from the exec extension.
    pub exec: ClusterConfig,
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

/// How the merge should treat the kubeconfig.
#[derive(Debug, Clone)]
pub struct MergeOptions<'a> {
    pub template: &'a NameTemplate,
    /// (profile, region) pairs that were listed successfully in this run: only their vanished
    /// clusters may be pruned.
    pub listed: &'a BTreeSet<(String, String)>,
    pub prune: bool,
    /// The exec `command` of the generic user.
    pub exec_command: &'a str,
    /// Cluster and context names defined by the other files of KUBECONFIG, with the file that
    /// defines each: client-go merges by name (the first file wins), so a new entry of the same
    /// name would shadow that one or be shadowed by it.
    pub taken_elsewhere: &'a BTreeMap<String, String>,
}

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
    /// Whether the shared `eks-kc` user was created, changed or removed.
    #[serde(skip)]
    pub user_changed: bool,
}

impl ChangeSet {
    /// Whether the merge changed the document at all (so the file must be written).
    pub fn writes(&self) -> bool {
        self.user_changed
            || !(self.added.is_empty() && self.updated.is_empty() && self.pruned.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub name: String,
    pub cluster: ClusterId,
    pub reason: String,
}

/// A parsed kubeconfig.
#[derive(Debug, Clone, PartialEq)]
pub struct Kubeconfig {
    root: Mapping,
}

const LISTS: [&str; 3] = ["clusters", "contexts", "users"];

impl Kubeconfig {
    /// An empty kubeconfig, as kubectl would start one.
    pub fn new() -> Self {
        let mut root = Mapping::new();
        root.insert("apiVersion".into(), "v1".into());
        root.insert("kind".into(), "Config".into());
        root.insert("preferences".into(), Value::Mapping(Mapping::new()));
        for list in LISTS {
            root.insert(list.into(), Value::Sequence(vec![]));
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
        for list in LISTS {
            match root.get(list) {
                None | Some(Value::Null) | Some(Value::Sequence(_)) => {}
                Some(other) => bail!("field '{list}' is a {}, not a list", kind_of(other)),
            }
        }
        if let Some(v) = root.get("current-context")
            && !matches!(v, Value::String(_) | Value::Null)
        {
            bail!("field 'current-context' is a {}, not a string", kind_of(v));
        }
        Ok(Kubeconfig { root })
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

    fn list(&self, key: &str) -> &[Value] {
        match self.root.get(key) {
            Some(Value::Sequence(s)) => s,
            _ => &[],
        }
    }

    fn list_mut(&mut self, key: &str) -> &mut Vec<Value> {
        let slot = self
            .root
            .entry(key.into())
            .or_insert(Value::Sequence(vec![]));
        if !slot.is_sequence() {
            *slot = Value::Sequence(vec![]);
        }
        slot.as_sequence_mut().expect("just made a sequence")
    }

    /// Names of all entries in `clusters`, `contexts` or `users`.
    pub fn names(&self, key: &str) -> Vec<String> {
        self.list(key)
            .iter()
            .filter_map(|e| e.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }

    pub fn context_names(&self) -> Vec<String> {
        self.names("contexts")
    }

    /// Whether any entry carries eks-kc's marker.
    pub fn has_managed_entries(&self) -> bool {
        LISTS
            .iter()
            .any(|list| self.list(list).iter().any(is_marked))
    }

    /// Contexts that carry eks-kc's marker without a usable cluster identity (no clusterName,
    /// say, in a marker copied by hand). They are nobody's: skipped, reported, never changed.
    pub fn unusable_contexts(&self) -> Vec<String> {
        self.list("contexts")
            .iter()
            .filter(|c| is_marked(c) && marker_of(c).is_none())
            .filter_map(|c| name_of(c).map(str::to_owned))
            .collect()
    }

    /// The names of this file's clusters and contexts, and whether it has a user named
    /// `eks-kc` that eks-kc did not write: what a merge into another file of the same
    /// KUBECONFIG must not shadow or be shadowed by.
    pub fn names_for_others(&self) -> (BTreeSet<String>, bool) {
        let mut names: BTreeSet<String> = self.names("clusters").into_iter().collect();
        names.extend(self.names("contexts"));
        (names, self.has_foreign_user())
    }

    fn has_foreign_user(&self) -> bool {
        self.list("users")
            .iter()
            .any(|u| name_of(u) == Some(USER_NAME) && !is_marked(u))
    }

    /// The contexts eks-kc manages, in file order.
    pub fn managed_contexts(&self) -> Vec<ManagedContext> {
        let clusters: BTreeMap<&str, &Value> = self
            .list("clusters")
            .iter()
            .filter_map(|e| Some((e.get("name")?.as_str()?, e)))
            .collect();
        self.list("contexts")
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

    /// Applies `desired` (the clusters found in this run) under eks-kc's ownership rules.
    pub fn merge(
        &mut self,
        desired: &[DesiredCluster],
        opts: &MergeOptions<'_>,
    ) -> Result<ChangeSet> {
        let mut changes = ChangeSet::default();
        self.check_user_is_ours()?;

        // Where each managed cluster lives today, by identity.
        let existing: BTreeMap<ClusterId, String> = self
            .list("clusters")
            .iter()
            .filter_map(|e| Some((marker_of(e)?.id, e.get("name")?.as_str()?.to_owned())))
            .collect();
        let mut taken: BTreeSet<String> = self.names("clusters").into_iter().collect();
        taken.extend(self.names("contexts"));

        // Entry positions by name, so each cluster costs a lookup, not a scan of the file.
        let mut cluster_pos = self.positions("clusters");
        let mut context_pos = self.positions("contexts");

        let mut sorted: Vec<&DesiredCluster> = desired.iter().collect();
        sorted.sort_by(|a, b| a.id.cmp(&b.id));
        sorted.dedup_by(|a, b| a.id == b.id);
        let mut kept: BTreeSet<ClusterId> = BTreeSet::new();
        for want in sorted {
            kept.insert(want.id.clone());
            let name = match existing.get(&want.id) {
                // Names are stable: an entry keeps its name whatever the template says now.
                Some(name) => name.clone(),
                None => {
                    let name = opts.template.render(want);
                    if let Some(file) = opts.taken_elsewhere.get(&name) {
                        changes.conflicts.push(Conflict {
                            reason: format!(
                                "the name '{name}' is already used in {file}, another file of \
                                 KUBECONFIG (kubectl merges files by name); choose another with \
                                 --name-template"
                            ),
                            name,
                            cluster: want.id.clone(),
                        });
                        continue;
                    }
                    if taken.contains(&name) {
                        changes.conflicts.push(Conflict {
                            reason: format!(
                                "the name '{name}' is already used by another cluster or \
                                 context; choose another with --name-template"
                            ),
                            name,
                            cluster: want.id.clone(),
                        });
                        continue;
                    }
                    name
                }
            };
            // The context of a managed cluster may since have been replaced by a person's own.
            if let Some(&i) = context_pos.get(&name)
                && marker_of(&self.list("contexts")[i]).is_none()
            {
                changes.conflicts.push(Conflict {
                    reason: format!(
                        "a context named '{name}' exists and was not written by eks-kc"
                    ),
                    name,
                    cluster: want.id.clone(),
                });
                continue;
            }
            taken.insert(name.clone());
            let marker = Marker {
                managed_by: MARKER.to_owned(),
                id: want.id.clone(),
                arn: want.arn.clone(),
            };
            let cluster_changed =
                self.edit_entry("clusters", &name, "cluster", &mut cluster_pos, |body| {
                    body.insert("server".into(), want.server.clone().into());
                    match &want.ca_data {
                        Some(ca) => {
                            body.insert("certificate-authority-data".into(), ca.clone().into())
                        }
                        None => body.remove("certificate-authority-data"),
                    };
                    set_extension(body, EXEC_EXTENSION_NAME, to_value(&want.exec));
                    set_extension(body, MARKER, to_value(&marker));
                });
            let context_changed =
                self.edit_entry("contexts", &name, "context", &mut context_pos, |body| {
                    body.insert("cluster".into(), name.as_str().into());
                    body.insert("user".into(), USER_NAME.into());
                    set_extension(body, MARKER, to_value(&marker));
                });
            match (
                existing.contains_key(&want.id),
                cluster_changed || context_changed,
            ) {
                (false, _) => changes.added.push(name),
                (true, true) => changes.updated.push(name),
                (true, false) => changes.unchanged.push(name),
            }
        }

        if opts.prune {
            let doomed: BTreeSet<ClusterId> = existing
                .into_keys()
                .filter(|id| {
                    !kept.contains(id)
                        && opts
                            .listed
                            .contains(&(id.profile.clone(), id.region.clone()))
                })
                .collect();
            if !doomed.is_empty() {
                let pruned = self.remove_managed(&doomed);
                if let Some(current) = self.current_context()
                    && pruned.iter().any(|c| c == current)
                {
                    changes.dangling_current_context = Some(current.to_owned());
                }
                changes.pruned = pruned;
            }
        }

        let any_managed = self.list("contexts").iter().any(is_marked);
        if any_managed {
            changes.user_changed = self.upsert_user(opts.exec_command);
        } else {
            let users = self.list_mut("users");
            let before = users.len();
            users.retain(|u| !(name_of(u) == Some(USER_NAME) && is_marked(u)));
            changes.user_changed = users.len() != before;
        }
        changes.added.sort();
        changes.updated.sort();
        changes.unchanged.sort();
        changes.pruned.sort();
        Ok(changes)
    }

    /// A user named `eks-kc` that eks-kc did not write is someone else's: refuse to touch it.
    fn check_user_is_ours(&self) -> Result<()> {
        if self.has_foreign_user() {
            bail!(
                "the kubeconfig already has a user named '{USER_NAME}' that eks-kc did not \
                 write; rename or remove it, then sync again"
            );
        }
        Ok(())
    }

    /// Entry positions by name in `clusters`, `contexts` or `users`.
    fn positions(&self, list: &str) -> HashMap<String, usize> {
        self.list(list)
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((name_of(e)?.to_owned(), i)))
            .collect()
    }

    /// Finds the entry `name` in `list` (appending `{name, <body>: {}}` when missing), applies
    /// `edit` to its body mapping, and says whether anything changed. Keys `edit` does not set
    /// (a proxy-url or namespace a person added, say) are kept. `positions` indexes `list`.
    fn edit_entry(
        &mut self,
        list: &str,
        name: &str,
        body: &str,
        positions: &mut HashMap<String, usize>,
        edit: impl FnOnce(&mut Mapping),
    ) -> bool {
        let list = self.list_mut(list);
        let idx = *positions.entry(name.to_owned()).or_insert_with(|| {
            list.push(named_entry(name, body));
            list.len() - 1
        });
        let before = list[idx].clone();
        edit(body_mut(&mut list[idx], body));
        list[idx] != before
    }

    fn upsert_user(&mut self, command: &str) -> bool {
        let exec: Value = serde_yaml::from_str(&format!(
            "apiVersion: {}\ncommand: {}\nargs: [token]\nprovideClusterInfo: true\ninteractiveMode: IfAvailable\n",
            crate::exec::V1BETA1,
            serde_json::to_string(command).expect("a string serializes"),
        ))
        .expect("a fixed YAML document parses");
        let mut positions = self.positions("users");
        self.edit_entry("users", USER_NAME, "user", &mut positions, |body| {
            // Keep keys a person added to the exec stanza (env, installHint).
            match (body.get_mut("exec"), exec) {
                (Some(Value::Mapping(existing)), Value::Mapping(ours)) => existing.extend(ours),
                (_, exec) => {
                    body.insert("exec".into(), exec);
                }
            }
            set_extension(
                body,
                MARKER,
                to_value(BTreeMap::from([("managedBy", MARKER)])),
            );
        })
    }

    /// Removes the managed clusters `doomed` and the managed contexts that point at them, in one
    /// pass over each list; returns the context names removed, sorted.
    fn remove_managed(&mut self, doomed: &BTreeSet<ClusterId>) -> Vec<String> {
        let is_doomed = |e: &Value| marker_of(e).is_some_and(|m| doomed.contains(&m.id));
        self.list_mut("clusters").retain(|e| !is_doomed(e));
        let mut removed = vec![];
        self.list_mut("contexts").retain(|c| {
            let gone = is_doomed(c);
            if gone && let Some(n) = name_of(c) {
                removed.push(n.to_owned());
            }
            !gone
        });
        removed.sort();
        removed
    }
}

impl Default for Kubeconfig {
    fn default() -> Self {
        Self::new()
    }
}

/// Context names from a template with `{cluster}`, `{region}`, `{profile}` and `{account}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameTemplate(String);

impl NameTemplate {
    pub fn parse(template: &str) -> Result<Self> {
        let mut rest = template;
        let mut has_cluster = false;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                bail!("unclosed '{{' in name template '{template}'");
            };
            let var = &rest[open + 1..open + close];
            match var {
                "cluster" => has_cluster = true,
                "region" | "profile" | "account" => {}
                other => bail!(
                    "unknown variable '{{{other}}}' in name template '{template}' \
                     (known: {{cluster}} {{region}} {{profile}} {{account}})"
                ),
            }
            rest = &rest[open + close + 1..];
        }
        if !has_cluster {
            bail!("the name template '{template}' must contain {{cluster}}");
        }
        Ok(NameTemplate(template.to_owned()))
    }

    pub fn render(&self, c: &DesiredCluster) -> String {
        self.0
            .replace("{cluster}", &c.id.cluster_name)
            .replace("{region}", &c.id.region)
            .replace("{profile}", &c.id.profile)
            .replace("{account}", c.account.as_deref().unwrap_or("unknown"))
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

/// The value of eks-kc's marker extension on an entry, whatever its content.
fn marker_value(entry: &Value) -> Option<&Value> {
    let body = ["cluster", "context", "user"]
        .iter()
        .find_map(|k| entry.get(*k))?;
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

mod forget;
mod yaml;

pub use forget::Forgotten;

#[cfg(test)]
mod tests;
