//! `eks-kc adopt`: EKS contexts another tool wrote, served by `eks-kc token` under their own
//! names, and the undo. Pure, like the merge.
//!
//! Adopt changes who signs nothing: eks-kc's stanza carries every part of the old one that
//! decides the identity (cluster, region, profile, role, its session name, and the `env` as it
//! is), and a stanza with anything eks-kc cannot carry exactly is not adopted (see
//! `exec::stanza::carry_check`). Of a user entry, adopt owns only `exec` and its marker among
//! the `extensions`; every other field (`as`, `as-groups`, `as-uid`, `as-user-extra`, fields
//! of newer kubectl versions) stays as it was.
//!
//! A context's user entry is rewritten in place (same name) when every context that uses it,
//! in any file of KUBECONFIG, is adopted with it and signs as the same identity; the old user
//! body is kept in the user's eks-kc marker, so the undo puts it back. A user entry that another
//! context still needs as it is (a non-EKS context, one not adopted, one of another file,
//! another identity) is left alone: the adopted context gets a user of its own,
//! `eks-kc@CONTEXT`, and the undo points it back. The undo finds what adopt did by the users'
//! markers, which survive kubectl's own edits (a renamed context included), never by a
//! context's name. Context and cluster entries are otherwise untouched; the shared exec style
//! adds the exec extension to the cluster entry (recorded, and removed by the undo).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_yaml::{Mapping, Value};

use super::foreign::{identify_context, stanza_of};
use super::merge::exec_stanza;
use super::{
    ExecStyle, Kubeconfig, MARKER, Section, body_mut, context_user, extension, marker_value,
    name_of, per_context_user, set_extension, to_value,
};
use crate::exec::stanza::{EksIdentity, Writer, carry_check, command_line};
use crate::exec::{ClusterConfig, EXEC_EXTENSION_NAME};

/// What `adopt` did (or would do) to one context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Adopted {
    pub context: String,
    /// The user entry the context now uses.
    pub user: String,
    /// The context got a user of its own (its old user still serves other contexts).
    pub own_user: bool,
    /// The command the context ran, and the one it runs now.
    pub was: String,
    pub now: String,
}

/// The outcome for the chosen contexts of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Adoption {
    pub adopted: Vec<Adopted>,
    /// Contexts left as they were, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// What the undo did (or would do) in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Undone {
    /// The contexts that use their users as they were before adopt again, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub restored: Vec<String>,
    /// Rewritten users no context names any more (undoing all), given their old `exec` back.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unused_restored: Vec<String>,
    /// Users adopt made for a context that no context names any more (undoing all), removed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unused_removed: Vec<String>,
    /// Contexts asked for that are still as they were, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_restored: Vec<(String, String)>,
}

impl Undone {
    pub fn changed(&self) -> bool {
        !(self.restored.is_empty()
            && self.unused_restored.is_empty()
            && self.unused_removed.is_empty())
    }
}

/// The eks-kc marker of an adopted user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdoptMarker {
    managed_by: String,
    /// The identity the user signs as now.
    adopted: ClusterConfig,
    /// In place: the user body before the adopt (`None` for a user of the context's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    original: Option<Value>,
    /// A user of a context's own: the user its context used before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    original_user: Option<String>,
    /// Cluster entries given the exec extension (shared style), and whether their
    /// `extensions` list was created for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    cluster_extensions: Vec<(String, bool)>,
}

/// A chosen context: its name, cluster entry and the identity it signs as.
type Chosen = (String, String, EksIdentity);

impl Kubeconfig {
    /// Rewrites the users of contexts `names` (defined in this file) to `eks-kc token` with the
    /// identity their command signs as. `named_elsewhere`: the users that contexts kubectl reads
    /// from the other files of KUBECONFIG name (this file's user of such a name may serve
    /// them). `exec_command` is the command written (`eks-kc`).
    pub fn adopt(
        &mut self,
        names: &[String],
        style: ExecStyle,
        exec_command: &str,
        named_elsewhere: &BTreeSet<String>,
    ) -> Adoption {
        let mut out = Adoption::default();
        let mut chosen: BTreeMap<String, Vec<Chosen>> = BTreeMap::new();
        for name in names {
            match self.adoptable(name) {
                Ok((cluster, user, id)) => {
                    chosen
                        .entry(user.clone())
                        .or_default()
                        .push((name.clone(), cluster, id))
                }
                Err(why) => out.skipped.push((name.clone(), why)),
            }
        }
        let contexts_of = self.contexts_by_user();
        for (user, contexts) in chosen {
            let all_here = !named_elsewhere.contains(&user)
                && contexts_of
                    .get(&user)
                    .into_iter()
                    .flatten()
                    .all(|c| contexts.iter().any(|(n, _, _)| n == c));
            let one_signer = contexts
                .iter()
                .all(|(_, _, id)| id.same_signer(&contexts[0].2));
            if all_here && one_signer {
                self.adopt_in_place(&user, &contexts, style, exec_command, &mut out);
            } else {
                for (name, _, id) in &contexts {
                    self.adopt_own_user(name, &user, id, exec_command, &mut out);
                }
            }
        }
        out.adopted.sort_by(|a, b| a.context.cmp(&b.context));
        out
    }

    /// The cluster entry, user and identity of a context adopt can take, or why not.
    fn adoptable(&self, name: &str) -> Result<(String, String, EksIdentity), String> {
        let Some((cluster, user)) = self.context_refs(name) else {
            return Err("no such context in this file, or it names no cluster and user".into());
        };
        let Some(entry) = self.entry(Section::Users, &user) else {
            return Err(format!(
                "its user '{user}' is defined in another file (or nowhere); adopt changes a \
                 user only in the file of its context"
            ));
        };
        if self.is_adopted_user(&user) {
            return Err("already adopted".into());
        }
        let found = identify_context(&[self], name)?;
        if found.identity.writer == Writer::EksKc {
            return Err("already served by `eks-kc token`".into());
        }
        let stanza = stanza_of(&user, entry.get("user").unwrap_or(&Value::Null))?;
        carry_check(&stanza, &found.identity)?;
        Ok((cluster, user, found.identity))
    }

    fn adopt_in_place(
        &mut self,
        user: &str,
        contexts: &[Chosen],
        style: ExecStyle,
        exec_command: &str,
        out: &mut Adoption,
    ) {
        let id = &contexts[0].2;
        let config = id.adopted_config();
        let mut cluster_extensions = vec![];
        if style == ExecStyle::Shared {
            for (_, cluster, _) in contexts {
                if cluster_extensions.iter().any(|(c, _)| c == cluster) {
                    continue;
                }
                match self.add_exec_extension(cluster, &config) {
                    Some(created) => cluster_extensions.push((cluster.clone(), created)),
                    // The cluster already has an exec extension of another's: name it all in
                    // the user's args instead.
                    None => return self.in_place_with(user, contexts, None, exec_command, out),
                }
            }
        }
        let shared = (style == ExecStyle::Shared).then_some(cluster_extensions);
        self.in_place_with(user, contexts, shared, exec_command, out);
    }

    /// Rewrites user `user`; `shared`: the exec extensions added for the shared style, `None`
    /// for args that name the cluster.
    fn in_place_with(
        &mut self,
        user: &str,
        contexts: &[Chosen],
        shared: Option<Vec<(String, bool)>>,
        exec_command: &str,
        out: &mut Adoption,
    ) {
        let id = &contexts[0].2;
        let config = id.adopted_config();
        let exec = exec_stanza(exec_command, shared.is_none().then_some(&config));
        let Some(entry) = self
            .list_mut(Section::Users)
            .iter_mut()
            .find(|e| name_of(e) == Some(user))
        else {
            return;
        };
        let original = entry.get("user").cloned().unwrap_or(Value::Null);
        let marker = AdoptMarker {
            managed_by: MARKER.to_owned(),
            adopted: config,
            original: Some(original.clone()),
            original_user: None,
            cluster_extensions: shared.unwrap_or_default(),
        };
        let body = adopted_body(&original, exec, &marker, id);
        let now = command_line_of(user, &body);
        *body_mut(entry, "user") = body;
        for (context, _, id) in contexts {
            out.adopted.push(Adopted {
                context: context.clone(),
                user: user.to_owned(),
                own_user: false,
                was: id.command_line.clone(),
                now: now.clone(),
            });
        }
    }

    fn adopt_own_user(
        &mut self,
        context: &str,
        user: &str,
        id: &EksIdentity,
        exec_command: &str,
        out: &mut Adoption,
    ) {
        let own = per_context_user(context);
        if self.entry(Section::Users, &own).is_some() {
            out.skipped.push((
                context.to_owned(),
                format!(
                    "its user '{user}' also serves other contexts, and the name '{own}' for a \
                     user of its own is taken"
                ),
            ));
            return;
        }
        let config = id.adopted_config();
        let exec = exec_stanza(exec_command, Some(&config));
        let marker = AdoptMarker {
            managed_by: MARKER.to_owned(),
            adopted: config,
            original: None,
            original_user: Some(user.to_owned()),
            cluster_extensions: vec![],
        };
        // A copy of the old user (impersonation and all), signing through eks-kc.
        let old = self
            .entry(Section::Users, user)
            .and_then(|e| e.get("user"))
            .cloned()
            .unwrap_or(Value::Null);
        let body = adopted_body(&old, exec, &marker, id);
        let now = command_line_of(&own, &body);
        let mut entry = Mapping::new();
        entry.insert("name".into(), own.as_str().into());
        entry.insert("user".into(), Value::Mapping(body));
        self.list_mut(Section::Users).push(Value::Mapping(entry));
        self.set_context_user(context, &own);
        out.adopted.push(Adopted {
            context: context.to_owned(),
            user: own.clone(),
            own_user: true,
            was: id.command_line.clone(),
            now,
        });
    }

    fn set_context_user(&mut self, context: &str, user: &str) {
        if let Some(entry) = self
            .list_mut(Section::Contexts)
            .iter_mut()
            .find(|e| name_of(e) == Some(context))
        {
            body_mut(entry, "context").insert("user".into(), user.into());
        }
    }

    /// Adds the exec extension to cluster entry `name`: `Some(created the extensions list)`,
    /// `None` when it has one already with other content.
    fn add_exec_extension(&mut self, name: &str, config: &ClusterConfig) -> Option<bool> {
        let value = to_value(config);
        let entry = self
            .list_mut(Section::Clusters)
            .iter_mut()
            .find(|e| name_of(e) == Some(name))?;
        let body = body_mut(entry, "cluster");
        let existing = body.get("extensions").cloned();
        if let Some(list) = &existing {
            match extension(&Value::Mapping(body.clone()), EXEC_EXTENSION_NAME) {
                Some(v) if *v == value => return Some(false),
                Some(_) => return None,
                None if !list.is_sequence() => return None,
                None => {}
            }
        }
        set_extension(body, EXEC_EXTENSION_NAME, value);
        Some(existing.is_none())
    }

    /// The contexts of each user, in one pass (a file of thousands stays linear).
    fn contexts_by_user(&self) -> BTreeMap<String, Vec<String>> {
        let mut contexts_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for c in self.list(Section::Contexts) {
            if let (Some(user), Some(name)) = (context_user(c), name_of(c)) {
                contexts_of
                    .entry(user.to_owned())
                    .or_default()
                    .push(name.to_owned());
            }
        }
        contexts_of
    }

    /// Undoes `adopt` for contexts `names` (`None`: every adopted user, whatever names it):
    /// each rewritten user gets its old `exec` back (fields a person changed since stay), each
    /// context using a user of its own its old user. What adopt did is found by the users'
    /// markers, so a context renamed since is restored under its new name.
    pub fn undo_adopt(&mut self, names: Option<&[String]>) -> Undone {
        let wanted = |c: &str| names.is_none_or(|n| n.iter().any(|x| x == c));
        let contexts_of = self.contexts_by_user();
        let mut seen = BTreeSet::new();
        let (undone, kept): (Vec<_>, Vec<_>) = self
            .list(Section::Users)
            .iter()
            .filter_map(|u| Some((name_of(u)?.to_owned(), adopt_marker(u)?)))
            // The first entry of a name is the one kubectl uses.
            .filter(|(user, _)| seen.insert(user.clone()))
            .partition(|(user, _)| match contexts_of.get(user) {
                Some(cs) => cs.iter().any(|c| wanted(c)),
                None => names.is_none(),
            });
        // Exec extensions adopt added stay while a user still adopted relies on them.
        let still_used: BTreeSet<&str> = kept
            .iter()
            .flat_map(|(_, m)| m.cluster_extensions.iter().map(|(c, _)| c.as_str()))
            .collect();
        let mut extensions: BTreeMap<String, bool> = BTreeMap::new();
        let mut gone: BTreeSet<String> = BTreeSet::new();
        let mut out = Undone::default();
        let positions = self.positions(Section::Users);
        for (user, marker) in &undone {
            let contexts = contexts_of.get(user).map(Vec::as_slice).unwrap_or_default();
            if let Some(original) = &marker.original {
                if let Some(entry) = positions
                    .get(user)
                    .and_then(|&i| self.list_mut(Section::Users)[i].as_mapping_mut())
                {
                    restore_body(entry, original);
                }
                for (cluster, created) in &marker.cluster_extensions {
                    if !still_used.contains(cluster.as_str()) {
                        *extensions.entry(cluster.clone()).or_default() |= *created;
                    }
                }
                out.restored.extend(contexts.iter().cloned());
                if contexts.is_empty() {
                    out.unused_restored.push(user.clone());
                }
            } else if let Some(old) = &marker.original_user {
                if !self.defines(Section::Users, old) {
                    out.not_restored
                        .extend(contexts.iter().filter(|c| wanted(c)).map(|c| {
                        (
                            c.clone(),
                            format!(
                                "the user it had before adopt, '{old}', is gone from this file; \
                                 point it at a user of yours (`kubectl config set-context {c} \
                                 --user=NAME`), then `kubectl config delete-user {user}`"
                            ),
                        )
                    }));
                    continue;
                }
                let moved: Vec<String> = contexts.iter().filter(|c| wanted(c)).cloned().collect();
                for c in &moved {
                    self.set_context_user(c, old);
                }
                // Removed once no context names it.
                if moved.len() == contexts.len() {
                    gone.insert(user.clone());
                }
                if contexts.is_empty() {
                    out.unused_removed.push(user.clone());
                }
                out.restored.extend(moved);
            }
        }
        if !gone.is_empty() {
            self.list_mut(Section::Users)
                .retain(|e| name_of(e).is_none_or(|n| !gone.contains(n)));
        }
        let clusters = self.positions(Section::Clusters);
        for (cluster, created) in extensions {
            if let Some(&i) = clusters.get(&cluster) {
                self.remove_exec_extension(i, created);
            }
        }
        out.restored.sort();
        out.restored.dedup();
        // A context asked for by name that is not adopted here is not restored either.
        for name in names.unwrap_or_default() {
            let listed = |l: &[(String, String)]| l.iter().any(|(c, _)| c == name);
            if !out.restored.contains(name) && !listed(&out.not_restored) {
                out.not_restored.push((
                    name.clone(),
                    "it is not adopted: its user carries no mark of `eks-kc adopt`".to_owned(),
                ));
            }
        }
        out
    }

    /// Removes the exec extension adopt added to cluster entry `i` (and the `extensions` list,
    /// when adopt created it and nothing else is in it).
    fn remove_exec_extension(&mut self, i: usize, created: bool) {
        let body = body_mut(&mut self.list_mut(Section::Clusters)[i], "cluster");
        if let Some(Value::Sequence(list)) = body.get_mut("extensions") {
            list.retain(|e| e.get("name").and_then(Value::as_str) != Some(EXEC_EXTENSION_NAME));
            if created && list.is_empty() {
                body.remove("extensions");
            }
        }
    }

    /// The adopted contexts of this file: name, cluster entry and the identity they sign as.
    /// (Linear: the adopted users are found once, not looked up by name for each context, which
    /// made `list` quadratic in the number of contexts.)
    pub fn adopted_contexts(&self) -> Vec<(String, String, ClusterConfig)> {
        let mut adopted: BTreeMap<&str, Option<AdoptMarker>> = BTreeMap::new();
        for user in self.list(Section::Users) {
            if let Some(name) = name_of(user) {
                // The first entry of a name is the one kubectl uses.
                adopted.entry(name).or_insert_with(|| adopt_marker(user));
            }
        }
        self.list(Section::Contexts)
            .iter()
            .filter_map(|c| {
                let marker = adopted.get(context_user(c)?)?.as_ref()?;
                let cluster = c.get("context")?.get("cluster")?.as_str()?.to_owned();
                Some((name_of(c)?.to_owned(), cluster, marker.adopted.clone()))
            })
            .collect()
    }
}

/// The user body adopt writes for identity `id`: `old` (the user's body, every field kept) with
/// `exec` in place of its stanza, the old stanza's `env` carried as it is (but an `AWS_PROFILE`
/// `exec` names as its profile), and eks-kc's marker among the extensions.
fn adopted_body(old: &Value, mut exec: Mapping, marker: &AdoptMarker, id: &EksIdentity) -> Mapping {
    let mut body = old.as_mapping().cloned().unwrap_or_default();
    match old.get("exec").and_then(|e| e.get("env")) {
        Some(Value::Sequence(env)) => {
            let kept: Vec<Value> = env
                .iter()
                .filter(|e| {
                    let name = e.get("name").and_then(Value::as_str).unwrap_or_default();
                    id.adopted_env_keeps(name)
                })
                .cloned()
                .collect();
            if !kept.is_empty() {
                exec.insert("env".into(), Value::Sequence(kept));
            }
        }
        Some(other) => {
            exec.insert("env".into(), other.clone());
        }
        None => {}
    }
    body.insert("exec".into(), Value::Mapping(exec));
    set_extension(&mut body, MARKER, to_value(marker));
    body
}

/// The command line the user body `body` of user `user` runs, for the report.
fn command_line_of(user: &str, body: &Mapping) -> String {
    stanza_of(user, &Value::Mapping(body.clone()))
        .map(|s| command_line(&s))
        .unwrap_or_default()
}

/// Undoes [`adopted_body`] on the user entry `entry`: the old `exec` (or none) back, eks-kc's
/// marker (and an `extensions` list made for it) gone, and fields of `original` missing now
/// put back (an earlier eks-kc dropped them); what a person changed since otherwise stays.
fn restore_body(entry: &mut Mapping, original: &Value) {
    let Some(original) = original.as_mapping() else {
        entry.insert("user".into(), original.clone());
        return;
    };
    let body = match entry.get_mut("user") {
        Some(Value::Mapping(body)) => body,
        _ => {
            entry.insert("user".into(), Value::Mapping(original.clone()));
            return;
        }
    };
    match original.get("exec") {
        Some(exec) => body.insert("exec".into(), exec.clone()),
        None => body.remove("exec"),
    };
    if let Some(Value::Sequence(list)) = body.get_mut("extensions") {
        list.retain(|e| e.get("name").and_then(Value::as_str) != Some(MARKER));
        if list.is_empty() && !original.contains_key("extensions") {
            body.remove("extensions");
        }
    }
    for (k, v) in original {
        if !body.contains_key(k) {
            body.insert(k.clone(), v.clone());
        }
    }
}

fn adopt_marker(user: &Value) -> Option<AdoptMarker> {
    let m = marker_value(user)?;
    m.get("adopted")?;
    serde_yaml::from_value(m.clone()).ok()
}

#[cfg(test)]
mod tests;
